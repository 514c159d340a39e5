/*
 * engine_module.c - filter modules: loading them, and one run in this
 * process
 *
 * engine_modules_load() opens every module a snapshot names with
 * dlopen(RTLD_NOW | RTLD_LOCAL), finds its struct sluice_module, checks
 * its ABI version and calls its init with the filter's settings; the
 * snapshot owns the result and calls fini and dlclose when it is freed.
 * A module that cannot be used refuses the configuration, with the
 * reason, before any message depends on it.
 *
 * engine_module_filter() runs one: the message as a descriptor and its
 * header fields as a table, the envelope, and a writer for directives;
 * the verdict and the directives become a filter_outcome as an exec
 * filter's exit code and result file do, checked the same way.
 *
 * A module's filter() runs on the message's thread.  It cannot be
 * killed there, so a watchdog thread holds every call's deadline: one
 * that returns late (past the filter's timeout) is a timeout error, one
 * that has not returned by the timeout and kill_grace ends the process
 * with a log line that names it; sluiced's master starts a new agent,
 * and the MTA keeps the messages that were in flight.
 *
 * SECURITY: a module is code of the administrator's choosing, as
 * trusted as sluiced itself; its file must be root's and written by
 * nobody else (config_build.c).  What it hands back is checked all the
 * same: directives by directive_parse(), the verdict against the enum,
 * the reason cleaned as an exec filter's.
 * ERRORS: loading returns -1 with the reasons in errs; a run's failure
 * is the run's V_ERROR, never fatal, but for the watchdog's exit.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/module.h>

#include "config/config.h"
#include "engine/engine_int.h"
#include "engine/engine_module.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/why.h"
#include "lib/xmalloc.h"

#define LINE_MAX_BYTES	998	/* a directive line, as a header line */
#define WATCH_TICK_MS	100
#define EXIT_HUNG	70	/* EX_SOFTWARE: the agent ends, is restarted */

/* one loaded module of one filter */
struct module_inst {
	void				*dl;
	const struct sluice_module	*m;
	void				*state;
	int				 inited;
	pthread_mutex_t			 serial;	/* SLUICE_MODULE_SERIAL */
};

/* what a run's writer collects */
struct writer {
	struct buf	out;
	int		overflow;	/* a line or the whole too long */
};

/* one call in progress, for the watchdog */
struct watch {
	struct watch	*next;
	long long	 deadline;	/* timeout + kill_grace, monotonic ms */
	const char	*filter;
	char		 qid[64];
};

static pthread_mutex_t	 watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t	 watch_once = PTHREAD_ONCE_INIT;
static struct watch	*watching;

/* watchdog - end the process when a call has not returned in time */
static void *
watchdog(void *arg)
{
	struct watch	*w;
	long long	 now;

	(void)arg;
	for (;;) {
		usleep(WATCH_TICK_MS * 1000);
		now = clock_mono_ms();
		pthread_mutex_lock(&watch_lock);
		for (w = watching; w != NULL; w = w->next)
			if (now > w->deadline)
				break;
		if (w != NULL) {
			log_warnx("%s: filter=%s: the module has not returned "
			    "by its timeout and kill_grace; a module in this "
			    "process cannot be stopped, so the process ends "
			    "(isolate = true keeps a module out of it)",
			    w->qid, w->filter);
			_exit(EXIT_HUNG);
		}
		pthread_mutex_unlock(&watch_lock);
	}
	return NULL;
}

/* watch_start_thread - the watchdog, once per process */
static void
watch_start_thread(void)
{
	pthread_attr_t	a;
	pthread_t	t;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, watchdog, NULL) != 0)
		fatalx("cannot start the module watchdog");
	pthread_attr_destroy(&a);
}

/* watch_add - the call's deadline in the watchdog's list */
static void
watch_add(struct watch *w)
{
	pthread_once(&watch_once, watch_start_thread);
	pthread_mutex_lock(&watch_lock);
	w->next = watching;
	watching = w;
	pthread_mutex_unlock(&watch_lock);
}

