/*
 * sluiced.c - the sluice daemon: command line
 *
 * "sluiced -n" loads and checks a configuration the way the daemon
 * would, reports every error as "file:line: what", and exits 0 only
 * when the configuration is usable.  Without -n the configuration is
 * loaded the same way and the master starts (agent.h); with -f it stays
 * in the foreground and logs to stderr, else it detaches and logs to
 * syslog.
 * SECURITY: started as root, it keeps root only in the master, which
 * never reads mail.
 * ERRORS: to stderr (and syslog once detached); exit 0 (good or stopped
 * cleanly), 1 (config errors, cannot start), 64 (usage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <syslog.h>

#include "config/config.h"
#include "daemon/agent.h"
#include "lib/log.h"

#define MAX_OVERRIDES	32

/* usage - the synopsis */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sluiced [-fn] [-c conf] [-O key=value]...\n");
	exit(64);
}

/* facility - the syslog facility named in the config */
static int
facility(const char *name)
{
	static const struct {
		const char	*name;
		int		 fac;
	} tab[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
		{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};
	size_t	i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].name, name) == 0)
			return tab[i].fac;
	return LOG_MAIL;
}

/* run - detach unless fg, then be the master */
static int
run(const char *conf, char *const *ov, struct config *c, int fg)
{
	char	*abs;
	int	 rc;

	/* reloads read it again, after daemon() went to "/" */
	if ((abs = realpath(conf, NULL)) != NULL)
		conf = abs;
	log_set_debug(c->log_debug);
	rc = master_main(conf, ov, c, !fg, facility(c->syslog_facility));
	free(abs);
	return rc;
}

int
main(int argc, char **argv)
{
	const char		*conf = SYSCONFDIR "/sluice/sluice.conf";
	char			*ov[MAX_OVERRIDES + 1] = { NULL };
	struct config_errors	 e = { 0 };
	struct config		*c;
	size_t			 i;
	int			 ch, check = 0, nov = 0, fg = 0;

	log_init("sluiced", LOG_DEST_STDERR, 0);
	while ((ch = getopt(argc, argv, "c:fnO:")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			fg = 1;
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
	if (optind != argc)
		usage();
	c = config_load(conf, ov, &e);
	for (i = 0; i < e.nwarn; i++)
		fprintf(stderr, "%s\n", e.warn[i]);
	for (i = 0; i < e.n; i++)
		fprintf(stderr, "%s\n", e.msg[i]);
	if (c == NULL) {
		fprintf(stderr, "sluiced: %s: %zu error%s\n", conf, e.n,
		    e.n == 1 ? "" : "s");
		config_errors_free(&e);
		return 1;
	}
	if (!check) {
		config_errors_free(&e);
		return run(conf, ov, c, fg);
	}
	printf("sluiced: %s: configuration is valid (%zu filter%s, %zu "
	    "rule%s, %zu address rule%s)\n", conf, c->nfilters,
	    c->nfilters == 1 ? "" : "s", c->nrules, c->nrules == 1 ? "" : "s",
	    c->narules, c->narules == 1 ? "" : "s");
	config_unref(&c);
	config_errors_free(&e);
	return 0;
}
