/*
 * NAME
 *	smtp_server.c - the SMTP/LMTP content-filter front end: accepting
 *
 * DESCRIPTION
 *	One thread accepts on every content-filter socket (opened by the
 *	master, kept across agent restarts); each connection gets a thread
 *	of its own running smtp_session(), with the snapshot that was
 *	current when it connected.  smtp_connections bounds the open
 *	connections (421 4.7.0 beyond).  At quiesce the acceptor stops and
 *	idle sessions end with 421 at their next command.
 *
 *	Out of descriptors (or memory, or threads), the acceptor does not
 *	spin on a backlog it cannot take: its accept_guard (see
 *	lib/accept_guard.h) answers the waiting client 421 through a
 *	spare descriptor, and the listening sockets are left out of
 *	poll() for a pause that grows from 10 ms to 1 s until a
 *	connection is served again.  The shortage is logged when it
 *	begins and when it ends.
 *
 * SECURITY
 *	Takes connections from anyone who can reach the sockets; what they
 *	send is smtp_session.c's to distrust.  Runs as the sluice user.
 *
 * ERRORS
 *	A connection it cannot serve (too many, no descriptor, no memory,
 *	no thread) gets a 421 and is closed; nothing here ends the process
 *	but a failing poll().
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/accept_guard.h"
#include "lib/io.h"
#include "lib/listen.h"
#include "lib/log.h"
#include "lib/why.h"
#include "smtp/smtp_int.h"
#include "smtp/smtp_server.h"

/* how long a turned-away client may take to read its 421 */
#define TURN_AWAY_MS	1000
/* what a client hears when the agent has no descriptor, memory or
 * thread for it */
#define NO_RESOURCES	"421 4.3.2 %.255s Service temporarily unavailable: " \
			"out of %s, try again later\r\n"

static struct {
	pthread_mutex_t		 lock;
	struct config_holder	*holder;
	const struct listener	*ls;
	size_t			 n;
	int			 wake[2];
	atomic_int		 quiesce;
	int			 sessions;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = { -1, -1 } };

/* quiescing - whether the agent is stopping */
static int
quiescing(void)
{
	return atomic_load(&srv.quiesce);
}

/* session_main - a connection's thread */
static void *
session_main(void *arg)
{
	struct sess	*s = arg;

	smtp_session(s);
	close(s->fd);
	config_unref(&s->cfg);
	free(s);
	pthread_mutex_lock(&srv.lock);
	srv.sessions--;
	pthread_mutex_unlock(&srv.lock);
	return NULL;
}

/* peer_name - the client's address as text */
static void
peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in	*in4 = (const void *)ss;
	const struct sockaddr_in6	*in6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &in4->sin_addr, buf, (socklen_t)len);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)len);
	else
		snprintf(buf, len, "unix");	/* a unix socket: no address */
}

/* turn_away - answer a connection we cannot serve, and close it */
static void
turn_away(int fd, const char *text)
{
	(void)io_send_all(fd, text, strlen(text), TURN_AWAY_MS);
	close(fd);
}

/* turn_away_short - the 421 for a connection we have no resource for;
 * what names it ("descriptors") */
static void
turn_away_short(int fd, const char *what)
{
	struct config	*cfg;
	char		 text[512];

	cfg = config_holder_get(srv.holder);
	snprintf(text, sizeof(text), NO_RESOURCES, cfg->smtp_hostname, what);
	config_unref(&cfg);
	turn_away(fd, text);
}

/* refuse_no_fd - accept_guard's refuse(): taken with the spare */
static void
refuse_no_fd(int fd, void *arg)
{
	turn_away_short(fd, "descriptors");
}

/* session_start - hand a connection to a thread of its own; 0, or -1
 * when it could not be (the client got a 421, fd is closed) */