/* watch_del - the call returned */
static void
watch_del(struct watch *w)
{
	struct watch	**p;

	pthread_mutex_lock(&watch_lock);
	for (p = &watching; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	pthread_mutex_unlock(&watch_lock);
}

/* module_free - the snapshot's mod_free */
static void
module_free(void *v)
{
	module_unload(v);
}

/* module_unload - see engine_module.h */
void
module_unload(struct module_inst *mi)
{
	if (mi == NULL)
		return;
	if (mi->inited && mi->m->fini != NULL)
		mi->m->fini(mi->state);
	if (mi->dl != NULL)
		dlclose(mi->dl);
	pthread_mutex_destroy(&mi->serial);
	free(mi);
}

/* printable - err as one line of printable bytes, in place */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* module_load - see engine_module.h */
struct module_inst *
module_load(const char *path, const struct filter_setting *fs, size_t n,
    char *why, size_t whylen)
{
	struct module_inst		*mi;
	struct sluice_setting		*set;
	const struct sluice_module	*m;
	char				 err[256];
	size_t				 i;
	int				 rc;

	mi = xcalloc(1, sizeof(*mi));
	pthread_mutex_init(&mi->serial, NULL);
	dlerror();
	if ((mi->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why_set(why, whylen, "cannot load it: %s", dlerror());
		goto fail;
	}
	if ((m = dlsym(mi->dl, SLUICE_MODULE_SYMBOL)) == NULL) {
		why_set(why, whylen, "it has no symbol %s (is it a sluice "
		    "module? see sluice-modules(3))", SLUICE_MODULE_SYMBOL);
		goto fail;
	}
	if (m->abi_version != SLUICE_MODULE_ABI_VERSION) {
		why_set(why, whylen, "it is built for module ABI version %u, "
		    "this sluiced has version %d: rebuild it against this "
		    "sluice/module.h", m->abi_version,
		    SLUICE_MODULE_ABI_VERSION);
		goto fail;
	}
	if (m->filter == NULL) {
		why_set(why, whylen, "its struct %s has no filter function",
		    SLUICE_MODULE_SYMBOL);
		goto fail;
	}
	mi->m = m;
	if (m->init != NULL) {
		set = xcalloc(n + 1, sizeof(*set));
		for (i = 0; i < n; i++) {
			set[i].name = fs[i].name;
			set[i].value = fs[i].value;
		}
		err[0] = '\0';
		rc = m->init(set, n, &mi->state, err, sizeof(err));
		free(set);
		err[sizeof(err) - 1] = '\0';
		if (rc != 0) {
			printable(err);
			why_set(why, whylen, "its init refused the settings: "
			    "%s", err[0] != '\0' ? err : "(no reason given)");
			goto fail;
		}
	}
	mi->inited = 1;
	return mi;
fail:
	module_unload(mi);
	return NULL;
}

/* engine_modules_load - see engine_module.h */
int
engine_modules_load(struct config *c, struct config_errors *errs)
{
	struct filter	*f;
	char		 why[512];
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < c->nfilters; i++) {
		f = &c->filters[i];
		if (f->module == NULL || f->mod != NULL ||
		    (f->isolate && engine_module_host != NULL))
			continue;
		if ((f->mod = module_load(f->module, f->settings,
		    f->nsettings, why, sizeof(why))) != NULL)
			f->mod_free = module_free;
		else {
			config_errors_add(errs, "%s:%d: filter \"%s\": module "
			    "%s: %s", f->file, f->line, f->name, f->module,
			    why);
			rc = -1;
		}
	}
	return rc;
}

/* add_directive - the module's writer: one line into the run's buffer */
static int
add_directive(struct sluice_result *res, const char *fmt, ...)
{
	struct writer	*w = res->sluice;
	va_list		 ap;
	char		 line[LINE_MAX_BYTES + 2];
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || n > LINE_MAX_BYTES || memchr(line, '\n', (size_t)n) ||
	    w->out.len + (size_t)n + 1 > DIRECTIVE_FILE_MAX) {
		w->overflow = 1;
		return -1;
	}
	buf_append(&w->out, line, (size_t)n);
	buf_appendc(&w->out, '\n');
	return 0;
}

