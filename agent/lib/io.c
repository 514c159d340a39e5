/*
 * io.c - the one write loop and the one read loop, for files, pipes
 * and sockets, and descriptors passed over unix sockets
 *
 * SECURITY: writes what it is given; never raises SIGPIPE on a socket.
 * ERRORS: -1 with errno; nothing is logged here.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/io.h"

/* wait_for - poll for events until deadline (ms, < 0: none) */
static int
wait_for(int fd, short events, long long deadline)
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
		pfd.events = events;
		r = poll(&pfd, 1, left < 0 ? -1 : left > 60000 ? 60000 :
		    (int)left);
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
			if (wait_for(fd, POLLOUT, deadline) != 0)
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

/* io_send_fds - len bytes (one sendmsg: a few) and n descriptors with them */
int
io_send_fds(int sock, const void *p, size_t len, const int *fds, size_t n)
{
	struct msghdr	 mh;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IO_FDS_MAX)];
	}		 cbuf;
	ssize_t		 w;

	if (n > IO_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)p;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (n > 0) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	while ((w = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0)
		if (errno != EINTR)
			return -1;
	if ((size_t)w < len)
		return io_send_all(sock, (const char *)p + w, len - (size_t)w,
		    -1);
	return 0;
}

/*
 * io_recv_fds - one recvmsg of at most len bytes, and the descriptors that
 * came with them (at most max; more are closed).  The bytes read, 0 at
 * end of file, or -1.
 */
ssize_t
io_recv_fds(int sock, void *p, size_t len, int *fds, size_t max, size_t *n)
{
	struct msghdr	 mh;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IO_FDS_MAX)];
	}		 cbuf;
	ssize_t		 r;
	size_t		 i, k;
	int		 fd;

	*n = 0;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = p;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN(0))
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(fd));
			if (*n < max)
				fds[(*n)++] = fd;
			else
				(void)close(fd);
		}
	}
	return r;
}

/* io_wait_in - see io.h */
int
io_wait_in(int fd, long long deadline)
{
	return wait_for(fd, POLLIN, deadline);
}

/* io_read_all - see io.h */
int
io_read_all(int fd, void *p, size_t len, long long deadline)
{
	char	*c = p;
	ssize_t	 n;

	while (len > 0) {
		if (io_wait_in(fd, deadline) != 0)
			return -1;
		n = read(fd, c, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}
