/*
 * NAME
 *	cron.c - parse and match cron-style time windows
 *
 * DESCRIPTION
 *	cron_parse() turns "minute hour day-of-month month weekday" into
 *	one bit set per field; cron_match() tests a broken-down time
 *	against those sets.  Each field is "*", "N", "A-B", "*\/S",
 *	"A-B/S", "N/S" (N up to the field's end, step S) or a comma list
 *	of those.  Months and weekdays also take three-letter English
 *	names, case-insensitive, also as range ends ("mon-fri").
 *	Weekday 7 is Sunday, as is 0.  As in Vixie cron, a day matches
 *	when either day field matches if both are restricted; a field
 *	written as a plain "*" leaves the other one in charge.
 *
 *	Ranges must run upwards: "10-5" is an error rather than a window
 *	that wraps around, since a silent wrap hides typing mistakes.  As
 *	the upper end of a weekday range, the name "sun" means 7, so
 *	"fri-sun" reads the way people write it.
 *
 * SECURITY
 *	The spec comes from the configuration file (and from sluicectl
 *	when a config is checked), so it is parsed as untrusted text: it
 *	is read up to its NUL and never beyond, numbers saturate instead
 *	of overflowing, and the text quoted back in error messages is
 *	truncated and has its control bytes escaped, so a message is
 *	always a single printable line that fits in why.  No allocation,
 *	no clock, no global state.
 *
 * ERRORS
 *	Nothing here is fatal.  cron_parse() returns -1 with a message
 *	naming the field ("hour field: 25 is out of range 0-23") and
 *	leaves the window untouched; cron_match() answers 0 for a time
 *	whose fields are out of range.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/why.h"
#include "rules/cron.h"

#define CRON_NFIELDS	5

/* Longest piece of the spec echoed back in an error message. */
#define QUOTE_MAX	32

/* Numbers stop growing here: large enough to be out of every range. */
#define NUM_CAP		100000

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};

static const char *const wday_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

/*
 * One field's limits.  "last" is where "*" and "N/S" stop: for the
 * weekday that is 6, not 7, so that "*\/2" or "1/2" never reach 7 and
 * fold back onto Sunday by surprise.  Explicit numbers may still say 7.
 */
struct cron_field {
	const char		*name;
	int			 min;
	int			 max;
	int			 last;
	const char *const	*names;
	int			 namebase;	/* value of names[0] */
};

static const struct cron_field fields[CRON_NFIELDS] = {
	{ "minute",		0, 59, 59, NULL,	0 },
	{ "hour",		0, 23, 23, NULL,	0 },
	{ "day-of-month",	1, 31, 31, NULL,	0 },
	{ "month",		1, 12, 12, month_names,	1 },
	{ "weekday",		0,  7,  6, wday_names,	0 },
};

/* Where an error message goes; why may be NULL when whylen is 0. */
struct cron_err {
	char	*why;
	size_t	 whylen;
};

