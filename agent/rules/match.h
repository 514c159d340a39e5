/*
 * match.h - string patterns: exact strings and PCRE2 regexes
 *
 * A pattern written "/.../flags" is a regex (flags: i = caseless,
 * m = multiline, s = dot matches newline, x = extended), matched
 * anywhere in the value unless anchored; any other string matches a
 * whole value exactly, ignoring ASCII case.  Exact strings are tried
 * first: they are cheap, and most lists are mostly addresses.
 * match_pcre2.c is the only file that includes pcre2.h.
 *
 * Values come from mail, so every regex match runs within the limits
 * below (documented in sluice.conf(5)).  A match that reaches one has
 * no answer: it is neither a match nor a non-match, and callers must
 * not take it for either.
 */
#ifndef SLUICE_MATCH_H
#define SLUICE_MATCH_H

#include <stddef.h>

#define MATCH_LIMIT		1000000	/* backtracking steps of one match */
#define MATCH_DEPTH_LIMIT	10000	/* nested backtracking points
					   (without JIT) */
#define MATCH_HEAP_LIMIT_KIB	20480	/* memory for them (without JIT) */
#define MATCH_JIT_STACK_MAX	(1024 * 1024)	/* their stack with JIT */

struct regex;

struct match_list {
	char		**exact;
	size_t		  nexact;
	struct regex	**re;
	char		**re_src;	/* as written, for traces */
	size_t		  nre;
};

/* regex_compile - compile pattern with flags from "imsx"; NULL with why */
struct regex	*regex_compile(const char *pattern, const char *flags,
		    char *why, size_t whylen);
/*
 * regex_match - match s (len bytes; no NUL needed) anywhere: 1 on a
 * match, 0 on none, or a negative error code when the match could not
 * finish (a limit above, memory); regex_error() has its text
 */
int		 regex_match(const struct regex *, const char *, size_t);
/* regex_error - the text of a negative regex_match() result */
void		 regex_error(int rc, char *buf, size_t len);
void		 regex_free(struct regex **);

/* match_list_add - add one pattern as written in the config; 0, or -1
 * with why (a bad regex or flag) */
int	match_list_add(struct match_list *, const char *pattern, char *why,
	    size_t whylen);
/*
 * match_list_match - 1 if the string s matches a pattern; 0 if it
 * matches none; -1 if it matches none but a regex could not finish, so
 * the answer is unknown.  *which (when which != NULL) gets the pattern,
 * as written, that matched or, for -1, the first that could not finish;
 * why (may be NULL) gets the reason for -1.
 */
int	match_list_match(const struct match_list *, const char *s,
	    const char **which, char *why, size_t whylen);
int	match_list_empty(const struct match_list *);
size_t	match_list_count(const struct match_list *);
void	match_list_free(struct match_list *);

#endif
