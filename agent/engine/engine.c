/*
 * engine.c - the filter pipeline for one message
 *
 * Checks the envelope, runs the address rules, then the filter rules in
 * order: conditions, the filter's switch-off state, an instance slot, the
 * run, the verdict.  The first final verdict ends the pipeline.  The
 * reply comes from the deciding filter's configuration.
 * SECURITY: the envelope is checked (envelope_check) before any rule
 * sees it: no value with CR, LF or NUL, or over the RFC 5321 limits,
 * ever reaches a filter.
 * ERRORS: a failing filter is handled by its on_error policy; a failure
 * of our own while the message is in flight (disk, memory of a file)
 * becomes a tempfail.  Never an accept by accident.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_int.h"
#include "engine/spool.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/message.h"
#include "rules/cond.h"
#include "rules/filter_state.h"

static void	engine_run(struct engine_msg *);

/* msg_init - take over the envelope, read the message headers */
static int
msg_init(struct engine_msg *m, struct config *cfg, const char *workdir,
    char *why, size_t whylen)
{
	config_ref(cfg);
	m->cfg = cfg;
	m->workdir = xstrdup(workdir);
	m->msgfile = spool_path(workdir, SPOOL_MESSAGE, 0);
	m->now = time(NULL);
	m->verdict = V_TEMPFAIL;
	reply_from_cfg(&m->reply, &cfg->tempfail, NULL);
	return message_read_headers(m->msgfile, &m->hdr, &m->body_off,
	    &m->size, why, whylen);
}

/* envelope_in - the envelope of the input, copied; the sender and
 * queue id are never NULL */
static void
envelope_in(struct envelope *env, const struct engine_input *in)
{
	struct envelope	view;

	memset(&view, 0, sizeof(view));
	view.sender = (char *)(in->sender != NULL ? in->sender : "");
	view.rcpt = (char **)in->rcpt;
	view.nrcpt = in->nrcpt;
	view.queue_id = (char *)(in->queue_id != NULL ? in->queue_id : "-");
	view.client_addr = (char *)in->client_addr;
	view.client_name = (char *)in->client_name;
	view.helo = (char *)in->helo;
	view.auth_user = (char *)in->auth_user;
	view.mail_args = (char *)in->mail_args;
	envelope_copy(env, &view);
}

/* keep - quarantine in the spool: the work directory moves, with the
 * message as it now is and its envelope; 0 or -1 with why */
static int
keep(struct engine_msg *m, char *why, size_t whylen)
{
	struct buf	 b;
	char		*where;
	size_t		 i;
	int		 rc;

	buf_init(&b, 0);
	buf_appendf(&b, "queue_id %s\nreason %s\nsender %s\n",
	    m->env.queue_id, m->reason != NULL ? m->reason : "",
	    m->env.sender);
	for (i = 0; i < m->env.nrcpt; i++)
		buf_appendf(&b, "recipient %s\n", m->env.rcpt[i]);
	rc = spool_quarantine(m->cfg->spool_dir, m->workdir, m->msgfile,
	    b.data, b.len, &where, why, whylen);
	buf_free(&b);
	if (rc != 0)
		return -1;
	log_info("%s: quarantined in %s", m->env.queue_id, where);
	free(where);
	return 0;
}

/* log_decisions - with debug on, why each rule was taken or not, in
 * the words sluicectl try uses */
static void
log_decisions(const struct engine_msg *m)
{
	const struct engine_step	*st;
	size_t				 i;

	if (!log_debug_enabled())
		return;
	for (i = 0; i < m->nsteps; i++) {
		st = &m->steps[i];
		log_debug("%s: %s=%s%s%s %s: %s", m->env.queue_id,
		    st->kind == STEP_ADDRESS_RULE ? "address_rule" : "rule",
		    st->rule, st->filter ? " filter=" : "",
		    st->filter ? st->filter : "",
		    st->matched ? "matched" : "not matched", st->why);
	}
}

static void	judge(struct engine_msg *, const struct engine_input *);
static uint64_t	in_flight, totals[V_COUNT];
void		(*engine_judged)(const struct engine_msg *,
		    const struct engine_input *);

