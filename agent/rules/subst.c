/*
 * NAME
 *	subst.c - split filter command lines, expand %-sequences, build the
 *	filter's environment
 *
 * DESCRIPTION
 *	subst_split() runs once, when the config is loaded: it turns the
 *	command text into words the way a shell would for plain quoting,
 *	and nothing more (no variables, globs, redirections, ';' or '|').
 *	Quotes and backslashes are removed at this point; the %-sequences
 *	stay in the words and are expanded at run time by subst_argv(),
 *	one word at a time.
 *
 *	Quoting does not hide a '%' from substitution: '%s' and "%s" both
 *	mean the sender.  The one way to write a literal '%' is "%%".  So
 *	the meaning of a word never depends on how it was quoted, and every
 *	'%' in a config is checked when the config is loaded.
 *
 *	Inside "...", only \" and \\ are escapes; any other backslash is
 *	kept as it is ("a\b" is a, backslash, b), as in sh(1).  Outside
 *	quotes a backslash takes the next character literally, blanks and
 *	newlines included.  Blanks are space, tab, CR and LF.
 *
 *	The first word is the program.  It must not be empty and may hold
 *	no substitution but "%%": a program chosen by an envelope value or
 *	a path would let mail decide what runs.
 *
 * SECURITY
 *	The command text comes from the administrator's config.  The values
 *	expanded into it (sender, recipients, HELO name, ...) come from the
 *	network; they are copied byte for byte into the argument they stand
 *	in and never split, joined or re-parsed, so blanks, quotes, ';',
 *	'$(...)' or a leading '-' in them stay one inert argument.  No shell
 *	ever sees the result.  Lengths and control characters are
 *	envelope_check()'s job, done before anything here runs.  The queue
 *	id is the one value filters put into file names (an archive's
 *	"%q.eml"), and it comes from the MTA's "i" macro, XFORWARD IDENT or
 *	sluicectl -q: whatever its source, %q and SLUICE_QUEUE_ID hold only
 *	letters, digits, '-' and '_', every other byte made '_', so no
 *	queue id ever holds '/' or "..".  The
 *	environment is built from nothing: no variable of the daemon's own
 *	is passed on.
 *
 * ERRORS
 *	subst_split() and subst_check_word() return NULL or -1 with the
 *	reason in why.  subst_argv() and subst_env() cannot fail; a
 *	%-sequence that subst_split() would have refused is copied as it
 *	is.  Allocation failure is fatal (xmalloc).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "rules/subst.h"

/* Every letter that may follow '%'. */
static const char subst_known[] = "fnsorqihHutzR%";

/* strv - a growing NULL-terminated vector of strings */
struct strv {
	char	**v;
	size_t	  n;
};

/* strv_push - append s, which the vector now owns */
static void
strv_push(struct strv *sv, char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 2, sizeof(*sv->v));
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

/* strv_done - the vector, never NULL (an empty one is just the NULL) */
static char **
strv_done(struct strv *sv)
{
	if (sv->v == NULL) {
		sv->v = xcalloc(1, sizeof(*sv->v));
		sv->n = 0;
	}
	return sv->v;
}

/*
 * seq_name - the sequence "%c" as text for a message: a control or
 * non-ASCII byte is shown as \xNN rather than written raw
 */
static void
seq_name(char *dst, size_t len, unsigned char c)
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(dst, len, "%%%c", c);
	else
		snprintf(dst, len, "%%\\x%02x", c);
}

/* subst_check_word - 0 if every %-sequence in word is known */
int
subst_check_word(const char *word, char *why, size_t whylen)
{
	const char	*p;
	char		 name[8];

	for (p = word; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '\0') {
			why_set(why, whylen, "\"%%\" at end of word");
			return -1;
		}
		if (strchr(subst_known, *p) == NULL) {
			seq_name(name, sizeof(name), (unsigned char)*p);
			why_set(why, whylen, "unknown substitution \"%s\"",
			    name);
			return -1;
		}
	}
	return 0;
}

/*
 * check_program - 0 if the program word holds no substitution but "%%";
 * the word has passed subst_check_word() already
 */
static int
check_program(const char *word, char *why, size_t whylen)
{
	const char	*p;
	char		 name[8];

	if (*word == '\0') {
		why_set(why, whylen, "empty program name");
		return -1;
	}
	for (p = word; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p != '%') {
			seq_name(name, sizeof(name), (unsigned char)*p);
			why_set(why, whylen,
			    "substitution \"%s\" in the program name", name);
			return -1;
		}
	}
	return 0;
}

