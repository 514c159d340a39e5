/*
 * sample_header.c - a sluice module that adds one header field
 *
 * A template for module authors (sluice-modules(3)).  Settings:
 *	header = "X-Name: value";	the field to add (required)
 * Every message it is given gets the field, through an add-header
 * directive; the verdict is always continue.
 *
 * SECURITY: sees the message read-only; writes nothing but its
 * directive.  The field is checked once, in init.
 * ERRORS: init refuses a missing or malformed header setting and any
 * setting it does not know.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/module.h>

struct sample_header {
	char	*field;		/* "Name: value" */
};

/* name_ok - an RFC 5322 field name: printable ASCII but the colon */
static int
name_ok(const char *p, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < 33 || p[i] > 126 || p[i] == ':')
			return 0;
	return 1;
}

/* sh_init - take the header setting */
static int
sh_init(const struct sluice_setting *set, size_t n, void **state, char *err,
    size_t errlen)
{
	struct sample_header	*sh;
	const char		*field = NULL, *colon;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (strcmp(set[i].name, "header") == 0)
			field = set[i].value;
		else {
			snprintf(err, errlen, "unknown setting \"%s\" (it "
			    "knows header)", set[i].name);
			return -1;
		}
	}
	if (field == NULL) {
		snprintf(err, errlen, "the header setting is missing "
		    "(header = \"X-Name: value\")");
		return -1;
	}
	colon = strchr(field, ':');
	if (colon == NULL || !name_ok(field, (size_t)(colon - field)) ||
	    strpbrk(field, "\r\n") != NULL || strlen(field) > 900) {
		snprintf(err, errlen, "header \"%.60s\" is not one field "
		    "\"Name: value\" of at most 900 bytes", field);
		return -1;
	}
	if ((sh = calloc(1, sizeof(*sh))) == NULL ||
	    (sh->field = strdup(field)) == NULL) {
		free(sh);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*state = sh;
	return 0;
}

/* sh_filter - add the field */
static enum sluice_verdict
sh_filter(void *state, const struct sluice_message *msg,
    struct sluice_result *res)
{
	struct sample_header	*sh = state;

	(void)msg;
	if (res->directive(res, "add-header %s", sh->field) != 0)
		return SLUICE_ERROR;
	return SLUICE_CONTINUE;
}

/* sh_fini - free the state */
static void
sh_fini(void *state)
{
	struct sample_header	*sh = state;

	if (sh != NULL)
		free(sh->field);
	free(sh);
}

const struct sluice_module sluice_module = {
	.abi_version = SLUICE_MODULE_ABI_VERSION,
	.name = "sample_header",
	.flags = 0,
	.init = sh_init,
	.filter = sh_filter,
	.fini = sh_fini,
};
