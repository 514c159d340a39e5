/*
 * abi.c - a test module built for another ABI version; sluiced must
 * refuse it at config check.  Never installed.
 */
#include <sluice/module.h>

/* ab_filter - never called */
static enum sluice_verdict
ab_filter(void *state, const struct sluice_message *msg,
    struct sluice_result *res)
{
	(void)state;
	(void)msg;
	(void)res;
	return SLUICE_CONTINUE;
}

const struct sluice_module sluice_module = {
	.abi_version = SLUICE_MODULE_ABI_VERSION + 98,
	.name = "abi",
	.filter = ab_filter,
};
