/*
 * engine_filter.c - run one exec filter for one message
 *
 * Prepares the filter's files in the work directory (result.N, new.N,
 * tmp.N/), expands its command and environment, runs it through the
 * spawner, and turns what it left behind into a filter_outcome: the
 * mapped verdict, the parsed directives, a checked replacement message,
 * a reason.  Nothing is applied to the message here.
 * SECURITY: everything the filter produced is untrusted.  The result file
 * is bounded and parsed strictly; a replacement message is bounded by
 * message_max, must have a header block with valid fields, an empty line,
 * no NUL and no line over 998 bytes (message_check), and is checked
 * while it is copied (CRLF -> LF) into a file of our own, a chunk at a
 * time, never read whole into memory.  Any defect makes the run an
 * error; nothing of it reaches the message.
 * ERRORS: every failure becomes V_ERROR with a text; nothing is fatal.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "engine/engine_int.h"
#include "engine/spool.h"
#include "lib/buf.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/spawn.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/header.h"
#include "mail/message.h"
#include "rules/subst.h"

#define HEAD_LINES	3	/* lines of output kept for the trace */
#define LOG_LINES	20	/* lines of output logged per stream */

/* internal - our own failure (disk, spool): tempfail whatever on_error
 * says, and not counted against the filter */
#define internal(fo, ...) do { fail(fo, FE_EXEC, __VA_ARGS__); \
	(fo)->internal = 1; } while (0)
#define fail	filter_outcome_fail

/* filter_outcome_fail - see engine_int.h */
void
filter_outcome_fail(struct filter_outcome *fo, enum fs_error kind,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	free(fo->error);
	if (vasprintf(&fo->error, fmt, ap) < 0)
		fatal("vasprintf");
	va_end(ap);
	fo->verdict = V_ERROR;
	fo->errkind = kind;
}

