/*
 * master.c - sluiced's master process
 *
 * Runs as root when started as root and never reads mail.  In order:
 * run directory and pid file (one sluiced per run directory), the spool
 * (made the sluice user's, mode 0700, and emptied of work directories a
 * crash left behind), the listening sockets, the launcher's control
 * socketpair; then it forks the launcher (while it is small and has no
 * threads) and the agent, and watches them.
 *
 * A child that dies is started again after a back-off (100 ms after a
 * long life, doubling up to 30 s while it keeps dying young), with a log
 * line.  When the agent dies, the work directories of the messages it
 * was handling are removed first: the MTA still has those messages.
 * SIGHUP or SIGUSR1, sluicectl reload (through the agent) and, with
 * watch_config, a changed config file load the configuration again; a
 * valid one is then loaded by the running agent, which swaps it in
 * keeping the state of the filters that did not change (reload.h).  No
 * process is restarted and no connection closed.  SIGTERM, SIGINT or SIGQUIT stops the agents (with SIGUSR1:
 * they take no new connection and let the open ones finish, up to a
 * limit), then the launcher, removes the unix sockets and the pid file,
 * and exits 0.  A second SIGTERM/SIGINT/SIGQUIT kills at once.  Other signals that would end a
 * process are logged and ignored; when the master dies all the same
 * (SIGKILL, a fault), its children stop by themselves (privsep.c).
 *
 * SECURITY: holds root only to open what the children need; the
 * children drop to the sluice user before they touch anything from
 * outside.  Signals are read through a signalfd, so no handler runs in
 * the middle of anything.
 * ERRORS: a problem at start (socket in use, spool not usable, another
 * sluiced) is fatal with a clear message; later ones are logged and
 * retried.
 */
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/agent.h"
#include "daemon/control.h"
#include "daemon/launcher.h"
#include "daemon/modcheck.h"
#include "daemon/privsep.h"
#include "daemon/reload.h"
#include "engine/spool.h"
#include "lib/caps.h"
#include "lib/clock.h"
#include "lib/file.h"
#include "lib/io.h"
#include "lib/listen.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define BACKOFF_MIN_MS		100
#define BACKOFF_FIRST_MS	250
#define BACKOFF_MAX_MS		30000
#define LONG_LIFE_MS		10000
#define AGENT_STOP_MS		70000	/* the agent drains for 60 s */
#define LAUNCHER_STOP_MS	5000
#define MAX_WAITING		16	/* reload requests at once */
#define WATCH_SETTLE_MS		300	/* a changed file: wait for more */

struct child {
	const char	*role;
	pid_t		 pid;
	long long	 started;
	long long	 restart_at;	/* 0 = none pending */
	int		 backoff;
};

static struct config	*cfg;
static struct listener	*ls;
static size_t		 nls;		/* milter sockets: ls[0..nls) */
static size_t		 nall;		/* then SMTP: ls[nls..nall) */
static struct listener	 cls = { .fd = -1 };	/* the control socket */
static struct listener	 mls = { .fd = -1 };	/* metrics_listen */
static int		 ctl[2] = { -1, -1 };
static int		 life[2] = { -1, -1 };	/* see privsep.c */
static pid_t		 master_pid;
static int		 sfd = -1, pidfd = -1;
static char		*pidpath;
static struct child	 launcher = { "launcher", 0, 0, 0, 0 };
static struct child	 agent = { "agent", 0, 0, 0, 0 };
/* the agent's channel (reload.h) and the reload it is loading */
static int		 achan = -1;
static struct config	*pending;
static long long	 pending_until;
static char		 pending_trigger[32];
static long long	 waiting[MAX_WAITING];	/* requests it answers */
static size_t		 nwaiting;
static long long	 queued[MAX_WAITING];	/* asked for meanwhile */
static size_t		 nqueued;
static int		 queued_any;
static char		 queued_trigger[32];
static struct reload_result last;		/* the last outcome */
/* watch_config */
static int		 ino = -1, ino_main = -1, ino_inc = -1;
static long long	 watch_due;
static const char	*conf_path;
static char *const	*conf_ov;

