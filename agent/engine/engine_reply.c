/*
 * engine_reply.c - the replies of verdicts
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

/* reply_from_cfg - a configured reply, with the reason when it wants
 * one */
void
reply_from_cfg(struct reply *r, const struct reply_cfg *rc,
    const char *reason)
{
	if (rc->with_reason && reason != NULL && *reason != '\0')
		(void)reply_set(r, rc->code, rc->status, "%s: %s", rc->text,
		    reason);
	else
		(void)reply_set(r, rc->code, rc->status, "%s", rc->text);
}
