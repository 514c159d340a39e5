/*
 * match.h - string patterns: exact strings and PCRE2 regexes
 *
 * A pattern written "/.../flags" is a regex (flags: i = caseless,
 * x = extended, s = dot matches newline); any other string matches a
 * whole value exactly, ignoring ASCII case.  Exact strings are tried
 * first: they are cheap, and most lists are mostly addresses.
 * match_pcre2.c is the only file that includes pcre2.h.
 */
#ifndef SLUICE_MATCH_H
#define SLUICE_MATCH_H

#include <stddef.h>

struct regex;

struct match_list {
	char		**exact;
	size_t		  nexact;
	struct regex	**re;
	char		**re_src;	/* as written, for traces */
	size_t		  nre;
};

struct regex	*regex_compile(const char *pattern, const char *flags,
		    char *why, size_t whylen);
/* regex_match - 1 on a match, 0 on none, -1 on a match-time error
 * (e.g. the match limit): callers treat -1 as no match and log */
int		 regex_match(const struct regex *, const char *, size_t);
void		 regex_free(struct regex **);

/* match_list_add - add one pattern as written in the config */
int	match_list_add(struct match_list *, const char *pattern, char *why,
	    size_t whylen);
/* match_list_match - 1 if s matches any pattern; *which gets the
 * pattern that matched (as written) when which != NULL */
int	match_list_match(const struct match_list *, const char *s,
	    const char **which);
int	match_list_empty(const struct match_list *);
size_t	match_list_count(const struct match_list *);
void	match_list_free(struct match_list *);

#endif
