/*
 * reload.c - the agent's side of a hot reload (see reload.h)
 *
 * One thread reads the master's packets.  "load" runs here, on that
 * thread: the whole configuration again as the agent's user (its files
 * must be readable by it), the modules, the state carried over, the
 * swap.  "result" is kept for status and wakes the client that asked.
 *
 * SECURITY: the packets come from the master only (a socketpair).
 * ERRORS: a load that fails leaves the running snapshot alone and
 * reports why to the master, which logs it and keeps its own config.
 */
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/modpool.h"
#include "daemon/reload.h"
#include "engine/engine_module.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "rules/filter_state.h"

static struct config_holder	*current;
static const char		*conf_path;
static char *const		*conf_overrides;
static int			 chan = -1;

static pthread_mutex_t		 mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 cv;		/* on the monotonic clock */
static int			 reloads = -1;	/* the master's count, and */
static time_t			 loaded;	/* when it last loaded one */
static struct reload_result	 last;		/* mu */
static long long		 next_req;	/* mu */
/* the outcomes of requests, newest last; mu */
#define KEEP_RESULTS	8
static struct reload_result	 recent[KEEP_RESULTS];
static size_t			 nrecent;

size_t
reload_format(char *buf, size_t len, const char *head, const char *errors)
{
	size_t	n, e;

	n = (size_t)snprintf(buf, len, "%s\n", head);
	if (n >= len)
		return len - 1;
	if (errors == NULL)
		return n;
	e = strlen(errors);
	if (e > len - n - 1) {
		/* cut at a line, and say so */
		e = len - n - 64;
		while (e > 0 && errors[e - 1] != '\n')
			e--;
		memcpy(buf + n, errors, e);
		n += e;
		n += (size_t)snprintf(buf + n, len - n, "(more errors; see "
		    "the log)\n");
		return n;
	}
	memcpy(buf + n, errors, e);
	buf[n + e] = '\0';
	return n + e;
}

void
reload_carry(struct config *n, const struct config *old, int *kept,
    int *fresh)
{
	struct filter	*f, *o;
	size_t		 i;

	*kept = *fresh = 0;
	for (i = 0; i < n->nfilters; i++) {
		f = &n->filters[i];
		o = config_find_filter(old, f->name);
		if (o == NULL || o->digest != f->digest) {
			(*fresh)++;
			continue;
		}
		filter_state_free(&f->state);
		f->state = filter_state_ref(o->state);
		(*kept)++;
	}
}

void
reload_result_free(struct reload_result *r)
{
	free(r->errors);
	r->errors = NULL;
}

/* copy - a deep copy of *from */
static void
copy(struct reload_result *to, const struct reload_result *from)
{
	*to = *from;
	to->errors = from->errors != NULL ? xstrdup(from->errors) : NULL;
}

void
reload_counts(int *n, time_t *when)
{
	pthread_mutex_lock(&mu);
	if (reloads >= 0) {
		*n = reloads;
		*when = loaded;
	}
	pthread_mutex_unlock(&mu);
}

void
reload_last(struct reload_result *r)
{
	pthread_mutex_lock(&mu);
	copy(r, &last);
	pthread_mutex_unlock(&mu);
}

/* errors_text - the errors of e, a line each */
static char *
errors_text(const struct config_errors *e)
{
	struct buf	b;
	size_t		i;

	if (e->n == 0)
		return NULL;
	buf_init(&b, 0);
	for (i = 0; i < e->n; i++)
		(void)buf_appendf(&b, "%s\n", e->msg[i]);
	return buf_steal(&b, NULL);
}

/* load - the master's "load": returns the "loaded" packet's head and
 * the errors in *errs */
static void
load(uint64_t digest, char *head, size_t headlen, char **errs)
{
	struct config_errors	 e = { 0 };
	struct config		*n, *old;
	size_t			 i;
	int			 kept = 0, fresh = 0;

	*errs = NULL;
	old = config_holder_get(current);
	n = config_load(conf_path, conf_overrides, &e);
	for (i = 0; i < e.nwarn; i++)
		log_warnx("agent: %s", e.warn[i]);
	if (n != NULL && n->digest != digest) {
		config_errors_add(&e, "%s: the configuration files changed "
		    "while they were being loaded; reload again", conf_path);
		config_unref(&n);
	}
	if (n != NULL) {
		n->switch_users = old->switch_users;
		if (engine_modules_load(n, &e) != 0)
			config_unref(&n);
	}
	if (n == NULL) {
		if (e.n == 0)
			config_errors_add(&e, "%s: cannot be loaded", conf_path);
		*errs = errors_text(&e);
		snprintf(head, headlen, "loaded 0 0 0");
		config_errors_free(&e);
		config_unref(&old);
		return;
	}
	reload_carry(n, old, &kept, &fresh);
	log_set_debug(n->log_debug);
	config_unref(&old);
	config_holder_set(current, n);
	/* the snapshot may be needed by isolated hosts' pools no more */
	n = config_holder_get(current);
	modpool_prune(n);
	log_info("agent: configuration %s loaded: %zu filters (%d kept "
	    "their state, %d new), %zu rules", conf_path, n->nfilters, kept,
	    fresh, n->nrules);
	config_unref(&n);
	config_errors_free(&e);
	snprintf(head, headlen, "loaded 1 %d %d", kept, fresh);
}