static void	send_result(long long);
static void	finish_reload(int, const char *, int, int);
static void	watch_setup(void);
static int		 stopping;
/* the users filters run as: those of the config sluiced started with,
 * which the launcher alone may become */
static struct launcher_user	*fusers;
static size_t			 nfusers;

/* filter_users - the distinct uid:gid of c's filters into *u */
static size_t
filter_users(const struct config *c, struct launcher_user **u)
{
	size_t	i, j, n = 0;

	*u = xcalloc(c->nfilters + 1, sizeof(**u));
	for (i = 0; i < c->nfilters; i++) {
		for (j = 0; j < n; j++)
			if ((*u)[j].uid == c->filters[i].uid &&
			    (*u)[j].gid == c->filters[i].gid)
				break;
		if (j == n) {
			(*u)[n].uid = c->filters[i].uid;
			(*u)[n].gid = c->filters[i].gid;
			n++;
		}
	}
	return n;
}

/* new_filter_user - the first filter of c whose user the launcher
 * cannot become, or NULL */
static const struct filter *
new_filter_user(const struct config *c)
{
	size_t	i, j;

	if (!c->switch_users)
		return NULL;
	for (i = 0; i < c->nfilters; i++) {
		for (j = 0; j < nfusers; j++)
			if (fusers[j].uid == c->filters[i].uid &&
			    fusers[j].gid == c->filters[i].gid)
				break;
		if (j == nfusers)
			return &c->filters[i];
	}
	return NULL;
}

/* pidfile_take - lock and write run_dir/sluiced.pid */
static void
pidfile_take(void)
{
	char	buf[32];
	ssize_t	n;

	xasprintf(&pidpath, "%s/sluiced.pid", cfg->run_dir);
	pidfd = open(pidpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (pidfd < 0)
		fatal("%s", pidpath);
	if (flock(pidfd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(pidfd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fatalx("another sluiced (pid %s) runs with run_dir %s",
		    buf[0] ? buf : "?", cfg->run_dir);
	}
}

/* pidfile_write - our pid, after detaching (the lock stays with the
 * open file, which the detached process inherits) */
static void
pidfile_write(void)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pidfd, 0) != 0 || pwrite(pidfd, buf, (size_t)n, 0) != n)
		fatal("%s", pidpath);
}

/* child_start - fork the launcher or an agent */
static void
child_start(struct child *c)
{
	sigset_t	all;
	size_t		i;
	pid_t		pid;
	char		why[300];
	int		ap[2] = { -1, -1 };

	if (c == &agent) {
		if (achan >= 0)
			close(achan);
		achan = -1;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    ap) != 0) {
			log_warn("master: socketpair for the agent");
			c->restart_at = clock_mono_ms() + BACKOFF_MAX_MS;
			return;
		}
	}
	pid = fork();
	if (pid < 0) {
		log_warn("master: fork for the %s", c->role);
		c->restart_at = clock_mono_ms() + BACKOFF_MAX_MS;
		if (ap[0] >= 0) {
			close(ap[0]);
			close(ap[1]);
		}
		return;
	}
	if (pid > 0) {
		c->pid = pid;
		c->started = clock_mono_ms();
		c->restart_at = 0;
		if (c == &agent) {
			close(ap[1]);
			achan = ap[0];
			/* what status shows of the reloads until the next */
			if (last.when != 0)
				send_result(0);
		}
		return;
	}
	if (achan >= 0)
		close(achan);
	privsep_child(c == &launcher ? "sluice-launcher" : "sluice-agent");
	close(sfd);
	if (ino >= 0)
		close(ino);
	close(pidfd);
	close(life[1]);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (c == &launcher) {
		for (i = 0; i < nall; i++)
			close(ls[i].fd);
		if (cls.fd >= 0)
			close(cls.fd);
		if (mls.fd >= 0)
			close(mls.fd);
		close(ctl[0]);
		/* the one child that keeps capabilities: to start each
		 * filter as its own user (caps.c) */
		if (geteuid() == 0 ? caps_become(cfg->user, cfg->uid,
		    cfg->gid, why, sizeof(why)) != 0 :
		    privsep_drop(cfg->user, cfg->uid, cfg->gid, why,
		    sizeof(why)) != 0)
			fatalx("launcher: %s", why);
		privsep_tie(master_pid, "launcher");
		launcher_main(ctl[1], life[0], cfg->spool_dir, fusers,
		    nfusers);
	}
	close(ctl[1]);
	close(ap[0]);
	agent_main(cfg, ls, nls, ls + nls, nall - nls, ctl[0], master_pid,
	    life[0], cls.fd, mls.fd, ap[1], conf_path, conf_ov);
}

