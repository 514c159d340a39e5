/*
 * NAME
 *	smtp_deliver.c - the content filter after DATA: engine, next hop,
 *	replies
 *
 * DESCRIPTION
 *	With SMTP the transaction is one group; with LMTP the recipients
 *	are grouped by the rules that select them (engine_rcpt_classes),
 *	each group gets its own engine run, in its own copy of the work
 *	directory, and its own relay transaction, and each recipient its
 *	own reply.  An accepted message goes to the socket's next hop
 *	(smtp_relay.c) and the next hop's reply is the answer, so a
 *	message is always with the upstream MTA or with the next hop,
 *	never with sluice alone.  discard answers 250 without relaying;
 *	reject and tempfail answer with their configured replies;
 *	quarantine moves the work directory to <spool_dir>/quarantine/
 *	(the engine does it, synced) and answers 250.
 *
 * SECURITY
 *	Envelope values were checked as they arrived (smtp_session.c) and
 *	are checked again by the engine.  Recipients a filter added are
 *	answered for with the reply of the group they came from.  Runs as
 *	the sluice user.
 *
 * ERRORS
 *	Any failure while the message is in flight (spool, engine, next hop
 *	down, slow or confused) answers the configured tempfail reply or
 *	451 4.4.1: never 250.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "engine/engine.h"
#include "engine/spool.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "smtp/smtp_int.h"

/* input - the engine's view of the transaction, for recipients rcpt */
static void
input(struct engine_input *in, const struct sess *s, const char *qid,
    char *const *rcpt, size_t nrcpt)
{
	memset(in, 0, sizeof(*in));
	in->cfg = s->cfg;
	in->queue_id = qid;
	in->sender = s->sender;
	in->rcpt = rcpt;
	in->nrcpt = nrcpt;
	in->mail_args = s->mail_args;
	if (s->xfwd[XF_ADDR] != NULL)
		in->client_addr = s->xfwd[XF_ADDR];
	else if (strcmp(s->peer, "unix") != 0)
		in->client_addr = s->peer;
	in->client_name = s->xfwd[XF_NAME];
	in->helo = s->xfwd[XF_HELO] != NULL ? s->xfwd[XF_HELO] : s->helo;
	in->quarantine_in_spool = 1;
}

/* relay_ready - a usable connection to the next hop, *kept set when it
 * is one from an earlier transaction; 0 or -1 with why */
static int
relay_ready(struct sess *s, int *kept, char *why, size_t whylen)
{
	*kept = 0;
	if (s->relay.fd >= 0) {
		/* a cached connection the next hop closed, said 421 on, or
		 * left a stray reply in (read or not): start afresh */
		if (relay_reusable(&s->relay)) {
			*kept = 1;
			return 0;
		}
		relay_close(&s->relay, 0);
	}
	return relay_open(&s->relay, s->lc->next_hop, s->cfg->run_dir,
	    s->lc->next_lmtp, s->cfg->smtp_hostname,
	    s->cfg->relay_connect_timeout, s->cfg->relay_timeout, why, whylen);
}

/* relay_try - one transaction on a usable connection; a kept one that
 * the next hop closed before it answered anything (its close crossed
 * our first command) is given up and the transaction sent once more on
 * a new connection.  0, or -1 with why and the relay closed. */
static int
relay_try(struct sess *s, struct relay_job *job, const char *qid, char *why,
    size_t whylen)
{
	int	kept, rc;

	if ((rc = relay_ready(s, &kept, why, whylen)) == 0 &&
	    (rc = relay_send(&s->relay, job, why, whylen)) != 0 && kept &&
	    relay_unanswered(&s->relay)) {
		log_info("%s: relay to %s: the kept connection was closed "
		    "(%s): on a new one", qid, s->lc->next_hop, why);
		relay_close(&s->relay, 0);
		if ((rc = relay_ready(s, &kept, why, whylen)) == 0)
			rc = relay_send(&s->relay, job, why, whylen);
	}
	if (rc != 0)
		relay_close(&s->relay, 0);
	return rc;
}

/* relay_answers - hand em on; res[k] gets the answer for the group's
 * recipient ids[k] */
