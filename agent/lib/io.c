/*
 * io.c - the one write loop, for files, pipes and sockets
 *
 * SECURITY: writes what it is given; never raises SIGPIPE on a socket.
 * ERRORS: -1 with errno; nothing is logged here.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/io.h"

/* wait_room - poll for POLLOUT until deadline (ms, < 0: none) */
static int
wait_room(int fd, long long deadline)
{
	struct pollfd	pfd;
	long long	left;
	int		r;

	for (;;) {
		left = deadline < 0 ? -1 : deadline - clock_mono_ms();
		if (deadline >= 0 && left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, left < 0 ? -1 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* io_write_all - everything, or -1 with errno */
int
io_write_all(int fd, const void *p, size_t len, int timeout_ms)
{
	const char	*c = p;
	long long	 deadline = timeout_ms < 0 ? -1 :
			    clock_mono_ms() + timeout_ms;
	ssize_t		 n;
	int		 sock = 1;

	while (len > 0) {
		if (sock) {
			n = send(fd, c, len, MSG_NOSIGNAL);
			if (n < 0 && errno == ENOTSOCK) {
				sock = 0;
				continue;
			}
		} else
			n = write(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_room(fd, deadline) != 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}
