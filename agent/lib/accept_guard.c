/*
 * accept_guard.c - accepting connections when descriptors run out
 *
 * See accept_guard.h for what it does.  The spare descriptor is an open
 * /dev/null rather than a dup of some other descriptor: a dup shares its
 * open file, so closing it would free a descriptor number (EMFILE) but no
 * entry of the system's file table (ENFILE); /dev/null frees both.
 *
 * SECURITY: reads nothing from the connections; what refuse() writes is
 * the caller's.
 * ERRORS: none are fatal; accept_guard_accept returns -1 with errno, and
 * the start and end of a shortage are logged here, because this is where
 * the pause is decided.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/accept_guard.h"
#include "lib/clock.h"
#include "lib/log.h"

/* spare_open - the reserve descriptor, or -1 */
static int
spare_open(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* accept_guard_init - a guard with its spare descriptor */
void
accept_guard_init(struct accept_guard *g, const char *what)
{
	memset(g, 0, sizeof(*g));
	g->what = what;
	g->reported = -1;
	if ((g->spare = spare_open()) < 0)	/* the back-off still works */
		log_warn("%s: no spare descriptor", what);
}

/* accept_guard_starved - an error that a pause can cure */
int
accept_guard_starved(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM ||
	    err == ENOBUFS;
}

/* trouble - a failed try: begin or lengthen the pause */
static void
trouble(struct accept_guard *g, const char *op, int err)
{
	long long	now = clock_ms();

	if (g->delay_ms > 0) {
		g->failures++;
		g->delay_ms = g->delay_ms * 2 > ACCEPT_DELAY_MAX ?
		    ACCEPT_DELAY_MAX : g->delay_ms * 2;
		g->until = now + g->delay_ms;
		return;
	}
	g->delay_ms = ACCEPT_DELAY_MIN;
	g->until = now + g->delay_ms;
	g->began = now;
	g->failures = 1;
	g->refused = 0;
	g->loud = g->reported < 0 || now - g->reported >= ACCEPT_REPORT_MS;
	if (!g->loud) {
		g->quiet++;
		return;
	}
	if (g->quiet > 0)
		log_warnx("%s: cannot take connections: %s: %s; pausing up to "
		    "%d ms between tries until it clears (%lu more such "
		    "times since the last report)", g->what, op, strerror(err),
		    ACCEPT_DELAY_MAX, g->quiet);
	else
		log_warnx("%s: cannot take connections: %s: %s; pausing up to "
		    "%d ms between tries until it clears", g->what, op,
		    strerror(err), ACCEPT_DELAY_MAX);
	g->reported = now;
	g->quiet = 0;
}

/* recovered - a connection was taken: the episode, if any, is over */
static void
recovered(struct accept_guard *g)
{
	if (g->delay_ms == 0)
		return;
	if (g->loud)
		log_info("%s: accepting again after %lld ms: %lu failed "
		    "%s, %lu connection%s refused", g->what,
		    clock_ms() - g->began, g->failures,
		    g->failures == 1 ? "try" : "tries", g->refused,
		    g->refused == 1 ? "" : "s");
	g->delay_ms = 0;
	g->until = 0;
}

/* accept_guard_accept - accept4, with the spare and the back-off */
int
accept_guard_accept(struct accept_guard *g, int lfd, struct sockaddr *sa,
    socklen_t *salen, int flags, void (*refuse)(int, void *), void *arg)
{
	int	fd, err, refused = 0;

	if (g->spare < 0)	/* lost in a race: the spare comes first */
		g->spare = spare_open();
	if ((fd = accept4(lfd, sa, salen, flags)) >= 0) {
		recovered(g);
		return fd;
	}
	err = errno;
	if (!accept_guard_starved(err)) {
		errno = err;
		return -1;
	}
	if ((err == EMFILE || err == ENFILE) && g->spare >= 0) {
		/*
		 * Another thread may take the number just freed; then this
		 * accept fails too, and the pause is all there is.
		 */
		close(g->spare);
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			if (refuse != NULL)
				refuse(fd, arg);
			else
				close(fd);
			refused = 1;
		}
		g->spare = spare_open();
	}
	trouble(g, "accept", err);
	g->refused += (unsigned long)refused;
	errno = err;
	return -1;
}

/* accept_guard_failed - a taken connection could not be served */
void
accept_guard_failed(struct accept_guard *g, const char *op, int err)
{
	trouble(g, op, err);
	g->refused++;
}

/* accept_guard_wait_ms - the rest of the pause */
int
accept_guard_wait_ms(const struct accept_guard *g)
{
	long long	left;

	if (g->delay_ms == 0)
		return 0;
	left = g->until - clock_ms();
	return left > 0 ? (int)left : 0;
}
