/*
 * NAME
 *	fuzz_subst.c - libFuzzer target for subst.c and envelope.c
 *
 * DESCRIPTION
 *	The input is a command line up to the first newline, then the
 *	envelope: the remaining bytes split at NUL into the sender and the
 *	recipients.  A command that splits is expanded into argv and the
 *	environment, and the promises of subst.h are checked: a word that
 *	is exactly "%r" gives one byte-identical argument per recipient,
 *	any other word gives exactly one argument, and a word without '%'
 *	comes out unchanged.  A broken promise aborts.
 *
 * SECURITY
 *	Test program; reads only its input, prints nothing.
 *
 * ERRORS
 *	None; every allocation is freed on every path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "rules/subst.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check_argv - abort unless argv is what words promise for env */
static void
check_argv(char *const *words, char *const *argv, const struct envelope *env)
{
	size_t	i, j, k = 0;

	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], "%r") == 0) {
			for (j = 0; j < env->nrcpt; j++, k++)
				if (argv[k] == NULL ||
				    strcmp(argv[k], env->rcpt[j]) != 0)
					abort();
			continue;
		}
		if (argv[k] == NULL)
			abort();
		if (strchr(words[i], '%') == NULL &&
		    strcmp(argv[k], words[i]) != 0)
			abort();
		k++;
	}
	if (argv[k] != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data, *end = p + size;
	const char		*nl, *nul;
	struct envelope		 env, copy;
	struct reply	 err;
	struct subst_ctx	 ctx;
	char			*cmd, *val, **words, **argv, **envp;
	char			 why[128];
	size_t			 i;

	memset(&env, 0, sizeof(env));
	if ((nl = memchr(p, '\n', size)) == NULL)
		nl = end;
	cmd = xmemdup(p, (size_t)(nl - p));
	p = nl < end ? nl + 1 : end;

	/* The sender first, then one recipient per NUL-separated piece. */
	for (i = 0; p < end; i++) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			nul = end;
		(void)envelope_check_value(i == 0 ? "sender" : "recipient",
		    p, (size_t)(nul - p), 1, &err);
		val = xmemdup(p, (size_t)(nul - p));
		if (i == 0)
			envelope_set_sender(&env, val);
		else
			envelope_add_rcpt(&env, val);
		free(val);
		p = nul < end ? nul + 1 : end;
	}
	(void)envelope_check(&env, &err);

	why[0] = '\0';
	if ((words = subst_split(cmd, why, sizeof(why))) != NULL) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.env = &env;
		ctx.msgfile = "/spool/F/message";
		ctx.tmpdir = "/spool/F/tmp";
		ctx.size = size;
		argv = subst_argv(words, &ctx);
		check_argv(words, argv, &env);
		envp = subst_env(&ctx);
		xfree_strv(&envp);
		xfree_strv(&argv);
		xfree_strv(&words);
	} else if (why[0] == '\0')
		abort();	/* a refusal always says why */

	/* Copy, edit the copy, free both. */
	envelope_copy(&copy, &env);
	if (copy.nrcpt > 0 &&
	    envelope_del_rcpt(&copy, env.rcpt[0]) < 1)
		abort();
	envelope_free(&copy);
	envelope_free(&env);
	free(cmd);
	return 0;
}