/* describe - "exited with status 1", "killed by signal 9 (Killed)" */
static void
describe(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "ended (status 0x%x)", st);
}

/* child_died - log it and plan the restart */
static void
child_died(struct child *c, int st)
{
	long long	lived = clock_mono_ms() - c->started;
	char		how[100];
	int		n;

	c->pid = 0;
	describe(st, how, sizeof(how));
	if (stopping) {
		log_info("master: %s %s", c->role, how);
		return;
	}
	if (lived > LONG_LIFE_MS)
		c->backoff = BACKOFF_MIN_MS;
	else if (c->backoff < BACKOFF_FIRST_MS)
		c->backoff = BACKOFF_FIRST_MS;
	else if ((c->backoff *= 2) > BACKOFF_MAX_MS)
		c->backoff = BACKOFF_MAX_MS;
	c->restart_at = clock_mono_ms() + c->backoff;
	log_warnx("master: %s %s; restarting it in %d ms", c->role, how,
	    c->backoff);
	if (c == &agent && pending != NULL) {
		config_unref(&pending);
		finish_reload(0, "the agent ended while it loaded the new "
		    "configuration; the running configuration stays\n", 0, 0);
	}
	/* its messages are still with the MTA; their directories go */
	if (c == &agent && (n = spool_clean(cfg->spool_dir)) > 0)
		log_info("master: removed %d work director%s of messages the "
		    "agent was handling", n, n == 1 ? "y" : "ies");
}

/* reap - collect every child that ended */
static void
reap(void)
{
	pid_t	pid;
	int	st;
	char	how[100];

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == agent.pid) {
			(void)spool_run_forget(cfg->spool_dir, pid);
			child_died(&agent, st);
			continue;
		}
		if (pid == launcher.pid) {
			child_died(&launcher, st);
			continue;
		}
		describe(st, how, sizeof(how));
		log_info("master: process %ld %s", (long)pid, how);
	}
}

/*
 * socket_gid - the group the unix sockets get: as root socket_group's,
 * or user's own group; as another user socket_group's if it is one of
 * that user's groups (the kernel allows no other), else none: the
 * sockets keep the user's group
 */
static gid_t
socket_gid(void)
{
	gid_t	groups[NGROUPS_MAX + 1];
	int	i, n;

	if (geteuid() == 0)
		return cfg->socket_gid;
	if (cfg->socket_group == NULL)
		return (gid_t)-1;
	if (cfg->socket_gid == getegid())
		return cfg->socket_gid;
	n = getgroups(NGROUPS_MAX + 1, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == cfg->socket_gid)
			return cfg->socket_gid;
	fatalx("socket_group %s: sluiced runs as uid %ld, which is not in "
	    "that group and cannot give its sockets to it", cfg->socket_group,
	    (long)geteuid());
}

/* same_strv - two NULL-terminated lists hold the same strings */
static int
same_strv(char **a, char **b)
{
	for (; *a != NULL && *b != NULL; a++, b++)
		if (strcmp(*a, *b) != 0)
			return 0;
	return *a == NULL && *b == NULL;
}

/* same_smtp - the same content-filter sockets, in the same order */
static int
same_smtp(const struct config *a, const struct config *b)
{
	size_t	i;

	if (a->nsmtp != b->nsmtp)
		return 0;
	for (i = 0; i < a->nsmtp; i++)
		if (strcmp(a->smtp[i].listen, b->smtp[i].listen) != 0)
			return 0;
	return 1;
}

