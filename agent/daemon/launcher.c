/*
 * launcher.c - the process that starts filter programs, and its client
 *
 * The launcher is forked by the master before any thread exists and
 * before big libraries are loaded, so forking stays cheap however big
 * the agent grows.  It waits on the control socket for descriptors: each
 * is one end of a socketpair the agent made, a channel.  It hands each
 * to an idle keeper, a copy of this small process, which serves the
 * channel's requests one after the other until the agent closes it: it
 * reads a request, runs it with spawn_run() (clone-vfork, setsid,
 * rlimits, timeout, SIGTERM then SIGKILL to the process group, capped
 * capture), kills what the run left behind in sessions of its own
 * (a keeper is a child subreaper: spawn_reap_orphans) and writes the
 * result back; at the channel's end it says it is idle again.  The agent
 * keeps idle channels for the next runs of their sandbox profile, so
 * that a run passes through no process but the keeper.  A keeper that
 * gets SIGTERM (the master's stop, or the launcher's death) kills its run
 * in flight and what it started, then ends.  When no
 * keeper is idle the launcher forks one more, so one slow filter never
 * holds up another; idle keepers beyond a few are let go.  Keepers are
 * reaped by the kernel (SIGCHLD ignored in the launcher); each keeper
 * restores SIGCHLD, because spawn_run waits on a pidfd.
 *
 * Why keepers that stay: a request on a kept channel costs two wakeups,
 * a fork of even this small process a good part of a short filter's own
 * exec.  Why not one event loop in the launcher: spawn_run is the tested
 * core that sluicectl uses too.
 *
 * SECURITY: runs as the unprivileged sluice user (the master drops it
 * before launcher_main).  Requests come from the agent only: the control
 * socket is a socketpair made by the master, never a path or an address.
 * They are still decoded strictly (counts, lengths, terminators), since
 * the agent handles mail.  Never calls a shell: argv goes to execve.
 * ERRORS: a malformed request or a failed fork closes that request's
 * channel, which the agent sees as "no answer" and tempfails the message;
 * a kept channel whose keeper has died refuses the request before it is
 * read, and the agent sends it on a new one.
 * launcher_spawn returns -1 with why when the launcher cannot be reached
 * or does not answer in time; it logs nothing itself.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/launcher.h"
#include "lib/clock.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/why.h"
#include "lib/xmalloc.h"

#define REQ_MAGIC	0x534c5251u	/* "SLRQ" */
#define RES_MAGIC	0x534c5253u	/* "SLRS" */
#define STRS_MAX	(1024 * 1024)	/* argv + envp words */
/* how long the agent waits beyond the filter's own timeout and grace */
#define ANSWER_SLACK_MS	60000
/* how long a keeper waits for the request once it has the socket */
#define REQ_WAIT_MS	30000
/* keepers: at most this many at once (filter runs in parallel), and
 * at most this many idle ones kept */
#define KEEPERS_MAX	1024
#define KEEPERS_SPARE	8
/* a filter's writable paths */
#define WRITABLE_MAX	64
/* the agent's idle channels to keepers kept, per sandbox profile */
#define CHANNELS_IDLE	32

struct wire_req {
	uint32_t	magic;
	uint32_t	argc;
	uint32_t	envc;
	uint32_t	has_cwd;
	int32_t		timeout_ms;
	int32_t		grace_ms;
	uint64_t	capture_max;
	uint64_t	lim[5];
	int32_t		sandbox;
	uint32_t	uid;
	uint32_t	gid;
	uint32_t	has_rundir;
	uint32_t	nwritable;
	uint32_t	noutputs;
	uint32_t	has_stdin;	/* its descriptor comes with the
					   length, SCM_RIGHTS */
};

struct wire_res {
	uint32_t	magic;
	int32_t		outcome;
	int32_t		status;
	int32_t		pid;
	int64_t		elapsed_us;
	struct rusage	ru;
	uint64_t	outlen;
	uint64_t	errlen;
	int32_t		out_truncated;
	int32_t		err_truncated;
	int32_t		orphans;
	int32_t		left;
	int32_t		cleared;
	uint32_t	noutputs;
	int32_t		output_err[SPAWN_OUTPUTS_MAX];
	uint32_t	nfds;	/* sent with the length, SCM_RIGHTS */
};

static int	ctl = -1;

/* the users and groups filters may run as: those of the config the
 * launcher started with */
