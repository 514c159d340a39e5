/*
 * misbehave.c - a test module that fails the way buggy modules do
 *
 * Settings: how = "crash" (a null pointer written), "loop" (forever),
 * "exit" (exit(3) from filter) or "error" (SLUICE_ERROR); trigger = a
 * text: only a message whose Subject holds it misbehaves, any other
 * gets the header field "X-Misbehave: passed" and continues.
 * For testdata/t/modules.sh; never installed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sluice/module.h>

struct mb {
	char	how[16];
	char	trigger[128];
};

/* mb_init - how and trigger */
static int
mb_init(const struct sluice_setting *set, size_t n, void **state, char *err,
    size_t errlen)
{
	struct mb	*mb = calloc(1, sizeof(*mb));
	size_t		 i;

	if (mb == NULL)
		return -1;
	strcpy(mb->trigger, "misbehave");
	for (i = 0; i < n; i++) {
		if (strcmp(set[i].name, "how") == 0)
			strncpy(mb->how, set[i].value, sizeof(mb->how) - 1);
		else if (strcmp(set[i].name, "trigger") == 0)
			strncpy(mb->trigger, set[i].value,
			    sizeof(mb->trigger) - 1);
	}
	if (strcmp(mb->how, "crash") != 0 && strcmp(mb->how, "loop") != 0 &&
	    strcmp(mb->how, "exit") != 0 && strcmp(mb->how, "error") != 0) {
		strncpy(err, "how must be crash, loop, exit or error",
		    errlen - 1);
		free(mb);
		return -1;
	}
	*state = mb;
	return 0;
}

/* mb_filter - misbehave on a triggering subject */
static enum sluice_verdict
mb_filter(void *state, const struct sluice_message *msg,
    struct sluice_result *res)
{
	struct mb		*mb = state;
	volatile int		*volatile nowhere = NULL;
	size_t			 i;
	int			 hit = 0;

	for (i = 0; i < msg->nheaders; i++)
		if (strcasecmp(msg->headers[i].name, "Subject") == 0 &&
		    strstr(msg->headers[i].value, mb->trigger) != NULL)
			hit = 1;
	if (!hit) {
		res->directive(res, "add-header X-Misbehave: passed");
		return SLUICE_CONTINUE;
	}
	if (strcmp(mb->how, "crash") == 0)
		*nowhere = 1;
	else if (strcmp(mb->how, "loop") == 0)
		for (;;)
			pause();
	else if (strcmp(mb->how, "exit") == 0)
		exit(3);
	res->directive(res, "reason misbehave: the test asked for an error");
	return SLUICE_ERROR;
}

/* mb_fini - free */
static void
mb_fini(void *state)
{
	free(state);
}

const struct sluice_module sluice_module = {
	.abi_version = SLUICE_MODULE_ABI_VERSION,
	.name = "misbehave",
	.init = mb_init,
	.filter = mb_filter,
	.fini = mb_fini,
};