/* engine_totals - see engine.h */
void
engine_totals(struct engine_totals *t)
{
	size_t	i;

	t->in_flight = __atomic_load_n(&in_flight, __ATOMIC_RELAXED);
	for (i = 0; i < V_COUNT; i++)
		t->verdicts[i] = __atomic_load_n(&totals[i], __ATOMIC_RELAXED);
}

/* engine_judge - the one way into the engine for a front end: judge,
 * and count what it gave */
void
engine_judge(struct engine_msg *m, const struct engine_input *in)
{
	__atomic_add_fetch(&in_flight, 1, __ATOMIC_RELAXED);
	judge(m, in);
	if (engine_judged != NULL)
		engine_judged(m, in);
	if ((unsigned)m->verdict < V_COUNT)
		__atomic_add_fetch(&totals[m->verdict], 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&in_flight, 1, __ATOMIC_RELAXED);
}

/* judge - engine_judge's work */
static void
judge(struct engine_msg *m, const struct engine_input *in)
{
	char	why[320];

	memset(m, 0, sizeof(*m));
	envelope_in(&m->env, in);
	if (in->spool_error != 0 || in->workdir == NULL) {
		config_ref(in->cfg);
		m->cfg = in->cfg;
		m->verdict = in->spool_error == EFBIG ? V_REJECT : V_TEMPFAIL;
		if (m->verdict == V_REJECT) {
			reply_too_big(&m->reply);
			log_info("%s: verdict=reject size over message_max "
			    "(%zu)", m->env.queue_id, in->cfg->message_max);
		} else {
			reply_from_cfg(&m->reply, &in->cfg->tempfail, NULL);
			log_warnx("%s: spooling the message: %s: answering "
			    "tempfail", m->env.queue_id, in->spool_why != NULL ?
			    in->spool_why : strerror(in->spool_error));
		}
		return;
	}
	if (msg_init(m, in->cfg, in->workdir, why, sizeof(why)) != 0) {
		log_warnx("%s: %s: answering tempfail", m->env.queue_id, why);
		m->verdict = V_TEMPFAIL;
		reply_from_cfg(&m->reply, &in->cfg->tempfail, NULL);
		return;
	}
	engine_run(m);
	log_decisions(m);
	if (m->verdict == V_QUARANTINE && in->quarantine_in_spool &&
	    keep(m, why, sizeof(why)) != 0) {
		log_warnx("%s: quarantine: %s: answering tempfail",
		    m->env.queue_id, why);
		m->verdict = V_TEMPFAIL;
		reply_from_cfg(&m->reply, &m->cfg->tempfail, NULL);
	}
}

/* finish - set the final verdict and its reply */
static void
finish(struct engine_msg *m, enum verdict v, const struct rule *r,
    const char *reason)
{
	const struct filter	*f = r ? r->filter : NULL;

	m->verdict = v;
	m->decided_by = r ? r->name : NULL;
	free(m->reason);
	m->reason = reason ? xstrdup(reason) : NULL;
	switch (v) {
	case V_REJECT:
		reply_from_cfg(&m->reply, f ? &f->reject : &m->cfg->reject, reason);
		break;
	case V_TEMPFAIL:
		reply_from_cfg(&m->reply, f ? &f->tempfail : &m->cfg->tempfail,
		    reason);
		break;
	case V_DISCARD:
		reply_set(&m->reply, 250, "2.0.0", "%s", "Ok: discarded");
		break;
	case V_QUARANTINE:
		reply_set(&m->reply, 250, "2.0.0", "%s", "Ok: quarantined");
		break;
	default:
		m->verdict = V_ACCEPT;
		reply_set(&m->reply, 250, "2.0.0", "%s", "Ok");
		break;
	}
}

/* internal_failure - our own failure while the message is in flight */
static void
internal_failure(struct engine_msg *m, const char *what)
{
	log_warnx("%s: %s: answering tempfail", m->env.queue_id, what);
	finish(m, V_TEMPFAIL, NULL, NULL);
}

