/*
 * sluiced.c - the sluice daemon: command line
 *
 * "sluiced -n" loads and checks a configuration the way the daemon
 * would, reports every error as "file:line: what", and exits 0 only
 * when the configuration is usable.
 * SECURITY: reads config files; starts nothing.
 * ERRORS: to stderr; exit 0 (good), 1 (config errors), 64 (usage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define MAX_OVERRIDES	32

/* usage - the synopsis */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sluiced -n [-c conf] [-O key=value]...\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	const char		*conf = SYSCONFDIR "/sluice/sluice.conf";
	char			*ov[MAX_OVERRIDES + 1] = { NULL };
	struct config_errors	 e = { 0 };
	struct config		*c;
	size_t			 i;
	int			 ch, check = 0, nov = 0;

	log_init("sluiced", LOG_DEST_STDERR, 0);
	while ((ch = getopt(argc, argv, "c:nO:")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'O':
			if (nov == MAX_OVERRIDES)
				usage();
			ov[nov++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !check)
		usage();
	c = config_load(conf, ov, &e);
	for (i = 0; i < e.n; i++)
		fprintf(stderr, "%s\n", e.msg[i]);
	if (c == NULL) {
		fprintf(stderr, "sluiced: %s: %zu error%s\n", conf, e.n,
		    e.n == 1 ? "" : "s");
		config_errors_free(&e);
		return 1;
	}
	printf("sluiced: %s: configuration is valid (%zu filter%s, %zu "
	    "rule%s, %zu address rule%s)\n", conf, c->nfilters,
	    c->nfilters == 1 ? "" : "s", c->nrules, c->nrules == 1 ? "" : "s",
	    c->narules, c->narules == 1 ? "" : "s");
	config_unref(&c);
	config_errors_free(&e);
	return 0;
}
