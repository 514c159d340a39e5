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

/* write_loop - everything, or -1 with errno; send() on a socket */
static int
write_loop(int fd, const void *p, size_t len, int timeout_ms, int sock)
{
	const char	*c = p;
	long long	 deadline = timeout_ms < 0 ? -1 :
			    clock_mono_ms() + timeout_ms;
	ssize_t		 n;

	while (len > 0) {
		n = sock ? send(fd, c, len, MSG_NOSIGNAL) : write(fd, c, len);
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

/* io_write_all - to a file or a pipe */
int
io_write_all(int fd, const void *p, size_t len, int timeout_ms)
{
	return write_loop(fd, p, len, timeout_ms, 0);
}

/* io_send_all - to a socket, never raising SIGPIPE */
int
io_send_all(int fd, const void *p, size_t len, int timeout_ms)
{
	return write_loop(fd, p, len, timeout_ms, 1);
}
