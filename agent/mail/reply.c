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

/* reply_set_wire - a reply read from a peer, its text verbatim */
void
reply_set_wire(struct reply *r, int code, const char *text, size_t len)
{
	r->code = code;
	r->status[0] = '\0';
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
