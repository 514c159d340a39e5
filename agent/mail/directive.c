/*
 * directive.c - parse a filter's result file
 *
 * NAME
 *	directive_parse, directive_list_free, directive_kind_name.
 *
 * WHAT
 *	Turns the lines a filter wrote to its result file (see
 *	directive.h) into a list of directives for the engine to apply.
 *	The file is all or nothing: the first bad line makes the whole
 *	file an error, so a filter never gets half of what it asked for.
 *
 * SECURITY
 *	The input is written by a filter and is untrusted.  It is never
 *	assumed to be NUL-terminated; NUL and stray CR bytes are refused
 *	because header values and addresses end up in milter calls and in
 *	SMTP commands, where they would cut a string short or start a new
 *	line.  Addresses are held to the RFC 5321 length limits and may
 *	not contain control characters or unquoted blanks.  Error texts
 *	quote filter bytes only escaped and shortened.  No I/O.
 *
 * ERRORS
 *	directive_parse() returns -1 with "line N: what is wrong" (a file
 *	that is too big has no line number) and leaves the list empty.
 *	Allocation failure is fatal (xmalloc).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/directive.h"
#include "mail/envelope.h"
#include "mail/header.h"

#define INDEX_MAX	10000	/* largest header position or index */
#define PREFIX_MAX	200	/* longest subject prefix */
#define QUOTE_MAX	40	/* bytes of filter text shown in an error */

static const char *const kind_names[] = {
	[D_REASON] = "reason",
	[D_ADD_HEADER] = "add-header",
	[D_INSERT_HEADER] = "insert-header",
	[D_CHANGE_HEADER] = "change-header",
	[D_DELETE_HEADER] = "delete-header",
	[D_PREFIX_SUBJECT] = "prefix-subject",
	[D_ADD_RCPT] = "add-rcpt",
	[D_DELETE_RCPT] = "delete-rcpt",
	[D_CHANGE_SENDER] = "change-sender"
};
#define KIND_COUNT	(sizeof(kind_names) / sizeof(kind_names[0]))

/* State of one parse. */
struct parser {
	struct directive_list	*out;
	size_t			 cap;
	size_t			 lineno;
	int			 have_reason;
	char			*why;
	size_t			 whylen;
};

static int	perr(struct parser *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* perr - set why to "line N: " and the text; always returns -1 */
static int
perr(struct parser *ps, const char *fmt, ...)
{
	va_list	ap;

	why_set(ps->why, ps->whylen, "line %zu: ", ps->lineno);
	va_start(ap, fmt);
	why_vappend(ps->why, ps->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * quote - filter text for an error message: at most QUOTE_MAX bytes,
 * in double quotes, with anything but printable ASCII (and the quote and
 * backslash) escaped so the log shows exactly what the filter wrote.
 * dst must hold QUOTE_MAX * 4 + 6 bytes.
 */
static void
quote(char *dst, const char *s, size_t len)
{
	size_t		i, n;
	unsigned char	c;
	char		*p = dst;

	n = len > QUOTE_MAX ? QUOTE_MAX : len;
	*p++ = '"';
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20 || c > 0x7e)
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	*p++ = '"';
	if (n < len) {
		memcpy(p, "...", 3);
		p += 3;
	}
	*p = '\0';
}

/* is_blank - SP or HTAB */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* has_ctl - 1 if s holds a control character (TAB too unless tab_ok) */
static int
has_ctl(const char *s, size_t len, int tab_ok)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7f)
			return 1;
	}
	return 0;
}

/* parse_num - a decimal 0..max made of digits only, or -1 */
static int
parse_num(const char *s, size_t len, int max)
{
	size_t	i;
	int	v = 0;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		/* Stop before the next step could overflow. */
		if (v > max)
			return -1;
	}
	return v;
}

