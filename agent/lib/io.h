/*
 * io.h - the one write loop
 */
#ifndef SLUICE_IO_H
#define SLUICE_IO_H

#include <stddef.h>

/*
 * io_write_all - write all len bytes to fd: a file, a pipe or a socket
 * (sockets never raise SIGPIPE).  EINTR is retried; on a non-blocking
 * descriptor EAGAIN waits for room, at most timeout_ms in all (< 0: no
 * limit).  0, or -1 with errno (ETIMEDOUT when the time ran out, EPIPE
 * when a socket's peer closed it).
 */
int	io_write_all(int fd, const void *p, size_t len, int timeout_ms);

#endif
