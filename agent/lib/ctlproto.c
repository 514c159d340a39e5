/*
 * ctlproto.c - parse and write control requests (format in ctlproto.h)
 *
 * SECURITY: the input comes from whoever may connect to the control
 * socket; nothing is trusted.  The parser copies into a fixed store in
 * the request, bounded by CTL_REQUEST_MAX, and never allocates.
 * ERRORS: anything outside the format is refused with the byte offset
 * and what is wrong there.
 */
#include <stdio.h>
#include <string.h>

#include "lib/ctlproto.h"
#include "lib/why.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* option_key - the length of "key" when w[0..n) is "key=...", else 0 */
static size_t
option_key(const char *w, size_t n)
{
	size_t	i;

	for (i = 0; i < n && ((w[i] >= 'a' && w[i] <= 'z') || w[i] == '_');
	    i++)
		;
	return i > 0 && i < n && w[i] == '=' ? i : 0;
}

/* unescape - w[0..n) decoded into out (NUL-terminated); -1 with why */
static int
unescape(const char *w, size_t n, size_t at, char *out, char *why,
    size_t whylen)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		if (w[i] != '%') {
			out[o++] = w[i];
			continue;
		}
		if (i + 2 >= n) {
			why_set(why, whylen, "an escape cut short at byte %zu",
			    at + i);
			return -1;
		}
		if ((hi = hexval(w[i + 1])) < 0 || (lo = hexval(w[i + 2])) < 0) {
			why_set(why, whylen, "a bad escape at byte %zu: '%%' "
			    "must be followed by two hex digits", at + i);
			return -1;
		}
		if (hi == 0 && lo == 0) {
			why_set(why, whylen, "%%00 at byte %zu: a word cannot "
			    "hold a NUL byte", at + i);
			return -1;
		}
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

int
ctl_parse(const char *line, size_t len, struct ctl_request *r, char *why,
    size_t whylen)
{
	char		*out = r->store;
	size_t		 i, start, n, k, nwords = 0;
	const char	*w;

	r->cmd = NULL;
	r->narg = r->nopt = 0;
	if (len == 0) {
		why_set(why, whylen, "an empty request");
		return -1;
	}
	if (len >= CTL_REQUEST_MAX) {
		why_set(why, whylen, "a request of over %d bytes",
		    CTL_REQUEST_MAX - 1);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] > 0x7e) {
			why_set(why, whylen, "byte 0x%02x at byte %zu: a "
			    "request is printable ASCII, other bytes escaped "
			    "as %%XX", (unsigned char)line[i], i);
			return -1;
		}
	for (start = 0; start <= len; start = i + 1) {
		for (i = start; i < len && line[i] != ' '; i++)
			;
		w = line + start;
		n = i - start;
		if (n == 0) {
			why_set(why, whylen, "an empty word at byte %zu: words "
			    "are separated by single spaces", start);
			return -1;
		}
		if (++nwords > CTL_WORDS_MAX) {
			why_set(why, whylen, "more than %d words",
			    CTL_WORDS_MAX);
			return -1;
		}
		if (r->cmd == NULL) {
			for (k = 0; k < n; k++)
				if (!(w[k] >= 'a' && w[k] <= 'z') && w[k] != '-')
					break;
			if (k < n) {
				why_set(why, whylen, "the command must be "
				    "lower-case letters and '-'");
				return -1;
			}
			memcpy(out, w, n);
			out[n] = '\0';
			r->cmd = out;
			out += n + 1;
		} else if ((k = option_key(w, n)) > 0) {
			memcpy(out, w, k);
			out[k] = '\0';
			if (ctl_opt(r, out) != NULL) {
				why_set(why, whylen, "option %s given twice",
				    out);
				return -1;
			}
			r->opt[r->nopt].key = out;
			out += k + 1;
			if (unescape(w + k + 1, n - k - 1, start + k + 1, out,
			    why, whylen) != 0)
				return -1;
			r->opt[r->nopt++].val = out;
			out += strlen(out) + 1;
		} else {
			if (unescape(w, n, start, out, why, whylen) != 0)
				return -1;
			r->arg[r->narg++] = out;
			out += strlen(out) + 1;
		}
	}
	return 0;
}

const char *
ctl_opt(const struct ctl_request *r, const char *key)
{
	size_t	i;

	for (i = 0; i < r->nopt; i++)
		if (strcmp(r->opt[i].key, key) == 0)
			return r->opt[i].val;
	return NULL;
}

/* escaped - w with every byte outside 0x21-0x7e, '%' and '=' as %XX */
static int
escaped(struct buf *b, const char *w)
{
	const unsigned char	*p;
	int			 rc = 0;

	for (p = (const unsigned char *)w; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '%' || *p == '=')
			rc |= buf_appendf(b, "%%%02X", *p);
		else
			rc |= buf_appendc(b, (char)*p);
	return rc;
}

int
ctl_put_word(struct buf *b, const char *w)
{
	if (b->len > 0 && buf_appendc(b, ' ') != 0)
		return -1;
	return escaped(b, w);
}

int
ctl_put_opt(struct buf *b, const char *key, const char *val)
{
	if ((b->len > 0 && buf_appendc(b, ' ') != 0) ||
	    buf_appendf(b, "%s=", key) != 0)
		return -1;
	return escaped(b, val);
}
