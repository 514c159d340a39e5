/*
 * control.c - the control socket: who may ask, and the answers
 *
 * One thread accepts; each connection gets a thread of its own, at
 * most CONTROL_CONNS at once (one more is answered "busy" at once and
 * closed).  A connection sends one request line and gets one JSON
 * answer; reading and writing each have CONTROL_TIMEOUT seconds, so a
 * client that sends nothing, or does not read, costs one thread for
 * that long and nothing else: the mail path never waits for it.
 *
 * SECURITY: the socket file's mode and group decide who may connect;
 * the peer's credentials (SO_PEERCRED, SO_PEERGROUPS) decide what it may
 * do: root and sluice's own user everything, members of control_group
 * the commands that change nothing, anybody else nothing.  Requests
 * are parsed strictly (ctlproto.c).
 * ERRORS: every refusal is an answer {"ok":false,"error":...}; a
 * failure of the socket itself is logged and the agent goes on.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/msglog.h"
#include "daemon/reload.h"
#include "engine/engine.h"
#include "lib/clock.h"
#include "lib/ctlproto.h"
#include "lib/json.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "milter/milter.h"
#include "rules/filter_state.h"
#include "smtp/smtp_server.h"

#define CONTROL_CONNS	8
#define CONTROL_TIMEOUT	5	/* seconds to send a request, to read
				   the answer */
#define ANSWER_MAX	(16 * 1024 * 1024)

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS	59
#endif

struct control_info	 control_info;

static struct config_holder	*current;
static int			 lfd = -1;
static int			 quiet;		/* quiesced */
static pthread_mutex_t		 conn_lock = PTHREAD_MUTEX_INITIALIZER;
static int			 nconn;

enum level { L_NONE, L_READ, L_CHANGE };

struct cmd {
	const char	*name;
	enum level	 need;
	int		 nargs;		/* positional arguments it takes */
	const char	*usage;
	void		(*run)(struct config *, const struct ctl_request *,
			    struct json *, struct buf *);
};

/* fail - the answer of a refused request */
static void
fail(struct json *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct json *j, const char *fmt, ...)
{
	va_list	ap;
	char	msg[600];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_reset(j->b);
	json_init(j, j->b);
	json_object(j, NULL);
	json_bool(j, "ok", 0);
	json_str(j, "error", msg);
}

/* wall_s - a monotonic deadline (ms) as Unix time, to the nearest
 * second: the same deadline gives the same figure each time */
static long long
wall_s(long long mono_ms)
{
	return (clock_wall_ms() + (mono_ms - clock_mono_ms()) + 500) / 1000;
}

/* state_name - what sluicectl filters calls the state */
static const char *
state_name(const struct fs_view *v)
{
	if (v->disabled)
		return "disabled";
	if (v->probing)
		return "half-open";
	if (v->off)
		return v->off_until_ms <= clock_mono_ms() ? "half-open" : "off";
	return "on";
}

/* errors_json - lines as an array of strings */
static void
errors_json(struct json *j, const char *key, const char *lines)
{
	const char	*nl;

	json_array(j, key);
	while (lines != NULL && *lines != '\0') {
		nl = strchr(lines, '\n');
		json_strn(j, NULL, lines, nl != NULL ? (size_t)(nl - lines) :
		    strlen(lines));
		lines = nl != NULL ? nl + 1 : lines + strlen(lines);
	}
	json_end(j);
}

/* reload_json - an outcome as member key */
static void
reload_json(struct json *j, const char *key, const struct reload_result *r)
{
	if (r->when == 0) {
		json_null(j, key);
		return;
	}
	json_object(j, key);
	json_int(j, "time", (long long)r->when);
	json_bool(j, "ok", r->ok);
	json_str(j, "trigger", r->trigger);
	json_int(j, "kept", r->kept);
	json_int(j, "new", r->fresh);
	errors_json(j, "errors", r->errors);
	json_end(j);
}

static void
cmd_status(struct config *cfg, const struct ctl_request *r, struct json *j,
    struct buf *text)
{
	struct reload_result	lr;
	time_t			loaded = control_info.loaded;
	int			reloads = control_info.reloads;
	struct engine_totals	t;
	time_t			now = time(NULL);
	size_t			i;
	int			v;

