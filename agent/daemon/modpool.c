/*
 * modpool.c - the agent's host processes for isolated modules
 *
 * A filter with isolate = true is not loaded in the agent.  Its calls go
 * to host processes ("sluiced -M MODULE", modhost.c) that the launcher
 * starts as the filter's user, under its sandbox profile and limits
 * (but no CPU time limit: a host lives for many messages; the filter's
 * timeout bounds each one).  A host serves one message at a time and
 * is kept for the next; a filter gets as many as it has messages at
 * once (its instances bound them).  A host is started when a message
 * finds none idle; its init runs there and then.
 *
 * A host that crashes, exits or does not answer within the filter's
 * timeout is ended (the launcher's keeper sends SIGTERM, SIGKILL after
 * kill_grace, and kills what it left) and logged with what it printed;
 * that message gets the filter's on_error, the next starts a new host.
 * An idle host found dead when a message is sent to it costs that
 * message nothing: it goes to a new one.
 *
 * SECURITY: the host runs module code with the filter's rights, not
 * the agent's; it gets a read-only descriptor of the one message, never
 * the spool.  Its answer is checked by engine_module.c like an
 * in-process module's.
 * ERRORS: a failure to start a host for a reason of ours (the launcher)
 * is -1, a tempfail; anything the host or the module did is 1, the
 * filter's error.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/launcher.h"
#include "daemon/modhost.h"
#include "daemon/modpool.h"
#include "engine/engine_module.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/why.h"
#include "lib/xmalloc.h"

#define INIT_WAIT_MS	120000	/* a module's init (a signature set) */
#define IDLE_MAX	64	/* idle hosts kept per filter */

struct host {
	int	sock;		/* the host's standard input */
	int	chan;		/* the launcher's channel of its run */
};

/* the hosts of one filter definition: a reload that keeps the
 * definition keeps them, one that changes it gets new ones */
struct pool {
	struct pool		*next;
	char			*name;
	uint64_t		 digest;
	int			 grace_ms;	/* to end the idle ones */
	size_t			 output_max;
	struct host		 idle[IDLE_MAX];
	size_t			 nidle;
};

static pthread_mutex_t	 pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pool	*pools;
static char		*self_exe;
static int		 switch_users;

/* pool_find - the pool of filter f's definition, or NULL; pool_mu
 * held */
static struct pool *
pool_find(const struct filter *f)
{
	struct pool	*p;

	for (p = pools; p != NULL; p = p->next)
		if (p->digest == f->digest && strcmp(p->name, f->name) == 0)
			return p;
	return NULL;
}

/* pool_of - the pool of filter f (made on first use); pool_mu held */
static struct pool *
pool_of(const struct filter *f)
{
	struct pool	*p;

	if ((p = pool_find(f)) != NULL)
		return p;
	p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(f->name);
	p->digest = f->digest;
	p->grace_ms = f->grace_ms;
	p->output_max = f->output_max;
	p->next = pools;
	pools = p;
	return p;
}

/* log_lines - what a host printed, a line each */
static void
log_lines(const char *qid, const char *filter, const char *what,
    const char *p, size_t len)
{
	const char	*lf;
	size_t		 l;
	int		 n = 0;

	while (len > 0 && n < 20) {
		lf = memchr(p, '\n', len);
		l = lf != NULL ? (size_t)(lf - p) : len;
		if (l > 0) {
			log_info("%s: filter=%s module host %s: %.*s", qid,
			    filter, what, (int)l, p);
			n++;
		}
		if (lf == NULL)
			break;
		len -= l + 1;
		p += l + 1;
	}
}

/* host_end - end a host (if it still runs) and say how it ended, into
 * how; its output goes to the log */
static void
host_end(struct host *h, const struct filter *f, const char *qid,
    char *how, size_t howlen)
{
	struct spawn_res	res;
	char			why[200];

	close(h->sock);
	h->sock = -1;
	if (launcher_host_end(h->chan, f->grace_ms, f->output_max, &res, why,
	    sizeof(why)) != 0) {
		why_set(how, howlen, "its end is unknown: %s", why);
		return;
	}
	spawn_describe(&res, how, howlen);
	log_lines(qid, f->name, "stdout", res.out, res.outlen);
	log_lines(qid, f->name, "stderr", res.err, res.errlen);
	spawn_res_free(&res);
}

/* settings_frame - MH_INIT's payload */
static void
settings_frame(const struct filter *f, struct buf *b)
{
	uint32_t	n = (uint32_t)f->nsettings;
	size_t		i;

	buf_append(b, &n, sizeof(n));
	for (i = 0; i < f->nsettings; i++) {
		buf_append(b, f->settings[i].name,
		    strlen(f->settings[i].name) + 1);
		buf_append(b, f->settings[i].value,
		    strlen(f->settings[i].value) + 1);
	}
}

