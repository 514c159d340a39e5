/*
 * match_pcre2.c - patterns for rule conditions, on PCRE2
 *
 * The only file that includes pcre2.h.  Patterns come from the config
 * (trusted, checked at load); subjects come from mail (untrusted): every
 * match runs with the limits of match.h, so a pathological pattern
 * stops within milliseconds whatever the subject, and one that stops
 * so is reported as an error, never as a non-match.  JIT-compiled
 * patterns backtrack on a stack of their own: PCRE2's 32 KiB default
 * first, and only when that is not enough a private one of up to
 * MATCH_JIT_STACK_MAX, made for the one match (a stack must not be
 * shared between threads, and few matches need it).
 * SECURITY: subjects are matched as bytes with their length; no
 * NUL-termination is assumed.
 * ERRORS: compile errors are returned with the PCRE2 message and offset;
 * match-time errors are returned as PCRE2's negative codes.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/why.h"
#include "lib/xmalloc.h"
#include "rules/match.h"

#define JIT_STACK_START	(32 * 1024)

struct regex {
	pcre2_code		*code;
	pcre2_match_context	*mctx;
};

/* regex_compile - compile pattern with flags from "imsx" */
struct regex *
regex_compile(const char *pattern, const char *flags, char *why,
    size_t whylen)
{
	struct regex	*re;
	uint32_t	 opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int		 err;
	PCRE2_SIZE	 off;
	PCRE2_UCHAR	 msg[256];
	const char	*f;

	for (f = flags; *f != '\0'; f++) {
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		default:
			why_set(why, whylen, "unknown regex flag '%c'", *f);
			return NULL;
		}
	}
	re = xcalloc(1, sizeof(*re));
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    opts, &err, &off, NULL);
	if (re->code == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		why_set(why, whylen, "bad regex at offset %zu: %s",
		    (size_t)off, (char *)msg);
		free(re);
		return NULL;
	}
	/* JIT is an optimisation; without it matching still works. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	re->mctx = pcre2_match_context_create(NULL);
	if (re->mctx == NULL) {
		pcre2_code_free(re->code);
		free(re);
		why_set(why, whylen, "out of memory");
		return NULL;
	}
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, MATCH_DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mctx, MATCH_HEAP_LIMIT_KIB);
	return re;
}

/* match_big_stack - the match again, on a private JIT stack of up to
 * MATCH_JIT_STACK_MAX */
static int
match_big_stack(const struct regex *re, const char *s, size_t len,
    pcre2_match_data *md)
{
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*stack;
	int			 rc = PCRE2_ERROR_NOMEMORY;

	if ((mctx = pcre2_match_context_copy(re->mctx)) == NULL)
		return rc;
	stack = pcre2_jit_stack_create(JIT_STACK_START, MATCH_JIT_STACK_MAX,
	    NULL);
	if (stack != NULL) {
		pcre2_jit_stack_assign(mctx, NULL, stack);
		rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md, mctx);
		pcre2_jit_stack_free(stack);
	}
	pcre2_match_context_free(mctx);
	return rc;
}

/* regex_match - match s (len bytes) anywhere: 1, 0, or a PCRE2 error */
int
regex_match(const struct regex *re, const char *s, size_t len)
{
	pcre2_match_data	*md;
	int			 rc;

	/* match data per call: the same config is used by many threads */
	md = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (md == NULL)
		return PCRE2_ERROR_NOMEMORY;
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md, re->mctx);
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = match_big_stack(re, s, len, md);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	/* any other negative code is a match that did not finish */
	return rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

/* regex_error - PCRE2's text for a match-time error code */
void
regex_error(int rc, char *buf, size_t len)
{
	/* a message cut to fit is fine; an unknown code gets its number */
	if (len > 0 && pcre2_get_error_message(rc, (PCRE2_UCHAR *)buf,
	    len) == PCRE2_ERROR_BADDATA)
		snprintf(buf, len, "PCRE2 error %d", rc);
}

/* regex_free - release a compiled regex */
void
regex_free(struct regex **rep)
{
	struct regex	*re = *rep;

	if (re == NULL)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re);
	*rep = NULL;
}

/* match_list_add - classify and add one pattern */
int
match_list_add(struct match_list *ml, const char *pat, char *why,
    size_t whylen)
{
	const char	*end;
	char		*body;
	struct regex	*re;
	size_t		 len = strlen(pat);

	if (len >= 2 && pat[0] == '/' && (end = strrchr(pat, '/')) != pat) {
		body = xstrndup(pat + 1, (size_t)(end - pat - 1));
		re = regex_compile(body, end + 1, why, whylen);
		free(body);
		if (re == NULL)
			return -1;
		ml->re = xreallocarray(ml->re, ml->nre + 1, sizeof(*ml->re));
		ml->re_src = xreallocarray(ml->re_src, ml->nre + 1,
		    sizeof(*ml->re_src));
		ml->re[ml->nre] = re;
		ml->re_src[ml->nre++] = xstrdup(pat);
		return 0;
	}
	ml->exact = xreallocarray(ml->exact, ml->nexact + 1,
	    sizeof(*ml->exact));
	ml->exact[ml->nexact++] = xstrdup(pat);
	return 0;
}

/*
 * match_list_match - exact strings first, then regexes.  A regex that
 * cannot finish leaves the answer open: a later pattern may still match.
 */
int
match_list_match(const struct match_list *ml, const char *s,
    const char **which, char *why, size_t whylen)
{
	size_t	i, len = strlen(s);
	int	rc, err = 0;
	char	msg[128];

	for (i = 0; i < ml->nexact; i++)
		if (strcasecmp(ml->exact[i], s) == 0) {
			if (which != NULL)
				*which = ml->exact[i];
			return 1;
		}
	for (i = 0; i < ml->nre; i++) {
		if ((rc = regex_match(ml->re[i], s, len)) == 1) {
			if (which != NULL)
				*which = ml->re_src[i];
			return 1;
		}
		if (rc < 0 && err++ == 0) {
			if (which != NULL)
				*which = ml->re_src[i];
			regex_error(rc, msg, sizeof(msg));
			if (why != NULL)
				why_set(why, whylen, "%s", msg);
		}
	}
	return err > 0 ? -1 : 0;
}

/* match_list_empty - 1 when the list has no pattern */
int
match_list_empty(const struct match_list *ml)
{
	return ml->nexact == 0 && ml->nre == 0;
}

/* match_list_count - number of patterns */
size_t
match_list_count(const struct match_list *ml)
{
	return ml->nexact + ml->nre;
}

/* match_list_free - release every pattern */
void
match_list_free(struct match_list *ml)
{
	size_t	i;

	for (i = 0; i < ml->nexact; i++)
		free(ml->exact[i]);
	for (i = 0; i < ml->nre; i++) {
		regex_free(&ml->re[i]);
		free(ml->re_src[i]);
	}
	free(ml->exact);
	free(ml->re);
	free(ml->re_src);
	memset(ml, 0, sizeof(*ml));
}