	(void)r;
	(void)text;
	engine_totals(&t);
	json_str(j, "version", SLUICE_VERSION);
	json_int(j, "master_pid", control_info.master);
	json_int(j, "agent_pid", getpid());
	json_int(j, "started", control_info.started);
	json_int(j, "uptime", now - control_info.started);
	json_str(j, "config", control_info.conf);
	reload_counts(&reloads, &loaded);
	json_int(j, "loaded", (long long)loaded);
	json_int(j, "reloads", reloads);
	reload_last(&lr);
	reload_json(j, "last_reload", &lr);
	reload_result_free(&lr);
	json_int(j, "filters", (long long)cfg->nfilters);
	json_int(j, "rules", (long long)cfg->nrules);
	json_array(j, "front_ends");
	if (cfg->milter_listen[0] != NULL) {
		json_object(j, NULL);
		json_str(j, "name", "milter");
		json_array(j, "listen");
		for (i = 0; cfg->milter_listen[i] != NULL; i++)
			json_str(j, NULL, cfg->milter_listen[i]);
		json_end(j);
		json_int(j, "connections", milter_sessions());
		json_end(j);
	}
	if (cfg->nsmtp > 0) {
		json_object(j, NULL);
		json_str(j, "name", "content filter");
		json_array(j, "listen");
		for (i = 0; i < cfg->nsmtp; i++)
			json_str(j, NULL, cfg->smtp[i].listen);
		json_end(j);
		json_int(j, "connections", smtp_server_sessions());
		json_end(j);
	}
	json_end(j);
	json_uint(j, "in_flight", t.in_flight);
	json_object(j, "messages");
	for (v = V_ACCEPT; v < V_ERROR; v++)
		json_uint(j, verdict_name(v), t.verdicts[v]);
	json_end(j);
}

/* filter_json - one filter of sluicectl filters, as member key (NULL
 * in an array) */
static void
filter_json(const struct filter *f, struct json *j, const char *key)
{
	struct fs_view	v;
	int		k;

	filter_state_view(f->state, &v);
	json_object(j, key);
	json_str(j, "name", f->name);
	json_str(j, "type", f->module == NULL ? "program" :
	    f->isolate ? "isolated module" : "module");
	json_str(j, "state", state_name(&v));
	if (v.off && !v.disabled)
		json_int(j, "off_until", wall_s(v.off_until_ms));
	else
		json_null(j, "off_until");
	json_int(j, "errors_in_row", v.errors);
	json_int(j, "error_threshold", f->error_threshold);
	json_uint(j, "runs", v.runs);
	json_object(j, "verdicts");
	for (k = V_CONTINUE; k < V_ERROR; k++)
		json_uint(j, verdict_name(k), v.verdicts[k]);
	json_end(j);
	json_object(j, "errors");
	for (k = 0; k < FE_COUNT; k++)
		json_uint(j, fs_error_name(k), v.errkind[k]);
	json_end(j);
	json_uint(j, "skipped", v.skipped);
	json_uint(j, "no_slot", v.no_slot);
	json_uint(j, "internal", v.internal);
	json_uint(j, "switched_off", v.switched_off);
	json_object(j, "instances");
	json_int(j, "busy", v.running);
	json_int(j, "max", f->instances);
	json_int(j, "waiting", v.waiting);
	json_end(j);
	json_object(j, "run_ms");
	if (v.runs > 0) {
		json_double(j, "mean", (double)v.sum_us / (double)v.runs / 1e3);
		json_double(j, "p50", (double)fs_percentile_us(&v, 50) / 1e3);
		json_double(j, "p95", (double)fs_percentile_us(&v, 95) / 1e3);
		json_double(j, "p99", (double)fs_percentile_us(&v, 99) / 1e3);
	}
	json_end(j);
	json_end(j);
}

static void
cmd_filters(struct config *cfg, const struct ctl_request *r,
    struct json *j, struct buf *text)
{
	size_t	i;

	(void)text;
	json_array(j, "filters");
	for (i = 0; i < cfg->nfilters; i++)
		if (r->narg == 0 || strcmp(r->arg[0], cfg->filters[i].name) == 0)
			filter_json(&cfg->filters[i], j, NULL);
	json_end(j);
}