/* same_control - the same control socket, owner, group and mode */
static int
same_control(const struct config *a, const struct config *b)
{
	if ((a->control_path == NULL) != (b->control_path == NULL) ||
	    (a->control_path != NULL &&
	    strcmp(a->control_path, b->control_path) != 0))
		return 0;
	return a->control_uid == b->control_uid &&
	    a->control_gid == b->control_gid &&
	    a->control_mode == b->control_mode &&
	    (a->control_group == NULL) == (b->control_group == NULL);
}

/* control_open - bind the control socket and give it its owner */
static void
control_open(void)
{
	char	*spec, why[400];
	gid_t	 gid;

	if (cfg->control_path == NULL)
		return;
	/* as another user than root, only a group of that user's works */
	gid = geteuid() == 0 || cfg->control_group != NULL ?
	    cfg->control_gid : (gid_t)-1;
	xasprintf(&spec, "unix:%s", cfg->control_path);
	if (listen_open(spec, cfg->run_dir, 16, cfg->control_mode, gid, &cls,
	    why, sizeof(why)) != 0)
		fatalx("control_socket: %s", why);
	free(spec);
	if (cfg->control_uid != (uid_t)-1 &&
	    chown(cfg->control_path, cfg->control_uid, (gid_t)-1) != 0)
		fatal("control_owner: chown %s", cfg->control_path);
	log_info("master: control socket %s", cfg->control_path);
}

/* restart_only - what of n differs from the running config that takes
 * a restart, or NULL */
static const char *
restart_only(const struct config *n)
{
	if (strcmp(n->run_dir, cfg->run_dir) != 0)
		return "run_dir";
	if (strcmp(n->spool_dir, cfg->spool_dir) != 0)
		return "spool_dir";
	if (n->uid != cfg->uid || n->gid != cfg->gid)
		return "user";
	if (!same_strv(n->milter_listen, cfg->milter_listen))
		return "milter_listen";
	if (!same_smtp(n, cfg))
		return "smtp_listen";
	if (n->socket_mode != cfg->socket_mode)
		return "socket_mode";
	if (n->socket_gid != cfg->socket_gid)
		return "socket_group";
	if (!same_control(n, cfg))
		return "control_socket, control_owner, control_group or "
		    "control_mode";
	if (n->milter_timeout != cfg->milter_timeout)
		return "milter_timeout";
	if (strcmp(n->syslog_facility, cfg->syslog_facility) != 0)
		return "syslog_facility";
	if ((n->metrics_listen == NULL) != (cfg->metrics_listen == NULL) ||
	    (n->metrics_listen != NULL &&
	    strcmp(n->metrics_listen, cfg->metrics_listen) != 0))
		return "metrics_listen";
	if ((n->log_db == NULL) != (cfg->log_db == NULL) ||
	    (n->log_db != NULL && strcmp(n->log_db, cfg->log_db) != 0))
		return "log_db";
	return NULL;
}

/* send_result - the last outcome to the agent, for request req (0:
 * nobody asked over the socket) */
static void
send_result(long long req)
{
	char	head[128], *out;
	size_t	len;

	if (achan < 0)
		return;
	snprintf(head, sizeof(head), "result %lld %d %lld %s %d %d %d %lld",
	    req, last.ok, (long long)last.when, last.trigger, last.kept,
	    last.fresh, control_info.reloads, (long long)control_info.loaded);
	out = xmalloc(RELOAD_MSG_MAX);
	len = reload_format(out, RELOAD_MSG_MAX, head, last.errors);
	if (io_send_all(achan, out, len, 1000) != 0)
		log_warn("master: telling the agent how the reload went");
	free(out);
}

/* reload_start - forward */
static void	reload_start(const char *, const long long *, size_t);

/*
 * finish_reload - record an outcome, tell the agent (once for each
 * request it answers), then start what was asked for meanwhile
 */
