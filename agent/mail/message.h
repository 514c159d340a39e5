/*
 * message.h - the message file of a work directory
 */
#ifndef SLUICE_MESSAGE_H
#define SLUICE_MESSAGE_H

#include <stddef.h>

#include "lib/buf.h"

/* the most of a header block read into memory: past it, incoming mail's
 * header block ends (the rest is body) and a replacement is refused */
#define MESSAGE_HEADER_MAX	(1024 * 1024)

struct header_list;

/*
 * message_read_headers - parse the header block of the file at path
 * (non-strict: this is mail as received).  Sets the body offset and the
 * file size.  0, or -1 with why.
 */
int	message_read_headers(const char *path, struct header_list *hdr,
	    size_t *body_off, unsigned long long *size, char *why,
	    size_t whylen);
/*
 * message_write - write hdr, an empty line, and the body of src (from
 * body_off) to a new file at dst.  *size gets the new size and
 * *new_body_off the offset of its body.  0, or -1 with why.
 */
int	message_write(const char *dst, const struct header_list *hdr,
	    const char *src, size_t body_off, unsigned long long *size,
	    size_t *new_body_off, char *why, size_t whylen);
/* message_emit - hdr, an empty line and the body of src (from
 * body_off), LF line endings, in pieces to sink(arg, p, len), which
 * returns 0 or -1 with errno to stop; *hdr_len (may be NULL) gets the
 * length of the header block and empty line.  0, or -1 with errno. */
int	message_emit(const struct header_list *hdr, const char *src,
	    size_t body_off, int (*sink)(void *arg, const char *p, size_t len),
	    void *arg, size_t *hdr_len);

/*
 * message_check - a filter's replacement message, checked strictly as it
 * streams by, chunk after chunk, in memory bounded by MESSAGE_HEADER_MAX
 * whatever its size: a header block of valid fields (header_parse,
 * strict) of at most MESSAGE_HEADER_MAX bytes with at least one field,
 * an empty line, no NUL byte anywhere, no line longer than
 * HEADER_LINE_MAX bytes without its LF or CR LF.  Lines may end in LF or
 * CR LF; a bare CR is refused in the header block and kept in the body.
 */
struct message_check {
	struct buf	hdr;		/* the header block so far */
	int		in_body;
	size_t		line;		/* the current line's number, from 1 */
	size_t		linelen;	/* its bytes so far, CRs included */
	int		cr;		/* its last byte so far is a CR */
};

void	message_check_init(struct message_check *);
/* message_check_feed - the next len bytes; 0, or -1 with why */
int	message_check_feed(struct message_check *, const char *p, size_t len,
	    char *why, size_t whylen);
/* message_check_end - that was all of it; 0, or -1 with why */
int	message_check_end(struct message_check *, char *why, size_t whylen);
void	message_check_free(struct message_check *);

#endif
