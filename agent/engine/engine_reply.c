/*
 * reply.c - SMTP replies for verdicts
 *
 * SECURITY: the reason text comes from a filter (untrusted) and ends up
 * in an SMTP reply: reply_clean_reason() keeps one line of printable
 * ASCII, so a filter cannot inject a second reply line or a command.
 * ERRORS: none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "lib/xmalloc.h"

/* reply_clean_reason - first line, printable, bounded */
char *
reply_clean_reason(const char *s, size_t len, size_t max)
{
	char	*out;
	size_t	 i, n = 0;

	out = xmalloc(max + 1);
	/* skip leading blank lines and blanks */
	while (len > 0 && (*s == '\n' || *s == '\r' || *s == ' ' ||
	    *s == '\t'))
		s++, len--;
	for (i = 0; i < len && n < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' || c == '\r' || c == '\0')
			break;
		out[n++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
	if (n == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* reply_set - a configured reply, with the reason when it wants one */
void
reply_set(struct engine_reply *r, const struct reply_cfg *rc,
    const char *reason)
{
	r->code = rc->code;
	snprintf(r->status, sizeof(r->status), "%s", rc->status);
	if (rc->with_reason && reason != NULL && *reason != '\0')
		snprintf(r->text, sizeof(r->text), "%s: %s", rc->text, reason);
	else
		snprintf(r->text, sizeof(r->text), "%s", rc->text);
}

/* reply_set_raw - a reply chosen by the code itself */
void
reply_set_raw(struct engine_reply *r, int code, const char *status,
    const char *text)
{
	r->code = code;
	snprintf(r->status, sizeof(r->status), "%s", status);
	snprintf(r->text, sizeof(r->text), "%s", text);
}