/* log_step - one line per filter run, queue id first */
static void
log_step(const struct engine_msg *m, const struct engine_step *st)
{
	log_info("%s: rule=%s filter=%s %s verdict=%s%s%s%s%s %ldms",
	    m->env.queue_id, st->rule, st->filter,
	    st->outcome[0] ? st->outcome : "not-run",
	    verdict_name(st->verdict == V_ERROR ? V_ERROR : st->result),
	    st->reason ? " reason=\"" : "", st->reason ? st->reason : "",
	    st->reason ? "\"" : "",
	    st->error[0] ? " (error)" : "", st->elapsed_us / 1000);
	if (st->error[0])
		log_warnx("%s: filter=%s error: %s", m->env.queue_id,
		    st->filter, st->error);
}

/* rule_selects - 1 if the rule's conditions hold and its unless
 * conditions do not, 0 if not, -1 if a regex left that open; why says
 * which decided */
static int
rule_selects(const struct rule *r, const struct cond_input *in, char *why,
    size_t whylen)
{
	char	u[320];
	int	w, un;

	if ((w = cond_set_eval(&r->when, in, why, whylen)) == 0)
		return 0;
	if (r->unless.n == 0)
		return w;
	if ((un = cond_set_eval(&r->unless, in, u, sizeof(u))) == 1) {
		why_set(why, whylen, "unless: %s", u);
		return 0;
	}
	if (un < 0 && w > 0) {
		why_set(why, whylen, "unless: %s", u);
		return -1;
	}
	return w;
}

/*
 * undecided - a rule's conditions could not be decided: no answer about
 * the message can be given, so it is tempfailed with the general reply
 * (not the filter's: the filter has not run), and the log says which
 * rule and pattern so that the pattern can be fixed
 */
static void
undecided(struct engine_msg *m, struct engine_step *st, const char *rule)
{
	log_warnx("%s: rule=%s undecided: %s: answering tempfail",
	    m->env.queue_id, rule, st->why);
	st->matched = -1;
	snprintf(st->error, sizeof(st->error), "the conditions could not be "
	    "decided");
	st->verdict = st->result = V_TEMPFAIL;
	finish(m, V_TEMPFAIL, NULL, NULL);
	m->decided_by = rule;
}