/* to_verdict - a module's verdict, or -1 when it is none */
static int
to_verdict(int v)
{
	switch (v) {
	case SLUICE_CONTINUE:	return V_CONTINUE;
	case SLUICE_ACCEPT:	return V_ACCEPT;
	case SLUICE_REJECT:	return V_REJECT;
	case SLUICE_TEMPFAIL:	return V_TEMPFAIL;
	case SLUICE_DISCARD:	return V_DISCARD;
	case SLUICE_QUARANTINE:	return V_QUARANTINE;
	case SLUICE_ERROR:	return V_ERROR;
	default:		return -1;
	}
}

/* or_empty - "" for NULL */
static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* failf - the outcome an error, with why; internal: ours, not the
 * module's (tempfail, not counted) */
#define failf(fo, in, kind, ...) do { \
	filter_outcome_fail(fo, kind, __VA_ARGS__); (fo)->internal = (in); \
	} while (0)

/* module_call - see engine_module.h */
int
module_call(struct module_inst *mi, const struct sluice_message *msg,
    char **out, size_t *outlen, int *overflow)
{
	struct sluice_result	res;
	struct writer		w;
	int			rv;

	memset(&w, 0, sizeof(w));
	buf_init(&w.out, 0);
	memset(&res, 0, sizeof(res));
	res.directive = add_directive;
	res.sluice = &w;
	if (mi->m->flags & SLUICE_MODULE_SERIAL)
		pthread_mutex_lock(&mi->serial);
	rv = mi->m->filter(mi->state, msg, &res);
	if (mi->m->flags & SLUICE_MODULE_SERIAL)
		pthread_mutex_unlock(&mi->serial);
	buf_appendc(&w.out, '\0');
	*out = buf_steal(&w.out, outlen);
	(*outlen)--;
	*overflow = w.overflow;
	return rv;
}

int	(*engine_module_host)(const struct filter *,
	    const struct sluice_message *, struct module_answer *, char *,
	    size_t);

/* engine_module_filter - see engine_int.h */
void
engine_module_filter(struct engine_msg *m, const struct rule *r,
    struct engine_step *st, struct filter_outcome *fo)
{
	const struct filter	*f = r->filter;
	struct sluice_message	 msg;
	struct sluice_header	*hv;
	struct module_answer	 ans;
	struct watch		 wt;
	const char		*v;
	char			 why[320], *reason = NULL;
	long long		 t0;
	size_t			 i;
	int			 fd, verdict, isolated, rc = 0;

	memset(fo, 0, sizeof(*fo));
	memset(&ans, 0, sizeof(ans));
	fo->verdict = V_ERROR;
	isolated = f->isolate && engine_module_host != NULL;
	if (!isolated && f->mod == NULL) {
		/* engine_modules_load() was not called for this snapshot:
		 * ours, not the module's */
		failf(fo, 1, FE_EXEC, "module %s is not loaded", f->module);
		return;
	}
	if (engine_sync(m, why, sizeof(why)) != 0) {
		failf(fo, 1, FE_EXEC, "cannot write the message for the module: %s",
		    why);
		return;
	}
	if ((fd = open(m->msgfile, O_RDONLY | O_CLOEXEC)) < 0) {
		failf(fo, 1, FE_EXEC, "cannot open the message for the module: %s",
		    strerror(errno));
		return;
	}
	hv = xcalloc(m->hdr.n + 1, sizeof(*hv));
	for (i = 0; i < m->hdr.n; i++) {
		v = m->hdr.h[i].value;
		while (*v == ' ' || *v == '\t')
			v++;
		hv[i].name = m->hdr.h[i].name;
		hv[i].value = v;
	}
	memset(&msg, 0, sizeof(msg));
	msg.fd = fd;
	msg.size = m->size;
	msg.headers = hv;
	msg.nheaders = m->hdr.n;
	msg.sender = or_empty(m->env.sender);
	msg.recipients = (const char *const *)m->env.rcpt;
	msg.nrecipients = m->env.nrcpt;
	msg.queue_id = or_empty(m->env.queue_id);
	msg.client_addr = or_empty(m->env.client_addr);
	msg.client_name = or_empty(m->env.client_name);
	msg.helo = or_empty(m->env.helo);
	msg.rule = r->name;
	msg.filter = f->name;

