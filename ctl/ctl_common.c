/*
 * ctl_common.c - what sluicectl's offline commands share: loading the
 * config, a private spool, one message through the engine
 *
 * SECURITY: runs with the invoking user's rights; the spool is a 0700
 * directory of its own under $TMPDIR.  Message data is written there,
 * never back to where it came from.
 * ERRORS: returned with why, or printed to stderr where it says so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_common.h"
#include "config/config.h"
#include "engine/engine.h"
#include "engine/engine_module.h"
#include "engine/spool.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"

/* ctl_load_config - load a config, print all errors */
struct config *
ctl_load_config(const char *path, char **overrides)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	size_t			 i;

	c = config_load(path, overrides, &e);
	/* modules run in this process, as this user */
	if (c != NULL && engine_modules_load(c, &e) != 0)
		config_unref(&c);
	for (i = 0; i < e.nwarn; i++)
		fprintf(stderr, "%s\n", e.warn[i]);
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
	struct engine_input	 in;
	struct spool_msg	 sm;

	memset(m, 0, sizeof(*m));
	if (spool_msg_create(&sm, base, 0, why, whylen) != 0) {
		envelope_free(env);
		return -1;
	}
	if (spool_msg_write(&sm, data, len) != 0 ||
	    spool_msg_close(&sm, 0) != 0) {
		why_set(why, whylen, "%s/message: %s", sm.dir,
		    strerror(errno));
		(void)spool_msg_discard(&sm);
		envelope_free(env);
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.workdir = sm.dir;
	in.queue_id = env->queue_id != NULL ? env->queue_id : sm.id;
	in.sender = env->sender;
	in.rcpt = env->rcpt;
	in.nrcpt = env->nrcpt;
	in.mail_args = env->mail_args;
	in.client_addr = env->client_addr;
	in.client_name = env->client_name;
	in.helo = env->helo;
	in.auth_user = env->auth_user;
	engine_judge(m, &in);
	envelope_free(env);
	/* the work directory stays until the caller removes the base */
	free(sm.dir);
	return 0;
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
