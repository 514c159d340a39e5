/*
 * message.h - the message file of a work directory
 */
#ifndef SLUICE_MESSAGE_H
#define SLUICE_MESSAGE_H

#include <stddef.h>

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

#endif
