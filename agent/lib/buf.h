/*
 * buf.h - length-carrying byte buffer with a hard maximum
 *
 * Bytes from outside (the network, a filter) live in a struct buf.  The
 * data is always followed by one NUL byte so it can be printed, but no
 * code may rely on that: embedded NULs are possible.
 */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* hard maximum of len; 0 = unlimited */
};

void	buf_init(struct buf *, size_t);
/* buf_append - append bytes; -1 (and nothing appended) past the maximum */
int	buf_append(struct buf *, const void *, size_t);
int	buf_appendc(struct buf *, char);
int	buf_appendf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *);
void	buf_free(struct buf *);
/* buf_steal - hand the NUL-terminated data to the caller, reset the buf */
char	*buf_steal(struct buf *, size_t *);

#endif
