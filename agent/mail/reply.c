/*
 * reply.c - making replies
 *
 * SECURITY: texts are formatted by sluice's own code or copied from a
 * next hop's reply (which the reply reader has already checked); the
 * front ends send them.  A text that does not fit is cut.
 * ERRORS: none.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mail/reply.h"

/* reply_set - a reply sluice chooses */
int
reply_set(struct reply *r, int code, const char *status, const char *fmt,
    ...)
{
	va_list	ap;

	r->code = code;
	snprintf(r->status, sizeof(r->status), "%s", status != NULL ? status :
	    "");
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	return -1;
}

/* is_status - "d.d.d" of at most 1.3.3 digits, then a blank or the end */
static size_t
is_status(const char *s, size_t len)
{
	size_t	i = 0, part, n;

	for (part = 0; part < 3; part++) {
		for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (n == 0 || n > (part == 0 ? 1 : 3))
			return 0;
		if (part < 2) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == len || s[i] == ' ' ? i : 0;
}

/* reply_set_wire - a reply read from a peer */
void
reply_set_wire(struct reply *r, int code, const char *text, size_t len)
{
	size_t	n = is_status(text, len);

	r->code = code;
	r->status[0] = '\0';
	if (n > 0 && n < sizeof(r->status)) {
		memcpy(r->status, text, n);
		r->status[n] = '\0';
		text += n;
		len -= n;
		if (len > 0 && *text == ' ')
			text++, len--;
	}
	if (len >= sizeof(r->text))
		len = sizeof(r->text) - 1;
	memcpy(r->text, text, len);
	r->text[len] = '\0';
}

/* reply_too_big - 552 5.3.4 */
void
reply_too_big(struct reply *r)
{
	(void)reply_set(r, 552, "5.3.4", "Message size exceeds fixed maximum "
	    "message size");
}

/* reply_worst - 4xx over 5xx over the first */
const struct reply *
reply_worst(const struct reply *r, size_t n)
{
	const struct reply	*w = n > 0 ? &r[0] : NULL;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (r[i].code / 100 == 5 && w->code / 100 == 2)
			w = &r[i];
	for (i = 0; i < n; i++)
		if (r[i].code / 100 == 4)
			return &r[i];
	return w;
}