/* host_start - a new host for f, its init done; 0, 1 (the module's or
 * the host's failure, why) or -1 (ours, why) */
static int
host_start(const struct filter *f, const char *qid, struct host *h,
    char *why, size_t whylen)
{
	static char	 path[] = "PATH=/usr/bin:/bin", opt[] = "-M";
	char		*envp[] = { path, NULL };
	char		*argv[4], *p = NULL, how[200];
	struct spawn_req req;
	struct buf	 b;
	uint32_t	 type;
	size_t		 len;
	int		 sv[2], fd, rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		why_set(why, whylen, "socketpair: %s", strerror(errno));
		return -1;
	}
	argv[0] = self_exe;
	argv[1] = opt;
	argv[2] = f->module;
	argv[3] = NULL;
	memset(&req, 0, sizeof(req));
	req.argv = argv;
	req.envp = envp;
	req.cwd = "/";
	req.limits = f->limits;
	req.limits.cpu = 0;
	req.grace_ms = f->grace_ms;
	req.capture_max = f->output_max;
	req.sandbox = f->sandbox;
	req.uid = SPAWN_SELF;
	if (switch_users) {
		req.uid = f->uid;
		req.gid = f->gid;
	} else
		req.limits.nproc = 0;
	req.has_stdin = 1;
	req.stdin_fd = sv[1];
	rc = launcher_host_start(&req, &h->chan, why, whylen);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		return -1;
	}
	h->sock = sv[0];
	buf_init(&b, 0);
	settings_frame(f, &b);
	rc = mh_send(h->sock, MH_INIT, b.data, b.len, -1);
	buf_free(&b);
	if (rc == 0 && mh_recv(h->sock, clock_mono_ms() + INIT_WAIT_MS,
	    &type, &p, &len, &fd) == 0) {
		if (fd >= 0)
			close(fd);
		if (type == MH_READY) {
			free(p);
			return 0;
		}
		if (type == MH_REFUSED) {
			why_set(why, whylen, "its module host could not load "
			    "it: %s", p);
			free(p);
			host_end(h, f, qid, how, sizeof(how));
			return 1;
		}
	}
	free(p);
	rc = errno;
	host_end(h, f, qid, how, sizeof(how));
	why_set(why, whylen, "its module host did not start: %s (%s)",
	    rc == ETIMEDOUT ? "no answer to its settings" : strerror(rc),
	    how);
	return 1;
}

/* msg_frame - MH_MSG's payload */
static void
msg_frame(const struct sluice_message *m, struct buf *b)
{
	const char	*s[7];
	uint64_t	 size = m->size;
	uint32_t	 nrcpt = (uint32_t)m->nrecipients;
	uint32_t	 nhdr = (uint32_t)m->nheaders;
	size_t		 i;

	s[0] = m->queue_id;
	s[1] = m->sender;
	s[2] = m->client_addr;
	s[3] = m->client_name;
	s[4] = m->helo;
	s[5] = m->rule;
	s[6] = m->filter;
	buf_append(b, &size, sizeof(size));
	buf_append(b, &nrcpt, sizeof(nrcpt));
	buf_append(b, &nhdr, sizeof(nhdr));
	for (i = 0; i < 7; i++)
		buf_append(b, s[i], strlen(s[i]) + 1);
	for (i = 0; i < m->nrecipients; i++)
		buf_append(b, m->recipients[i], strlen(m->recipients[i]) + 1);
	for (i = 0; i < m->nheaders; i++) {
		buf_append(b, m->headers[i].name,
		    strlen(m->headers[i].name) + 1);
		buf_append(b, m->headers[i].value,
		    strlen(m->headers[i].value) + 1);
	}
}

/* take_result - MH_RESULT into ans; 0 or -1 (malformed) */
static int
take_result(const char *p, size_t len, struct module_answer *ans)
{
	int32_t	rv, ov;
	int64_t	us;
	size_t	hdr = sizeof(rv) + sizeof(ov) + sizeof(us);

	if (len < hdr)
		return -1;
	memcpy(&rv, p, sizeof(rv));
	memcpy(&ov, p + sizeof(rv), sizeof(ov));
	memcpy(&us, p + sizeof(rv) + sizeof(ov), sizeof(us));
	ans->rv = rv;
	ans->overflow = ov != 0;
	ans->elapsed_us = (long)us;
	ans->outlen = len - hdr;
	ans->out = xmemdup(p + hdr, ans->outlen + 1);
	ans->out[ans->outlen] = '\0';
	return 0;
}

