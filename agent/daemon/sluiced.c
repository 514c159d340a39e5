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
#include "daemon/modcheck.h"
#include "daemon/modhost.h"
#include "lib/log.h"
#include "lib/sandbox.h"

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

/* size_text - a size as "4G", "512K" or bytes; "none" for 0 */
static const char *
size_text(unsigned long long v, char *buf, size_t len)
{
	static const char	u[] = "KMGT";
	int			i;

	if (v == 0)
		return "none";
	for (i = -1; i < 3 && v % 1024 == 0; i++)
		v /= 1024;
	if (i < 0)
		snprintf(buf, len, "%llu", v);
	else
		snprintf(buf, len, "%llu%c", v, u[i]);
	return buf;
}

/* print_filters - for -n: what each filter runs as and under */
static void
print_filters(const struct config *c)
{
	const struct filter	*f;
	char			 b1[32], b2[32], nproc[32], cpu[32];
	size_t			 i, j;
	int			 abi = sandbox_fs_version(), root;

	root = geteuid() == 0;
	printf("agent and launcher: user %s (uid %u, gid %u)%s\n", c->user,
	    (unsigned)c->uid, (unsigned)c->gid, root ? "" :
	    "; not root: everything runs as the user running sluiced");
	if (abi > 0)
		printf("file system rules: Landlock ABI %d; runs under "
		    "\"default\" and \"network\" write their run directory, "
		    "/dev/null and their writable paths, and read nothing "
		    "of %s\n", abi, c->spool_dir);
	else
		printf("file system rules: none (no Landlock in this "
		    "kernel): runs are kept apart by their users and the "
		    "file modes alone\n");
	for (i = 0; i < c->nfilters; i++) {
		f = &c->filters[i];
		if (f->module != NULL && f->isolate)
			printf("filter %s: module %s, isolated: in host "
			    "processes (sluiced -M) that run as below, each "
			    "message under the timeout\n", f->name,
			    f->module);
		else if (f->module != NULL) {
			printf("filter %s: module %s, loaded in the agent: "
			    "runs as user %s with the agent's privileges, no "
			    "user, group, sandbox or limits of its own; timeout "
			    "%d.%03ds\n", f->name, f->module, c->user,
			    f->timeout_ms / 1000, f->timeout_ms % 1000);
			continue;
		}
		if (f->limits.cpu != 0 && f->module == NULL)
			snprintf(cpu, sizeof(cpu), "%llus",
			    (unsigned long long)f->limits.cpu);
		else
			snprintf(cpu, sizeof(cpu), "none");
		if (f->limits.nproc != 0)
			snprintf(nproc, sizeof(nproc), "%llu",
			    (unsigned long long)f->limits.nproc);
		else
			snprintf(nproc, sizeof(nproc), "none");
		printf("filter %s: user %s (uid %u), group %s (gid %u)%s; "
		    "sandbox %s%s; limits cpu %s, memory %s, fsize %s, "
		    "nofile %llu, nproc %s; timeout %d.%03ds\n", f->name,
		    f->user, (unsigned)f->uid, f->group, (unsigned)f->gid,
		    root ? "" : " when sluiced runs as root", sandbox_name(
		    (enum sandbox_profile)f->sandbox),
		    f->sandbox == SANDBOX_NONE ? " (no seccomp, no file "
		    "system rules)" : abi > 0 ? " (seccomp, Landlock)" :
		    " (seccomp)", cpu,
		    size_text(f->limits.as, b1, sizeof(b1)),
		    size_text(f->limits.fsize, b2, sizeof(b2)),
		    (unsigned long long)f->limits.nofile, nproc,
		    f->timeout_ms / 1000, f->timeout_ms % 1000);
		for (j = 0; f->writable != NULL && f->writable[j] != NULL; j++)
			printf("filter %s: may write %s\n", f->name,
			    f->writable[j]);
	}
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
	/* a module host, started by the launcher for an isolated module
	 * (modhost.c); not for people */
	if (argc == 3 && strcmp(argv[1], "-M") == 0)
		modhost_main(argv[2]);
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
	if (c != NULL && modcheck_run(c, &e) != 0)
		config_unref(&c);
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
	print_filters(c);
	config_unref(&c);
	config_errors_free(&e);
	return 0;
}