static void
finish_reload(int ok, const char *errors, int kept, int fresh)
{
	long long	req[MAX_WAITING];
	size_t		i, n;

	reload_result_free(&last);
	last.ok = ok;
	last.when = time(NULL);
	snprintf(last.trigger, sizeof(last.trigger), "%s", pending_trigger);
	last.kept = kept;
	last.fresh = fresh;
	last.errors = errors != NULL ? xstrdup(errors) : NULL;
	if (nwaiting == 0)
		send_result(0);
	for (i = 0; i < nwaiting; i++)
		send_result(waiting[i]);
	nwaiting = 0;
	if (queued_any) {
		n = nqueued;
		memcpy(req, queued, n * sizeof(req[0]));
		queued_any = 0;
		nqueued = 0;
		reload_start(queued_trigger, req, n);
	}
}

/* errors_of - e's errors as lines, each logged too */
static char *
errors_of(const struct config_errors *e)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 0);
	for (i = 0; i < e->nwarn; i++)
		log_warnx("%s", e->warn[i]);
	for (i = 0; i < e->n; i++) {
		log_warnx("%s", e->msg[i]);
		(void)buf_appendf(&b, "%s\n", e->msg[i]);
	}
	return buf_steal(&b, NULL);
}

/* refuse - a reload that cannot be: why (lines) is logged and kept */
static void
refuse(char *why)
{
	log_warnx("master: reload of %s failed; the running configuration "
	    "stays", conf_path);
	finish_reload(0, why, 0, 0);
	free(why);
}

/*
 * reload_start - load and check the configuration as sluiced's start
 * does, then have the agent load it; trigger says what asked, req[]
 * the clients that wait for the outcome.  A file change that changed
 * nothing (the files hash the same) is dropped quietly.
 */
static void
reload_start(const char *trigger, const long long *req, size_t nreq)
{
	struct config_errors	 e = { 0 };
	struct config		*n;
	const struct filter	*f;
	const char		*what;
	char			 msg[64], *why;
	size_t			 i;

	if (pending != NULL) {
		/* one at a time: this one comes after */
		for (i = 0; i < nreq && nqueued < MAX_WAITING; i++)
			queued[nqueued++] = req[i];
		queued_any = 1;
		snprintf(queued_trigger, sizeof(queued_trigger), "%s", trigger);
		return;
	}
	snprintf(pending_trigger, sizeof(pending_trigger), "%s", trigger);
	for (nwaiting = 0; nwaiting < nreq && nwaiting < MAX_WAITING;
	    nwaiting++)
		waiting[nwaiting] = req[nwaiting];
	n = config_load(conf_path, conf_ov, &e);
	if (n != NULL && strcmp(trigger, "file") == 0 &&
	    n->digest == cfg->digest) {
		config_unref(&n);
		config_errors_free(&e);
		nwaiting = 0;
		return;
	}
	if (n != NULL && modcheck_run(n, &e) != 0)
		config_unref(&n);
	if (n == NULL) {
		why = errors_of(&e);
		config_errors_free(&e);
		refuse(why);
		return;
	}
	config_errors_free(&e);
	n->switch_users = cfg->switch_users;
	if ((f = new_filter_user(n)) != NULL) {
		xasprintf(&why, "%s:%d: filter \"%s\": user %s, group %s was not "
		    "a filter's user when sluiced started; that takes a "
		    "restart\n", f->file, f->line, f->name, f->user, f->group);
		log_warnx("%.*s", (int)strlen(why) - 1, why);
		config_unref(&n);
		refuse(why);
		return;
	}
	if ((what = restart_only(n)) != NULL) {
		xasprintf(&why, "%s: %s changes only with a restart\n",
		    conf_path, what);
		log_warnx("master: %.*s", (int)strlen(why) - 1, why);
		config_unref(&n);
		refuse(why);
		return;
	}
	if (agent.pid <= 0 || achan < 0) {
		/* no agent to tell: the next one starts with it */
		config_unref(&cfg);
		cfg = n;
		control_info.loaded = time(NULL);
		log_info("master: reloaded %s; the agent starts with it",
		    conf_path);
		finish_reload(1, NULL, 0, (int)cfg->nfilters);
		return;
	}
	snprintf(msg, sizeof(msg), "load %016" PRIx64, n->digest);
	if (io_send_all(achan, msg, strlen(msg), 1000) != 0) {
		xasprintf(&why, "cannot reach the agent: %s\n",
		    strerror(errno));
		config_unref(&n);
		refuse(why);
		return;
	}
	pending = n;
	pending_until = clock_mono_ms() + RELOAD_WAIT_MS - 10000;
}