/* is_blank - 1 for the characters that separate words */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * split_words - the quoting pass of subst_split(): words with quotes and
 * backslashes removed, or NULL with why
 */
static char **
split_words(const char *cmd, char *why, size_t whylen)
{
	struct strv	 sv = { NULL, 0 };
	struct buf	 word;
	const char	*p, *q;
	int		 inword = 0;

	buf_init(&word, 0);
	for (p = cmd;;) {
		if (*p == '\0' || is_blank(*p)) {
			if (inword)
				strv_push(&sv, buf_steal(&word, NULL));
			inword = 0;
			if (*p == '\0')
				break;
			p++;
			continue;
		}
		/* A quote starts a word even if it ends up empty: ''. */
		inword = 1;
		switch (*p) {
		case '\'':
			if ((q = strchr(p + 1, '\'')) == NULL) {
				why_set(why, whylen, "unbalanced single quote");
				goto fail;
			}
			(void)buf_append(&word, p + 1, (size_t)(q - p - 1));
			p = q + 1;
			break;
		case '"':
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					why_set(why, whylen,
					    "unbalanced double quote");
					goto fail;
				}
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				(void)buf_appendc(&word, *p);
			}
			p++;
			break;
		case '\\':
			if (p[1] == '\0') {
				why_set(why, whylen, "trailing backslash");
				goto fail;
			}
			(void)buf_appendc(&word, p[1]);
			p += 2;
			break;
		default:
			(void)buf_appendc(&word, *p);
			p++;
			break;
		}
	}
	return strv_done(&sv);

fail:
	buf_free(&word);
	if (sv.v != NULL)
		xfree_strv(&sv.v);
	return NULL;
}

/* subst_split - split a command line into checked words */
char **
subst_split(const char *cmd, char *why, size_t whylen)
{
	char	**v;
	size_t	  i;

	if (cmd == NULL) {
		why_set(why, whylen, "empty command");
		return NULL;
	}
	if ((v = split_words(cmd, why, whylen)) == NULL)
		return NULL;
	if (v[0] == NULL) {
		why_set(why, whylen, "empty command");
		goto fail;
	}
	for (i = 0; v[i] != NULL; i++)
		if (subst_check_word(v[i], why, whylen) == -1)
			goto fail;
	if (check_program(v[0], why, whylen) == -1)
		goto fail;
	return v;

fail:
	xfree_strv(&v);
	return NULL;
}

/* opt - a value that may be unknown, as text */
static const char *
opt(const char *s)
{
	return s != NULL ? s : "";
}

/* append_rcpts - append the recipients, sep between two of them */
static void
append_rcpts(struct buf *b, const struct envelope *env, char sep)
{
	size_t	i;

	if (env == NULL)
		return;
	for (i = 0; i < env->nrcpt; i++) {
		if (i > 0)
			(void)buf_appendc(b, sep);
		(void)buf_append(b, opt(env->rcpt[i]),
		    strlen(opt(env->rcpt[i])));
	}
}

/* append_str - append a C string that may be NULL */
static void
append_str(struct buf *b, const char *s)
{
	s = opt(s);
	(void)buf_append(b, s, strlen(s));
}

/*
 * append_queue_id - the queue id, each byte that is not a letter, digit,
 * '-' or '_' made '_': one byte for one, so a real MTA's queue id (all
 * letters and digits) passes unchanged and two bad ones mostly stay
 * apart
 */
static void
append_queue_id(struct buf *b, const char *s)
{
	unsigned char	c;

	for (s = opt(s); *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			c = '_';
		(void)buf_appendc(b, (char)c);
	}
}