/* head_lines - the first few lines of captured output, printable */
static char *
head_lines(const char *p, size_t len, int lines)
{
	char	*out;
	size_t	 i, n = 0;

	if (len == 0)
		return NULL;
	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n' && --lines == 0)
			break;
		out[n++] = (c == '\n' || c == '\t') ? (char)c :
		    (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	while (n > 0 && out[n - 1] == '\n')
		n--;
	out[n] = '\0';
	return out;
}

/* log_output - log a stream's lines with the queue id */
static void
log_output(const char *qid, const char *filter, const char *stream,
    const char *p, size_t len, int truncated)
{
	const char	*lf;
	int		 lines = 0;
	size_t		 l;

	while (len > 0 && lines < LOG_LINES) {
		lf = memchr(p, '\n', len);
		l = lf ? (size_t)(lf - p) : len;
		if (l > 0) {
			char *s = xmemdup(p, l);

			log_info("%s: filter=%s %s: %s", qid, filter, stream,
			    s);
			free(s);
			lines++;
		}
		if (lf == NULL)
			break;
		len -= l + 1;
		p += l + 1;
	}
	if (len > 0 || truncated)
		log_info("%s: filter=%s %s: (more output not logged)", qid,
		    filter, stream);
}

/* the copy of a replacement message into the work directory */
struct repl_copy {
	struct message_check	 mc;
	struct spool_writer	 w;
	int			 bad;		/* the check failed: why */
	int			 werr;		/* writing failed: errno */
	char			 why[256];
};

/* repl_sink - check a chunk, then write it (CRLF -> LF) */
static int
repl_sink(void *arg, const char *p, size_t len)
{
	struct repl_copy	*cp = arg;

	if (message_check_feed(&cp->mc, p, len, cp->why,
	    sizeof(cp->why)) != 0) {
		cp->bad = 1;
		errno = EINVAL;
		return -1;
	}
	if (spool_writer_write(&cp->w, p, len) != 0) {
		cp->werr = errno;
		return -1;
	}
	return 0;
}

/*
 * take_replacement - check %n (open as in) while copying it into
 * message.N: one
 * chunk in memory at a time, so a message as big as message_max costs
 * no more than a small one.  Anything wrong with it is the filter's
 * error and removes the copy; a failure to write the copy is ours.
 */
static void
take_replacement(struct engine_msg *m, const struct filter *f, int in,
    int err, struct filter_outcome *fo)
{
	struct repl_copy	*cp;
	char			*dst, why[256];
	int			 r, saved;

	if (in < 0) {
		if (err == EINVAL)
			fail(fo, FE_OUTPUT, "replacement message: not a regular file");
		else if (err != ENOENT)
			fail(fo, FE_OUTPUT, "replacement message: %s", strerror(err));
		return;
	}
	dst = spool_path(m->workdir, SPOOL_VERSION, m->seq++);
	/* on the heap: the writer's buffer would make a big frame */
	cp = xcalloc(1, sizeof(*cp));
	if (spool_writer_open(&cp->w, dst, 0, why, sizeof(why)) != 0) {
		internal(fo, "cannot store replacement message: %s", why);
		goto out;
	}
	message_check_init(&cp->mc);
	r = file_stream(in, f->message_max, repl_sink, cp);
	saved = errno;
	if (r == 0 && message_check_end(&cp->mc, cp->why,
	    sizeof(cp->why)) != 0) {
		cp->bad = 1;
		r = -1;
	}
	if (r == 0 && spool_writer_close(&cp->w, 0) != 0) {
		cp->werr = errno;
		r = -1;
	}
	message_check_free(&cp->mc);
	if (r == 0) {
		fo->newfile = dst;
		dst = NULL;
		goto out;
	}
	(void)spool_writer_close(&cp->w, 0);
	(void)unlink(dst);
	if (cp->bad)
		fail(fo, FE_OUTPUT, "replacement message rejected: %s", cp->why);
	else if (cp->werr != 0)
		internal(fo, "cannot store replacement message: %s",
		    strerror(cp->werr));
	else if (saved == EFBIG)
		fail(fo, FE_OUTPUT, "replacement message is larger than %zu bytes",
		    f->message_max);
	else
		fail(fo, FE_OUTPUT, "replacement message: %s", strerror(saved));
out:
	free(dst);
	free(cp);
}

/* take_result - parse the result file (open as fd) */
static void
take_result(int fd, int err, struct filter_outcome *fo)
{
	char	*buf, why[256];
	size_t	 len;

	if (fd < 0) {
		if (err == EINVAL)
			fail(fo, FE_OUTPUT, "result file: not a regular file");
		else if (err != ENOENT)
			fail(fo, FE_OUTPUT, "result file: %s", strerror(err));
		return;
	}
	if (file_read_fd(fd, DIRECTIVE_FILE_MAX, &buf, &len) != 0) {
		if (errno == EFBIG)
			fail(fo, FE_OUTPUT, "result file is larger than %d bytes",
			    DIRECTIVE_FILE_MAX);
		else
			fail(fo, FE_OUTPUT, "result file: %s", strerror(errno));
		return;
	}
	if (directive_parse(buf, len, &fo->dl, why, sizeof(why)) != 0)
		fail(fo, FE_OUTPUT, "result file %s", why);
	free(buf);
}

/* spawn_here - start the program from this process (sluicectl, tests);
 * in a subreaper (sluicectl try) what it left running dies too */
static int
spawn_here(const struct spawn_req *req, struct spawn_res *res, char *why,
    size_t whylen)
{
	int	n;

	if (spawn_run(req, res) != 0) {
		why_set(why, whylen, "malformed command line");
		return -1;
	}
	if ((n = res->orphans) > 0)
		log_warnx("%s left %d process%s running; killed",
		    req->argv[0], n, n == 1 ? "" : "es");
	return 0;
}

int	(*engine_spawn)(const struct spawn_req *, struct spawn_res *, char *,
	    size_t) = spawn_here;

/*
 * args_fit - whether argv and envp pass execve: no string over the
 * kernel's MAX_ARG_STRLEN, all of them (and their pointers) under
 * ARG_MAX.  Checked before the spawn, so that a message with very many
 * or very long recipients costs no run.
 */
static int
args_fit(char *const *argv, char *const *envp)
{
	const size_t	 one = 32 * 4096;	/* MAX_ARG_STRLEN */
	size_t		 total = 0, n, i;
	long		 max = sysconf(_SC_ARG_MAX);
	char *const	*v[2] = { argv, envp };
	int		 k;

	for (k = 0; k < 2; k++)
		for (i = 0; v[k] != NULL && v[k][i] != NULL; i++) {
			n = strlen(v[k][i]) + 1;
			if (n > one)
				return 0;
			total += n + sizeof(char *);
		}
	return max <= 0 || total < (size_t)max;
}

/* rcpt_list - the recipients, one per line, for %R */
static char *
rcpt_list(const struct envelope *env, size_t *len)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 0);
	for (i = 0; i < env->nrcpt; i++) {
		(void)buf_append(&b, env->rcpt[i], strlen(env->rcpt[i]));
		(void)buf_appendc(&b, '\n');
	}
	return buf_steal(&b, len);
}

