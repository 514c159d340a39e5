/*
 * why.h - the one formatter of "why" texts
 *
 * Fallible functions explain a failure in a caller's buffer (char *why,
 * size_t whylen).  These fill it; a NULL or empty buffer is allowed and
 * left alone, and a text that does not fit is cut, never overrun.
 */
#ifndef SLUICE_WHY_H
#define SLUICE_WHY_H

#include <stdarg.h>
#include <stddef.h>

/* why_set - the text, replacing what was there; always returns -1, so
 * "return why_set(...)" reports a failure in one line */
int	why_set(char *why, size_t whylen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* why_append - add to the end of what is there */
void	why_append(char *why, size_t whylen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	why_vset(char *why, size_t whylen, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));
void	why_vappend(char *why, size_t whylen, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));

#endif