/* modpool_run - the engine_module_host of the agent */
static int
modpool_run(const struct filter *f, const struct sluice_message *m,
    struct module_answer *ans, char *why, size_t whylen)
{
	struct pool	*pl;
	struct host	 h;
	struct buf	 b;
	char		*p = NULL, how[200];
	uint32_t	 type;
	size_t		 len;
	long long	 t0;
	int		 fd, rc, kept, err, tries;

	memset(ans, 0, sizeof(*ans));
	buf_init(&b, 0);
	msg_frame(m, &b);
	for (tries = 0;; tries++) {
		pthread_mutex_lock(&pool_mu);
		pl = pool_of(f);
		kept = pl->nidle > 0;
		if (kept)
			h = pl->idle[--pl->nidle];
		pthread_mutex_unlock(&pool_mu);
		if (!kept && (rc = host_start(f, m->queue_id, &h, why,
		    whylen)) != 0) {
			buf_free(&b);
			return rc;
		}
		if (mh_send(h.sock, MH_MSG, b.data, b.len, m->fd) == 0)
			break;
		/* a kept host that died while idle: not this message's */
		err = errno;
		host_end(&h, f, m->queue_id, how, sizeof(how));
		log_warnx("%s: filter=%s: an idle module host had ended (%s)",
		    m->queue_id, f->name, how);
		if (!kept || tries > 0) {
			why_set(why, whylen, "cannot reach its module host: "
			    "%s (%s)", strerror(err), how);
			buf_free(&b);
			return 1;
		}
	}
	buf_free(&b);
	t0 = clock_mono_ms();
	rc = mh_recv(h.sock, t0 + f->timeout_ms, &type, &p, &len, &fd);
	if (fd >= 0)
		close(fd);
	if (rc == 0 && type == MH_RESULT && take_result(p, len, ans) == 0) {
		free(p);
		pthread_mutex_lock(&pool_mu);
		/* back to its pool, unless a reload has pruned that */
		pl = pool_find(f);
		if (pl != NULL && pl->nidle < IDLE_MAX) {
			pl->idle[pl->nidle++] = h;
			h.sock = -1;
		}
		pthread_mutex_unlock(&pool_mu);
		if (h.sock >= 0)
			host_end(&h, f, m->queue_id, how, sizeof(how));
		return 0;
	}
	free(p);
	err = rc == 0 ? EPROTO : errno;
	ans->elapsed_us = (long)(clock_mono_ms() - t0) * 1000;
	host_end(&h, f, m->queue_id, how, sizeof(how));
	if (err == ETIMEDOUT)
		why_set(why, whylen, "timed out after %d ms; its module host "
		    "was ended (%s)", f->timeout_ms, how);
	else
		why_set(why, whylen, "its module host ended without an answer "
		    "(%s)", how);
	log_warnx("%s: filter=%s: %s; a new host starts for the next "
	    "message", m->queue_id, f->name, why);
	return err == ETIMEDOUT ? 2 : 1;
}

/* modpool_init - see modpool.h */
int
modpool_init(const struct config *c, char *why, size_t whylen)
{
	char	buf[4096];
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) < 0) {
		why_set(why, whylen, "cannot find sluiced's own program "
		    "(/proc/self/exe): %s", strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	free(self_exe);
	self_exe = xstrdup(buf);
	switch_users = c->switch_users;
	engine_module_host = modpool_run;
	return 0;
}

/* modpool_prune - see modpool.h */
void
modpool_prune(const struct config *c)
{
	struct pool	*p, **pp, *gone = NULL;
	struct filter	 f;
	size_t		 i;
	char		 how[200];

	pthread_mutex_lock(&pool_mu);
	for (pp = &pools; (p = *pp) != NULL;) {
		for (i = 0; i < c->nfilters; i++)
			if (c->filters[i].isolate &&
			    c->filters[i].digest == p->digest &&
			    strcmp(c->filters[i].name, p->name) == 0)
				break;
		if (i < c->nfilters) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		p->next = gone;
		gone = p;
	}
	pthread_mutex_unlock(&pool_mu);
	/* a host busy with a message of the old snapshot finds no pool
	 * when it is done and is ended then; the idle ones end now,
	 * outside the lock */
	while ((p = gone) != NULL) {
		gone = p->next;
		memset(&f, 0, sizeof(f));
		f.name = p->name;
		f.grace_ms = p->grace_ms;
		f.output_max = p->output_max;
		for (i = 0; i < p->nidle; i++) {
			host_end(&p->idle[i], &f, "reload", how, sizeof(how));
			log_info("modpool: filter=%s: a module host of the "
			    "previous configuration ended (%s)", p->name, how);
		}
		free(p->name);
		free(p);
	}
}