static void	cron_errf(struct cron_err *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	field_errf(struct cron_err *, const struct cron_field *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

/* is_digit - ASCII digit, independent of the locale */
static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* is_alpha - ASCII letter, independent of the locale */
static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_blank - the characters that separate fields */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * show - copy s[0..n) into dst as printable text of at most QUOTE_MAX
 * source bytes, in double quotes when quoted is set, so that a message
 * built from hostile text stays one short line.
 */
static const char *
show(char *dst, size_t dstlen, const char *s, size_t n, int quoted)
{
	static const char hex[] = "0123456789abcdef";
	size_t		  i, o;
	unsigned char	  c;

	/* Worst case: 4 bytes per source byte, quotes, "...", NUL. */
	if (dstlen < QUOTE_MAX * 4 + 6) {
		if (dstlen > 0)
			dst[0] = '\0';
		return dst;
	}
	o = 0;
	if (quoted)
		dst[o++] = '"';
	for (i = 0; i < n && i < QUOTE_MAX; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		} else
			dst[o++] = (char)c;
	}
	if (n > QUOTE_MAX) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	if (quoted)
		dst[o++] = '"';
	dst[o] = '\0';
	return dst;
}

/* quote - show() in double quotes */
static const char *
quote(char *dst, size_t dstlen, const char *s, size_t n)
{
	return show(dst, dstlen, s, n, 1);
}

/* cron_errf - format a whole-spec error into why, if there is room */
static void
cron_errf(struct cron_err *e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	why_vset(e->why, e->whylen, fmt, ap);
	va_end(ap);
}

/* field_errf - format an error prefixed with the field's name */
static void
field_errf(struct cron_err *e, const struct cron_field *f,
    const char *fmt, ...)
{
	va_list	ap;

	why_set(e->why, e->whylen, "%s field: ", f->name);
	va_start(ap, fmt);
	why_vappend(e->why, e->whylen, fmt, ap);
	va_end(ap);
}

/*
 * parse_value - read a number or a name at s[*pos..n) into *val.
 * *isname tells a caller whether a name was written; *tok and *toklen
 * point at the text, so that errors about ranges can quote it.
 */
static int
parse_value(const struct cron_field *f, const char *s, size_t n,
    size_t *pos, int *val, int *isname, const char **tok, size_t *toklen,
    struct cron_err *e)
{
	char	q1[QUOTE_MAX * 4 + 8], q2[QUOTE_MAX * 4 + 8];
	size_t	start, len, i;
	int	v;

	start = *pos;
	while (*pos < n && (is_digit(s[*pos]) || is_alpha(s[*pos])))
		(*pos)++;
	len = *pos - start;
	*tok = s + start;
	*toklen = len;
	*isname = 0;

	if (len == 0) {
		if (start >= n)
			field_errf(e, f, "missing value at the end of %s",
			    quote(q1, sizeof(q1), s, n));
		else if (start == 0)
			field_errf(e, f, "unexpected %s",
			    quote(q1, sizeof(q1), s, n));
		else
			field_errf(e, f, "unexpected %s in %s",
			    quote(q1, sizeof(q1), s + start, n - start),
			    quote(q2, sizeof(q2), s, n));
		return -1;
	}

	if (is_digit(s[start])) {
		v = 0;
		for (i = start; i < *pos; i++) {
			if (!is_digit(s[i])) {
				field_errf(e, f, "bad number %s",
				    quote(q1, sizeof(q1), s + start, len));
				return -1;
			}
			/* Saturate: any capped value is out of range. */
			if (v < NUM_CAP)
				v = v * 10 + (s[i] - '0');
		}
		if (v < f->min || v > f->max) {
			field_errf(e, f, "%s is out of range %d-%d",
			    show(q1, sizeof(q1), s + start, len, 0),
			    f->min, f->max);
			return -1;
		}
		*val = v;
		return 0;
	}

	if (f->names == NULL) {
		field_errf(e, f, "%s is not a number",
		    quote(q1, sizeof(q1), s + start, len));
		return -1;
	}
	if (len == 3) {
		for (i = 0; f->names[i] != NULL; i++) {
			if (strncasecmp(s + start, f->names[i], 3) == 0) {
				*val = f->namebase + (int)i;
				*isname = 1;
				return 0;
			}
		}
	}
	field_errf(e, f, "unknown name %s",
	    quote(q1, sizeof(q1), s + start, len));
	return -1;
}

/* parse_step - read the step that fills all of s[0..n) */
static int
parse_step(const struct cron_field *f, const char *s, size_t n, int *step,
    struct cron_err *e)
{
	char	q[QUOTE_MAX * 4 + 8];
	size_t	i;
	int	v;

	/*
	 * A step larger than the field's span would select only the
	 * first value, which is surely not what was meant.
	 */
	v = 0;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			break;
		if (v < NUM_CAP)
			v = v * 10 + (s[i] - '0');
	}
	if (n == 0 || i < n || v < 1 || v > f->max - f->min) {
		field_errf(e, f, "bad step %s (must be 1-%d)",
		    quote(q, sizeof(q), s, n), f->max - f->min);
		return -1;
	}
	*step = v;
	return 0;
}

