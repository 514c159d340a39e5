/*
 * verdict.c - verdict names
 */
#include <stddef.h>
#include <strings.h>

#include "mail/verdict.h"

static const char *const names[V_COUNT] = {
	"continue", "accept", "reject", "tempfail", "discard", "quarantine",
	"error"
};

/* verdict_name - the word used in configs, traces and logs */
const char *
verdict_name(enum verdict v)
{
	if ((unsigned)v >= V_COUNT)
		return "?";
	return names[v];
}

/* verdict_parse - a config word to a verdict, or -1 */
int
verdict_parse(const char *s)
{
	int	v;

	for (v = 0; v < V_ERROR; v++)
		if (strcasecmp(s, names[v]) == 0)
			return v;
	return -1;
}

/* verdict_is_final - 1 when the verdict ends the pipeline */
int
verdict_is_final(enum verdict v)
{
	return v != V_CONTINUE && v != V_ERROR;
}
