/*
 * header.c - RFC 5322 header block parsing and editing
 *
 * NAME
 *	header_parse, header_serialize and the header_list editors.
 *
 * WHAT
 *	Reads the header block at the start of a message into a list of
 *	(name, value) pairs.  A value keeps everything after the colon,
 *	its leading white space and its folding ("\n" plus the
 *	continuation line), so header_serialize() gives back the bytes of
 *	an LF message unchanged.  The editors work on that list; the
 *	engine uses them to apply filter directives.
 *
 * SECURITY
 *	Sees untrusted bytes: the spooled message from the network
 *	(strict = 0) and replacement messages written by filters
 *	(strict = 1).  It never assumes NUL termination of the input,
 *	never reads past len, and does no I/O.  Every line's length and
 *	content are checked before use; a NUL byte never reaches a value.
 *
 * ERRORS
 *	header_parse() returns -1 with a "line N: ..." text in why; the
 *	list is then empty.  Allocation failure is fatal (xmalloc).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/header.h"

/* One physical line of the input. */
struct line {
	size_t	off;	/* offset of its first byte */
	size_t	len;	/* bytes before LF, without a CR just before it */
	size_t	next;	/* offset of the following line */
};

/*
 * line_next - find the line starting at off.  A CR just before the LF is
 * not part of the line; neither is a CR that is the very last byte of the
 * buffer, since that is a CRLF cut short and treating it the same way
 * keeps the two spellings of a line equal.
 */
static void
line_next(const char *buf, size_t len, size_t off, struct line *ln)
{
	const char	*lf;

	ln->off = off;
	lf = memchr(buf + off, '\n', len - off);
	if (lf != NULL) {
		ln->len = (size_t)(lf - (buf + off));
		ln->next = off + ln->len + 1;
	} else {
		ln->len = len - off;
		ln->next = len;
	}
	if (ln->len > 0 && buf[off + ln->len - 1] == '\r')
		ln->len--;
}

/* list_grow - make room for one more field */
static void
list_grow(struct header_list *l)
{
	size_t	cap;

	if (l->n < l->cap)
		return;
	cap = l->cap ? l->cap * 2 : 16;
	l->h = xreallocarray(l->h, cap, sizeof(*l->h));
	l->cap = cap;
}

/* is_blank - SP or HTAB, the folding white space of RFC 5322 */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * header_parse - read the header block; see header.h.
 *
 * The value of the field being read is collected in a struct buf, so a
 * field with many continuation lines costs linear time, not quadratic.
 */
int
header_parse(const char *buf, size_t len, struct header_list *out,
    size_t *body_off, int strict, char *why, size_t whylen)
{
	struct buf	 val;
	struct line	 ln;
	const char	*p, *colon;
	size_t		 off, lineno, body;
	int		 pending, empty;

	memset(out, 0, sizeof(*out));
	buf_init(&val, 0);
	pending = empty = 0;
	body = len;
	lineno = 0;
	for (off = 0; off < len; off = ln.next) {
		line_next(buf, len, off, &ln);
		lineno++;
		p = buf + ln.off;
		if (ln.len == 0) {
			body = ln.next;
			empty = 1;
			break;
		}
		/*
		 * A NUL cannot be passed on in a header (milter and SMTP
		 * both use C strings), so incoming mail's header block
		 * ends before such a line and the line goes to the body.
		 */
		if (memchr(p, '\0', ln.len) != NULL) {
			if (strict) {
				why_set(why, whylen, "line %zu: NUL byte",
				    lineno);
				goto fail;
			}
			body = ln.off;
			break;
		}
		/*
		 * RFC 5322 caps a line at 998 bytes.  Filters must obey
		 * it; incoming mail that does not is the MTA's business
		 * (it accepted the message), so it is kept as it is.
		 */
		if (strict && ln.len > HEADER_LINE_MAX) {
			why_set(why, whylen, "line %zu: longer than %d bytes",
			    lineno, HEADER_LINE_MAX);
			goto fail;
		}
		/* A bare CR would end up in a value handed to the MTA. */
		if (strict && memchr(p, '\r', ln.len) != NULL) {
			why_set(why, whylen, "line %zu: CR not followed by LF",
			    lineno);
			goto fail;
		}
		if (is_blank(*p)) {
			if (!pending) {
				if (strict) {
					why_set(why, whylen, "line %zu: "
					    "continuation line before the "
					    "first field", lineno);
					goto fail;
				}
				body = ln.off;
				break;
			}
			(void)buf_appendc(&val, '\n');
			(void)buf_append(&val, p, ln.len);
			continue;
		}
		/*
		 * Anything else must be "name:value".  This also catches
		 * an mbox "From " line and the obsolete "Name : value"
		 * (a space is not ftext): both end the header block.
		 */
		colon = memchr(p, ':', ln.len);
		if (colon == NULL || !header_name_ok(p, (size_t)(colon - p))) {
			if (strict) {
				why_set(why, whylen, "line %zu: not a header "
				    "field", lineno);
				goto fail;
			}
			body = ln.off;
			break;
		}
		if (pending)
			out->h[out->n - 1].value = buf_steal(&val, NULL);
		list_grow(out);
		out->h[out->n].name = xmemdup(p, (size_t)(colon - p));
		out->h[out->n].value = NULL;
		out->n++;
		pending = 1;
		(void)buf_append(&val, colon + 1,
		    ln.len - (size_t)(colon + 1 - p));
	}
	if (strict && !empty) {
		why_set(why, whylen, "no empty line between header and body");
		goto fail;
	}
	if (pending)
		out->h[out->n - 1].value = buf_steal(&val, NULL);
	buf_free(&val);
	*body_off = body;
	return 0;

fail:
	/* The last field may still lack its value; free() takes NULL. */
	buf_free(&val);
	header_list_free(out);
	*body_off = 0;
	return -1;
}

