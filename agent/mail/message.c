/*
 * message.c - read and rewrite the message file of a work directory, and
 * check a filter's replacement message as it is copied
 *
 * SECURITY: the file holds untrusted mail, a replacement message is
 * written by a filter.  Only the header block is ever held in memory
 * (bounded by MESSAGE_HEADER_MAX); bodies are copied and checked in
 * chunks.  Files are opened with O_NOFOLLOW inside sluice's own work
 * directory.
 * ERRORS: returned with a why text; nothing is fatal.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/file.h"
#include "lib/io.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/header.h"
#include "mail/message.h"

#define CHUNK			65536

/* message_read_headers - the header block and the size of a file */
int
message_read_headers(const char *path, struct header_list *hdr,
    size_t *body_off, unsigned long long *size, char *why, size_t whylen)
{
	struct stat	 st;
	struct buf	 b;
	char		 chunk[CHUNK];
	ssize_t		 n;
	int		 fd;

	if ((fd = file_open_regular(path)) < 0 || fstat(fd, &st) != 0) {
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	buf_init(&b, 0);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			why_set(why, whylen, "%s: %s", path,
			    strerror(errno));
			buf_free(&b);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		(void)buf_append(&b, chunk, (size_t)n);
		/* stop once the empty line is in: the body is not needed */
		if (memmem(b.data, b.len, "\n\n", 2) != NULL ||
		    (b.len >= 1 && b.data[0] == '\n') ||
		    b.len >= MESSAGE_HEADER_MAX)
			break;
	}
	close(fd);
	header_list_free(hdr);
	if (header_parse(b.data ? b.data : "", b.len, hdr, body_off, 0, why,
	    whylen) != 0) {
		buf_free(&b);
		return -1;
	}
	/* a header block cut at MESSAGE_HEADER_MAX: the rest is body */
	if (*body_off > b.len)
		*body_off = b.len;
	buf_free(&b);
	*size = (unsigned long long)st.st_size;
	return 0;
}

/* message_emit - header list, empty line, body of src, to sink; *hdr_len
 * (if not NULL) gets the length of header block and empty line, which
 * is where the body starts in a file written from it */
int
message_emit(const struct header_list *hdr, const char *src,
    size_t body_off, int (*sink)(void *, const char *, size_t), void *arg,
    size_t *hdr_len)
{
	char	*h, chunk[CHUNK];
	size_t	 hlen;
	ssize_t	 n;
	int	 in, rc, saved;

	h = header_serialize(hdr, &hlen);
	rc = sink(arg, h, hlen);
	free(h);
	if (hdr_len != NULL)
		*hdr_len = hlen + 1;
	if (rc != 0 || sink(arg, "\n", 1) != 0)
		return -1;
	if ((in = file_open_regular(src)) < 0)
		return -1;
	if (lseek(in, (off_t)body_off, SEEK_SET) < 0) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	for (;;) {
		n = read(in, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (sink(arg, chunk, (size_t)n) != 0) {
			n = -1;
			break;
		}
	}
	saved = errno;
	close(in);
	errno = saved;
	return n < 0 ? -1 : 0;
}

/* fd_sink - message_emit() into a file */
static int
fd_sink(void *arg, const char *p, size_t len)
{
	return io_write_all(*(int *)arg, p, len, -1);
}

/* message_write - a new message file from headers and an old body */
int
message_write(const char *dst, const struct header_list *hdr,
    const char *src, size_t body_off, unsigned long long *size,
    size_t *new_body_off, char *why, size_t whylen)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		why_set(why, whylen, "%s: %s", dst, strerror(errno));
		return -1;
	}
	if (message_emit(hdr, src, body_off, fd_sink, &fd, new_body_off) != 0 ||
	    fstat(fd, &st) != 0) {
		why_set(why, whylen, "%s: %s", dst, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		why_set(why, whylen, "%s: %s", dst, strerror(errno));
		return -1;
	}
	*size = (unsigned long long)st.st_size;
	return 0;
}

/* message_check_init - nothing seen yet */
void
message_check_init(struct message_check *mc)
{
	memset(mc, 0, sizeof(*mc));
	buf_init(&mc->hdr, MESSAGE_HEADER_MAX);
	mc->line = 1;
}

/* header_done - the header block is complete: parse it strictly */
static int
header_done(struct message_check *mc, char *why, size_t whylen)
{
	struct header_list	hl = { 0 };
	size_t			body_off;
	int			n;

	if (header_parse(mc->hdr.data != NULL ? mc->hdr.data : "",
	    mc->hdr.len, &hl, &body_off, 1, why, whylen) != 0)
		return -1;
	n = (int)hl.n;
	header_list_free(&hl);
	buf_free(&mc->hdr);
	mc->in_body = 1;
	if (n == 0)
		return why_set(why, whylen, "it has no header fields");
	return 0;
}

/* message_check_feed - check the next bytes, one line piece at a time */
int
message_check_feed(struct message_check *mc, const char *p, size_t len,
    char *why, size_t whylen)
{
	const char	*end = p + len, *lf;
	size_t		 n;

	if (memchr(p, '\0', len) != NULL)
		return why_set(why, whylen, "it contains a NUL byte");
	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		n = lf != NULL ? (size_t)(lf - p) : (size_t)(end - p);
		if (!mc->in_body && buf_append(&mc->hdr, p,
		    lf != NULL ? n + 1 : n) != 0)
			return why_set(why, whylen, "its header block is longer "
			    "than %d bytes", MESSAGE_HEADER_MAX);
		if (n > 0) {
			mc->linelen += n;
			mc->cr = p[n - 1] == '\r';
		}
		/* a CR last may yet turn out to end the line: not counted */
		if (mc->linelen - (size_t)mc->cr > HEADER_LINE_MAX)
			return why_set(why, whylen, "line %zu is longer than %d "
			    "bytes", mc->line, HEADER_LINE_MAX);
		if (lf == NULL)
			break;
		if (!mc->in_body && mc->linelen - (size_t)mc->cr == 0 &&
		    header_done(mc, why, whylen) != 0)
			return -1;
		mc->line++;
		mc->linelen = 0;
		mc->cr = 0;
		p = lf + 1;
	}
	return 0;
}

/*
 * message_check_end - the end came: before the body, strict parsing
 * names the bad line or the missing empty line (a last CR stands for a
 * CR LF cut short, as header_parse() has it)
 */
int
message_check_end(struct message_check *mc, char *why, size_t whylen)
{
	if (mc->in_body)
		return 0;
	return header_done(mc, why, whylen);
}

/* message_check_free - release what the check holds */
void
message_check_free(struct message_check *mc)
{
	buf_free(&mc->hdr);
}