/* loaded - the agent's answer to "load" */
static void
loaded(char *p)
{
	char	*nl = strchr(p, '\n'), *why;
	int	 ok, kept, fresh;

	if (pending == NULL)
		return;
	if (sscanf(p, "loaded %d %d %d", &ok, &kept, &fresh) != 3) {
		ok = 0;
		nl = NULL;
	}
	if (!ok) {
		config_unref(&pending);
		xasprintf(&why, "%s", nl != NULL && nl[1] != '\0' ? nl + 1 :
		    "the agent could not load it\n");
		log_warnx("master: the agent refused the new configuration: "
		    "%.*s", (int)strcspn(why, "\n"), why);
		refuse(why);
		return;
	}
	config_unref(&cfg);
	cfg = pending;
	pending = NULL;
	control_info.loaded = time(NULL);
	control_info.reloads++;
	log_info("master: reloaded %s (%zu filters, %d kept their state; "
	    "%zu rules, %zu address rules)", conf_path, cfg->nfilters, kept,
	    cfg->nrules, cfg->narules);
	watch_setup();
	finish_reload(1, NULL, kept, fresh);
}

/* agent_packet - one packet from the agent, or its end */
static void
agent_packet(void)
{
	char		*p;
	long long	 req;
	ssize_t		 n;

	p = xmalloc(RELOAD_MSG_MAX + 1);
	n = recv(achan, p, RELOAD_MSG_MAX, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* the agent is ending; reap() does the rest */
		close(achan);
		achan = -1;
	} else if (n > 0) {
		p[n] = '\0';
		if (sscanf(p, "reload %lld", &req) == 1 && req > 0) {
			log_info("master: reload asked for over the control "
			    "socket");
			reload_start("sluicectl", &req, 1);
		} else if (strncmp(p, "loaded ", 7) == 0)
			loaded(p);
		else
			log_warnx("master: an unknown packet from the agent");
	}
	free(p);
}

/*
 * watch_setup - with watch_config, watch the main file's directory and
 * include_dir (editors replace a file by renaming a new one onto it, so
 * the directories are watched, not the files)
 */
static void
watch_setup(void)
{
	char	*d;
	int	 mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
		    IN_CREATE | IN_DELETE | IN_ATTRIB;

	if (ino >= 0)
		close(ino);
	ino = ino_main = ino_inc = -1;
	if (!cfg->watch_config)
		return;
	if ((ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0) {
		log_warn("master: watch_config: inotify");
		return;
	}
	d = xstrdup(conf_path);
	if ((ino_main = inotify_add_watch(ino, dirname(d), (uint32_t)mask)) < 0)
		log_warn("master: watch_config: %s", conf_path);
	free(d);
	if ((ino_inc = inotify_add_watch(ino, cfg->include_path,
	    (uint32_t)mask)) < 0 && errno != ENOENT)
		log_warn("master: watch_config: %s", cfg->include_path);
}

/* watch_event - the events waiting on ino: a config file changed? */
static void
watch_event(void)
{
	char				 buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ev;
	const char			*base;
	char				*d;
	ssize_t				 n;
	size_t				 off, l;
	int				 hit = 0;

	d = xstrdup(conf_path);
	base = basename(d);
	while ((n = read(ino, buf, sizeof(buf))) > 0)
		for (off = 0; off < (size_t)n; off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			if (ev->len == 0)
				continue;
			l = strlen(ev->name);
			if (ev->wd == ino_main && strcmp(ev->name, base) == 0)
				hit = 1;
			if (ev->wd == ino_inc && l > 5 && ev->name[0] != '.' &&
			    strcmp(ev->name + l - 5, ".conf") == 0)
				hit = 1;
		}
	free(d);
	if (hit)
		watch_due = clock_mono_ms() + WATCH_SETTLE_MS;
}

/* wait_for - reap until check() says done or ms pass */
static void
wait_for(int (*done)(void), long long ms)
{
	struct signalfd_siginfo	si;
	struct pollfd		pfd = { .fd = sfd, .events = POLLIN };
	long long		end = clock_mono_ms() + ms, left;

	reap();
	while (!done() && (left = end - clock_mono_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) > 0 &&
		    read(sfd, &si, sizeof(si)) == sizeof(si) &&
		    (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT ||
		    si.ssi_signo == SIGQUIT)) {
			log_warnx("master: second stop signal: killing");
			break;
		}
		reap();
	}
}

