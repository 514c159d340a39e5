/*
 * io.h - the one write loop
 */
#ifndef SLUICE_IO_H
#define SLUICE_IO_H

#include <stddef.h>
#include <sys/types.h>

#define IO_FDS_MAX	4	/* descriptors in one message */

/*
 * io_write_all - write all len bytes to fd, a file or a pipe;
 * io_send_all the same to a socket, never raising SIGPIPE.  Both are
 * one loop: EINTR is retried; on a non-blocking descriptor EAGAIN waits
 * for room, at most timeout_ms in all (< 0: no limit).  0, or -1 with
 * errno (ETIMEDOUT when the time ran out, EPIPE when the peer closed).
 */
int	io_write_all(int fd, const void *p, size_t len, int timeout_ms);
int	io_send_all(int fd, const void *p, size_t len, int timeout_ms);
/*
 * io_send_fds - len bytes over a unix socket, with n (at most
 * IO_FDS_MAX) descriptors on the first; 0 or -1 with errno.
 * io_recv_fds - one recvmsg of at most len bytes and the descriptors
 * that came with them (at most max, CLOEXEC; more are closed): the
 * bytes read, 0 at end of file, or -1.
 */
int	io_send_fds(int sock, const void *p, size_t len, const int *fds,
	    size_t n);
ssize_t	io_recv_fds(int sock, void *p, size_t len, int *fds, size_t max,
	    size_t *n);
/*
 * io_wait_in - wait until fd is readable (or at its end), by deadline
 * (clock_mono_ms; < 0: none); 0, or -1 with errno (ETIMEDOUT).
 * io_read_all - read exactly len bytes by deadline; 0, or -1 with errno
 * (ETIMEDOUT; ECONNRESET at end of file).
 */
int	io_wait_in(int fd, long long deadline);
int	io_read_all(int fd, void *p, size_t len, long long deadline);

#endif