static struct launcher_user	*users;
static size_t			 nusers;

/* launcher_req_encode - the request as header and NUL-ended words */
void
launcher_req_encode(const struct spawn_req *req, struct buf *b)
{
	struct wire_req	 w;
	size_t		 i;

	memset(&w, 0, sizeof(w));
	w.magic = REQ_MAGIC;
	for (i = 0; req->argv[i] != NULL; i++)
		w.argc++;
	for (i = 0; req->envp != NULL && req->envp[i] != NULL; i++)
		w.envc++;
	w.has_cwd = req->cwd != NULL;
	w.timeout_ms = req->timeout_ms;
	w.grace_ms = req->grace_ms;
	w.capture_max = req->capture_max;
	w.sandbox = req->sandbox;
	w.lim[0] = req->limits.cpu;
	w.lim[1] = req->limits.as;
	w.lim[2] = req->limits.fsize;
	w.lim[3] = req->limits.nofile;
	w.lim[4] = req->limits.nproc;
	w.uid = (uint32_t)req->uid;
	w.gid = (uint32_t)req->gid;
	w.has_rundir = req->rundir != NULL;
	for (i = 0; req->writable != NULL && req->writable[i] != NULL; i++)
		w.nwritable++;
	for (i = 0; req->outputs != NULL && req->outputs[i] != NULL; i++)
		w.noutputs++;
	w.has_stdin = req->has_stdin != 0;
	buf_append(b, &w, sizeof(w));
	for (i = 0; i < w.argc; i++)
		buf_append(b, req->argv[i], strlen(req->argv[i]) + 1);
	for (i = 0; i < w.envc; i++)
		buf_append(b, req->envp[i], strlen(req->envp[i]) + 1);
	if (req->cwd != NULL)
		buf_append(b, req->cwd, strlen(req->cwd) + 1);
	if (req->rundir != NULL)
		buf_append(b, req->rundir, strlen(req->rundir) + 1);
	for (i = 0; i < w.nwritable; i++)
		buf_append(b, req->writable[i], strlen(req->writable[i]) + 1);
	for (i = 0; i < w.noutputs; i++)
		buf_append(b, req->outputs[i], strlen(req->outputs[i]) + 1);
}

/* launcher_req_decode - the inverse, checking every count and length */
int
launcher_req_decode(const char *p, size_t len, struct spawn_req *req,
    char **strs, char *why, size_t whylen)
{
	struct wire_req	  w;
	char		**words, *s;
	size_t		  n, want, i, off;

	memset(req, 0, sizeof(*req));
	*strs = NULL;
	if (len < sizeof(w)) {
		why_set(why, whylen, "request of %zu bytes is too short",
		    len);
		return -1;
	}
	memcpy(&w, p, sizeof(w));
	if (w.magic != REQ_MAGIC || w.argc == 0 || w.argc > STRS_MAX ||
	    w.envc > STRS_MAX || w.has_cwd > 1 || w.timeout_ms < 0 ||
	    w.grace_ms < 0 || w.capture_max > SIZE_MAX / 4 ||
	    w.sandbox < 0 || w.sandbox >= SANDBOX_NPROFILES ||
	    w.has_rundir > 1 || w.nwritable > WRITABLE_MAX ||
	    w.noutputs > SPAWN_OUTPUTS_MAX ||
	    (w.noutputs > 0 && !w.has_rundir) || w.has_stdin > 1) {
		why_set(why, whylen, "malformed request header");
		return -1;
	}
	want = (size_t)w.argc + w.envc + w.has_cwd + w.has_rundir +
	    w.nwritable + w.noutputs;
	len -= sizeof(w);
	p += sizeof(w);
	for (n = 0, i = 0; i < len; i++)
		if (p[i] == '\0')
			n++;
	if (n != want || (len > 0 && p[len - 1] != '\0')) {
		why_set(why, whylen, "request holds %zu words, expected %zu",
		    n, want);
		return -1;
	}
	s = xmemdup(p, len);
	words = xcalloc(want, sizeof(*words));
	for (i = 0, off = 0; i < want; i++) {
		words[i] = s + off;
		off += strlen(s + off) + 1;
	}
	{
		char **argv = xcalloc((size_t)w.argc + 1, sizeof(*argv));
		char **envp = xcalloc((size_t)w.envc + 1, sizeof(*envp));
		char **wr = xcalloc((size_t)w.nwritable + 1, sizeof(*wr));
		const char **outs = xcalloc((size_t)w.noutputs + 1,
		    sizeof(*outs));

		off = 0;
		memcpy(argv, words, w.argc * sizeof(*argv));
		off += w.argc;
		memcpy(envp, words + off, w.envc * sizeof(*envp));
		off += w.envc;
		req->cwd = w.has_cwd ? words[off++] : NULL;
		req->rundir = w.has_rundir ? words[off++] : NULL;
		memcpy(wr, words + off, w.nwritable * sizeof(*wr));
		off += w.nwritable;
		memcpy(outs, words + off, w.noutputs * sizeof(*outs));
		req->argv = argv;
		req->envp = envp;
		req->writable = wr;
		req->outputs = outs;
	}
	free(words);
	req->uid = (uid_t)w.uid;
	req->gid = (gid_t)w.gid;
	req->timeout_ms = w.timeout_ms;
	req->grace_ms = w.grace_ms;
	req->capture_max = (size_t)w.capture_max;
	req->sandbox = w.sandbox;
	req->limits.cpu = w.lim[0];
	req->limits.as = w.lim[1];
	req->limits.fsize = w.lim[2];
	req->limits.nofile = w.lim[3];
	req->limits.nproc = w.lim[4];
	req->has_stdin = (int)w.has_stdin;
	req->stdin_fd = -1;
	*strs = s;
	return 0;
}