static int
session_start(int fd, size_t i, const struct sockaddr_storage *ss,
    struct config *cfg, pthread_attr_t *attr, struct accept_guard *g)
{
	struct sess	*s;
	pthread_t	 t;
	int		 e;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		config_unref(&cfg);
		turn_away_short(fd, "memory");
		accept_guard_failed(g, "calloc", ENOMEM);
		return -1;
	}
	s->fd = fd;
	s->cfg = cfg;
	s->holder = srv.holder;
	s->li = i;
	s->lc = &cfg->smtp[i];
	s->quiesce = &srv.quiesce;
	peer_name(ss, s->peer, sizeof(s->peer));
	if ((e = pthread_create(&t, attr, session_main, s)) != 0) {
		config_unref(&s->cfg);
		free(s);
		turn_away_short(fd, "threads");
		accept_guard_failed(g, "pthread_create", e);
		return -1;
	}
	return 0;
}

/* acceptor - take connections on every socket until told to stop */
static void *
acceptor(void *arg)
{
	struct pollfd		 pfd[LISTEN_MAX + 1];
	struct sockaddr_storage	 ss;
	struct accept_guard	 guard;
	socklen_t		 sslen;
	struct config		*cfg;
	pthread_attr_t		 attr;
	size_t			 i;
	int			 fd, full, rest;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	accept_guard_init(&guard, "smtp");
	pfd[srv.n].fd = srv.wake[0];
	pfd[srv.n].events = POLLIN;
	for (;;) {
		/* pausing: poll() skips negative descriptors */
		rest = accept_guard_wait_ms(&guard);
		for (i = 0; i < srv.n; i++) {
			pfd[i].fd = rest > 0 ? -1 : srv.ls[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, srv.n + 1, rest > 0 ? rest : -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("smtp: poll");
		}
		if (pfd[srv.n].revents != 0 || quiescing())
			break;
		for (i = 0; i < srv.n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			sslen = sizeof(ss);
			fd = accept_guard_accept(&guard, srv.ls[i].fd,
			    (struct sockaddr *)&ss, &sslen, SOCK_CLOEXEC,
			    refuse_no_fd, NULL);
			if (fd < 0) {
				if (accept_guard_starved(errno))
					break;	/* pause every socket */
				continue;	/* gone already */
			}
			(void)listen_tune(fd, srv.ls[i].family);
			cfg = config_holder_get(srv.holder);
			pthread_mutex_lock(&srv.lock);
			full = srv.sessions >= cfg->smtp_connections;
			if (!full)
				srv.sessions++;
			pthread_mutex_unlock(&srv.lock);
			if (full) {
				log_warnx("smtp: %d connections: turning one "
				    "away (smtp_connections)",
				    cfg->smtp_connections);
				config_unref(&cfg);
				turn_away(fd, "421 4.7.0 Error: too many "
				    "connections, try again later\r\n");
				continue;
			}
			if (session_start(fd, i, &ss, cfg, &attr,
			    &guard) != 0) {
				pthread_mutex_lock(&srv.lock);
				srv.sessions--;
				pthread_mutex_unlock(&srv.lock);
				break;		/* pause every socket */
			}
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* smtp_server_start - the accepting thread */
int
smtp_server_start(struct config_holder *h, const struct listener *ls,
    size_t n, char *why, size_t whylen)
{
	pthread_t	t;

	if (n == 0)
		return 0;
	srv.holder = h;
	srv.ls = ls;
	srv.n = n;
	if (pipe2(srv.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		return why_set(why, whylen, "pipe: %s", strerror(errno));
	}
	if (pthread_create(&t, NULL, acceptor, NULL) != 0) {
		return why_set(why, whylen, "cannot start the SMTP thread");
	}
	pthread_detach(t);
	return 0;
}

/* smtp_server_quiesce - stop accepting; idle sessions end */
void
smtp_server_quiesce(void)
{
	atomic_store(&srv.quiesce, 1);
	if (srv.wake[1] >= 0 && write(srv.wake[1], "x", 1) < 0)
		log_debug("smtp: waking the acceptor: %m");
}

/* smtp_server_sessions - open connections */
int
smtp_server_sessions(void)
{
	int	n;

	pthread_mutex_lock(&srv.lock);
	n = srv.sessions;
	pthread_mutex_unlock(&srv.lock);
	return n;
}