/* dir_new - append a zeroed directive of kind to the list */
static struct directive *
dir_new(struct parser *ps, enum directive_kind kind)
{
	struct directive_list	*l = ps->out;
	struct directive	*d;

	if (l->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 8;
		l->d = xreallocarray(l->d, ps->cap, sizeof(*l->d));
	}
	d = &l->d[l->n++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	return d;
}

/*
 * name_index - check "NAME" or, when with_index, "NAME[I]" and split it.
 * Sets *nlen to the length of NAME and *idx to I, or to dflt without
 * "[I]".  A trailing "[...]" is always read as an index, so a header
 * whose name itself ends in ']' cannot be named with an index-less form.
 */
static int
name_index(struct parser *ps, const char *s, size_t len, int with_index,
    int dflt, size_t *nlen, int *idx)
{
	char		 q[QUOTE_MAX * 4 + 6];
	const char	*open;
	size_t		 n = len;

	*idx = dflt;
	if (with_index && len > 0 && s[len - 1] == ']' &&
	    (open = memrchr(s, '[', len - 1)) != NULL) {
		n = (size_t)(open - s);
		*idx = parse_num(open + 1, len - n - 2, INDEX_MAX);
		if (*idx < 1)
			return perr(ps, "bad header index (1..%d)", INDEX_MAX);
	}
	if (!header_name_ok(s, n)) {
		quote(q, s, n);
		return perr(ps, "bad header name %s", q);
	}
	*nlen = n;
	return 0;
}

/*
 * header_field - parse "NAME[I]: VALUE" into d, with index dflt when
 * there is no "[I]"; blanks after the colon are not part of the value
 * (the engine adds the one space itself).
 */
static int
header_field(struct parser *ps, struct directive *d, const char *s,
    size_t len, int with_index, int dflt)
{
	const char	*colon, *v;
	size_t		 nlen, vlen;

	if ((colon = memchr(s, ':', len)) == NULL)
		return perr(ps, "missing ':' after header name");
	if (name_index(ps, s, (size_t)(colon - s), with_index, dflt, &nlen,
	    &d->index) == -1)
		return -1;
	v = colon + 1;
	vlen = len - (size_t)(v - s);
	while (vlen > 0 && is_blank(*v))
		v++, vlen--;
	d->name = xmemdup(s, nlen);
	if (!header_value_ok(d->name, v, vlen))
		return perr(ps, "header field longer than %d bytes",
		    HEADER_LINE_MAX);
	d->value = xmemdup(v, vlen);
	return 0;
}

/* address - parse an address argument, "<>" only for change-sender */
static int
address(struct parser *ps, struct directive *d, const char *s, size_t len)
{
	const char	*bad;

	if (s[0] == '<' || s[len - 1] == '>') {
		if (len < 2 || s[0] != '<' || s[len - 1] != '>')
			return perr(ps, "unbalanced angle brackets");
		s++;
		len -= 2;
	}
	if (len == 0 && d->kind != D_CHANGE_SENDER)
		return perr(ps, "empty address");
	if ((bad = envelope_address_check(s, len)) != NULL)
		return perr(ps, "bad address: %s", bad);
	d->value = xmemdup(s, len);
	return 0;
}

/*
 * parse_line - one line without its line ending; blank and comment lines
 * add nothing.  Leading and trailing blanks are never part of an argument.
 */
static int
parse_line(struct parser *ps, const char *s, size_t len)
{
	char			 q[QUOTE_MAX * 4 + 6];
	struct directive	*d;
	const char		*arg;
	size_t			 i, klen, alen;
	enum directive_kind	 kind;
	int			 pos;

	while (len > 0 && is_blank(*s))
		s++, len--;
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	if (len == 0 || *s == '#')
		return 0;
	for (klen = 0; klen < len && !is_blank(s[klen]); klen++)
		;
	for (i = 0; i < KIND_COUNT; i++)
		if (strlen(kind_names[i]) == klen &&
		    strncasecmp(s, kind_names[i], klen) == 0)
			break;
	if (i == KIND_COUNT) {
		quote(q, s, klen);
		return perr(ps, "unknown directive %s", q);
	}
	kind = (enum directive_kind)i;
	arg = s + klen;
	alen = len - klen;
	while (alen > 0 && is_blank(*arg))
		arg++, alen--;
	if (alen == 0)
		return perr(ps, "%s needs an argument", kind_names[kind]);

	if (kind == D_REASON) {
		/* Two reasons would leave the reply text to file order. */
		if (ps->have_reason)
			return perr(ps, "second reason");
		if (alen > DIRECTIVE_REASON_MAX)
			return perr(ps, "reason longer than %d bytes",
			    DIRECTIVE_REASON_MAX);
		if (has_ctl(arg, alen, 1))
			return perr(ps, "control character in reason");
		ps->have_reason = 1;
	} else if (kind == D_PREFIX_SUBJECT) {
		if (alen > PREFIX_MAX)
			return perr(ps, "subject prefix longer than %d bytes",
			    PREFIX_MAX);
		if (has_ctl(arg, alen, 0))
			return perr(ps, "control character in subject "
			    "prefix");
	}

	d = dir_new(ps, kind);
	switch (kind) {
	case D_REASON:
	case D_PREFIX_SUBJECT:
		d->value = xmemdup(arg, alen);
		return 0;
	case D_ADD_HEADER:
		return header_field(ps, d, arg, alen, 0, 0);
	case D_INSERT_HEADER:
		for (i = 0; i < alen && !is_blank(arg[i]); i++)
			;
		if ((pos = parse_num(arg, i, INDEX_MAX)) == -1)
			return perr(ps, "bad position (0..%d)", INDEX_MAX);
		for (; i < alen && is_blank(arg[i]); i++)
			;
		if (i == alen)
			return perr(ps, "insert-header needs a header field "
			    "after the position");
		return header_field(ps, d, arg + i, alen - i, 0, pos);
	case D_CHANGE_HEADER:
		return header_field(ps, d, arg, alen, 1, 1);
	case D_DELETE_HEADER:
		if (name_index(ps, arg, alen, 1, 0, &i, &d->index) == -1)
			return -1;
		d->name = xmemdup(arg, i);
		return 0;
	case D_ADD_RCPT:
	case D_DELETE_RCPT:
	case D_CHANGE_SENDER:
		return address(ps, d, arg, alen);
	}
	return 0;
}

/* directive_parse - parse a whole result file; see directive.h */
int
directive_parse(const char *buf, size_t len, struct directive_list *out,
    char *why, size_t whylen)
{
	struct parser	 ps;
	const char	*line, *lf;
	size_t		 off, llen, next;

	out->d = NULL;
	out->n = 0;
	memset(&ps, 0, sizeof(ps));
	ps.out = out;
	ps.why = why;
	ps.whylen = whylen;
	if (len > DIRECTIVE_FILE_MAX) {
		if (why != NULL && whylen > 0)
			why_set(why, whylen, "file larger than %d bytes",
			    DIRECTIVE_FILE_MAX);
		return -1;
	}
	for (off = 0; off < len; off = next) {
		ps.lineno++;
		line = buf + off;
		if ((lf = memchr(line, '\n', len - off)) != NULL) {
			llen = (size_t)(lf - line);
			next = off + llen + 1;
		} else {
			llen = len - off;
			next = len;
		}
		/* Checked on every line, comments included: see SECURITY. */
		if (memchr(line, '\0', llen) != NULL) {
			perr(&ps, "NUL byte");
			goto fail;
		}
		if (lf != NULL && llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (memchr(line, '\r', llen) != NULL) {
			perr(&ps, "CR not followed by LF");
			goto fail;
		}
		if (parse_line(&ps, line, llen) == -1)
			goto fail;
	}
	return 0;

fail:
	directive_list_free(out);
	return -1;
}

/* directive_list_free - free every directive and leave an empty list */
void
directive_list_free(struct directive_list *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->d[i].name);
		free(l->d[i].value);
	}
	free(l->d);
	l->d = NULL;
	l->n = 0;
}

/* directive_kind_name - the keyword of a kind, for logs and traces */
const char *
directive_kind_name(enum directive_kind kind)
{
	if ((unsigned)kind >= KIND_COUNT)
		return "?";
	return kind_names[kind];
}