static void
relay_answers(struct sess *s, const struct engine_msg *em,
    const size_t *ids, size_t n, const char *qid, struct reply *res)
{
	struct relay_job	 job;
	struct reply		*rr, extra;
	char			 why[400];
	size_t			 i, j, nextra = 0;
	int			 rc;

	rr = xcalloc(em->env.nrcpt, sizeof(*rr));
	memset(&job, 0, sizeof(job));
	job.sender = em->env.sender;
	job.rcpt = em->env.rcpt;
	job.nrcpt = em->env.nrcpt;
	job.xfwd = s->xfwd;
	job.body8 = s->body8;
	job.smtputf8 = s->smtputf8;
	job.msg = em;
	job.all_or_nothing = !s->lc->lmtp;
	job.res = rr;
	if ((rc = relay_try(s, &job, qid, why, sizeof(why))) != 0) {
		log_warnx("%s: relay to %s: %s: answering tempfail", qid,
		    s->lc->next_hop, why);
		for (j = 0; j < em->env.nrcpt; j++)
			(void)reply_set(&rr[j], 451, "4.4.1", "Error: next hop "
			    "not available, try again later");
	}
	for (j = 0; j < em->env.nrcpt; j++)
		log_info("%s: to=<%s> relay=%s reply=\"%d%s%s %s\"", qid,
		    em->env.rcpt[j], s->lc->next_hop, rr[j].code,
		    rr[j].status[0] != '\0' ? " " : "", rr[j].status,
		    rr[j].text);
	/* recipients a filter added speak for those it removed */
	for (j = 0; j < em->env.nrcpt; j++) {
		for (i = 0; i < n; i++)
			if (strcasecmp(em->env.rcpt[j], s->rcpt[ids[i]]) == 0)
				break;
		if (i < n)
			continue;
		if (nextra == 0 || rr[j].code / 100 == 4 ||
		    (rr[j].code / 100 == 5 && extra.code / 100 == 2))
			extra = rr[j];
		nextra = 1;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < em->env.nrcpt; j++)
			if (strcasecmp(em->env.rcpt[j], s->rcpt[ids[i]]) == 0)
				break;
		if (j < em->env.nrcpt)
			res[i] = rr[j];
		else if (nextra > 0)
			res[i] = extra;
		else
			(void)reply_set(&res[i], 250, "2.0.0", "Ok");
	}
	if (!s->lc->lmtp) {
		/* one answer for all: the worst of every final recipient */
		extra = *reply_worst(rr, em->env.nrcpt);
		for (i = 0; i < n; i++)
			res[i] = extra;
	}
	free(rr);
}

/*
 * run_group - the engine and the next hop for the recipients ids[] of
 * the transaction, with the message in workdir; res[k] gets the answer
 * for recipient ids[k]
 */
static void
run_group(struct sess *s, const char *workdir, const size_t *ids, size_t n,
    const char *qid, struct reply *res)
{
	struct engine_input	 in;
	struct engine_msg	 em;
	char			**rcpt;
	size_t			 i;

	rcpt = xcalloc(n, sizeof(*rcpt));
	for (i = 0; i < n; i++)
		rcpt[i] = s->rcpt[ids[i]];
	input(&in, s, qid, rcpt, n);
	in.workdir = workdir;
	engine_judge(&em, &in);
	free(rcpt);
	if (em.verdict != V_ACCEPT)
		for (i = 0; i < n; i++)
			res[i] = em.reply;
	else if (em.env.nrcpt == 0)
		for (i = 0; i < n; i++)
			(void)reply_set(&res[i], 250, "2.0.0", "Ok: no "
			    "recipients left after filtering");
	else
		relay_answers(s, &em, ids, n, qid, res);
	engine_msg_free(&em);
}

/* smtp_deliver - every group of the transaction */
void
smtp_deliver(struct sess *s, const char *workdir, int spool_error,
    const char *spool_why, const char *qid, struct reply *res)
{
	struct engine_input	 in;
	struct engine_msg	 em;
	char			**dirs, **whys, why[300];
	size_t			 i, k, n, ncls, *cls, *ids;

	if (spool_error != 0 || workdir == NULL) {
		input(&in, s, qid, s->rcpt, s->nrcpt);
		in.spool_error = spool_error != 0 ? spool_error : EIO;
		in.spool_why = spool_why;
		engine_judge(&em, &in);
		for (i = 0; i < s->nrcpt; i++)
			res[i] = em.reply;
		engine_msg_free(&em);
		return;
	}
	cls = xcalloc(s->nrcpt, sizeof(*cls));
	ids = xcalloc(s->nrcpt, sizeof(*ids));
	if (s->lc->lmtp) {
		input(&in, s, qid, s->rcpt, s->nrcpt);
		in.workdir = workdir;
		ncls = engine_rcpt_classes(&in, cls);
	} else
		ncls = 1;
	dirs = xcalloc(ncls, sizeof(*dirs));
	whys = xcalloc(ncls, sizeof(*whys));
	/*
	 * Each group's filters may write beside the message and change it,
	 * and a quarantine moves the work directory away: the second and
	 * later groups get a copy, made before any group runs.
	 */
	for (k = 1; k < ncls; k++)
		if (spool_copy(s->cfg->spool_dir, workdir, &dirs[k], why,
		    sizeof(why)) != 0)
			whys[k] = xstrdup(why);
	for (k = 0; k < ncls; k++) {
		struct reply	*gres;

		for (n = 0, i = 0; i < s->nrcpt; i++)
			if (cls[i] == k)
				ids[n++] = i;
		gres = xcalloc(n, sizeof(*gres));
		if (whys[k] != NULL) {
			input(&in, s, qid, NULL, 0);
			in.spool_error = EIO;
			in.spool_why = whys[k];
			engine_judge(&em, &in);
			for (i = 0; i < n; i++)
				gres[i] = em.reply;
			engine_msg_free(&em);
		} else
			run_group(s, k > 0 ? dirs[k] : workdir, ids, n, qid,
			    gres);
		for (i = 0; i < n; i++)
			res[ids[i]] = gres[i];
		free(gres);
	}
	for (k = 1; k < ncls; k++) {
		if (dirs[k] != NULL) {
			(void)spool_remove(dirs[k]);
			free(dirs[k]);
		}
		free(whys[k]);
	}
	free(whys);
	free(dirs);
	free(ids);
	free(cls);
}