/* parse_element - one list element s[0..n) into the bit set *bits */
static int
parse_element(const struct cron_field *f, const char *s, size_t n,
    uint64_t *bits, struct cron_err *e)
{
	char		 q1[QUOTE_MAX * 4 + 8], q2[QUOTE_MAX * 4 + 8];
	const char	*lotok, *hitok;
	size_t		 pos, lolen, hilen;
	int		 lo, hi, step, loname, hiname, v;

	pos = 0;
	step = 1;
	if (s[0] == '*') {
		lo = f->min;
		hi = f->last;
		pos = 1;
	} else {
		if (parse_value(f, s, n, &pos, &lo, &loname, &lotok, &lolen,
		    e) == -1)
			return -1;
		if (pos < n && s[pos] == '-') {
			pos++;
			if (parse_value(f, s, n, &pos, &hi, &hiname, &hitok,
			    &hilen, e) == -1)
				return -1;
			/* "fri-sun": Sunday as the week's last day. */
			if (f->names == wday_names && hiname && hi == 0 &&
			    lo > 0)
				hi = 7;
			if (lo > hi) {
				field_errf(e, f, "range %s-%s is reversed",
				    show(q1, sizeof(q1), lotok, lolen, 0),
				    show(q2, sizeof(q2), hitok, hilen, 0));
				return -1;
			}
		} else if (pos < n && s[pos] == '/')
			/* "N/S"; a weekday of 7 stays itself. */
			hi = lo > f->last ? lo : f->last;
		else
			hi = lo;
	}
	if (pos < n && s[pos] == '/') {
		if (parse_step(f, s + pos + 1, n - pos - 1, &step, e) == -1)
			return -1;
		pos = n;
	}
	if (pos < n) {
		field_errf(e, f, "unexpected %s in %s",
		    quote(q1, sizeof(q1), s + pos, n - pos),
		    quote(q2, sizeof(q2), s, n));
		return -1;
	}

	for (v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	return 0;
}

/* parse_field - a comma list s[0..n) into *bits; *star for a plain "*" */
static int
parse_field(const struct cron_field *f, const char *s, size_t n,
    uint64_t *bits, uint8_t *star, struct cron_err *e)
{
	char	q[QUOTE_MAX * 4 + 8];
	size_t	start, end;

	*bits = 0;
	*star = (n == 1 && s[0] == '*');
	start = 0;
	for (;;) {
		end = start;
		while (end < n && s[end] != ',')
			end++;
		if (end == start) {
			field_errf(e, f, "empty list element in %s",
			    quote(q, sizeof(q), s, n));
			return -1;
		}
		if (parse_element(f, s + start, end - start, bits, e) == -1)
			return -1;
		if (end == n)
			break;
		start = end + 1;
	}
	return 0;
}

/* cron_parse - parse spec into w, or explain in why and return -1 */
int
cron_parse(struct cron_window *w, const char *spec, char *why,
    size_t whylen)
{
	struct cron_err		 e = { why, whylen };
	struct cron_window	 nw;
	const char		*fstart[CRON_NFIELDS], *p;
	size_t			 flen[CRON_NFIELDS], nf;
	uint64_t		 bits[CRON_NFIELDS];
	uint8_t			 star[CRON_NFIELDS];
	int			 i;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (spec == NULL) {
		cron_errf(&e, "no time window given");
		return -1;
	}

	/* Split at blanks first, so a wrong count is reported as such. */
	nf = 0;
	p = spec;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		if (nf < CRON_NFIELDS)
			fstart[nf] = p;
		while (*p != '\0' && !is_blank(*p))
			p++;
		if (nf < CRON_NFIELDS)
			flen[nf] = (size_t)(p - fstart[nf]);
		nf++;
	}
	if (nf != CRON_NFIELDS) {
		cron_errf(&e, "expected %d fields, found %zu", CRON_NFIELDS,
		    nf);
		return -1;
	}

	for (i = 0; i < CRON_NFIELDS; i++)
		if (parse_field(&fields[i], fstart[i], flen[i], &bits[i],
		    &star[i], &e) == -1)
			return -1;

	memset(&nw, 0, sizeof(nw));
	nw.minute = bits[0];
	nw.hour = (uint32_t)bits[1];
	nw.mday = (uint32_t)bits[2];
	nw.month = (uint16_t)bits[3];
	/* Weekday 7 is another name for Sunday. */
	nw.wday = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f);
	nw.mday_star = star[2];
	nw.wday_star = star[4];
	*w = nw;
	return 0;
}

/* cron_match - 1 if the broken-down local time tm is inside the window */
int
cron_match(const struct cron_window *w, const struct tm *tm)
{
	int	mday_ok, wday_ok;

	/* Out-of-range fields would shift past the sets' widths. */
	if (tm->tm_min < 0 || tm->tm_min > 59 ||
	    tm->tm_hour < 0 || tm->tm_hour > 23 ||
	    tm->tm_mday < 1 || tm->tm_mday > 31 ||
	    tm->tm_mon < 0 || tm->tm_mon > 11 ||
	    tm->tm_wday < 0 || tm->tm_wday > 6)
		return 0;

	if ((w->minute & ((uint64_t)1 << tm->tm_min)) == 0 ||
	    (w->hour & ((uint32_t)1 << tm->tm_hour)) == 0 ||
	    (w->month & (1U << (tm->tm_mon + 1))) == 0)
		return 0;

	mday_ok = (w->mday & ((uint32_t)1 << tm->tm_mday)) != 0;
	wday_ok = (w->wday & (1U << tm->tm_wday)) != 0;
	if (!w->mday_star && !w->wday_star)
		return mday_ok || wday_ok;
	return mday_ok && wday_ok;
}
