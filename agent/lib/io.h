/*
 * io.h - the one write loop
 */
#ifndef SLUICE_IO_H
#define SLUICE_IO_H

#include <stddef.h>

/*
 * io_write_all - write all len bytes to fd, a file or a pipe;
 * io_send_all the same to a socket, never raising SIGPIPE.  Both are
 * one loop: EINTR is retried; on a non-blocking descriptor EAGAIN waits
 * for room, at most timeout_ms in all (< 0: no limit).  0, or -1 with
 * errno (ETIMEDOUT when the time ran out, EPIPE when the peer closed).
 */
int	io_write_all(int fd, const void *p, size_t len, int timeout_ms);
int	io_send_all(int fd, const void *p, size_t len, int timeout_ms);

#endif