/* take_result - a "result" packet */
static void
take_result(const char *p)
{
	struct reload_result	 r = { 0 };
	const char		*nl = strchr(p, '\n');
	long long		 when, when_loaded;
	int			 nreloads;

	if (sscanf(p, "result %lld %d %lld %31s %d %d %d %lld", &r.req, &r.ok,
	    &when, r.trigger, &r.kept, &r.fresh, &nreloads,
	    &when_loaded) != 8) {
		log_warnx("agent: a result from the master that does not "
		    "parse");
		return;
	}
	r.when = (time_t)when;
	if (nl != NULL && nl[1] != '\0')
		r.errors = xstrdup(nl + 1);
	pthread_mutex_lock(&mu);
	reloads = nreloads;
	loaded = (time_t)when_loaded;
	reload_result_free(&last);
	copy(&last, &r);
	if (r.req > 0) {
		if (nrecent == KEEP_RESULTS) {
			reload_result_free(&recent[0]);
			memmove(recent, recent + 1,
			    (KEEP_RESULTS - 1) * sizeof(recent[0]));
			nrecent--;
		}
		recent[nrecent++] = r;
		r.errors = NULL;
	}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	reload_result_free(&r);
}

/* link - the master's packets, until the master is gone */
static void *
link_thread(void *arg)
{
	char		*p, head[64], *errs, *out;
	uint64_t	 digest;
	ssize_t		 n;
	size_t		 len;

	(void)arg;
	p = xmalloc(RELOAD_MSG_MAX + 1);
	out = xmalloc(RELOAD_MSG_MAX);
	for (;;) {
		n = recv(chan, p, RELOAD_MSG_MAX, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p[n] = '\0';
		if (sscanf(p, "load %" SCNx64, &digest) == 1) {
			load(digest, head, sizeof(head), &errs);
			len = reload_format(out, RELOAD_MSG_MAX, head, errs);
			free(errs);
			if (io_send_all(chan, out, len, 5000) != 0)
				log_warn("agent: answering the master");
		} else if (strncmp(p, "result ", 7) == 0)
			take_result(p);
		else
			log_warnx("agent: an unknown packet from the master");
	}
	/* the lifeline ends the agent; nothing more to do here */
	free(p);
	free(out);
	return NULL;
}

int
reload_agent_start(int fd, struct config_holder *cur, const char *conf,
    char *const *ov, char *why, size_t whylen)
{
	pthread_condattr_t	ca;
	pthread_t		t;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);
	chan = fd;
	current = cur;
	conf_path = conf;
	conf_overrides = ov;
	if (pthread_create(&t, NULL, link_thread, NULL) != 0)
		return why_set(why, whylen, "reload: cannot start a thread");
	pthread_detach(t);
	return 0;
}

int
reload_request(struct reload_result *r, char *why, size_t whylen)
{
	struct timespec	 ts;
	char		 msg[64];
	long long	 req;
	size_t		 i;
	int		 rc = -1, n;

	pthread_mutex_lock(&mu);
	req = ++next_req;
	pthread_mutex_unlock(&mu);
	n = snprintf(msg, sizeof(msg), "reload %lld", req);
	if (chan < 0 || io_send_all(chan, msg, (size_t)n, 5000) != 0)
		return why_set(why, whylen, "cannot reach the master: %s",
		    chan < 0 ? "no channel" : strerror(errno));
	clock_mono_deadline(&ts, RELOAD_WAIT_MS);
	pthread_mutex_lock(&mu);
	for (;;) {
		for (i = 0; i < nrecent; i++)
			if (recent[i].req == req)
				break;
		if (i < nrecent) {
			*r = recent[i];
			memmove(recent + i, recent + i + 1,
			    (nrecent - i - 1) * sizeof(recent[0]));
			nrecent--;
			rc = 0;
			break;
		}
		if (pthread_cond_timedwait(&cv, &mu, &ts) == ETIMEDOUT) {
			why_set(why, whylen, "no outcome from the master "
			    "within %d s", RELOAD_WAIT_MS / 1000);
			break;
		}
	}
	pthread_mutex_unlock(&mu);
	return rc;
}
