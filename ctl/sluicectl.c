/*
 * sluicectl.c - the control client: command dispatch and shared helpers
 *
 * "try" and "scan" run the daemon's engine offline, on files, with the
 * same config and the same runner; later commands talk to a running
 * sluiced over its control socket.
 * SECURITY: runs with the invoking user's rights; filters it starts run
 * as that user too.  Message files are read, never modified.
 * ERRORS: messages to stderr; exit statuses as in sluicectl(8).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "config/config.h"
#include "engine/engine.h"
#include "engine/spool.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"

/* usage - the synopsis */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: sluicectl try [-v] [-c conf] [-O key=value] [-f sender] "
	    "[-r rcpt]...\n"
	    "                     [--client addr] [--client-name name] "
	    "[--helo name]\n"
	    "                     [--auth user] [-q queue-id] [-o out] "
	    "file|-\n"
	    "       sluicectl scan [-v] [-c conf] [-O key=value] [-j jobs] "
	    "[-f sender]\n"
	    "                      [-r rcpt]... path...\n");
}

/* ctl_load_config - load a config, print all errors */
struct config *
ctl_load_config(const char *path, char **overrides)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	size_t			 i;

	c = config_load(path, overrides, &e);
	for (i = 0; i < e.n; i++)
		fprintf(stderr, "%s\n", e.msg[i]);
	if (c == NULL)
		fprintf(stderr, "sluicectl: %s: %zu error%s\n", path, e.n,
		    e.n == 1 ? "" : "s");
	config_errors_free(&e);
	return c;
}

/* ctl_spool_base - a 0700 directory under $TMPDIR */
char *
ctl_spool_base(void)
{
	const char	*tmp = getenv("TMPDIR");
	char		*p;

	xasprintf(&p, "%s/sluicectl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(p) == NULL) {
		fprintf(stderr, "sluicectl: %s: %s\n", p, strerror(errno));
		free(p);
		return NULL;
	}
	return p;
}

/* ctl_filter_message - spool one message and run the engine on it */
int
ctl_filter_message(struct config *cfg, const char *base, const char *data,
    size_t len, struct envelope *env, struct engine_msg *m, char *why,
    size_t whylen)
{
	struct spool_writer	 w;
	char			 id[32], *dir, *path;
	int			 rc, tries;

	memset(m, 0, sizeof(*m));
	/* ids are unique per process; another process may share the base */
	for (tries = 0; ; tries++) {
		spool_new_id(id, sizeof(id));
		if (spool_workdir_create(base, id, &dir, why, whylen) == 0)
			break;
		if (errno != EEXIST || tries == 10)
			return -1;
	}
	if (env->queue_id == NULL)
		env->queue_id = xstrdup(id);
	xasprintf(&path, "%s/message", dir);
	rc = spool_writer_open(&w, path, 0, why, whylen);
	if (rc == 0 && (spool_writer_write(&w, data, len) != 0 ||
	    spool_writer_close(&w, 0) != 0)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		(void)spool_writer_close(&w, 0);
		rc = -1;
	}
	free(path);
	if (rc == 0 && engine_msg_init(m, cfg, dir, env, why, whylen) != 0)
		rc = -1;
	if (rc == 0)
		engine_run(m);
	else
		(void)spool_remove(dir);
	free(dir);
	return rc;
}

/* ctl_verdict_exit - verdict to try's exit status */
int
ctl_verdict_exit(int v)
{
	switch (v) {
	case V_REJECT:		return TRY_REJECT;
	case V_TEMPFAIL:	return TRY_TEMPFAIL;
	case V_DISCARD:		return TRY_DISCARD;
	case V_QUARANTINE:	return TRY_QUARANTINE;
	default:		return TRY_ACCEPT;
	}
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return EXIT_USAGE;
	}
	log_init("sluicectl", LOG_DEST_NONE, 0);
	if (strcmp(argv[1], "try") == 0)
		return ctl_try(argc - 1, argv + 1);
	if (strcmp(argv[1], "scan") == 0)
		return ctl_scan(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage();
		return 0;
	}
	fprintf(stderr, "sluicectl: unknown command \"%s\"\n", argv[1]);
	usage();
	return EXIT_USAGE;
}