/* run_rule - conditions, state, slot, run; 1 when the pipeline ends */
static int
run_rule(struct engine_msg *m, const struct rule *r,
    const struct cond_input *in)
{
	const struct filter	*f = r->filter;
	struct engine_step	*st;
	struct filter_outcome	 fo;
	enum fs_gate		 gate;
	enum fs_change		 ch;
	char			 why[320];
	int			 err;

	st = engine_step_new(m, STEP_RULE);
	st->rule = r->name;
	st->filter = f->name;
	switch (rule_selects(r, in, st->why, sizeof(st->why))) {
	case 0:
		return 0;
	case -1:
		undecided(m, st, r->name);
		return 1;
	}
	st->matched = 1;

	gate = filter_state_gate(f->state, clock_ms());
	if (gate == FS_OFF || gate == FS_DISABLED) {
		filter_state_not_run(f->state, gate, 0, 0);
		st->result = f->when_off;
		st->verdict = f->when_off;
		if (gate == FS_DISABLED)
			snprintf(st->error, sizeof(st->error), "filter is "
			    "switched off by the operator; %s",
			    f->when_off == V_CONTINUE ? "skipped" : "tempfail");
		else
			snprintf(st->error, sizeof(st->error), "filter is "
			    "switched off after %d errors in a row; %s",
			    f->error_threshold,
			    f->when_off == V_CONTINUE ? "skipped" : "tempfail");
		log_step(m, st);
		if (f->when_off == V_TEMPFAIL) {
			finish(m, V_TEMPFAIL, r, NULL);
			return 1;
		}
		return 0;
	}
	if (filter_state_acquire(f->state, f->instances,
	    f->instance_wait_ms) != 0) {
		if (gate == FS_PROBE)
			filter_state_unprobe(f->state);
		filter_state_not_run(f->state, gate, 1, 0);
		st->verdict = st->result = V_TEMPFAIL;
		snprintf(st->error, sizeof(st->error), "no free instance "
		    "(instances = %d) within %d ms", f->instances,
		    f->instance_wait_ms);
		log_step(m, st);
		finish(m, V_TEMPFAIL, r, NULL);
		return 1;
	}
	if (f->module != NULL)
		engine_module_filter(m, r, st, &fo);
	else
		engine_exec_filter(m, r, st, &fo);
	filter_state_release(f->state, f->instances);

	if (fo.internal) {
		/* not the filter's fault: not counted, never on_error */
		if (gate == FS_PROBE)
			filter_state_unprobe(f->state);
		filter_state_not_run(f->state, gate, 0, 1);
		snprintf(st->error, sizeof(st->error), "%s", fo.error);
		st->verdict = st->result = V_TEMPFAIL;
		log_step(m, st);
		internal_failure(m, fo.error);
		filter_outcome_free(&fo);
		return 1;
	}
	err = fo.verdict == V_ERROR;
	filter_state_count(f->state, fo.verdict, fo.errkind, st->elapsed_us);
	ch = filter_state_record(f->state, gate, err, f->error_threshold,
	    f->cooldown_ms, clock_ms());
	if (ch == FS_SWITCHED_OFF)
		log_warnx("%s: filter=%s switched off for %d s after %s",
		    m->env.queue_id, f->name, f->cooldown_ms / 1000,
		    gate == FS_PROBE ? "a failed trial run" :
		    "too many errors in a row");
	else if (ch == FS_SWITCHED_ON)
		log_info("%s: filter=%s switched on again after a good trial "
		    "run", m->env.queue_id, f->name);
	st->verdict = fo.verdict;
	if (err) {
		snprintf(st->error, sizeof(st->error), "%s", fo.error);
		st->result = f->on_error;
		log_step(m, st);
		filter_outcome_free(&fo);
		if (f->on_error == V_TEMPFAIL) {
			finish(m, V_TEMPFAIL, r, NULL);
			return 1;
		}
		return 0;
	}
	if (fo.newfile != NULL) {
		if (engine_apply_replacement(m, fo.newfile, why,
		    sizeof(why)) != 0) {
			filter_outcome_free(&fo);
			internal_failure(m, why);
			return 1;
		}
		step_applied(st, "replaced the whole message");
	}
	engine_apply_directives(m, &fo.dl, st);
	st->reason = fo.reason;
	fo.reason = NULL;
	st->result = fo.verdict;
	log_step(m, st);
	filter_outcome_free(&fo);
	if (verdict_is_final(st->result)) {
		finish(m, st->result, r, st->reason);
		return 1;
	}
	return 0;
}

/* engine_run - the whole pipeline */
static void
engine_run(struct engine_msg *m)
{
	struct reply		 ee;
	struct cond_input	 in;
	struct engine_step	*st;
	struct tm		 tm;
	char			 why[320];
	size_t			 i;
	int			 done = 0;

	if (envelope_check_opts(&m->env, m->cfg->allow_min_user, &ee) != 0) {
		m->verdict = V_REJECT;
		m->reply = ee;
		log_info("%s: verdict=reject envelope: %s", m->env.queue_id,
		    ee.text);
		return;
	}
	if (m->size > m->cfg->message_max) {
		m->verdict = V_REJECT;
		reply_too_big(&m->reply);
		log_info("%s: verdict=reject size %llu over message_max",
		    m->env.queue_id, m->size);
		return;
	}
	if (engine_address_rules(m) != 0) {
		st = &m->steps[m->nsteps - 1];
		undecided(m, st, st->rule);
		done = 1;
	}
	localtime_r(&m->now, &tm);
	for (i = 0; i < m->cfg->nrules && !done; i++) {
		in.env = &m->env;
		in.hdr = &m->hdr;
		in.size = m->size;
		in.tm = &tm;
		done = run_rule(m, &m->cfg->rules[i], &in);
	}
	if (!done)
		finish(m, V_ACCEPT, NULL, NULL);
	if (m->verdict != V_TEMPFAIL && m->verdict != V_REJECT &&
	    engine_sync(m, why, sizeof(why)) != 0)
		internal_failure(m, why);
	log_info("%s: verdict=%s%s%s reply=\"%d %s %s\"", m->env.queue_id,
	    verdict_name(m->verdict), m->decided_by ? " rule=" : "",
	    m->decided_by ? m->decided_by : "", m->reply.code,
	    m->reply.status, m->reply.text);
}

