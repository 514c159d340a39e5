/*
 * fuzz_directive.c - libFuzzer target for directive.c
 *
 * SECURITY: the input stands for a filter's result file.  Besides crashes
 * and leaks it checks that every accepted directive is safe to apply:
 * header names are ftext, header lines fit, nothing holds CR or LF, and
 * a failed parse leaves an empty list and says which line was wrong.
 * ERRORS: a broken promise aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/directive.h"
#include "mail/header.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - one accepted directive keeps the promises of directive.h */
static void
check(const struct directive *d)
{
	size_t	vlen;

	if (d->value != NULL) {
		vlen = strlen(d->value);
		if (memchr(d->value, '\r', vlen) != NULL ||
		    memchr(d->value, '\n', vlen) != NULL)
			abort();
	}
	switch (d->kind) {
	case D_ADD_HEADER:
	case D_INSERT_HEADER:
	case D_CHANGE_HEADER:
		if (d->name == NULL || d->value == NULL ||
		    !header_name_ok(d->name, strlen(d->name)) ||
		    !header_value_ok(d->name, d->value, strlen(d->value)) ||
		    d->index < 0 || d->index > 10000)
			abort();
		if (d->kind == D_CHANGE_HEADER && d->index < 1)
			abort();
		break;
	case D_DELETE_HEADER:
		if (d->name == NULL || d->value != NULL ||
		    !header_name_ok(d->name, strlen(d->name)) ||
		    d->index < 0 || d->index > 10000)
			abort();
		break;
	case D_REASON:
	case D_PREFIX_SUBJECT:
		if (d->name != NULL || d->value == NULL || d->value[0] == '\0')
			abort();
		break;
	case D_ADD_RCPT:
	case D_DELETE_RCPT:
		if (d->value == NULL || d->value[0] == '\0' ||
		    strlen(d->value) > 254)
			abort();
		break;
	case D_CHANGE_SENDER:
		if (d->value == NULL || strlen(d->value) > 254)
			abort();
		break;
	default:
		abort();
	}
}

/* LLVMFuzzerTestOneInput - parse and check the result */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct directive_list	l;
	char			why[256];
	size_t			i;

	why[0] = '\0';
	if (directive_parse((const char *)data, size, &l, why, sizeof(why))
	    == 0) {
		for (i = 0; i < l.n; i++)
			check(&l.d[i]);
	} else if (l.n != 0 || l.d != NULL ||
	    (strncmp(why, "line ", 5) != 0 && strncmp(why, "file ", 5) != 0))
		abort();
	directive_list_free(&l);
	return 0;
}
