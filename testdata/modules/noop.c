/*
 * noop.c - a module that looks at nothing and lets every message go on
 *
 * What "make bench" measures a module filter with: the cost of a module
 * in the path, in the agent and isolated, without the cost of its work.
 * No settings, no init, no state.  Never installed.
 */
#include <stddef.h>

#include <sluice/module.h>

/* noop_filter - continue */
static enum sluice_verdict
noop_filter(void *state, const struct sluice_message *msg,
    struct sluice_result *res)
{
	(void)state;
	(void)msg;
	(void)res;
	return SLUICE_CONTINUE;
}

const struct sluice_module sluice_module = {
	.abi_version = SLUICE_MODULE_ABI_VERSION,
	.name = "noop",
	.filter = noop_filter,
};