/* launcher_req_free - what launcher_req_decode allocated */
void
launcher_req_free(struct spawn_req *req, char **strs)
{
	free((void *)req->argv);
	free((void *)req->envp);
	free((void *)req->writable);
	free((void *)req->outputs);
	memset(req, 0, sizeof(*req));
	free(*strs);
	*strs = NULL;
}

/* launcher_res_encode - the result as header, stdout, stderr */
void
launcher_res_encode(const struct spawn_res *res, struct buf *b)
{
	struct wire_res	w;
	size_t		i;

	memset(&w, 0, sizeof(w));
	w.magic = RES_MAGIC;
	w.outcome = (int32_t)res->outcome;
	w.status = res->status;
	w.pid = (int32_t)res->pid;
	w.elapsed_us = res->elapsed_us;
	w.ru = res->ru;
	w.outlen = res->outlen;
	w.errlen = res->errlen;
	w.out_truncated = res->out_truncated;
	w.err_truncated = res->err_truncated;
	w.orphans = res->orphans;
	w.left = res->left;
	w.cleared = res->cleared;
	w.noutputs = (uint32_t)res->noutputs;
	for (i = 0; i < res->noutputs; i++) {
		w.output_err[i] = res->output_fd[i] >= 0 ? 0 :
		    res->output_err[i] != 0 ? res->output_err[i] : EIO;
		if (res->output_fd[i] >= 0)
			w.nfds++;
	}
	buf_append(b, &w, sizeof(w));
	if (res->outlen > 0)
		buf_append(b, res->out, res->outlen);
	if (res->errlen > 0)
		buf_append(b, res->err, res->errlen);
}

/* launcher_res_decode - the inverse; out and err are NUL-terminated */
int
launcher_res_decode(const char *p, size_t len, const int *fds,
    size_t nfds, struct spawn_res *res, char *why, size_t whylen)
{
	struct wire_res	w;
	size_t		i, k;

	memset(res, 0, sizeof(*res));
	if (len < sizeof(w)) {
		why_set(why, whylen, "answer of %zu bytes is too short", len);
		return -1;
	}
	memcpy(&w, p, sizeof(w));
	if (w.magic != RES_MAGIC || w.outcome < SPAWN_EXITED ||
	    w.outcome > SPAWN_FAILED || w.outlen > len || w.errlen > len ||
	    sizeof(w) + w.outlen + w.errlen != len ||
	    w.noutputs > SPAWN_OUTPUTS_MAX || w.nfds != nfds) {
		why_set(why, whylen, "malformed answer");
		return -1;
	}
	for (i = 0, k = 0; i < w.noutputs; i++)
		if (w.output_err[i] == 0)
			k++;
	if (k != nfds) {
		why_set(why, whylen, "malformed answer");
		return -1;
	}
	res->noutputs = w.noutputs;
	for (i = 0, k = 0; i < w.noutputs; i++) {
		res->output_err[i] = w.output_err[i];
		res->output_fd[i] = w.output_err[i] == 0 ? fds[k++] : -1;
	}
	res->orphans = w.orphans;
	res->left = w.left;
	res->cleared = w.cleared != 0;
	res->outcome = (enum spawn_outcome)w.outcome;
	res->status = w.status;
	res->pid = w.pid;
	res->elapsed_us = (long)w.elapsed_us;
	res->ru = w.ru;
	res->outlen = (size_t)w.outlen;
	res->errlen = (size_t)w.errlen;
	res->out_truncated = w.out_truncated;
	res->err_truncated = w.err_truncated;
	p += sizeof(w);
	res->out = xmalloc(res->outlen + 1);
	memcpy(res->out, p, res->outlen);
	res->out[res->outlen] = '\0';
	res->err = xmalloc(res->errlen + 1);
	memcpy(res->err, p + res->outlen, res->errlen);
	res->err[res->errlen] = '\0';
	return 0;
}

