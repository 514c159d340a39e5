/*
 * cond.h - rule conditions
 *
 * A condition set holds when every condition in it holds.  A rule runs
 * when its positive set holds and its "unless" set does not (an empty
 * unless set never holds).  Conditions read the envelope, the current
 * header block, the message size and the local time; nothing else.
 *
 * Recipient conditions: with recipient_match = "any" (the default) the
 * condition holds when at least one recipient matches; with "all" when
 * every recipient matches.  A message with no recipients matches neither.
 *
 * A regex that cannot finish matching (match.h) makes its value's match
 * unknown.  Evaluation then answers -1, undecided, unless the rest
 * settles it (another pattern or value matches where one is enough, one
 * fails where all must hold); the explanation names the value, the
 * pattern and PCRE2's reason.
 */
#ifndef SLUICE_COND_H
#define SLUICE_COND_H

#include <stddef.h>
#include <time.h>

#include "rules/cron.h"
#include "rules/match.h"

struct envelope;
struct header_list;

enum cond_field {
	CF_SENDER,
	CF_RCPT,
	CF_SUBJECT,
	CF_HEADER,
	CF_SIZE,
	CF_TIME
};

struct cond {
	enum cond_field		 field;
	char			*header;	/* CF_HEADER: field name */
	struct match_list	 ml;		/* CF_SENDER..CF_HEADER */
	int			 rcpt_all;	/* CF_RCPT */
	unsigned long long	 size_min;	/* CF_SIZE, inclusive */
	unsigned long long	 size_max;	/* CF_SIZE, inclusive */
	struct cron_window	 cron;		/* CF_TIME */
	char			*cron_spec;
};

struct cond_set {
	struct cond	*c;
	size_t		 n;
};

struct cond_input {
	const struct envelope		*env;
	const struct header_list	*hdr;
	unsigned long long		 size;
	const struct tm			*tm;	/* local time of the message */
};

/* cond_eval - 1 if c holds, 0 if not, -1 if undecided; why says why */
int	cond_eval(const struct cond *c, const struct cond_input *in,
	    char *why, size_t whylen);
/* cond_set_eval - 1 if every condition holds, 0 if one does not (why
 * names the first), else -1 if one is undecided (why names the first);
 * for 1, why says that all hold */
int	cond_set_eval(const struct cond_set *s, const struct cond_input *in,
	    char *why, size_t whylen);
/* cond_match_text - value against the list: 1, 0 or -1 (undecided) as
 * cond_eval(), why quoting "label" and the value as a trace shows them */
int	cond_match_text(const struct match_list *ml, const char *label,
	    const char *value, char *why, size_t whylen);
struct cond	*cond_set_add(struct cond_set *, enum cond_field);
void	cond_set_free(struct cond_set *);
const char *cond_field_name(enum cond_field);
/* str_printable - copy src for a trace or log line: control bytes become
 * '?', and long values are cut with "..." */
void	str_printable(char *dst, size_t dstlen, const char *src);

#endif