/* engine_exec_filter - run the rule's filter on the current message */
void
engine_exec_filter(struct engine_msg *m, const struct rule *r,
    struct engine_step *st, struct filter_outcome *fo)
{
	static const char *const outputs[] = { "result", "new", NULL };
	const struct filter	*f = r->filter;
	struct subst_ctx	 sc;
	struct spawn_req	 req;
	struct spawn_res	 res;
	struct directive	*d;
	struct spool_run	 run;
	char			*rundir, *msgf = NULL, *result = NULL;
	char			*newf = NULL, *tmpd = NULL, *rcptf = NULL;
	char			**argv, **envp, *rl, why[256];
	size_t			 i, rlen;

	memset(fo, 0, sizeof(*fo));
	memset(&res, 0, sizeof(res));
	fo->verdict = V_ERROR;
	if (engine_sync(m, why, sizeof(why)) != 0) {
		internal(fo, "cannot write the message for the filter: %s",
		    why);
		return;
	}
	rl = rcpt_list(&m->env, &rlen);
	if (spool_run_open(&run, m->workdir, m->msgfile, rl, rlen, why,
	    sizeof(why)) != 0) {
		free(rl);
		internal(fo, "cannot prepare the filter's directory: %s", why);
		return;
	}
	free(rl);
	rundir = run.path;
	msgf = spool_run_path(rundir, SPOOL_RUN_MESSAGE);
	rcptf = spool_run_path(rundir, SPOOL_RUN_RECIPIENTS);
	tmpd = spool_run_path(rundir, SPOOL_RUN_TMP);
	result = spool_run_path(rundir, SPOOL_RUN_RESULT);
	newf = spool_run_path(rundir, SPOOL_RUN_NEW);

	memset(&sc, 0, sizeof(sc));
	sc.env = &m->env;
	sc.msgfile = msgf;
	sc.newfile = newf;
	sc.resultfile = result;
	sc.tmpdir = tmpd;
	sc.rcptfile = rcptf;
	sc.size = m->size;
	sc.rule = r->name;
	sc.filter = f->name;
	argv = subst_argv(f->argv, &sc);
	envp = subst_env(&sc);
	st->argv = argv;
	if (!args_fit(argv, envp)) {
		/*
		 * The message's size, not the filter's fault (many long
		 * recipients in %r and SLUICE_RECIPIENTS): counting it would
		 * let one sender switch a filter off.
		 */
		internal(fo, "its command line and environment are too big "
		    "for execve (%zu recipients; %%R and "
		    "SLUICE_RECIPIENTS_FILE hold them in a file)",
		    m->env.nrcpt);
		xfree_strv(&envp);
		goto out;
	}

	memset(&req, 0, sizeof(req));
	req.argv = argv;
	req.envp = envp;
	req.cwd = tmpd;
	req.limits = f->limits;
	req.timeout_ms = f->timeout_ms;
	req.grace_ms = f->grace_ms;
	req.capture_max = f->output_max;
	req.sandbox = f->sandbox;
	req.rundir = rundir;
	req.writable = f->writable;
	req.outputs = outputs;
	req.uid = SPAWN_SELF;
	if (m->cfg->switch_users) {
		req.uid = f->uid;
		req.gid = f->gid;
	} else
		/* counted over all the processes of the user that runs
		 * sluice (a login's, say): only for a filter's own user */
		req.limits.nproc = 0;
	if (engine_spawn(&req, &res, why, sizeof(why)) != 0) {
		internal(fo, "cannot run the filter: %s", why);
		xfree_strv(&envp);
		goto out;
	}
	xfree_strv(&envp);
	spawn_describe(&res, st->outcome, sizeof(st->outcome));
	st->elapsed_us = res.elapsed_us;
	st->out_head = head_lines(res.out, res.outlen, HEAD_LINES);
	st->err_head = head_lines(res.err, res.errlen, HEAD_LINES);
	log_output(m->env.queue_id, f->name, "stdout", res.out, res.outlen,
	    res.out_truncated);
	log_output(m->env.queue_id, f->name, "stderr", res.err, res.errlen,
	    res.err_truncated);