/* send_framed - a 32-bit length (with stdin_fd, if >= 0), then the
 * bytes */
static int
send_framed(int fd, const struct buf *b, int stdin_fd)
{
	uint32_t	n = (uint32_t)b->len;

	if (io_send_fds(fd, &n, sizeof(n), &stdin_fd, stdin_fd >= 0 ? 1 : 0)
	    != 0)
		return -1;
	return io_send_all(fd, b->data, b->len, -1);
}

/* launcher_allowed - whether a run may be started as uid:gid */
static int
launcher_allowed(uid_t uid, gid_t gid, char *why, size_t whylen)
{
	size_t	i;

	if (uid == SPAWN_SELF || (uid == geteuid() && gid == getegid()))
		return 0;
	for (i = 0; i < nusers; i++)
		if (users[i].uid == uid && users[i].gid == gid)
			return 0;
	why_set(why, whylen, "uid %u gid %u is not a filter user of the "
	    "configuration sluiced started with", (unsigned)uid,
	    (unsigned)gid);
	return -1;
}

/* set by SIGTERM in a keeper: end the run in hand, then the keeper */
static volatile sig_atomic_t	 stopping;
static volatile sig_atomic_t	 serving;

/* on_term - a keeper's SIGTERM (the master stops the launcher's process
 * group; the launcher's death sends it too): idle, end now; busy, let
 * the run be killed and its leftovers reaped first */
static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	if (!serving)
		_exit(0);
}

/* request_wait - wait for the next request on a channel: 0 when one is
 * coming, -1 at its end (the agent closed it) or on an error */
static int
request_wait(int fd)
{
	char	byte;
	ssize_t	n;

	do
		n = recv(fd, &byte, 1, MSG_PEEK);
	while (n < 0 && errno == EINTR && !stopping);
	if (n < 0 && errno != EINTR)
		log_warn("launcher: waiting for a request");
	return n == 1 ? 0 : -1;
}

/* recv_request - a request's length (with the descriptor of its
 * standard input, if it has one: *sfd, else -1), then its bytes */
static int
recv_request(int fd, char **p, size_t *len, int *sfd)
{
	long long	deadline = clock_mono_ms() + REQ_WAIT_MS;
	uint32_t	n;
	ssize_t		r;
	size_t		nfd;

	*sfd = -1;
	*p = NULL;
	r = io_recv_fds(fd, &n, sizeof(n), sfd, 1, &nfd);
	if (nfd == 0)
		*sfd = -1;
	if (r == 0)
		errno = ECONNRESET;
	if (r > 0 && (size_t)r < sizeof(n) && io_read_all(fd, (char *)&n + r,
	    sizeof(n) - (size_t)r, deadline) != 0)
		r = -1;
	if (r > 0 && n > LAUNCHER_REQ_MAX) {
		errno = EMSGSIZE;
		r = -1;
	}
	if (r > 0) {
		*p = xmalloc((size_t)n + 1);
		if (io_read_all(fd, *p, n, deadline) != 0)
			r = -1;
	}
	if (r <= 0) {
		free(*p);
		*p = NULL;
		if (*sfd >= 0)
			close(*sfd);
		*sfd = -1;
		return -1;
	}
	*len = n;
	return 0;
}

/* serve - one request on channel fd: read it, run it, answer; 0 when it
 * was answered and the channel may carry the next, -1 when it is done */
