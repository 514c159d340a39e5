/*
 * accept_guard.h - accepting connections when descriptors run out
 *
 * An accept() that fails for want of resources (EMFILE, ENFILE, ENOMEM,
 * ENOBUFS) leaves the connection in the backlog: the listening socket
 * stays readable, and a loop of poll() and accept() spins at 100% CPU
 * until something else frees a descriptor.  A guard, one per accepting
 * thread, does three things about it:
 *  - it holds a spare descriptor (/dev/null, opened at init).  Out of
 *    descriptors, it gives the spare up for a moment, takes the waiting
 *    connection with it, hands it to the caller's refuse() (which
 *    answers, say 421, and closes it), and opens the spare again: the
 *    client learns at once instead of waiting in the backlog;
 *  - each failure starts or lengthens a back-off, 10 ms doubling up to
 *    1 s, during which the caller does not poll its listening sockets
 *    (accept_guard_wait_ms() says for how long); the first accept that
 *    works ends it;
 *  - it logs the start of such an episode once (at most one a minute;
 *    the others are counted) and its end once, never each failure.
 * A guard belongs to one thread; it is not locked.
 */
#ifndef SLUICE_ACCEPT_GUARD_H
#define SLUICE_ACCEPT_GUARD_H

#include <sys/socket.h>

/* the back-off: first and longest pause, in ms */
#define ACCEPT_DELAY_MIN	10
#define ACCEPT_DELAY_MAX	1000
/* at most one "cannot take connections" line per front end this often */
#define ACCEPT_REPORT_MS	60000

struct accept_guard {
	const char	*what;		/* the log lines' prefix: "smtp" */
	int		 spare;		/* the reserve descriptor, or -1 */
	int		 delay_ms;	/* the current pause; 0: all is well */
	long long	 until;		/* clock_ms() at which it ends */
	long long	 began;		/* when the episode began */
	long long	 reported;	/* when one was last logged; -1: never */
	int		 loud;		/* this episode was logged */
	unsigned long	 failures;	/* failed tries in this episode */
	unsigned long	 refused;	/* connections refused in it */
	unsigned long	 quiet;		/* episodes not logged since */
};

/* accept_guard_init - a guard whose log lines start with what (kept) */
void	accept_guard_init(struct accept_guard *, const char *what);
/*
 * accept_guard_accept - accept4(lfd, sa, salen, flags).  A connection,
 * or -1 with errno: EAGAIN, ECONNABORTED, EINTR as accept4 gives them
 * (nothing to take), or the resource error after which the back-off
 * began or grew; then, when the spare could take the connection (EMFILE,
 * ENFILE), refuse(fd, arg) got it and must close it (no refuse: it is
 * closed).
 */
int	accept_guard_accept(struct accept_guard *, int lfd,
	    struct sockaddr *sa, socklen_t *salen, int flags,
	    void (*refuse)(int, void *), void *arg);
/* accept_guard_failed - a connection that was taken could not be
 * served for want of resources (a thread, memory; err is an errno
 * value, op names what failed): back off as after a failed accept */
void	accept_guard_failed(struct accept_guard *, const char *op, int err);
/* accept_guard_wait_ms - how long the listening sockets must rest
 * before the next try; 0: try now */
int	accept_guard_wait_ms(const struct accept_guard *);
/* accept_guard_starved - whether err (an errno value) is one that a
 * pause can cure */
int	accept_guard_starved(int err);

#endif
