/*
 * json.c - writing JSON into a buffer
 *
 * SECURITY: strings may come from outside (header fields, envelope
 * values, filter output); everything below 0x20, '"', '\\', DEL and
 * every byte that does not start or continue a valid UTF-8 sequence is
 * escaped, so a reader never sees raw control bytes or broken text.
 * ERRORS: a write past the buffer's maximum or nesting deeper than
 * JSON_DEPTH marks the writer bad; json_done() says so.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"

void
json_init(struct json *j, struct buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
	j->first[0] = 1;
}

static void
put(struct json *j, const char *s, size_t n)
{
	if (buf_append(j->b, s, n) != 0)
		j->bad = 1;
}

/* utf8_len - the length of the valid UTF-8 sequence at s, 0 if none */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		len, i;
	unsigned	cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* quote - s as a JSON string */
static void
quote(struct json *j, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[8];
	size_t			 i = 0, run, k;

	put(j, "\"", 1);
	while (i < n) {
		/* the longest stretch that needs no escape */
		for (run = i; run < n; run += k) {
			if (p[run] < 0x20 || p[run] == '"' || p[run] == '\\' ||
			    p[run] == 0x7f)
				break;
			if ((k = utf8_len(p + run, n - run)) == 0)
				break;
		}
		put(j, s + i, run - i);
		if ((i = run) == n)
			break;
		switch (p[i]) {
		case '"':
			put(j, "\\\"", 2);
			break;
		case '\\':
			put(j, "\\\\", 2);
			break;
		case '\n':
			put(j, "\\n", 2);
			break;
		case '\r':
			put(j, "\\r", 2);
			break;
		case '\t':
			put(j, "\\t", 2);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			put(j, esc, 6);
			break;
		}
		i++;
	}
	put(j, "\"", 1);
}

/* member - the comma and the name before a value */
static void
member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = 0;
	if (key != NULL) {
		quote(j, key, strlen(key));
		put(j, ":", 1);
	}
}

static void
open_one(struct json *j, const char *key, const char *c)
{
	member(j, key);
	if (j->depth + 1 >= JSON_DEPTH) {
		j->bad = 1;
		return;
	}
	put(j, c, 1);
	j->first[++j->depth] = 1;
	j->close[j->depth] = c[0] == '{' ? '}' : ']';
}

void
json_object(struct json *j, const char *key)
{
	open_one(j, key, "{");
}

void
json_array(struct json *j, const char *key)
{
	open_one(j, key, "[");
}

void
json_end(struct json *j)
{
	if (j->depth == 0) {
		j->bad = 1;
		return;
	}
	put(j, &j->close[j->depth], 1);
	j->depth--;
}

void
json_strn(struct json *j, const char *key, const char *s, size_t n)
{
	member(j, key);
	quote(j, s, n);
}

void
json_str(struct json *j, const char *key, const char *s)
{
	if (s == NULL)
		json_null(j, key);
	else
		json_strn(j, key, s, strlen(s));
}

void
json_int(struct json *j, const char *key, long long v)
{
	char	num[32];
	int	n;

	member(j, key);
	n = snprintf(num, sizeof(num), "%lld", v);
	put(j, num, (size_t)n);
}

void
json_uint(struct json *j, const char *key, uint64_t v)
{
	char	num[32];
	int	n;

	member(j, key);
	n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	put(j, num, (size_t)n);
}

/* json_double - JSON has no NaN or infinity: those are null */
void
json_double(struct json *j, const char *key, double v)
{
	char	num[40];
	int	n;

	if (!isfinite(v)) {
		json_null(j, key);
		return;
	}
	member(j, key);
	n = snprintf(num, sizeof(num), "%.15g", v);
	put(j, num, (size_t)n);
}

void
json_bool(struct json *j, const char *key, int v)
{
	member(j, key);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void
json_null(struct json *j, const char *key)
{
	member(j, key);
	put(j, "null", 4);
}

int
json_done(const struct json *j)
{
	return j->bad || j->depth != 0 ? -1 : 0;
}