	switch (res.outcome) {
	case SPAWN_EXITED:
		if (f->exitmap[res.status & 0xff] < 0) {
			fail(fo, FE_EXIT, "exit code %d is not mapped to a verdict",
			    res.status);
			goto out;
		}
		fo->verdict = (enum verdict)f->exitmap[res.status & 0xff];
		break;
	case SPAWN_TIMEOUT:
		fail(fo, FE_TIMEOUT, "timed out after %d ms and was killed",
		    f->timeout_ms);
		goto out;
	case SPAWN_EXEC_FAILED:
		/* args_fit missed it (a kernel with other limits) */
		if (res.status == E2BIG) {
			internal(fo, "its command line and environment are too "
			    "big for execve (%zu recipients)", m->env.nrcpt);
			goto out;
		}
		fail(fo, FE_EXEC, "%s", st->outcome);
		goto out;
	case SPAWN_FAILED:
		/*
		 * Ours, not the filter's: no fork, pipe or set-up, or the
		 * launcher stopped or died under the run.  Counting it would
		 * switch a good filter off.
		 */
		if (res.status == ECANCELED)
			internal(fo, "the run was ended with the launcher "
			    "(a stop or a restart of sluiced's processes)");
		else
			internal(fo, "%s", st->outcome);
		goto out;
	case SPAWN_SIGNALED:
		if (res.status == SIGSYS && f->sandbox != SANDBOX_NONE) {
			fail(fo, FE_SIGNAL, "%s: a system call that the sandbox profile "
			    "\"%s\" forbids", st->outcome,
			    sandbox_name(f->sandbox));
			goto out;
		}
		if (res.status == SIGXCPU) {
			fail(fo, FE_SIGNAL, "%s: past its CPU time limit (rlimit_cpu %llu "
			    "s)", st->outcome,
			    (unsigned long long)f->limits.cpu);
			goto out;
		}
		if (res.status == SIGXFSZ) {
			fail(fo, FE_SIGNAL, "%s: past its file size limit (rlimit_fsize "
			    "%llu bytes)", st->outcome,
			    (unsigned long long)f->limits.fsize);
			goto out;
		}
		fail(fo, FE_SIGNAL, "%s", st->outcome);
		goto out;
	default:
		fail(fo, FE_EXEC, "%s", st->outcome);
		goto out;
	}
	take_result(res.noutputs > 0 ? res.output_fd[0] : -1,
	    res.noutputs > 0 ? res.output_err[0] : ENOENT, fo);
	if (fo->verdict != V_ERROR)
		take_replacement(m, f, res.noutputs > 1 ? res.output_fd[1] : -1,
		    res.noutputs > 1 ? res.output_err[1] : ENOENT, fo);
	if (fo->verdict == V_ERROR) {
		directive_list_free(&fo->dl);
		goto out;
	}
	for (i = 0; i < fo->dl.n; i++) {
		d = &fo->dl.d[i];
		if (d->kind == D_REASON)
			fo->reason = reply_clean_reason(d->value,
			    strlen(d->value), DIRECTIVE_REASON_MAX);
	}
	if (fo->reason == NULL && res.outlen > 0)
		fo->reason = reply_clean_reason(res.out, res.outlen,
		    DIRECTIVE_REASON_MAX);
out:
	spawn_res_free(&res);
	/* kept for the next run only when the run's leftovers are gone */
	snprintf(why, sizeof(why), "%s", rundir);
	if (spool_run_close(&run, res.cleared) != 0)
		log_warnx("%s: filter=%s: %s could not be removed entirely: "
		    "%s", m->env.queue_id != NULL ? m->env.queue_id : "-",
		    f->name, why, strerror(errno));
	free(msgf);
	free(rcptf);
	free(result);
	free(newf);
	free(tmpd);
}

/* filter_outcome_free - release an outcome */
void
filter_outcome_free(struct filter_outcome *fo)
{
	free(fo->error);
	free(fo->newfile);
	free(fo->reason);
	directive_list_free(&fo->dl);
	memset(fo, 0, sizeof(*fo));
}
