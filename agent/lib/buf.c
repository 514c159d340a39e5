/*
 * buf.c - length-carrying byte buffer with a hard maximum
 *
 * ERRORS: appending past the maximum returns -1 and leaves the buffer as
 * it was; allocation failure is fatal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"

/* buf_init - an empty buffer that may grow to max bytes (0 = no limit) */
void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* buf_grow - make room for need more bytes and the NUL */
static void
buf_grow(struct buf *b, size_t need)
{
	size_t	cap;

	if (b->len + need + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	b->data = xreallocarray(b->data, cap, 1);
	b->cap = cap;
}

/* buf_append - append len bytes, or -1 past the maximum */
int
buf_append(struct buf *b, const void *p, size_t len)
{
	if (b->max != 0 && (len > b->max || b->len > b->max - len))
		return -1;
	buf_grow(b, len);
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/* buf_appendc - append one byte */
int
buf_appendc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

/* buf_appendf - append formatted text */
int
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n, r;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	r = buf_append(b, s, (size_t)n);
	free(s);
	return r;
}

/* buf_reset - empty the buffer, keep its memory */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* buf_free - release the memory */
void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* buf_steal - give the caller the data (never NULL) and reset */
char *
buf_steal(struct buf *b, size_t *lenp)
{
	char	*p;

	if (b->data == NULL)
		buf_grow(b, 0), b->data[0] = '\0';
	p = b->data;
	if (lenp != NULL)
		*lenp = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