/* expand_word - one word with every %-sequence replaced by its value */
static char *
expand_word(const char *w, const struct subst_ctx *ctx)
{
	const struct envelope	*env = ctx->env;
	struct buf		 b;

	buf_init(&b, 0);
	for (; *w != '\0'; w++) {
		if (*w != '%') {
			(void)buf_appendc(&b, *w);
			continue;
		}
		switch (w[1]) {
		case 'f':
			append_str(&b, ctx->msgfile);
			break;
		case 'n':
			append_str(&b, ctx->newfile);
			break;
		case 'o':
			append_str(&b, ctx->resultfile);
			break;
		case 't':
			append_str(&b, ctx->tmpdir);
			break;
		case 'R':
			append_str(&b, ctx->rcptfile);
			break;
		case 's':
			append_str(&b, env ? env->sender : NULL);
			break;
		case 'r':
			append_rcpts(&b, env, ',');
			break;
		case 'q':
			append_queue_id(&b, env ? env->queue_id : NULL);
			break;
		case 'i':
			append_str(&b, env ? env->client_addr : NULL);
			break;
		case 'h':
			append_str(&b, env ? env->client_name : NULL);
			break;
		case 'H':
			append_str(&b, env ? env->helo : NULL);
			break;
		case 'u':
			append_str(&b, env ? env->auth_user : NULL);
			break;
		case 'z':
			(void)buf_appendf(&b, "%llu", ctx->size);
			break;
		case '%':
			(void)buf_appendc(&b, '%');
			break;
		default:
			/*
			 * Unchecked words only: keep the '%' and let the
			 * next round copy what follows, end of word included.
			 */
			(void)buf_appendc(&b, '%');
			continue;
		}
		w++;
	}
	return buf_steal(&b, NULL);
}

/* subst_argv - expand the words into a filter's argv */
char **
subst_argv(char *const *words, const struct subst_ctx *ctx)
{
	static const struct subst_ctx	 none;
	struct strv			 sv = { NULL, 0 };
	const struct envelope		*env;
	size_t				 i, j;

	if (ctx == NULL)
		ctx = &none;
	env = ctx->env;
	for (i = 0; words != NULL && words[i] != NULL; i++) {
		/* The one case where a value makes its own arguments. */
		if (strcmp(words[i], "%r") == 0) {
			for (j = 0; env != NULL && j < env->nrcpt; j++)
				strv_push(&sv, xstrdup(opt(env->rcpt[j])));
			continue;
		}
		strv_push(&sv, expand_word(words[i], ctx));
	}
	return strv_done(&sv);
}

/* push_var - append NAME=value to the environment */
static void
push_var(struct strv *sv, const char *name, const char *value)
{
	char	*s;

	(void)xasprintf(&s, "%s=%s", name, opt(value));
	strv_push(sv, s);
}

/*
 * subst_env - the filter's whole environment.  Every variable is always
 * there, "" when unknown, so a script under "set -u" need not test first.
 */
char **
subst_env(const struct subst_ctx *ctx)
{
	static const struct subst_ctx	 none;
	const struct envelope		*env;
	struct strv			 sv = { NULL, 0 };
	struct buf			 b;
	const char			*home;
	char				 size[32];

	if (ctx == NULL)
		ctx = &none;
	env = ctx->env;
	/* A program wants some HOME; without a private one, /tmp. */
	home = ctx->tmpdir != NULL ? ctx->tmpdir : "/tmp";

	push_var(&sv, "PATH", SUBST_PATH);
	push_var(&sv, "LANG", "C");
	push_var(&sv, "HOME", home);
	push_var(&sv, "TMPDIR", home);
	push_var(&sv, "SLUICE_SENDER", env ? env->sender : NULL);
	buf_init(&b, 0);
	append_rcpts(&b, env, '\n');
	push_var(&sv, "SLUICE_RECIPIENTS", b.data);
	buf_free(&b);
	push_var(&sv, "SLUICE_RECIPIENTS_FILE", ctx->rcptfile);
	push_var(&sv, "SLUICE_MESSAGE", ctx->msgfile);
	push_var(&sv, "SLUICE_NEW_MESSAGE", ctx->newfile);
	push_var(&sv, "SLUICE_RESULT", ctx->resultfile);
	buf_init(&b, 0);
	append_queue_id(&b, env ? env->queue_id : NULL);
	push_var(&sv, "SLUICE_QUEUE_ID", b.data);
	buf_free(&b);
	push_var(&sv, "SLUICE_CLIENT_ADDR", env ? env->client_addr : NULL);
	push_var(&sv, "SLUICE_CLIENT_NAME", env ? env->client_name : NULL);
	push_var(&sv, "SLUICE_HELO", env ? env->helo : NULL);
	push_var(&sv, "SLUICE_AUTH_USER", env ? env->auth_user : NULL);
	push_var(&sv, "SLUICE_MAIL_ARGS", env ? env->mail_args : NULL);
	/* The same as %t: "" when there is no private directory. */
	push_var(&sv, "SLUICE_TMPDIR", ctx->tmpdir);
	snprintf(size, sizeof(size), "%llu", ctx->size);
	push_var(&sv, "SLUICE_SIZE", size);
	push_var(&sv, "SLUICE_RULE", ctx->rule);
	push_var(&sv, "SLUICE_FILTER", ctx->filter);
	return strv_done(&sv);
}