static int
serve(int fd)
{
	struct spawn_req	 req;
	struct spawn_res	 res;
	struct buf		 b;
	char			*p, *strs = NULL, why[200] = "";
	size_t			 len, i, nfd;
	uint32_t		 len32;
	int			 n, rc, sfd, fds[SPAWN_OUTPUTS_MAX];

	memset(&req, 0, sizeof(req));
	if (recv_request(fd, &p, &len, &sfd) != 0) {
		log_warn("launcher: reading a request");
		return -1;
	}
	if (launcher_req_decode(p, len, &req, &strs, why, sizeof(why)) != 0 ||
	    (req.has_stdin != 0) != (sfd >= 0)) {
		if (why[0] == '\0' || req.argv != NULL)
			why_set(why, sizeof(why), "its standard input %s",
			    sfd >= 0 ? "came unasked" : "is missing");
		log_warnx("launcher: refusing a request: %s", why);
		if (req.argv != NULL)
			launcher_req_free(&req, &strs);
		free(p);
		if (sfd >= 0)
			close(sfd);
		return -1;
	}
	free(p);
	memset(&res, 0, sizeof(res));
	req.cancel = &stopping;
	if (sfd >= 0) {
		/* a long run (a module host): it ends when the agent is
		 * done with it, which the agent says on this channel */
		req.stdin_fd = sfd;
		req.has_watch = 1;
		req.watch_fd = fd;
	}
	if (launcher_allowed(req.uid, req.gid, why, sizeof(why)) != 0) {
		log_warnx("launcher: refusing a request: %s", why);
		launcher_req_free(&req, &strs);
		return -1;
	}
	rc = spawn_run(&req, &res);
	if (sfd >= 0)
		close(sfd);
	if (rc != 0) {
		log_warnx("launcher: refusing a request: no program");
		launcher_req_free(&req, &strs);
		return -1;
	}
	if ((n = res.orphans) > 0)
		log_warnx("launcher: %s left %d process%s running; killed",
		    req.argv[0], n, n == 1 ? "" : "es");
	if (res.left)
		log_warnx("launcher: %s: what %s left in %s could not all be "
		    "removed", req.argv[0], req.argv[0], req.rundir);
	launcher_req_free(&req, &strs);
	buf_init(&b, 0);
	launcher_res_encode(&res, &b);
	for (i = 0, nfd = 0; i < res.noutputs; i++)
		if (res.output_fd[i] >= 0)
			fds[nfd++] = res.output_fd[i];
	/* the agent may be gone (restarted): nothing to do about that */
	len32 = (uint32_t)b.len;
	rc = io_send_fds(fd, &len32, sizeof(len32), fds, nfd) == 0 &&
	    io_send_all(fd, b.data, b.len, -1) == 0 ? 0 : -1;
	spawn_res_free(&res);
	buf_free(&b);
	return rc;
}

/* send_fd - one descriptor over a unix socket, with a byte (for the
 * launcher: the request's sandbox profile) */
static int
send_fd(int sock, int fd, char tag)
{
	return io_send_fds(sock, &tag, 1, &fd, 1);
}

/* recv_fd_tag - one descriptor and the byte it came with, or -1 (end
 * of file: -1 with errno 0) */
static int
recv_fd_tag(int sock, char *tag)
{
	char	byte;
	ssize_t	r;
	size_t	n;
	int	fd;

	for (;;) {
		r = io_recv_fds(sock, &byte, 1, &fd, 1, &n);
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		if (n == 1) {
			if (tag != NULL)
				*tag = byte;
			return fd;
		}
		log_warnx("launcher: a control message without a socket");
	}
}

/* recv_fd - one descriptor */
static int
recv_fd(int sock)
{
	return recv_fd_tag(sock, NULL);
}

/*
 * recv_answer - the keeper's answer: its length, which carries the
 * output descriptors, then the bytes (at most max) by the deadline
 */