/* looks_at_rcpt - whether a condition set has a recipient condition */
static int
looks_at_rcpt(const struct cond_set *cs)
{
	size_t	i;

	for (i = 0; i < cs->n; i++)
		if (cs->c[i].field == CF_RCPT)
			return 1;
	return 0;
}

/* engine_rcpt_classes - recipients grouped by the rules they select */
size_t
engine_rcpt_classes(const struct engine_input *ei, size_t *cls)
{
	const struct config	*cfg = ei->cfg;
	struct header_list	 hdr;
	struct envelope		 one;
	struct cond_input	 in;
	struct tm		 tm;
	unsigned long long	 size;
	size_t			 i, j, k, n = 0, body_off, nbits;
	char			*path, **sig, why[320];
	time_t			 now = time(NULL);
	int			 any = 0;

	for (i = 0; i < ei->nrcpt; i++)
		cls[i] = 0;
	for (i = 0; i < cfg->nrules; i++)
		any |= looks_at_rcpt(&cfg->rules[i].when) ||
		    looks_at_rcpt(&cfg->rules[i].unless);
	for (i = 0; i < cfg->narules; i++)
		any |= !match_list_empty(&cfg->arules[i].rcpt);
	if (!any || ei->nrcpt < 2)
		return ei->nrcpt > 0 ? 1 : 0;

	memset(&hdr, 0, sizeof(hdr));
	path = spool_path(ei->workdir, SPOOL_MESSAGE, 0);
	if (message_read_headers(path, &hdr, &body_off, &size, why,
	    sizeof(why)) != 0) {
		/* the engine run reports it; one class is then enough */
		free(path);
		header_list_free(&hdr);
		return 1;
	}
	free(path);
	localtime_r(&now, &tm);
	nbits = cfg->nrules + cfg->narules;
	sig = xcalloc(ei->nrcpt, sizeof(*sig));
	memset(&one, 0, sizeof(one));
	one.sender = (char *)(ei->sender != NULL ? ei->sender : "");
	one.nrcpt = 1;
	in.env = &one;
	in.hdr = &hdr;
	in.size = size;
	in.tm = &tm;
	for (i = 0; i < ei->nrcpt; i++) {
		sig[i] = xcalloc(1, nbits + 1);
		one.rcpt = (char **)&ei->rcpt[i];
		for (k = 0; k < cfg->nrules; k++) {
			const struct rule *r = &cfg->rules[k];

			sig[i][k] = "u01"[rule_selects(r, &in, why,
			    sizeof(why)) + 1];
		}
		for (k = 0; k < cfg->narules; k++)
			sig[i][cfg->nrules + k] = "u01"[engine_arule_selects(
			    &cfg->arules[k], ei->rcpt[i], why,
			    sizeof(why)) + 1];
		for (j = 0; j < i; j++)
			if (strcmp(sig[j], sig[i]) == 0)
				break;
		cls[i] = j < i ? cls[j] : n++;
	}
	for (i = 0; i < ei->nrcpt; i++)
		free(sig[i]);
	free(sig);
	header_list_free(&hdr);
	return n;
}

/* engine_write_message - the message as it now is */
int
engine_write_message(const struct engine_msg *m,
    int (*sink)(void *, const char *, size_t), void *arg)
{
	return message_emit(&m->hdr, m->msgfile, m->body_off, sink, arg,
	    NULL);
}

/* engine_msg_free - release everything of the message context */
void
engine_msg_free(struct engine_msg *m)
{
	size_t	i;

	for (i = 0; i < m->nmods; i++) {
		free(m->mods[i].name);
		free(m->mods[i].value);
	}
	free(m->mods);
	for (i = 0; i < m->nsteps; i++) {
		xfree_strv(&m->steps[i].argv);
		xfree_strv(&m->steps[i].applied);
		free(m->steps[i].out_head);
		free(m->steps[i].err_head);
		free(m->steps[i].reason);
	}
	free(m->steps);
	header_list_free(&m->hdr);
	envelope_free(&m->env);
	free(m->workdir);
	free(m->msgfile);
	free(m->reason);
	config_unref(&m->cfg);
	memset(m, 0, sizeof(*m));
}
