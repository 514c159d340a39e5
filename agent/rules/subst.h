/*
 * subst.h - filter command lines and environment
 *
 * A command is split into words once, when the config is loaded; no shell
 * ever sees it.  At run time each word is expanded on its own:
 *
 *   %f message file      %n path for a replacement message
 *   %s envelope sender   %o path of the result file
 *   %r recipients        %q queue id
 *   %i client address    %h client host name    %H HELO name
 *   %u authenticated user                      %t private temp directory
 *   %z message size in bytes                   %% a literal %
 *   %R a file of the recipients, one per line
 *
 * A word that is exactly "%r" becomes one argument per recipient (none
 * when there are none); inside a longer word %r expands to the recipients
 * joined by ",".  An expansion never splits or joins words, so a value full
 * of blanks, quotes, ';' or "$(...)" stays one inert argument.  Unknown
 * values (no client name, say) expand to "".  Pure: no I/O.
 */
#ifndef SLUICE_SUBST_H
#define SLUICE_SUBST_H

#include <stddef.h>

struct envelope;

struct subst_ctx {
	const struct envelope	*env;
	const char		*msgfile;	/* %f */
	const char		*newfile;	/* %n */
	const char		*resultfile;	/* %o */
	const char		*tmpdir;	/* %t */
	const char		*rcptfile;	/* %R */
	unsigned long long	 size;		/* %z */
	const char		*rule;		/* SLUICE_RULE */
	const char		*filter;	/* SLUICE_FILTER */
};

/*
 * subst_split - split a command line into words: blanks (space, tab, CR,
 * LF) separate words, '...' and "..." quote (no escapes inside '...';
 * \" and \\ inside "...", any other backslash kept), a backslash outside
 * quotes escapes the next character.  Quoting does not hide a '%'.
 * Checks every %-sequence; the first word, the program, may hold none
 * but "%%".  Returns a NULL-terminated vector, or NULL with why
 * (unbalanced quote, trailing backslash, empty command or program name,
 * unknown "%x", trailing "%", a substitution in the program name).
 */
char	**subst_split(const char *cmd, char *why, size_t whylen);
/* subst_check_word - 0 if every %-sequence in word is known */
int	subst_check_word(const char *word, char *why, size_t whylen);
/* subst_argv - expand the words; NULL-terminated, free with xfree_strv.
 * A %-sequence subst_split() would refuse is copied as it is. */
char	**subst_argv(char *const *words, const struct subst_ctx *ctx);
/*
 * subst_env - the filter's whole environment, nothing inherited: PATH
 * fixed to SUBST_PATH, LANG=C, HOME and TMPDIR = %t (/tmp without one),
 * and SLUICE_SENDER, SLUICE_RECIPIENTS (one per line), SLUICE_MESSAGE,
 * SLUICE_NEW_MESSAGE, SLUICE_RESULT, SLUICE_QUEUE_ID, SLUICE_CLIENT_ADDR,
 * SLUICE_CLIENT_NAME, SLUICE_HELO, SLUICE_AUTH_USER, SLUICE_MAIL_ARGS
 * (MAIL FROM's parameters), SLUICE_RECIPIENTS_FILE (%R), SLUICE_TMPDIR (%t, "" without one),
 * SLUICE_SIZE, SLUICE_RULE, SLUICE_FILTER, each always set ("" when
 * unknown).  NULL-terminated, free with xfree_strv.
 */
#define SUBST_PATH	"/usr/local/bin:/usr/bin:/bin"
char	**subst_env(const struct subst_ctx *ctx);

#endif