/* agents_gone, launcher_gone - for wait_for */
static int
agents_gone(void)
{
	return agent.pid == 0;
}

static int
launcher_gone(void)
{
	return launcher.pid == 0;
}

/* stop - agents first (they may need the launcher to finish), then the
 * launcher and its keepers */
static void
stop(void)
{
	size_t	i;

	stopping = 1;
	log_info("master: stopping");
	if (agent.pid > 0)
		(void)kill(agent.pid, SIGUSR1);
	wait_for(agents_gone, AGENT_STOP_MS);
	if (agent.pid > 0)
		(void)kill(agent.pid, SIGKILL);
	if (launcher.pid > 0)
		(void)kill(-launcher.pid, SIGTERM);
	wait_for(launcher_gone, LAUNCHER_STOP_MS);
	if (launcher.pid > 0)
		(void)kill(-launcher.pid, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	for (i = 0; i < nall; i++)
		listen_close(&ls[i], 1);
	if (cls.fd >= 0)
		listen_close(&cls, 1);
	if (mls.fd >= 0)
		listen_close(&mls, 1);
	(void)spool_clean(cfg->spool_dir);
	(void)unlink(pidpath);
	log_info("master: stopped");
}

/* the signals the master reads; the rest of those whose default is to
 * end a process are logged and ignored */
static const int	caught[] = {
	SIGCHLD, SIGHUP, SIGUSR1, SIGTERM, SIGINT, SIGQUIT,
	SIGUSR2, SIGALRM, SIGIO, SIGPWR, SIGPROF, SIGVTALRM, SIGSTKFLT,
	SIGXCPU, SIGXFSZ, SIGTRAP
};

/* master_main - see agent.h */
int
master_main(const char *conf, char *const *ov, struct config *c,
    int detach, int facility)
{
	struct signalfd_siginfo	 si;
	struct pollfd		 pfd[3];
	sigset_t		 set;
	long long		 t, next;
	size_t			 i;
	char			 why[400];
	gid_t			 gid;
	int			 n;

	cfg = c;
	conf_path = conf;
	conf_ov = ov;
	cfg->switch_users = geteuid() == 0;
	if (cfg->switch_users)
		nfusers = filter_users(cfg, &fusers);
	else
		log_warnx("master: not started as root: everything runs as "
		    "uid %ld, not as user %s, and every filter too",
		    (long)geteuid(), cfg->user);
	if (file_mkdirs(cfg->run_dir, 0755) != 0)
		fatal("run_dir %s", cfg->run_dir);
	pidfile_take();
	if (spool_prepare(cfg->spool_dir, cfg->uid, cfg->gid, why,
	    sizeof(why)) != 0)
		fatalx("%s", why);
	if ((n = spool_clean(cfg->spool_dir)) > 0)
		log_info("master: removed %d work director%s left by an "
		    "earlier run", n, n == 1 ? "y" : "ies");
	for (nls = 0; cfg->milter_listen[nls] != NULL; nls++)
		;
	nall = nls + cfg->nsmtp;
	ls = xcalloc(nall, sizeof(*ls));
	gid = socket_gid();
	for (i = 0; i < nls; i++) {
		if (listen_open(cfg->milter_listen[i], cfg->run_dir, SOMAXCONN,
		    cfg->socket_mode, gid, &ls[i], why, sizeof(why)) != 0)
			fatalx("milter_listen: %s", why);
		log_info("master: milter listening on %s", ls[i].spec);
	}
	for (i = nls; i < nall; i++) {
		if (listen_open(cfg->smtp[i - nls].listen, cfg->run_dir,
		    SOMAXCONN, cfg->socket_mode, gid, &ls[i], why,
		    sizeof(why)) != 0)
			fatalx("smtp_listen: %s", why);
		log_info("master: %s listening on %s, next hop %s",
		    cfg->smtp[i - nls].lmtp ? "LMTP" : "SMTP", ls[i].spec,
		    cfg->smtp[i - nls].next_hop);
	}
	control_open();
	if (cfg->metrics_listen != NULL) {
		if (listen_open(cfg->metrics_listen, cfg->run_dir, 16,
		    cfg->socket_mode, (gid_t)-1, &mls, why, sizeof(why)) != 0)
			fatalx("metrics_listen: %s", why);
		log_info("master: metrics on http://%s/metrics", mls.spec);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) != 0)
		fatal("socketpair");
	/* everything that can fail at start has been tried: detach now, so
	 * that those errors still reached the terminal */
	if (detach) {
		if (daemon(0, 0) != 0)
			fatal("daemon");
		log_init("sluiced", LOG_DEST_SYSLOG, facility);
	}
	pidfile_write();

	/*
	 * Every signal whose default action would end the master is read
	 * here instead, so none ends it by surprise; faults (SIGSEGV and
	 * the like) and SIGKILL still can, and then the children stop by
	 * themselves (privsep_tie, the lifeline).
	 */
	sigemptyset(&set);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaddset(&set, caught[i]);
	for (n = SIGRTMIN; n <= SIGRTMAX; n++)
		sigaddset(&set, n);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);
	master_pid = getpid();
	control_info.conf = conf;
	control_info.master = master_pid;
	control_info.started = control_info.loaded = time(NULL);
	if (pipe2(life, O_CLOEXEC) != 0)
		fatal("pipe");

	child_start(&launcher);
	child_start(&agent);
	log_info("master: sluiced started (master pid %ld, launcher %ld, "
	    "agent %ld, user %s)", (long)getpid(), (long)launcher.pid,
	    (long)agent.pid, cfg->user);

	watch_setup();
	while (!stopping) {
		next = -1;
		if (launcher.restart_at)
			next = launcher.restart_at;
		if (agent.restart_at && (next < 0 || agent.restart_at < next))
			next = agent.restart_at;
		if (watch_due && (next < 0 || watch_due < next))
			next = watch_due;
		if (pending != NULL && (next < 0 || pending_until < next))
			next = pending_until;
		t = next < 0 ? -1 : next - clock_mono_ms();
		pfd[0].fd = sfd;
		pfd[1].fd = achan;
		pfd[2].fd = ino;
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		(void)poll(pfd, 3, next < 0 ? -1 : t < 0 ? 0 : (int)t);
		if (pfd[1].revents != 0 && achan >= 0)
			agent_packet();
		if (pfd[2].revents != 0 && ino >= 0)
			watch_event();
		if ((pfd[0].revents & POLLIN) &&
		    read(sfd, &si, sizeof(si)) == sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGCHLD:
				reap();
				break;
			case SIGHUP:
			case SIGUSR1:
				reload_start("signal", NULL, 0);
				break;
			case SIGTERM:
			case SIGINT:
			case SIGQUIT:
				stop();
				break;
			default:
				log_warnx("master: ignoring signal %d (%s) from "
				    "pid %ld", (int)si.ssi_signo,
				    strsignal((int)si.ssi_signo),
				    (long)si.ssi_pid);
				break;
			}
		}
		if (stopping)
			break;
		t = clock_mono_ms();
		if (watch_due && watch_due <= t) {
			watch_due = 0;
			log_info("master: a configuration file changed; "
			    "reloading");
			reload_start("file", NULL, 0);
		}
		if (pending != NULL && pending_until <= t) {
			config_unref(&pending);
			finish_reload(0, "the agent did not answer in time; "
			    "the running configuration stays\n", 0, 0);
		}
		if (launcher.restart_at && launcher.restart_at <= t)
			child_start(&launcher);
		if (agent.restart_at && agent.restart_at <= t)
			child_start(&agent);
	}
	config_unref(&cfg);
	free(ls);
	free(pidpath);
	return 0;
}