static int
recv_answer(int fd, size_t max, long long deadline, char **p, size_t *len,
    int *fds, size_t *nfds)
{
	uint32_t	n;
	ssize_t		r;
	size_t		i;

	*nfds = 0;
	if (io_wait_in(fd, deadline) != 0)
		return -1;
	r = io_recv_fds(fd, &n, sizeof(n), fds, SPAWN_OUTPUTS_MAX, nfds);
	if (r == 0)
		errno = ECONNRESET;
	if (r > 0 && (size_t)r < sizeof(n))
		r = io_read_all(fd, (char *)&n + r, sizeof(n) - (size_t)r,
		    deadline) == 0 ? (ssize_t)sizeof(n) : -1;
	if (r > 0 && n > max) {
		errno = EMSGSIZE;
		r = -1;
	}
	if (r > 0) {
		*p = xmalloc((size_t)n + 1);
		if (io_read_all(fd, *p, n, deadline) == 0) {
			*len = n;
			return 0;
		}
		free(*p);
		*p = NULL;
	}
	for (i = 0; i < *nfds; i++)
		(void)close(fds[i]);
	*nfds = 0;
	return -1;
}

/* keeper - serve the requests the launcher hands over, one at a time,
 * until the launcher closes our socket */
static void __attribute__((noreturn))
keeper(int sock, pid_t launcher, int profile)
{
	struct sigaction	sa;
	char			why[256];
	int			fd, n;

	signal(SIGCHLD, SIG_DFL);
	(void)prctl(PR_SET_NAME, "sluice-keeper");
	/* what a run starts in a session of its own comes back to us when
	 * its parent ends, to be killed (spawn_reap_orphans) */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: poll must see it */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != launcher)
		_exit(0);
	/* the profile of all its runs, installed once here and inherited:
	 * a seccomp program costs its JIT compilation at every install */
	if (spawn_sandbox_self(profile, why, sizeof(why)) != 0) {
		log_warnx("launcher: keeper: %s", why);
		_exit(1);
	}
	spawn_signals_settled();
	while (!stopping && (fd = recv_fd(sock)) >= 0) {
		/* the channel's requests, one after the other, until the
		 * agent closes it; the launcher died while a run had our
		 * parent-death signal cleared (rundir.c): end now */
		while (!stopping && getppid() == launcher &&
		    request_wait(fd) == 0) {
			serving = 1;
			n = serve(fd);
			serving = 0;
			if (n != 0)
				break;
		}
		close(fd);
		if (stopping || getppid() != launcher)
			break;
		/* idle again */
		if (io_send_all(sock, "I", 1, -1) != 0)
			break;
	}
	_exit(0);
}

struct keeper_slot {
	pid_t	pid;
	int	sock;
	int	busy;
	int	profile;	/* the sandbox profile it runs under */
};

static struct keeper_slot	*kp;
static size_t			 nkp;

/* keeper_new - fork one more keeper for profile; its index, or -1 */
static int
keeper_new(int ctlfd, int profile)
{
	int	sv[2];
	pid_t	pid, self = getpid();
	size_t	i;

	if (nkp == KEEPERS_MAX)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("launcher: socketpair");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("launcher: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(ctlfd);
		close(sv[0]);
		for (i = 0; i < nkp; i++)
			close(kp[i].sock);
		keeper(sv[1], self, profile);
	}
	close(sv[1]);
	kp[nkp].pid = pid;
	kp[nkp].sock = sv[0];
	kp[nkp].busy = 0;
	kp[nkp].profile = profile;
	return (int)nkp++;
}

/* keeper_drop - forget keeper k; closing its socket makes it exit */
static void
keeper_drop(size_t k)
{
	close(kp[k].sock);
	kp[k] = kp[--nkp];
}

/*
 * launcher_main - hand each request socket to an idle keeper, forking a
 * new keeper only when none is idle; keep at most KEEPERS_SPARE idle;
 * end when lifefd (if not -1) shows that the master has ended
 */