/* named - the filter the request names, or NULL after a refusal */
static struct filter *
named(struct config *cfg, const struct ctl_request *r, struct json *j)
{
	struct filter	*f;

	if ((f = config_find_filter(cfg, r->arg[0])) == NULL)
		fail(j, "no filter \"%s\" in the running configuration",
		    r->arg[0]);
	return f;
}

static void
cmd_switch(struct config *cfg, const struct ctl_request *r,
    struct json *j, struct buf *text)
{
	struct filter	*f;
	int		 off = strcmp(r->cmd, "disable") == 0;

	(void)text;
	if ((f = named(cfg, r, j)) == NULL)
		return;
	filter_state_disable(f->state, off);
	log_info("control: filter=%s %s by the operator", f->name,
	    off ? "switched off" : "switched on");
	filter_json(f, j, "filter");
}

static void
cmd_reset(struct config *cfg, const struct ctl_request *r,
    struct json *j, struct buf *text)
{
	struct filter	*f;

	(void)text;
	if ((f = named(cfg, r, j)) == NULL)
		return;
	filter_state_reset(f->state);
	log_info("control: filter=%s breaker reset by the operator", f->name);
	filter_json(f, j, "filter");
}

/* cmd_reload - ask the master, wait for the outcome */
static void
cmd_reload(struct config *cfg, const struct ctl_request *r,
    struct json *j, struct buf *text)
{
	struct reload_result	res;
	struct config		*now;
	char			why[300];

	(void)r;
	(void)text;
	(void)cfg;
	if (reload_request(&res, why, sizeof(why)) != 0) {
		fail(j, "reload: %s", why);
		return;
	}
	if (!res.ok) {
		fail(j, "the configuration was not loaded; the running "
		    "configuration stays");
		reload_json(j, "reload", &res);
	} else {
		now = config_holder_get(current);
		reload_json(j, "reload", &res);
		json_str(j, "config", control_info.conf);
		json_int(j, "filters", (long long)now->nfilters);
		json_int(j, "rules", (long long)now->nrules);
		config_unref(&now);
	}
	reload_result_free(&res);
}

/*
 * parse_since - since= as Unix time: seconds since the epoch; N
 * followed by s, m, h or d, that long ago; or a local date and time
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" (or with a space); -1 if none
 */
static long long
parse_since(const char *s)
{
	static const char *const	 fmts[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
		"%Y-%m-%d %H:%M", "%Y-%m-%d"
	};
	struct tm			 tm;
	const char			*end;
	char				*e;
	long long			 v;
	size_t				 i;

	if (s[0] >= '0' && s[0] <= '9') {
		v = strtoll(s, &e, 10);
		if (*e == '\0' && v >= 0)
			return v;
		if (e[1] == '\0' && v >= 0 && v < 100000000) {
			switch (*e) {
			case 's': return clock_wall_s() - v;
			case 'm': return clock_wall_s() - v * 60;
			case 'h': return clock_wall_s() - v * 3600;
			case 'd': return clock_wall_s() - v * 86400;
			}
		}
	}
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_isdst = -1;
		if ((end = strptime(s, fmts[i], &tm)) != NULL && *end == '\0')
			return (long long)mktime(&tm);
	}
	return -1;
}

/* cmd_log - rows of the message log */
static void
cmd_log(struct config *cfg, const struct ctl_request *r, struct json *j,
    struct buf *text)
{
	struct msglog_query	 q = { 0 };
	const char		*v;
	char			*e, why[300];

	(void)cfg;
	(void)text;
	q.limit = 100;
	if ((v = ctl_opt(r, "since")) != NULL &&
	    (q.since = parse_since(v)) < 0) {
		fail(j, "since=%s: not a time (seconds since the epoch, 30m, "
		    "2h, 7d, or YYYY-MM-DD[THH:MM[:SS]])", v);
		return;
	}
	if ((v = ctl_opt(r, "verdict")) != NULL &&
	    (verdict_parse(v) < 0 || verdict_parse(v) == V_CONTINUE)) {
		fail(j, "verdict=%s: not one of accept, reject, tempfail, "
		    "discard and quarantine", v);
		return;
	}
	q.verdict = v != NULL ? verdict_name(verdict_parse(v)) : NULL;
	q.sender = ctl_opt(r, "sender");
	q.recipient = ctl_opt(r, "recipient");
	if ((v = ctl_opt(r, "limit")) != NULL) {
		q.limit = strtol(v, &e, 10);
		if (*v == '\0' || *e != '\0' || q.limit < 1 ||
		    q.limit > 100000) {
			fail(j, "limit=%s: not a number from 1 to 100000", v);
			return;
		}
	}
	if (msglog_rows(&q, j, why, sizeof(why)) != 0)
		fail(j, "log: %s", why);
}

