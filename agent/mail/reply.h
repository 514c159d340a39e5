/*
 * reply.h - the one reply type: what an MTA or an SMTP client is told
 *
 * Every answer sluice gives - a parser's refusal of a command, the
 * envelope check's, a verdict's, the next hop's reply passed on - is a
 * struct reply: a code, an enhanced status code (may be empty) and a
 * text whose lines are separated by '\n' (a multi-line reply).  The
 * front ends alone turn it into wire form.
 */
#ifndef SLUICE_REPLY_H
#define SLUICE_REPLY_H

#include <stddef.h>

#define REPLY_TEXT_MAX	1024	/* text bytes, with the NUL */

struct reply {
	int	code;			/* 250, 451, 550, ... */
	char	status[16];		/* "5.7.1", or "" */
	char	text[REPLY_TEXT_MAX];	/* lines separated by '\n' */
};

/* reply_set - code, status and a formatted text; always returns -1, so
 * a parser can "return reply_set(...)" */
int	reply_set(struct reply *, int code, const char *status,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * reply_set_wire - from a reply as read off the wire: text[0..len) is
 * its lines' texts, separated by '\n', each with its own enhanced
 * status code if it had one; the status stays empty so that every line
 * goes out again as it came.
 */
void	reply_set_wire(struct reply *, int code, const char *text, size_t len);
/*
 * reply_too_big - the size policy's one answer: a message over
 * message_max (announced with SIZE=, seen while spooling, or after a
 * filter's rewrite) gets 552 5.3.4 with this text everywhere
 */
void	reply_too_big(struct reply *);
/* reply_worst - the reply that speaks for several: a 4xx, else a 5xx,
 * else the first; NULL when n is 0 */
const struct reply *reply_worst(const struct reply *, size_t n);

#endif
