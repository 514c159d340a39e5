/*
 * initfail.c - a test module whose init refuses its settings; sluiced
 * must refuse the configuration with init's reason.  Never installed.
 */
#include <stdio.h>

#include <sluice/module.h>

/* if_init - always no */
static int
if_init(const struct sluice_setting *set, size_t n, void **state, char *err,
    size_t errlen)
{
	(void)set;
	(void)state;
	snprintf(err, errlen, "initfail: %zu setting(s), and the test says "
	    "no", n);
	return -1;
}

/* if_filter - never called */
static enum sluice_verdict
if_filter(void *state, const struct sluice_message *msg,
    struct sluice_result *res)
{
	(void)state;
	(void)msg;
	(void)res;
	return SLUICE_CONTINUE;
}

const struct sluice_module sluice_module = {
	.abi_version = SLUICE_MODULE_ABI_VERSION,
	.name = "initfail",
	.init = if_init,
	.filter = if_filter,
};