static void
cmd_metrics(struct config *cfg, const struct ctl_request *r,
    struct json *j, struct buf *text)
{
	(void)r;
	(void)j;
	control_metrics(cfg, text);
}

static const struct cmd	cmds[] = {
	{ "status", L_READ, 0, "status", cmd_status },
	{ "filters", L_READ, -1, "filters [NAME]", cmd_filters },
	{ "metrics", L_READ, 0, "metrics", cmd_metrics },
	{ "enable", L_CHANGE, 1, "enable NAME", cmd_switch },
	{ "disable", L_CHANGE, 1, "disable NAME", cmd_switch },
	{ "reset", L_CHANGE, 1, "reset NAME", cmd_reset },
	{ "reload", L_CHANGE, 0, "reload", cmd_reload },
	{ "log", L_READ, 0, "log [since=T] [verdict=V] [sender=RE] "
	    "[recipient=RE] [limit=N]", cmd_log },
};

/* peer_level - what the peer of fd may do, and who it is in *who */
static enum level
peer_level(int fd, struct config *cfg, char *who, size_t wholen)
{
	struct ucred	 uc;
	socklen_t	 len = sizeof(uc);
	gid_t		*groups;
	enum level	 lv = L_NONE;
	size_t		 i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0) {
		snprintf(who, wholen, "unknown peer");
		return L_NONE;
	}
	snprintf(who, wholen, "uid %ld pid %ld", (long)uc.uid, (long)uc.pid);
	if (uc.uid == 0 || uc.uid == cfg->uid || uc.uid == geteuid())
		return L_CHANGE;
	if (cfg->control_group == NULL)
		return L_NONE;
	if (uc.gid == cfg->control_gid)
		return L_READ;
	/* the supplementary groups: up to NGROUPS_MAX, too many for the
	 * thread's stack */
	groups = xcalloc(NGROUPS_MAX + 1, sizeof(*groups));
	len = (socklen_t)((NGROUPS_MAX + 1) * sizeof(*groups));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		for (i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == cfg->control_gid)
				lv = L_READ;
	free(groups);
	return lv;
}

/* unknown_opt - an option no command takes */
static int
unknown_opt(const struct ctl_request *r)
{
	static const char *const	known[] = {
		"since", "verdict", "sender", "recipient", "limit"
	};
	size_t				i, k;

	for (i = 0; i < r->nopt; i++) {
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(r->opt[i].key, known[k]) == 0)
				break;
		if (k == sizeof(known) / sizeof(known[0]))
			return 1;
	}
	return 0;
}

/* answer - the JSON answer to one request line */
static void
answer(int fd, const char *line, size_t len, struct buf *out)
{
	struct ctl_request	*r;
	const struct cmd	*c = NULL;
	struct config		*cfg;
	struct json		 j;
	struct buf		 text;
	enum level		 lv;
	char			 why[200], who[80];
	size_t			 i;

	r = xcalloc(1, sizeof(*r));
	buf_init(&text, ANSWER_MAX);
	json_init(&j, out);
	json_object(&j, NULL);
	json_bool(&j, "ok", 1);
	cfg = config_holder_get(current);
	lv = peer_level(fd, cfg, who, sizeof(who));
	if (lv == L_NONE) {
		fail(&j, "permission denied: %s is not root, not %s and not "
		    "in %s", who, cfg->user, cfg->control_group != NULL ?
		    cfg->control_group : "a control_group (none is set)");
		log_warnx("control: %s refused: no permission", who);
		goto done;
	}
	if (ctl_parse(line, len, r, why, sizeof(why)) != 0) {
		fail(&j, "malformed request: %s", why);
		goto done;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, r->cmd) == 0)
			c = &cmds[i];
	if (c == NULL) {
		fail(&j, "unknown command \"%s\"; the commands are status, "
		    "filters, metrics, log, enable, disable, reset and reload", r->cmd);
		goto done;
	}
	if ((c->nargs >= 0 && r->narg != (size_t)c->nargs) ||
	    (c->nargs < 0 && r->narg > 1) ||
	    (r->nopt > 0 && c->run != cmd_log) || unknown_opt(r)) {
		fail(&j, "usage: %s", c->usage);
		goto done;
	}
	if (lv < c->need) {
		fail(&j, "permission denied: %s may only look (%s changes "
		    "things: root or %s only)", who, c->name, cfg->user);
		log_warnx("control: %s refused: %s needs root or %s", who,
		    c->name, cfg->user);
		goto done;
	}
	c->run(cfg, r, &j, &text);
	if (j.depth == 0) {
		/* a refusal replaced the answer */
	} else if (text.len > 0)
		json_strn(&j, "text", text.data, text.len);
