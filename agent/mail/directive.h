/*
 * directive.h - the filter result file
 *
 * A filter may write one directive per line to its result file (%o,
 * $SLUICE_RESULT).  Keywords are case-insensitive; blank lines and lines
 * starting with '#' are ignored.
 *
 *   reason TEXT                  reason text for the reply and the log
 *   add-header NAME: VALUE       append a header field
 *   insert-header N NAME: VALUE  insert before field N (0 = at the top)
 *   change-header NAME[I]: VALUE change the I'th NAME (default 1)
 *   delete-header NAME[I]        delete the I'th NAME; without [I], all
 *   prefix-subject TEXT          put TEXT and a space before the Subject
 *   add-rcpt ADDRESS             add an envelope recipient
 *   delete-rcpt ADDRESS          remove an envelope recipient
 *   change-sender ADDRESS        replace the envelope sender ("<>" = null)
 *
 * The file is untrusted.  Any line that is not one of the above, a header
 * name that is not RFC 5322 ftext, a value with CR or NUL, a header line
 * over 998 bytes, an address with control characters or over the RFC 5321
 * limits, or a file over DIRECTIVE_FILE_MAX is an error for the whole
 * file: no directive of it is applied.  Pure: no I/O.
 */
#ifndef SLUICE_DIRECTIVE_H
#define SLUICE_DIRECTIVE_H

#include <stddef.h>

#define DIRECTIVE_FILE_MAX	(256 * 1024)
#define DIRECTIVE_REASON_MAX	512

enum directive_kind {
	D_REASON,
	D_ADD_HEADER,
	D_INSERT_HEADER,
	D_CHANGE_HEADER,
	D_DELETE_HEADER,
	D_PREFIX_SUBJECT,
	D_ADD_RCPT,
	D_DELETE_RCPT,
	D_CHANGE_SENDER
};

struct directive {
	enum directive_kind	 kind;
	char			*name;	/* header name, or NULL */
	int			 index;	/* insert position; change/delete
					   index (1-based), 0 = all/first */
	char			*value;	/* header value (no leading space),
					   subject prefix, address, reason */
};

struct directive_list {
	struct directive	*d;
	size_t			 n;
};

/*
 * directive_parse - parse a whole result file.  On error returns -1 and
 * why says "line N: what is wrong"; out is then empty.
 */
int	directive_parse(const char *buf, size_t len,
	    struct directive_list *out, char *why, size_t whylen);
void	directive_list_free(struct directive_list *);
const char *directive_kind_name(enum directive_kind);

#endif
