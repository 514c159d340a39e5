/*
 * milter_mux.c - let libmilter serve every listening socket the master
 * opened
 *
 * libmilter opens one listening socket itself, from a "unix:" or "inet:"
 * string, and accepts on it in its own loop: it cannot take descriptors,
 * serve two sockets, or set TCP_NODELAY on what it accepts.  sluice
 * wants all three: the master opens the sockets while it is root and
 * keeps them across agent restarts (a connection waits in the backlog
 * instead of being refused), the default config listens on a unix socket
 * and on loopback TCP, and without TCP_NODELAY every message stalls twice
 * on delayed ACKs (see DESIGN.md).
 *
 * So milter.c lets libmilter open a throwaway unix socket, and then
 * milter_mux_install() puts an epoll descriptor, watching the real
 * listening sockets, in that socket's place (dup2 onto the same number).
 * libmilter's poll() on "its" descriptor then wakes up when any real
 * socket has a connection, and its accept() on it lands in accept()
 * below, which takes the connection from whichever socket has one, sets
 * TCP_NODELAY, and reports the address family libmilter expects (it
 * reads the client's address from the MTA, not from accept).  Every
 * other accept() in the process goes straight to the system call.
 *
 * Out of descriptors (or memory), libmilter's loop would spin: it takes
 * EMFILE, ENFILE, ENOMEM and ENOBUFS from accept() for "try again" and
 * polls at once, and the connection still waits in the backlog.  So
 * accept() goes through an accept_guard (lib/accept_guard.h): with its
 * spare descriptor it takes the waiting connection and closes it at
 * once (the MTA then applies its milter_default_action; the milter
 * protocol has no greeting to carry a 421), and it pauses, 10 ms growing
 * to 1 s, before it tries the sockets again.  The pause is a sleep in
 * libmilter's listener thread, which does nothing else: its poll cannot
 * be told to leave a descriptor out, and a stop only waits up to the
 * pause longer (the listener already polls in 5 s steps).
 *
 * SECURITY: no input is read here.  The listening sockets are
 * non-blocking, so a connection that vanishes between poll and accept
 * costs an EAGAIN, which libmilter treats as "try again".
 * ERRORS: milter_mux_install returns -1 with why; a shortage of
 * descriptors is logged by the guard when it begins and ends.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/accept_guard.h"
#include "lib/listen.h"
#include "lib/why.h"
#include "milter/milter.h"

#define MUX_MAX		LISTEN_MAX

static int	mux_fd = -1;
static int	lfd[MUX_MAX];
static int	lfamily[MUX_MAX];
static size_t	nlfd;
static size_t	next;		/* round robin: no socket starves */
static struct accept_guard guard;	/* used by libmilter's listener only */

/* milter_mux_install - serve ls through the descriptor number fd */
int
milter_mux_install(int fd, const struct listener *ls, size_t n, char *why,
    size_t whylen)
{
	struct epoll_event	ev;
	size_t			i;
	int			ep, fl;

	if (n == 0 || n > MUX_MAX) {
		why_set(why, whylen, "between 1 and %d milter sockets, not "
		    "%zu", MUX_MAX, n);
		return -1;
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		why_set(why, whylen, "epoll_create1: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.fd = ls[i].fd;
		if ((fl = fcntl(ls[i].fd, F_GETFL)) < 0 ||
		    fcntl(ls[i].fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, ls[i].fd, &ev) != 0) {
			why_set(why, whylen, "%s: %s", ls[i].spec,
			    strerror(errno));
			close(ep);
			return -1;
		}
		lfd[i] = ls[i].fd;
		lfamily[i] = ls[i].family;
	}
	if (dup3(ep, fd, O_CLOEXEC) < 0) {
		why_set(why, whylen, "dup3: %s", strerror(errno));
		close(ep);
		return -1;
	}
	close(ep);
	nlfd = n;
	mux_fd = fd;
	accept_guard_init(&guard, "milter");
	return 0;
}

/* milter_mux_quiesce - accept no more connections; those that arrive
 * wait in the backlog for the next agent */
void
milter_mux_quiesce(void)
{
	size_t	i;

	for (i = 0; i < nlfd; i++)
		(void)epoll_ctl(mux_fd, EPOLL_CTL_DEL, lfd[i], NULL);
}

/* refuse - accept_guard's refuse(): a connection taken with the spare
 * descriptor is closed unanswered */
static void
refuse(int fd, void *arg)
{
	close(fd);
}

/* pause_ms - sleep for ms milliseconds */
static void
pause_ms(int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * accept - libmilter's accept on the multiplexer takes a connection from
 * whichever real socket has one; any other call is the system call.
 */
int
accept(int fd, struct sockaddr *sa, socklen_t *salen)
{
	size_t	i, k;
	int	c, rest;

	if (mux_fd < 0 || fd != mux_fd)
		return (int)syscall(SYS_accept4, fd, sa, salen, 0);
	if ((rest = accept_guard_wait_ms(&guard)) > 0)
		pause_ms(rest);
	for (i = 0; i < nlfd; i++) {
		k = (next + i) % nlfd;
		c = accept_guard_accept(&guard, lfd[k], NULL, NULL,
		    SOCK_CLOEXEC, refuse, NULL);
		if (c < 0) {
			if (accept_guard_starved(errno))
				break;	/* the pause is for every socket */
			continue;
		}
		next = k + 1;
		(void)listen_tune(c, lfamily[k]);
		if (sa != NULL && salen != NULL && *salen >= sizeof(sa_family_t)) {
			memset(sa, 0, *salen);
			/* the family of the throwaway socket (unix) */
			sa->sa_family = AF_UNIX;
			*salen = sizeof(struct sockaddr_un) < *salen ?
			    (socklen_t)sizeof(struct sockaddr_un) : *salen;
		}
		return c;
	}
	errno = EAGAIN;
	return -1;
}
