/*
 * fuzz_header.c - libFuzzer target for header.c
 *
 * SECURITY: the input stands for a spooled message (non-strict) and a
 * filter's replacement message (strict).  Besides crashes and leaks it
 * checks what header_parse() promises: non-strict parsing never fails,
 * a strict success is the same list non-strict parsing gives, and a
 * serialized list parses back to the same fields.
 * ERRORS: a broken promise aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/header.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* same_names - both lists have the same field names in the same order */
static int
same_names(const struct header_list *a, const struct header_list *b)
{
	size_t	i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->h[i].name, b->h[i].name) != 0)
			return 0;
	return 1;
}

/* same_fields - names and values equal */
static int
same_fields(const struct header_list *a, const struct header_list *b)
{
	size_t	i;

	if (!same_names(a, b))
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->h[i].value, b->h[i].value) != 0)
			return 0;
	return 1;
}

/*
 * check_strict - a strictly parsed list, written out with its empty line,
 * must parse strictly again to the very same fields.
 */
static void
check_strict(const struct header_list *l)
{
	struct header_list	 r;
	char			*s, why[128];
	size_t			 slen, off;

	s = header_serialize(l, &slen);
	s[slen] = '\n';		/* the NUL's place; the length says slen + 1 */
	if (header_parse(s, slen + 1, &r, &off, 1, why, sizeof(why)) != 0 ||
	    off != slen + 1 || !same_fields(l, &r))
		abort();
	header_list_free(&r);
	free(s);
}

/*
 * check_loose - a list written out parses back to as many fields with
 * the same names.  Values may differ: "x\r" at the end of a line loses
 * its CR on the second parse, as any CR before LF does.
 */
static void
check_loose(const struct header_list *l)
{
	struct header_list	 r;
	char			*s;
	size_t			 slen, off;

	s = header_serialize(l, &slen);
	if (strlen(s) != slen)
		abort();
	if (header_parse(s, slen, &r, &off, 0, NULL, 0) != 0 ||
	    off != slen || !same_names(l, &r))
		abort();
	header_list_free(&r);
	free(s);
}

/* exercise - lookups and edits must agree with the list */
static void
exercise(struct header_list *l)
{
	const struct header	*h;
	char			*u, *name;
	size_t			 i, n;
	int			 c;

	for (i = 0; i < l->n; i++) {
		u = header_value_unfold(l->h[i].value);
		if (strlen(u) > strlen(l->h[i].value))
			abort();
		(void)header_value_ok(l->h[i].name, u, strlen(u));
		free(u);
		if (!header_name_ok(l->h[i].name, strlen(l->h[i].name)))
			abort();
	}
	if (l->n == 0)
		return;
	name = strdup(l->h[0].name);
	if (name == NULL)
		abort();
	c = header_count(l, name);
	if (c < 1 || (h = header_get(l, name, c)) == NULL ||
	    header_get(l, name, c + 1) != NULL)
		abort();
	if (header_change(l, name, c, " changed") != 0)
		abort();
	header_insert(l, 1, name, " inserted");
	n = l->n;
	if (header_delete(l, name, 0) != c + 1 || l->n != n - (size_t)c - 1 ||
	    header_count(l, name) != 0)
		abort();
	free(name);
}

/* LLVMFuzzerTestOneInput - parse both ways and check the promises */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct header_list	 loose, strict;
	const char		*buf = (const char *)data;
	char			 why[128];
	size_t			 off_l, off_s;

	if (header_parse(buf, size, &loose, &off_l, 0, why, sizeof(why)) != 0
	    || off_l > size)
		abort();
	if (header_parse(buf, size, &strict, &off_s, 1, why, sizeof(why))
	    == 0) {
		if (off_s != off_l || !same_fields(&strict, &loose))
			abort();
		check_strict(&strict);
		header_list_free(&strict);
	} else if (strict.n != 0 || strict.h != NULL)
		abort();
	check_loose(&loose);
	exercise(&loose);
	header_list_free(&loose);
	return 0;
}
