/*
 * header.h - RFC 5322 header block parsing and editing
 *
 * A message in the spool has LF line endings: header lines, one empty
 * line, the body.  header_parse() reads the header block into a list;
 * continuation lines stay part of the value (with their LF and leading
 * white space), so writing the list back reproduces the bytes.
 * Pure functions: no I/O.
 */
#ifndef SLUICE_HEADER_H
#define SLUICE_HEADER_H

#include <stddef.h>

#define HEADER_LINE_MAX		998	/* RFC 5322 2.1.1, without CRLF */
#define HEADER_NAME_MAX		128	/* our limit for a field name */

struct header {
	char	*name;		/* field name, as written */
	char	*value;		/* after the colon, leading SP kept, folded
				   lines joined by "\n", no final LF */
};

struct header_list {
	struct header	*h;
	size_t		 n;
	size_t		 cap;
};

/*
 * header_parse - parse the header block at the start of buf.  Sets
 * *body_off to the offset of the first body byte (after the empty line),
 * or to len when the message has no empty line (then there is no body).
 * Lines may end in LF or CRLF; CR before LF is dropped from values.
 * A line that is neither a field nor a continuation (no colon, bad name)
 * ends the header block there when strict is 0, and is an error (-1)
 * when strict is 1 (replacement messages from filters are strict).
 * Returns 0 or -1 with why.
 */
int	header_parse(const char *buf, size_t len, struct header_list *out,
	    size_t *body_off, int strict, char *why, size_t whylen);
void	header_list_free(struct header_list *);
/* header_name_ok - 1 if name is a valid field name (RFC 5322 ftext) */
int	header_name_ok(const char *name, size_t len);
/* header_value_ok - 1 if a value from a filter is safe: no control byte
 * but TAB (so no CR, LF or NUL), and "Name: value" fits in
 * HEADER_LINE_MAX */
int	header_value_ok(const char *name, const char *value, size_t len);
/* header_get - the idx'th (1-based) field called name (case-insensitive),
 * or NULL */
const struct header *header_get(const struct header_list *,
	    const char *name, int idx);
/* header_count - how many fields are called name */
int	header_count(const struct header_list *, const char *name);
/* header_value_unfold - value with folding removed and leading/trailing
 * white space trimmed (what conditions match against); caller frees */
char	*header_value_unfold(const char *value);
/* editing; values are copied.  idx is 1-based among same-named fields. */
void	header_add(struct header_list *, const char *name, const char *value);
/* header_insert - insert at position pos (0 = before the first field);
 * pos past the end appends */
void	header_insert(struct header_list *, size_t pos, const char *name,
	    const char *value);
/* header_change - replace the value of the idx'th name; -1 if absent */
int	header_change(struct header_list *, const char *name, int idx,
	    const char *value);
/* header_delete - delete the idx'th name, or all when idx == 0;
 * returns how many were deleted */
int	header_delete(struct header_list *, const char *name, int idx);
/* header_serialize - "Name:value\n" for each field; caller frees */
char	*header_serialize(const struct header_list *, size_t *len);

#endif