done:
	if (j.depth > 0)
		json_end(&j);
	if (json_done(&j) != 0) {
		buf_reset(out);
		json_init(&j, out);
		json_object(&j, NULL);
		json_bool(&j, "ok", 0);
		json_str(&j, "error", "the answer is too large");
		json_end(&j);
	}
	(void)buf_appendc(out, '\n');
	config_unref(&cfg);
	buf_free(&text);
	free(r);
}

/*
 * linger_close - close after the answer.  Whatever the client sent
 * beyond what was read (an oversized request) is read and dropped
 * first, for at most a second: closing with unread data resets the
 * connection, and the client might lose the answer with it.
 */
static void
linger_close(int fd)
{
	struct timeval	tv = { 1, 0 };
	char		sink[4096];
	size_t		total = 0;
	ssize_t		n;

	(void)shutdown(fd, SHUT_WR);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (total < 1024 * 1024 &&
	    (n = read(fd, sink, sizeof(sink))) > 0)
		total += (size_t)n;
	close(fd);
}

/* serve - one connection: a request line, the answer, close */
static void *
serve(void *arg)
{
	struct timeval	 tv = { CONTROL_TIMEOUT, 0 };
	struct buf	 out;
	char		*line, *nl = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd = (int)(intptr_t)arg;

	line = xmalloc(CTL_REQUEST_MAX + 1);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < CTL_REQUEST_MAX &&
	    (n = read(fd, line + got, CTL_REQUEST_MAX - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		nl = memchr(line + got, '\n', (size_t)n);
		got += (size_t)n;
		if (nl != NULL)
			break;
	}
	buf_init(&out, 0);
	if (nl != NULL)
		answer(fd, line, (size_t)(nl - line), &out);
	else
		(void)buf_appendf(&out, "{\"ok\":false,\"error\":\"%s\"}\n",
		    got >= CTL_REQUEST_MAX ? "malformed request: no newline "
		    "within 4096 bytes" : got > 0 ? "malformed request: no "
		    "newline at its end" : "no request");
	(void)io_send_all(fd, out.data, out.len, CONTROL_TIMEOUT * 1000);
	buf_free(&out);
	free(line);
	linger_close(fd);
	pthread_mutex_lock(&conn_lock);
	nconn--;
	pthread_mutex_unlock(&conn_lock);
	return NULL;
}

/* busy - too many at once: say so without waiting for the client */
static void
busy(int fd)
{
	static const char	msg[] = "{\"ok\":false,\"error\":\"busy: "
	    "too many control connections; try again\"}\n";

	char			sink[4096];

	/* a first short write on a new connection does not wait */
	(void)io_send_all(fd, msg, sizeof(msg) - 1, 0);
	(void)shutdown(fd, SHUT_WR);
	/* what already came of the request, so that close does not reset
	 * the connection under the answer; never waits */
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

/* acceptor - the control socket's thread */
static void *
acceptor(void *arg)
{
	struct pollfd	 pfd = { .fd = lfd, .events = POLLIN };
	pthread_attr_t	 attr;
	pthread_t	 t;
	int		 fd, full, quiet_now, warned = 0;

	(void)arg;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		__atomic_load(&quiet, &quiet_now, __ATOMIC_ACQUIRE);
		if (quiet_now)
			break;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED) {
				if (!warned++)
					log_warn("control: accept");
				/* out of descriptors: do not spin */
				poll(NULL, 0, 100);
			}
			continue;
		}
		warned = 0;
		pthread_mutex_lock(&conn_lock);
		if ((full = nconn >= CONTROL_CONNS) == 0)
			nconn++;
		pthread_mutex_unlock(&conn_lock);
		if (full) {
			busy(fd);
			continue;
		}
		if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0) {
			busy(fd);
			pthread_mutex_lock(&conn_lock);
			nconn--;
			pthread_mutex_unlock(&conn_lock);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

int
control_start(int fd, struct config_holder *cur, char *why, size_t whylen)
{
	pthread_t	t;

	current = cur;
	lfd = fd;
	if (pthread_create(&t, NULL, acceptor, NULL) != 0) {
		return why_set(why, whylen, "control socket: cannot start a "
		    "thread");
	}
	pthread_detach(t);
	return 0;
}

void
control_quiesce(void)
{
	int	one = 1;

	__atomic_store(&quiet, &one, __ATOMIC_RELEASE);
}

/* label - a Prometheus label value, escaped */
static void
label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\\' || *s == '"')
			(void)buf_appendf(b, "\\%c", *s);
		else if (*s == '\n')
			(void)buf_append(b, "\\n", 2);
		else
			(void)buf_appendc(b, *s);
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	(void)buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* sample - name{filter="...",key="val"} n, either label optional */
static void
sample(struct buf *b, const char *name, const char *filter,
    const char *key, const char *val, unsigned long long n)
{
	(void)buf_appendf(b, "%s{", name);
	if (filter != NULL) {
		(void)buf_append(b, "filter=\"", 8);
		label(b, filter);
		(void)buf_appendc(b, '"');
	}
	if (key != NULL) {
		(void)buf_appendf(b, "%s%s=\"", filter != NULL ? "," : "", key);
		label(b, val);
		(void)buf_appendc(b, '"');
	}
	(void)buf_appendf(b, "} %llu\n", n);
}

void
control_metrics(struct config *cfg, struct buf *b)
{
	static const int	 le_ms[FS_NBUCKETS] = FS_BUCKETS_MS;
	struct engine_totals	 t;
	struct fs_view		*v;
	uint64_t		 cum;
	unsigned long long	 mw, ml;
	size_t			 i;
	int			 k;

	engine_totals(&t);
	v = xcalloc(cfg->nfilters + 1, sizeof(*v));
	for (i = 0; i < cfg->nfilters; i++)
		filter_state_view(cfg->filters[i].state, &v[i]);

	family(b, "sluice_messages_total", "counter",
	    "Messages judged, by final verdict.");
	for (k = V_ACCEPT; k < V_ERROR; k++)
		sample(b, "sluice_messages_total", NULL, "verdict",
		    verdict_name(k), t.verdicts[k]);
	family(b, "sluice_messages_in_flight", "gauge",
	    "Messages being judged now.");
	(void)buf_appendf(b, "sluice_messages_in_flight %llu\n",
	    (unsigned long long)t.in_flight);
	family(b, "sluice_connections", "gauge",
	    "Open connections, by front end.");
	sample(b, "sluice_connections", NULL, "front_end", "milter",
	    cfg->milter_listen[0] != NULL ? (unsigned)milter_sessions() : 0);
	sample(b, "sluice_connections", NULL, "front_end", "content_filter",
	    (unsigned)smtp_server_sessions());
	family(b, "sluice_start_time_seconds", "gauge",
	    "When sluiced started, in seconds since the epoch.");
	(void)buf_appendf(b, "sluice_start_time_seconds %lld\n",
	    (long long)control_info.started);
	family(b, "sluice_config_load_time_seconds", "gauge",
	    "When the running configuration was read.");
	(void)buf_appendf(b, "sluice_config_load_time_seconds %lld\n",
	    (long long)control_info.loaded);

	msglog_stats(&mw, &ml);
	family(b, "sluice_message_log_rows_total", "counter",
	    "Rows the message log wrote, and lost (queue full, database "
	    "not usable).");
	sample(b, "sluice_message_log_rows_total", NULL, "result", "written",
	    mw);
	sample(b, "sluice_message_log_rows_total", NULL, "result", "lost",
	    ml);

	family(b, "sluice_filter_runs_total", "counter",
	    "Finished runs of a filter, errors included.");
	for (i = 0; i < cfg->nfilters; i++)
		sample(b, "sluice_filter_runs_total", cfg->filters[i].name,
		    NULL, NULL, v[i].runs);
	family(b, "sluice_filter_verdicts_total", "counter",
	    "Runs of a filter by the verdict it gave (error: it failed).");
	for (i = 0; i < cfg->nfilters; i++)
		for (k = V_CONTINUE; k < V_COUNT; k++)
			sample(b, "sluice_filter_verdicts_total",
			    cfg->filters[i].name, "verdict", verdict_name(k),
			    v[i].verdicts[k]);
	family(b, "sluice_filter_errors_total", "counter",
	    "Failed runs of a filter, by kind.");
	for (i = 0; i < cfg->nfilters; i++)
		for (k = 0; k < FE_COUNT; k++)
			sample(b, "sluice_filter_errors_total",
			    cfg->filters[i].name, "kind", fs_error_name(k),
			    v[i].errkind[k]);
	family(b, "sluice_filter_not_run_total", "counter",
	    "Messages a filter's rule chose but the filter did not run for.");
	for (i = 0; i < cfg->nfilters; i++) {
		sample(b, "sluice_filter_not_run_total", cfg->filters[i].name,
		    "reason", "off", v[i].skipped);
		sample(b, "sluice_filter_not_run_total", cfg->filters[i].name,
		    "reason", "no_instance", v[i].no_slot);
		sample(b, "sluice_filter_not_run_total", cfg->filters[i].name,
		    "reason", "internal", v[i].internal);
	}
	family(b, "sluice_filter_switched_off_total", "counter",
	    "Times a filter's errors switched it off.");
	for (i = 0; i < cfg->nfilters; i++)
		sample(b, "sluice_filter_switched_off_total",
		    cfg->filters[i].name, NULL, NULL, v[i].switched_off);
	family(b, "sluice_filter_up", "gauge",
	    "1 when a filter runs, 0 when it is switched off.");
	for (i = 0; i < cfg->nfilters; i++)
		sample(b, "sluice_filter_up", cfg->filters[i].name, NULL, NULL,
		    !v[i].off && !v[i].disabled);
	family(b, "sluice_filter_instances_busy", "gauge",
	    "Runs of a filter under way.");
	for (i = 0; i < cfg->nfilters; i++)
		sample(b, "sluice_filter_instances_busy", cfg->filters[i].name,
		    NULL, NULL, (unsigned)v[i].running);
	family(b, "sluice_filter_instances_waiting", "gauge",
	    "Messages waiting for an instance of a filter.");
	for (i = 0; i < cfg->nfilters; i++)
		sample(b, "sluice_filter_instances_waiting",
		    cfg->filters[i].name, NULL, NULL, (unsigned)v[i].waiting);
	family(b, "sluice_filter_run_seconds", "histogram",
	    "How long runs of a filter took.");
	for (i = 0; i < cfg->nfilters; i++) {
		cum = 0;
		for (k = 0; k < FS_NBUCKETS; k++) {
			cum += v[i].buckets[k];
			(void)buf_appendf(b, "%s",
			    "sluice_filter_run_seconds_bucket{filter=\"");
			label(b, cfg->filters[i].name);
			(void)buf_appendf(b, "\",le=\"%g\"} %llu\n",
			    le_ms[k] / 1000.0, (unsigned long long)cum);
		}
		(void)buf_appendf(b, "%s",
		    "sluice_filter_run_seconds_bucket{filter=\"");
		label(b, cfg->filters[i].name);
		(void)buf_appendf(b, "\",le=\"+Inf\"} %llu\n",
		    (unsigned long long)v[i].runs);
		(void)buf_appendf(b, "%s",
		    "sluice_filter_run_seconds_sum{filter=\"");
		label(b, cfg->filters[i].name);
		(void)buf_appendf(b, "\"} %.6f\n", (double)v[i].sum_us / 1e6);
		sample(b, "sluice_filter_run_seconds_count",
		    cfg->filters[i].name, NULL, NULL, v[i].runs);
	}
	free(v);
}
