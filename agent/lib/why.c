/*
 * why.c - filling a caller's "why" buffer
 *
 * SECURITY: bounded by whylen; the text is whatever the caller formats.
 * ERRORS: none.
 */
#include <stdio.h>
#include <string.h>

#include "lib/why.h"

/* why_vset - replace the text */
void
why_vset(char *why, size_t whylen, const char *fmt, va_list ap)
{
	if (why == NULL || whylen == 0)
		return;
	(void)vsnprintf(why, whylen, fmt, ap);
}

/* why_vappend - add to the text */
void
why_vappend(char *why, size_t whylen, const char *fmt, va_list ap)
{
	size_t	n;

	if (why == NULL || whylen == 0)
		return;
	n = strnlen(why, whylen);
	if (n >= whylen - 1)
		return;
	(void)vsnprintf(why + n, whylen - n, fmt, ap);
}

/* why_set - replace the text; -1 */
int
why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	why_vset(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* why_append - add to the text */
void
why_append(char *why, size_t whylen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	why_vappend(why, whylen, fmt, ap);
	va_end(ap);
}