void
launcher_main(int ctlfd, int lifefd, const char *spool,
    const struct launcher_user *u, size_t nu)
{
	struct pollfd	*pfd;
	char		 byte, tag, why[300];
	size_t		 i, idle;
	ssize_t		 n;
	int		 fd, k, prof;

	/* the seccomp programs and the paths of the Landlock rules,
	 * before the first keeper is forked */
	if (spawn_sandbox_init(spool, why, sizeof(why)) != 0)
		fatalx("launcher: %s", why);
	users = xcalloc(nu + 1, sizeof(*users));
	if (nu > 0)
		memcpy(users, u, nu * sizeof(*users));
	nusers = nu;
	signal(SIGCHLD, SIG_IGN);	/* keepers are reaped by the kernel */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	kp = xcalloc(KEEPERS_MAX, sizeof(*kp));
	pfd = xcalloc(KEEPERS_MAX + 2, sizeof(*pfd));
	for (;;) {
		pfd[0].fd = ctlfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < nkp; i++) {
			pfd[i + 1].fd = kp[i].sock;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		/* the master's lifeline, last: its end means ours */
		pfd[nkp + 1].fd = lifefd;
		pfd[nkp + 1].events = POLLIN;
		pfd[nkp + 1].revents = 0;
		if (poll(pfd, nkp + 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("launcher: poll");
		}
		if (pfd[nkp + 1].revents != 0) {
			log_warnx("launcher: the master is gone; stopping");
			_exit(1);
		}
		/* keepers first: one that became idle can take a request */
		for (i = nkp; i > 0; i--) {
			if (pfd[i].revents == 0)
				continue;
			n = read(kp[i - 1].sock, &byte, 1);
			if (n == 1) {
				kp[i - 1].busy = 0;
				continue;
			}
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			/* it died; a request it held was answered by
			 * nobody, which the agent sees as end of file */
			keeper_drop(i - 1);
		}
		for (idle = 0, i = nkp; i > 0; i--) {
			if (kp[i - 1].busy)
				continue;
			if (++idle > KEEPERS_SPARE)
				keeper_drop(i - 1);
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if ((fd = recv_fd_tag(ctlfd, &tag)) < 0) {
			if (errno == 0)
				fatalx("launcher: the control socket was "
				    "closed");
			fatal("launcher: reading the control socket");
		}
		prof = tag - '0';
		if (prof < 0 || prof >= SANDBOX_NPROFILES) {
			log_warnx("launcher: a request for no profile");
			close(fd);
			continue;
		}
		for (k = -1, i = 0; i < nkp; i++)
			if (!kp[i].busy && kp[i].profile == prof) {
				k = (int)i;
				break;
			}
		if (k < 0)
			k = keeper_new(ctlfd, prof);
		if (k >= 0 && send_fd(kp[k].sock, fd, 'R') == 0)
			kp[k].busy = 1;
		else if (k >= 0)
			keeper_drop((size_t)k);
		/* no keeper: closing it tells the agent to tempfail */
		close(fd);
	}
}

/* launcher_client_init - remember the agent's end of the control socket */
void
launcher_client_init(int ctlfd)
{
	ctl = ctlfd;
}

/*
 * The agent's channels to keepers: a channel is a socketpair whose other
 * end the launcher handed to a keeper, which serves the requests on it
 * one after the other until the agent closes it.  An idle channel waits
 * here for the next run of its sandbox profile, so that a run costs the
 * launcher nothing; a channel is made (and a keeper found or forked for
 * it) only when every one is busy, and closed when too many are idle.
 */
static pthread_mutex_t	 chan_mu = PTHREAD_MUTEX_INITIALIZER;
static int		 chan_idle[SANDBOX_NPROFILES][CHANNELS_IDLE];
static size_t		 chan_n[SANDBOX_NPROFILES];

/* channel_get - an idle channel for profile (*fresh 0) or a new one
 * (*fresh 1); -1 with why */
static int
channel_get(int profile, int *fresh, char *why, size_t whylen)
{
	int	fd = -1, sv[2];

	pthread_mutex_lock(&chan_mu);
	if (chan_n[profile] > 0)
		fd = chan_idle[profile][--chan_n[profile]];
	pthread_mutex_unlock(&chan_mu);
	*fresh = fd < 0;
	if (fd >= 0)
		return fd;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		why_set(why, whylen, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (send_fd(ctl, sv[1], (char)('0' + profile)) != 0) {
		why_set(why, whylen, "cannot reach the launcher: %s",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	return sv[0];
}

/*
 * channel_send - a request framed on a channel of the profile: the
 * channel, or -1.  A kept channel whose keeper has died (the launcher's
 * restart) refuses the request at once, and it was not run: a new one.
 */
static int
channel_send(int profile, const struct buf *b, int stdin_fd, char *why,
    size_t whylen)
{
	int	fd, fresh;

	for (;;) {
		if ((fd = channel_get(profile, &fresh, why, whylen)) < 0)
			return -1;
		if (send_framed(fd, b, stdin_fd) == 0)
			return fd;
		if (fresh || (errno != EPIPE && errno != ECONNRESET)) {
			why_set(why, whylen, "sending to the launcher: %s",
			    strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	}
}

/* channel_put - channel fd of profile is idle again */
static void
channel_put(int profile, int fd)
{
	pthread_mutex_lock(&chan_mu);
	if (chan_n[profile] < CHANNELS_IDLE) {
		chan_idle[profile][chan_n[profile]++] = fd;
		fd = -1;
	}
	pthread_mutex_unlock(&chan_mu);
	if (fd >= 0)
		close(fd);	/* its keeper goes back to the launcher */
}

/* launcher_spawn - one filter run through the launcher */
int
launcher_spawn(const struct spawn_req *req, struct spawn_res *res,
    char *why, size_t whylen)
{
	struct buf	 b;
	char		*p = NULL;
	size_t		 len, max, nfds = 0, i;
	long long	 wait;
	int		 fd = -1, rc = -1, fds[SPAWN_OUTPUTS_MAX];

	memset(res, 0, sizeof(*res));
	if (req->sandbox < 0 || req->sandbox >= SANDBOX_NPROFILES) {
		why_set(why, whylen, "no sandbox profile %d", req->sandbox);
		return -1;
	}
	buf_init(&b, 0);
	launcher_req_encode(req, &b);
	if (b.len > LAUNCHER_REQ_MAX) {
		why_set(why, whylen, "command line of %zu bytes is too long",
		    b.len);
		goto out;
	}
	if ((fd = channel_send(req->sandbox, &b, -1, why, whylen)) < 0)
		goto out;
	wait = (long long)req->timeout_ms + req->grace_ms + ANSWER_SLACK_MS;
	if (req->timeout_ms == 0)
		wait = 24LL * 3600 * 1000;
	max = sizeof(struct wire_res) + 2 * req->capture_max;
	if (recv_answer(fd, max, clock_mono_ms() + wait, &p, &len, fds,
	    &nfds) != 0) {
		why_set(why, whylen, "no answer from the launcher: %s",
		    errno == ECONNRESET ? "it closed the connection" :
		    strerror(errno));
		goto out;
	}
	if (launcher_res_decode(p, len, fds, nfds, res, why, whylen) != 0)
		goto out;
	nfds = 0;	/* res has them */
	rc = 0;
	channel_put(req->sandbox, fd);
	fd = -1;
out:
	for (i = 0; i < nfds; i++)
		(void)close(fds[i]);
	free(p);
	buf_free(&b);
	/* after a failure the channel's state is unknown: its end */
	if (fd >= 0)
		close(fd);
	return rc;
}

/* launcher_host_start - see launcher.h */
int
launcher_host_start(const struct spawn_req *req, int *chan, char *why,
    size_t whylen)
{
	struct buf	b;
	int		rc = -1;

	*chan = -1;
	if (req->sandbox < 0 || req->sandbox >= SANDBOX_NPROFILES ||
	    !req->has_stdin) {
		why_set(why, whylen, "not a request for a long run");
		return -1;
	}
	buf_init(&b, 0);
	launcher_req_encode(req, &b);
	if (b.len > LAUNCHER_REQ_MAX) {
		why_set(why, whylen, "request of %zu bytes is too long",
		    b.len);
		goto out;
	}
	if ((*chan = channel_send(req->sandbox, &b, req->stdin_fd, why,
	    whylen)) >= 0)
		rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* launcher_host_end - see launcher.h */
int
launcher_host_end(int chan, int grace_ms, size_t capture_max,
    struct spawn_res *res, char *why, size_t whylen)
{
	char	*p = NULL;
	size_t	 len, nfds = 0, i;
	int	 fds[SPAWN_OUTPUTS_MAX], rc = -1;

	memset(res, 0, sizeof(*res));
	/* the keeper watches for this end of file, and ends the run */
	(void)shutdown(chan, SHUT_WR);
	if (recv_answer(chan, sizeof(struct wire_res) + 2 * capture_max,
	    clock_mono_ms() + grace_ms + ANSWER_SLACK_MS, &p, &len, fds,
	    &nfds) != 0)
		why_set(why, whylen, "no answer from the launcher: %s",
		    errno == ECONNRESET ? "it closed the connection" :
		    strerror(errno));
	else if (launcher_res_decode(p, len, fds, nfds, res, why,
	    whylen) == 0) {
		nfds = 0;
		rc = 0;
	}
	for (i = 0; i < nfds; i++)
		(void)close(fds[i]);
	free(p);
	close(chan);
	return rc;
}
