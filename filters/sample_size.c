/*
 * sample_size.c - a sluice module that rejects messages above a size
 *
 * A template for module authors (sluice-modules(3)).  Settings:
 *	max = "10M";	the largest message it lets pass: bytes, or a
 *			number with K, M or G (required)
 *	reason = "...";	the reason given (default: "message of N bytes
 *			is over the limit of M bytes")
 * A message over max is rejected with the reason; any other continues.
 *
 * SECURITY: looks at the message's size only.
 * ERRORS: init refuses a missing or malformed max and unknown settings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/module.h>

struct sample_size {
	unsigned long long	 max;
	char			*reason;	/* or NULL */
};

/* parse_size - "123", "512K", "10M", "1G"; 0 or -1 */
static int
parse_size(const char *s, unsigned long long *out)
{
	unsigned long long	 v, mul = 1;
	char			*end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1024ULL;
		end++;
		break;
	case 'm': case 'M':
		mul = 1024ULL * 1024;
		end++;
		break;
	case 'g': case 'G':
		mul = 1024ULL * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (*end != '\0' || v > ~0ULL / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* ss_init - take max and reason */
static int
ss_init(const struct sluice_setting *set, size_t n, void **state, char *err,
    size_t errlen)
{
	struct sample_size	*ss;
	const char		*max = NULL, *reason = NULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (strcmp(set[i].name, "max") == 0)
			max = set[i].value;
		else if (strcmp(set[i].name, "reason") == 0)
			reason = set[i].value;
		else {
			snprintf(err, errlen, "unknown setting \"%s\" (it "
			    "knows max and reason)", set[i].name);
			return -1;
		}
	}
	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (max == NULL || parse_size(max, &ss->max) != 0) {
		snprintf(err, errlen, "max must be a size (bytes, or a number "
		    "with K, M or G), got %s", max != NULL ? max : "nothing");
		free(ss);
		return -1;
	}
	if (reason != NULL && (strpbrk(reason, "\r\n") != NULL ||
	    (ss->reason = strdup(reason)) == NULL)) {
		snprintf(err, errlen, "reason must be one line");
		free(ss);
		return -1;
	}
	*state = ss;
	return 0;
}

/* ss_filter - reject above max */
static enum sluice_verdict
ss_filter(void *state, const struct sluice_message *msg,
    struct sluice_result *res)
{
	struct sample_size	*ss = state;
	int			 rc;

	if (msg->size <= ss->max)
		return SLUICE_CONTINUE;
	if (ss->reason != NULL)
		rc = res->directive(res, "reason %s", ss->reason);
	else
		rc = res->directive(res, "reason message of %llu bytes is over "
		    "the limit of %llu bytes", msg->size, ss->max);
	return rc == 0 ? SLUICE_REJECT : SLUICE_ERROR;
}

/* ss_fini - free the state */
static void
ss_fini(void *state)
{
	struct sample_size	*ss = state;

	if (ss != NULL)
		free(ss->reason);
	free(ss);
}

const struct sluice_module sluice_module = {
	.abi_version = SLUICE_MODULE_ABI_VERSION,
	.name = "sample_size",
	.flags = 0,
	.init = ss_init,
	.filter = ss_filter,
	.fini = ss_fini,
};
