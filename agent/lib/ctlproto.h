/*
 * ctlproto.h - the control socket's request format
 *
 * A request is one line: at most CTL_REQUEST_MAX bytes with its
 * newline, words separated by single spaces, nothing before the first
 * or after the last.  A word is printable ASCII (0x21 to 0x7e); any
 * byte, '%' and space included, may be written %XX (two hex digits),
 * except %00.  The first word is the command, lower-case letters and
 * '-'.  A later word whose raw form starts with lower-case letters or
 * '_' and then '=' is an option (key=value, the value unescaped);
 * every other word is a positional argument (unescaped), so a
 * positional argument that holds '=' is written with %3D.
 *
 * The answer is one JSON object on one line, then the server closes
 * the connection: {"ok":true,...} or {"ok":false,"error":"..."}.
 */
#ifndef SLUICE_CTLPROTO_H
#define SLUICE_CTLPROTO_H

#include <stddef.h>

#include "lib/buf.h"

#define CTL_REQUEST_MAX	4096	/* bytes, the newline included */
#define CTL_WORDS_MAX	32

struct ctl_option {
	const char	*key;
	const char	*val;
};

struct ctl_request {
	const char		*cmd;
	const char		*arg[CTL_WORDS_MAX];
	size_t			 narg;
	struct ctl_option	 opt[CTL_WORDS_MAX];
	size_t			 nopt;
	char			 store[CTL_REQUEST_MAX + CTL_WORDS_MAX];
};

/*
 * ctl_parse - the request in line[0..len), without its newline, into
 * *r; 0, or -1 with why ("a control byte 0x0d at byte 12")
 */
int		 ctl_parse(const char *line, size_t len, struct ctl_request *r,
		    char *why, size_t whylen);
/* ctl_opt - the value of option key, or NULL */
const char	*ctl_opt(const struct ctl_request *, const char *key);
/* ctl_put_word - append one word, escaped, and a space before it
 * unless b is empty; -1 past b's maximum */
int		 ctl_put_word(struct buf *, const char *);
/* ctl_put_opt - append key=value, the value escaped */
int		 ctl_put_opt(struct buf *, const char *key, const char *val);

#endif