/* header_list_free - free every field and leave an empty list */
void
header_list_free(struct header_list *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->h[i].name);
		free(l->h[i].value);
	}
	free(l->h);
	l->h = NULL;
	l->n = l->cap = 0;
}

/* header_name_ok - 1..HEADER_NAME_MAX bytes of ftext (33..126 but ':') */
int
header_name_ok(const char *name, size_t len)
{
	size_t		i;
	unsigned char	c;

	if (len == 0 || len > HEADER_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)name[i];
		if (c < 33 || c > 126 || c == ':')
			return 0;
	}
	return 1;
}

/*
 * header_value_ok - 1 if "name: value" is one safe line.  CR, LF and NUL
 * would let a filter forge extra fields or cut the value short.
 */
int
header_value_ok(const char *name, const char *value, size_t len)
{
	size_t	i, nlen;

	nlen = strlen(name);
	/* Checked in two steps so the sum cannot wrap. */
	if (nlen > HEADER_LINE_MAX || len > HEADER_LINE_MAX ||
	    nlen + 2 + len > HEADER_LINE_MAX)
		return 0;
	/* no CR, LF or NUL (header injection), and no other control
	 * byte but TAB: an MTA, a terminal or a log would take it */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

/* header_find - the idx'th (1-based) field called name, or NULL */
static struct header *
header_find(const struct header_list *l, const char *name, int idx)
{
	size_t	i;
	int	seen = 0;

	if (idx < 1)
		return NULL;
	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->h[i].name, name) == 0 && ++seen == idx)
			return &l->h[i];
	return NULL;
}

/* header_get - the idx'th (1-based) field called name, or NULL */
const struct header *
header_get(const struct header_list *l, const char *name, int idx)
{
	return header_find(l, name, idx);
}

/* header_count - how many fields are called name */
int
header_count(const struct header_list *l, const char *name)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->h[i].name, name) == 0)
			n++;
	return n;
}

/*
 * header_value_unfold - each "\n" with the white space after it becomes
 * one space, then leading and trailing SP/HTAB go.  The result is never
 * longer than the value, so one allocation of its size is enough.
 */
char *
header_value_unfold(const char *value)
{
	char	*s;
	size_t	 len, i, o, start, end;

	len = strlen(value);
	s = xmalloc(len + 1);
	for (i = o = 0; i < len;) {
		if (value[i] == '\n') {
			s[o++] = ' ';
			for (i++; i < len && is_blank(value[i]); i++)
				;
			continue;
		}
		s[o++] = value[i++];
	}
	for (start = 0; start < o && is_blank(s[start]); start++)
		;
	for (end = o; end > start && is_blank(s[end - 1]); end--)
		;
	memmove(s, s + start, end - start);
	s[end - start] = '\0';
	return s;
}

/* header_add - append a field; name and value are copied */
void
header_add(struct header_list *l, const char *name, const char *value)
{
	header_insert(l, l->n, name, value);
}

/* header_insert - insert a field before position pos (past end: append) */
void
header_insert(struct header_list *l, size_t pos, const char *name,
    const char *value)
{
	if (pos > l->n)
		pos = l->n;
	list_grow(l);
	memmove(&l->h[pos + 1], &l->h[pos], (l->n - pos) * sizeof(*l->h));
	l->h[pos].name = xstrdup(name);
	l->h[pos].value = xstrdup(value);
	l->n++;
}

/*
 * header_change - replace the value of the idx'th field called name.
 * idx 0 means the first, as a directive without an index does.
 */
int
header_change(struct header_list *l, const char *name, int idx,
    const char *value)
{
	struct header	*h;

	if (idx == 0)
		idx = 1;
	if ((h = header_find(l, name, idx)) == NULL)
		return -1;
	free(h->value);
	h->value = xstrdup(value);
	return 0;
}

/* header_delete - delete the idx'th field called name, all when idx is 0 */
int
header_delete(struct header_list *l, const char *name, int idx)
{
	size_t	i, o;
	int	seen = 0, deleted = 0;

	if (idx < 0)
		return 0;
	for (i = o = 0; i < l->n; i++) {
		if (strcasecmp(l->h[i].name, name) == 0 &&
		    (++seen == idx || idx == 0)) {
			free(l->h[i].name);
			free(l->h[i].value);
			deleted++;
			continue;
		}
		l->h[o++] = l->h[i];
	}
	l->n = o;
	return deleted;
}

/* header_serialize - "name:value\n" per field, NUL-terminated */
char *
header_serialize(const struct header_list *l, size_t *lenp)
{
	char	*s, *p;
	size_t	 i, total, nlen, vlen;

	total = 0;
	for (i = 0; i < l->n; i++)
		total += strlen(l->h[i].name) + strlen(l->h[i].value) + 2;
	s = p = xmalloc(total + 1);
	for (i = 0; i < l->n; i++) {
		nlen = strlen(l->h[i].name);
		vlen = strlen(l->h[i].value);
		memcpy(p, l->h[i].name, nlen);
		p += nlen;
		*p++ = ':';
		memcpy(p, l->h[i].value, vlen);
		p += vlen;
		*p++ = '\n';
	}
	*p = '\0';
	if (lenp != NULL)
		*lenp = total;
	return s;
}