	if (isolated)
		/* its host process ends a call past the timeout itself */
		rc = engine_module_host(f, &msg, &ans, why, sizeof(why));
	else {
		memset(&wt, 0, sizeof(wt));
		wt.filter = f->name;
		snprintf(wt.qid, sizeof(wt.qid), "%s", msg.queue_id);
		t0 = clock_mono_us();
		wt.deadline = t0 / 1000 + f->timeout_ms + f->grace_ms;
		watch_add(&wt);
		ans.rv = module_call(f->mod, &msg, &ans.out, &ans.outlen,
		    &ans.overflow);
		watch_del(&wt);
		ans.elapsed_us = (long)(clock_mono_us() - t0);
	}
	close(fd);
	free(hv);
	st->elapsed_us = ans.elapsed_us;
	if (rc < 0) {
		failf(fo, 1, FE_EXEC, "%s", why);
		goto out;
	}
	if (rc > 0) {
		snprintf(st->outcome, sizeof(st->outcome), "module host "
		    "failed");
		failf(fo, 0, rc == 2 ? FE_TIMEOUT : FE_SIGNAL, "%s", why);
		goto out;
	}

	verdict = to_verdict(ans.rv);
	snprintf(st->outcome, sizeof(st->outcome), "module returned %s",
	    verdict < 0 ? "no verdict" : verdict == V_ERROR ? "an error" :
	    verdict_name((enum verdict)verdict));
	if (directive_parse(ans.out != NULL ? ans.out : "", ans.outlen,
	    &fo->dl, why, sizeof(why)) != 0) {
		failf(fo, 0, FE_OUTPUT, "its directives: %s", why);
		goto out;
	}
	for (i = 0; i < fo->dl.n; i++)
		if (fo->dl.d[i].kind == D_REASON) {
			free(reason);
			reason = reply_clean_reason(fo->dl.d[i].value,
			    strlen(fo->dl.d[i].value), DIRECTIVE_REASON_MAX);
		}
	if (ans.elapsed_us / 1000 > f->timeout_ms)
		failf(fo, 0, FE_TIMEOUT, "timed out: returned after %ld ms, past its "
		    "timeout of %d ms", ans.elapsed_us / 1000, f->timeout_ms);
	else if (ans.overflow)
		failf(fo, 0, FE_OUTPUT, "a directive was over %d bytes, or all of them "
		    "over %d", LINE_MAX_BYTES, DIRECTIVE_FILE_MAX);
	else if (verdict < 0)
		failf(fo, 0, FE_EXIT, "returned %d, which is not a verdict", ans.rv);
	else if (verdict == V_ERROR)
		failf(fo, 0, FE_FAILED, "the module failed: %s", reason != NULL ?
		    reason : "(no reason given)");
	else {
		fo->verdict = (enum verdict)verdict;
		fo->reason = reason;
		reason = NULL;
	}
out:
	if (fo->verdict == V_ERROR)
		directive_list_free(&fo->dl);
	free(reason);
	free(ans.out);
}
