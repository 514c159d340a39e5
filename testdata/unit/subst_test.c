/*
 * NAME
 *	subst_test.c - unit and golden tests for subst.c
 *
 * DESCRIPTION
 *	Tables of command lines with the words they must split into or
 *	the exact error, hostile envelope values that must each come out
 *	as exactly one byte-identical argument, the whole environment, and
 *	the golden cases in $SLUICE_TESTDATA/subst (default testdata/subst;
 *	the format is in that directory's README): each NAME.in is split
 *	and expanded and the result compared byte for byte with NAME.ref.
 *	Every golden case is its own cmocka test, named after its file.
 *
 * SECURITY
 *	Test program; reads only the golden directory.
 *
 * ERRORS
 *	A missing or unreadable golden directory fails a test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "rules/subst.h"

#define GOLDEN_MIN	12	/* fewer cases found means a broken setup */

/* assert_strv - got must hold exactly the strings of want, in order */
static void
assert_strv(char *const *got, const char *const *want)
{
	size_t	i;

	assert_non_null(got);
	for (i = 0; want[i] != NULL; i++) {
		if (got[i] == NULL)
			fail_msg("word %zu missing, want \"%s\"", i, want[i]);
		assert_string_equal(got[i], want[i]);
	}
	if (got[i] != NULL)
		fail_msg("extra word %zu \"%s\"", i, got[i]);
}

/* expand - subst_argv on a table of string constants, which it only reads */
static char **
expand(const char *const *words, const struct subst_ctx *ctx)
{
	return subst_argv((char *const *)words, ctx);
}

/* strv_len - number of strings before the NULL */
static size_t
strv_len(char *const *v)
{
	size_t	n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

/*
 * Splitting: cmd must give the words in want, or fail with err.
 */
struct split_case {
	const char	*cmd;
	const char	*want[8];
	const char	*err;
};

static const struct split_case split_cases[] = {
	{ "prog", { "prog" }, NULL },
	{ "  prog  a  ", { "prog", "a" }, NULL },
	{ "p\ta\n b\r\nc", { "p", "a", "b", "c" }, NULL },
	{ "p 'a \"b\" c'", { "p", "a \"b\" c" }, NULL },
	{ "p 'a\\b'", { "p", "a\\b" }, NULL },
	{ "p \"it's\"", { "p", "it's" }, NULL },
	{ "p a\\ b", { "p", "a b" }, NULL },
	{ "p \\'x\\'", { "p", "'x'" }, NULL },
	{ "p \\\\", { "p", "\\" }, NULL },
	{ "p \\\"", { "p", "\"" }, NULL },
	{ "p a\\\nb", { "p", "a\nb" }, NULL },
	{ "p \"a\\\\b\\\"c\"", { "p", "a\\b\"c" }, NULL },
	{ "p \"\\n\\$x\"", { "p", "\\n\\$x" }, NULL },
	{ "p --opt=\"a b\"", { "p", "--opt=a b" }, NULL },
	{ "p x'y'\"z\"w", { "p", "xyzw" }, NULL },
	{ "p ''", { "p", "" }, NULL },
	{ "p \"\" ''\"\"", { "p", "", "" }, NULL },
	{ "p a''b", { "p", "ab" }, NULL },
	{ "p ;ls |cat >x $(id)", { "p", ";ls", "|cat", ">x", "$(id)" },
	    NULL },
	/* %-sequences stay in the words; quoting does not hide them. */
	{ "p %% '%s' \"%r\" %f", { "p", "%%", "%s", "%r", "%f" }, NULL },
	{ "/opt/100%%/bin/x", { "/opt/100%%/bin/x" }, NULL },

	{ "", { NULL }, "empty command" },
	{ " \t\r\n ", { NULL }, "empty command" },
	{ "p 'x", { NULL }, "unbalanced single quote" },
	{ "p x'", { NULL }, "unbalanced single quote" },
	{ "p \"x", { NULL }, "unbalanced double quote" },
	{ "p \"x\\\"", { NULL }, "unbalanced double quote" },
	{ "p \"x\\", { NULL }, "unbalanced double quote" },
	{ "p x\\", { NULL }, "trailing backslash" },
	{ "p %x", { NULL }, "unknown substitution \"%x\"" },
	{ "p %S", { NULL }, "unknown substitution \"%S\"" },
	{ "p '%\"'", { NULL }, "unknown substitution \"%\"\"" },
	{ "p %\001", { NULL }, "unknown substitution \"%\\x01\"" },
	{ "p %\303\251", { NULL }, "unknown substitution \"%\\xc3\"" },
	{ "p %", { NULL }, "\"%\" at end of word" },
	{ "p 'a%'", { NULL }, "\"%\" at end of word" },
	{ "p %%%", { NULL }, "\"%\" at end of word" },
	{ "p %f %y", { NULL }, "unknown substitution \"%y\"" },
	{ "'' a", { NULL }, "empty program name" },
	{ "\"\"", { NULL }, "empty program name" },
	{ "%s -x", { NULL }, "substitution \"%s\" in the program name" },
	{ "/bin/%r x", { NULL }, "substitution \"%r\" in the program name" },
	{ "%t/run", { NULL }, "substitution \"%t\" in the program name" },
	/* The unknown sequence is reported before the program rule. */
	{ "%x", { NULL }, "unknown substitution \"%x\"" },
};

/* test_split - every row of split_cases */
static void
test_split(void **state)
{
	const struct split_case	*c;
	char			**v, why[128];
	size_t			  i;

	(void)state;
	for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		c = &split_cases[i];
		snprintf(why, sizeof(why), "unset");
		v = subst_split(c->cmd, why, sizeof(why));
		if (c->err != NULL) {
			if (v != NULL)
				fail_msg("case %zu: \"%s\" split, want "
				    "error \"%s\"", i, c->cmd, c->err);
			assert_string_equal(why, c->err);
			continue;
		}
		if (v == NULL)
			fail_msg("case %zu: \"%s\": %s", i, c->cmd, why);
		assert_strv(v, c->want);
		xfree_strv(&v);
		assert_null(v);
	}
}

/* test_split_why - a NULL command, and why NULL or too small */
static void
test_split_why(void **state)
{
	char	why[6];

	(void)state;
	assert_null(subst_split(NULL, why, sizeof(why)));
	assert_string_equal(why, "empty");
	assert_null(subst_split("p 'x", NULL, 0));
	memset(why, 'Z', sizeof(why));
	assert_null(subst_split("p 'x", why, 0));
	assert_int_equal(why[0], 'Z');
	assert_null(subst_split("p 'x", why, sizeof(why)));
	assert_string_equal(why, "unbal");
}

/* test_check_word - subst_check_word on its own */
static void
test_check_word(void **state)
{
	static const struct {
		const char	*word;
		int		 rc;
		const char	*why;
	} cases[] = {
		{ "", 0, "" },
		{ "plain-word", 0, "" },
		{ "%f%n%s%o%r%q%i%h%H%u%t%z%%", 0, "" },
		{ "--to=%r,%s", 0, "" },
		{ "%", -1, "\"%\" at end of word" },
		{ "a%%%", -1, "\"%\" at end of word" },
		{ "%F", -1, "unknown substitution \"%F\"" },
		{ "%R", 0, "" },
		{ "%X", -1, "unknown substitution \"%X\"" },
		{ "% ", -1, "unknown substitution \"% \"" },
		{ "%\t", -1, "unknown substitution \"%\\x09\"" },
		{ "%\177", -1, "unknown substitution \"%\\x7f\"" },
	};
	char	why[64];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		if (subst_check_word(cases[i].word, why, sizeof(why)) !=
		    cases[i].rc)
			fail_msg("case %zu: \"%s\" rc", i, cases[i].word);
		assert_string_equal(why, cases[i].why);
	}
}

/* Values that a shell would act on; each must stay one argument. */
static const char *const hostile[] = {
	";sleep 66;@x",
	"$(id)@x",
	"`id`@x",
	"a|b@x",
	"a&b@x",
	"'a'@x",
	"\"a b;c\"@x",
	"-oQ/tmp/@x",
	" a b @x ",
	"a\\b@x",
	"*@x",
	"~root@x",
	"a>b<c@x",
	"%s%r%%@x",	/* a value is never expanded again */
	"a\tb@x",	/* envelope_check refuses it; subst must not care */
	"\"\"@x",
	"'",
	"\"",
	"\\",
};

/* test_argv_hostile - each hostile value is one byte-identical argument */
static void
test_argv_hostile(void **state)
{
	static const char *const words[] = {
		"prog", "-f", "%s", "%r", "--helo=%H", "%q", NULL
	};
	struct envelope		 env;
	struct subst_ctx	 ctx;
	char			**argv, *helo;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		memset(&env, 0, sizeof(env));
		memset(&ctx, 0, sizeof(ctx));
		envelope_set_sender(&env, hostile[i]);
		envelope_add_rcpt(&env, hostile[i]);
		env.helo = xstrdup(hostile[i]);
		env.queue_id = xstrdup(hostile[i]);
		ctx.env = &env;

		argv = expand(words, &ctx);
		assert_int_equal(strv_len(argv), 6);
		assert_string_equal(argv[0], "prog");
		assert_string_equal(argv[1], "-f");
		assert_memory_equal(argv[2], hostile[i],
		    strlen(hostile[i]) + 1);
		assert_memory_equal(argv[3], hostile[i],
		    strlen(hostile[i]) + 1);
		(void)xasprintf(&helo, "--helo=%s", hostile[i]);
		assert_string_equal(argv[4], helo);
		/* a queue id may name a file: it has rules of its own */
		assert_int_equal(strlen(argv[5]), strlen(hostile[i]));
		assert_null(strpbrk(argv[5], "/. ;$`'\"\\"));
		free(helo);
		xfree_strv(&argv);
		envelope_free(&env);
	}
}

/*
 * test_queue_id - %q and SLUICE_QUEUE_ID never hold "/" or "..",
 * whatever the queue id (an MTA's "i" macro, XFORWARD IDENT, sluicectl
 * -q): letters, digits, "-" and "_" are kept, every other byte becomes
 * "_"
 */
static void
test_queue_id(void **state)
{
	static const struct {
		const char	*id;
		const char	*want;
	} cases[] = {
		{ "3F2A1C", "3F2A1C" },
		{ "4Rb1Hn0wJDz9vRV", "4Rb1Hn0wJDz9vRV" },
		{ "-", "-" },
		{ "MA1_x-2", "MA1_x-2" },
		{ "../../x", "______x" },
		{ "..", "__" },
		{ "a/b", "a_b" },
		{ "/etc/passwd", "_etc_passwd" },
		{ "a.b", "a_b" },
		{ "a b", "a_b" },
		{ "\303\251", "__" },
		{ "", "" },
	};
	static const char *const words[] = { "p", "%q", "/q/%q.eml", NULL };
	struct envelope		 env;
	struct subst_ctx	 ctx;
	char			**argv, **envp, *want;
	size_t			 i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&env, 0, sizeof(env));
		memset(&ctx, 0, sizeof(ctx));
		env.queue_id = xstrdup(cases[i].id);
		ctx.env = &env;
		argv = expand(words, &ctx);
		assert_string_equal(argv[1], cases[i].want);
		(void)xasprintf(&want, "/q/%s.eml", cases[i].want);
		assert_string_equal(argv[2], want);
		free(want);
		envp = subst_env(&ctx);
		(void)xasprintf(&want, "SLUICE_QUEUE_ID=%s", cases[i].want);
		for (k = 0; envp[k] != NULL; k++)
			if (strncmp(envp[k], "SLUICE_QUEUE_ID=", 16) == 0)
				break;
		assert_non_null(envp[k]);
		assert_string_equal(envp[k], want);
		free(want);
		xfree_strv(&envp);
		xfree_strv(&argv);
		envelope_free(&env);
	}
}

/* test_argv_long_local - subst keeps it whole, envelope_check refuses it */
static void
test_argv_long_local(void **state)
{
	static const char *const words[] = { "prog", "%s", "<%s>", NULL };
	struct envelope		 env;
	struct reply	 err;
	struct subst_ctx	 ctx;
	char			 addr[300 + sizeof("@example.org")];
	char			**argv;

	(void)state;
	memset(addr, 'a', 300);
	memcpy(addr + 300, "@example.org", sizeof("@example.org"));
	assert_int_equal(strlen(addr), 312);
	memset(&env, 0, sizeof(env));
	memset(&ctx, 0, sizeof(ctx));
	envelope_set_sender(&env, addr);
	ctx.env = &env;

	argv = expand(words, &ctx);
	assert_int_equal(strv_len(argv), 3);
	assert_string_equal(argv[1], addr);
	assert_int_equal(strlen(argv[2]), 314);
	assert_int_equal(argv[2][0], '<');
	assert_memory_equal(argv[2] + 1, addr, 312);
	assert_int_equal(argv[2][313], '>');
	xfree_strv(&argv);

	memset(&err, 0, sizeof(err));
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_int_equal(err.code, 553);
	assert_string_equal(err.status, "5.1.7");
	assert_string_equal(err.text, "sender local part is longer than "
	    "64 octets (RFC 5321 4.5.3.1.1)");
	envelope_free(&env);
}

/*
 * Expansion rows: the words against one fixed envelope with three
 * recipients, or with none (norcpt).
 */
struct argv_case {
	int		 norcpt;
	const char	*words[6];
	const char	*want[8];
};

static const struct argv_case argv_cases[] = {
	{ 0, { "p", "%r" }, { "p", "a@x", "B@y", "c@z" } },
	{ 0, { "p", "%r", "%r" },
	    { "p", "a@x", "B@y", "c@z", "a@x", "B@y", "c@z" } },
	{ 0, { "p", "--to=%r" }, { "p", "--to=a@x,B@y,c@z" } },
	{ 0, { "p", "%r%r" }, { "p", "a@x,B@y,c@za@x,B@y,c@z" } },
	{ 0, { "p", " %r" }, { "p", " a@x,B@y,c@z" } },
	{ 1, { "p", "%r", "x" }, { "p", "x" } },
	{ 1, { "p", "--to=%r" }, { "p", "--to=" } },
	{ 0, { "p", "%%f", "%%%%", "%%r" }, { "p", "%f", "%%", "%r" } },
	{ 0, { "p", "%f|%n|%o|%t" },
	    { "p", "/s/m|/s/n|/s/o|/s/t" } },
	{ 0, { "p", "%q.%i.%h.%H.%u" },
	    { "p", "Q1.192.0.2.1.mx.example.helo.example.joe" } },
	{ 0, { "p", "%z", "-s%zB" }, { "p", "1048576", "-s1048576B" } },
	{ 0, { "p", "%s" }, { "p", "" } },
	{ 0, { "p", "", "''" }, { "p", "", "''" } },
	/* Words subst_split() would refuse: copied, not interpreted. */
	{ 0, { "a%x", "b%", "%", "%%%" }, { "a%x", "b%", "%", "%%" } },
};

/* test_argv_table - every row of argv_cases */
static void
test_argv_table(void **state)
{
	struct envelope		 env;
	struct subst_ctx	 ctx;
	char			**argv;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(argv_cases) / sizeof(argv_cases[0]); i++) {
		memset(&env, 0, sizeof(env));
		envelope_set_sender(&env, "");
		if (!argv_cases[i].norcpt) {
			envelope_add_rcpt(&env, "a@x");
			envelope_add_rcpt(&env, "B@y");
			envelope_add_rcpt(&env, "c@z");
		}
		env.queue_id = xstrdup("Q1");
		env.client_addr = xstrdup("192.0.2.1");
		env.client_name = xstrdup("mx.example");
		env.helo = xstrdup("helo.example");
		env.auth_user = xstrdup("joe");
		memset(&ctx, 0, sizeof(ctx));
		ctx.env = &env;
		ctx.msgfile = "/s/m";
		ctx.newfile = "/s/n";
		ctx.resultfile = "/s/o";
		ctx.tmpdir = "/s/t";
		ctx.size = 1048576;

		argv = expand(argv_cases[i].words, &ctx);
		assert_strv(argv, argv_cases[i].want);
		xfree_strv(&argv);
		envelope_free(&env);
	}
}

/* test_argv_unknown - no envelope, no context, no words */
static void
test_argv_unknown(void **state)
{
	static const char *const words[] = {
		"p", "%r", "%s%q%i%h%H%u%f%n%o%t", "%z", NULL
	};
	static const char *const none[] = { NULL };
	static const char *const want[] = { "p", "", "0", NULL };
	struct subst_ctx	 ctx;
	struct envelope		 env;
	char			**argv;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	argv = expand(words, &ctx);
	assert_strv(argv, want);
	xfree_strv(&argv);

	argv = expand(words, NULL);
	assert_strv(argv, want);
	xfree_strv(&argv);

	/* An envelope with every value unknown, the sender too. */
	memset(&env, 0, sizeof(env));
	ctx.env = &env;
	argv = expand(words, &ctx);
	assert_strv(argv, want);
	xfree_strv(&argv);

	argv = expand(none, &ctx);
	assert_non_null(argv);
	assert_null(argv[0]);
	xfree_strv(&argv);

	argv = subst_argv(NULL, &ctx);
	assert_non_null(argv);
	assert_null(argv[0]);
	xfree_strv(&argv);
}

/* test_env_full - every variable with a known value */
static void
test_env_full(void **state)
{
	static const char *const want[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C",
		"HOME=/spool/9/tmp",
		"TMPDIR=/spool/9/tmp",
		"SLUICE_SENDER=$(id)@x",
		"SLUICE_RECIPIENTS=a@x\nb c@y\n;d@z",
		"SLUICE_RECIPIENTS_FILE=/spool/9/recipients",
		"SLUICE_MESSAGE=/spool/9/message",
		"SLUICE_NEW_MESSAGE=/spool/9/new",
		"SLUICE_RESULT=/spool/9/result",
		"SLUICE_QUEUE_ID=9A8B7C",
		"SLUICE_CLIENT_ADDR=2001:db8::1",
		"SLUICE_CLIENT_NAME=mx.example.net",
		"SLUICE_HELO=[2001:db8::1]",
		"SLUICE_AUTH_USER=joe=x",
		"SLUICE_MAIL_ARGS=SIZE=4096 BODY=8BITMIME",
		"SLUICE_TMPDIR=/spool/9/tmp",
		"SLUICE_SIZE=123456789012",
		"SLUICE_RULE=virus",
		"SLUICE_FILTER=clamav",
		NULL
	};
	struct envelope		 env;
	struct subst_ctx	 ctx;
	char			**envp;

	(void)state;
	memset(&env, 0, sizeof(env));
	envelope_set_sender(&env, "$(id)@x");
	envelope_add_rcpt(&env, "a@x");
	envelope_add_rcpt(&env, "b c@y");
	envelope_add_rcpt(&env, ";d@z");
	env.queue_id = xstrdup("9A8B7C");
	env.client_addr = xstrdup("2001:db8::1");
	env.client_name = xstrdup("mx.example.net");
	env.helo = xstrdup("[2001:db8::1]");
	env.auth_user = xstrdup("joe=x");
	env.mail_args = xstrdup("SIZE=4096 BODY=8BITMIME");
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	ctx.msgfile = "/spool/9/message";
	ctx.newfile = "/spool/9/new";
	ctx.resultfile = "/spool/9/result";
	ctx.tmpdir = "/spool/9/tmp";
	ctx.rcptfile = "/spool/9/recipients";
	ctx.size = 123456789012ULL;
	ctx.rule = "virus";
	ctx.filter = "clamav";

	envp = subst_env(&ctx);
	assert_strv(envp, want);
	xfree_strv(&envp);
	envelope_free(&env);
}

/* test_env_empty - nothing known: every variable still there, empty */
static void
test_env_empty(void **state)
{
	static const char *const want[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C",
		"HOME=/tmp",
		"TMPDIR=/tmp",
		"SLUICE_SENDER=",
		"SLUICE_RECIPIENTS=",
		"SLUICE_RECIPIENTS_FILE=",
		"SLUICE_MESSAGE=",
		"SLUICE_NEW_MESSAGE=",
		"SLUICE_RESULT=",
		"SLUICE_QUEUE_ID=",
		"SLUICE_CLIENT_ADDR=",
		"SLUICE_CLIENT_NAME=",
		"SLUICE_HELO=",
		"SLUICE_AUTH_USER=",
		"SLUICE_MAIL_ARGS=",
		"SLUICE_TMPDIR=",
		"SLUICE_SIZE=0",
		"SLUICE_RULE=",
		"SLUICE_FILTER=",
		NULL
	};
	static const char *const one[] = {
		"SLUICE_SENDER=",
		"SLUICE_RECIPIENTS=only@x",
	};
	struct envelope		 env;
	struct subst_ctx	 ctx;
	char			**envp;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	envp = subst_env(&ctx);
	assert_strv(envp, want);
	xfree_strv(&envp);

	envp = subst_env(NULL);
	assert_strv(envp, want);
	xfree_strv(&envp);

	/* One recipient: no separator; the null sender is "". */
	memset(&env, 0, sizeof(env));
	envelope_set_sender(&env, "");
	envelope_add_rcpt(&env, "only@x");
	ctx.env = &env;
	envp = subst_env(&ctx);
	assert_int_equal(strv_len(envp), 20);
	assert_string_equal(envp[4], one[0]);
	assert_string_equal(envp[5], one[1]);
	xfree_strv(&envp);
	envelope_free(&env);
}

/* test_env_nothing_inherited - the daemon's own variables stay behind */
static void
test_env_nothing_inherited(void **state)
{
	struct subst_ctx	 ctx;
	char			**envp;
	size_t			 i;

	(void)state;
	assert_int_equal(setenv("SLUICE_LEAK_CHECK", "1", 1), 0);
	assert_int_equal(setenv("LD_PRELOAD", "/tmp/evil.so", 1), 0);
	memset(&ctx, 0, sizeof(ctx));
	envp = subst_env(&ctx);
	for (i = 0; envp[i] != NULL; i++) {
		assert_null(strstr(envp[i], "SLUICE_LEAK_CHECK"));
		assert_null(strstr(envp[i], "LD_PRELOAD"));
	}
	xfree_strv(&envp);
	unsetenv("SLUICE_LEAK_CHECK");
	unsetenv("LD_PRELOAD");
}

/*
 * Golden cases.
 */

/* read_file - the whole file as a NUL-terminated string, or NULL */
static char *
read_file(const char *path)
{
	struct buf	 b;
	FILE		*fp;
	char		 chunk[4096];
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	buf_init(&b, 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_append(&b, chunk, n) == -1)
			break;
	if (ferror(fp) || !feof(fp)) {
		fclose(fp);
		buf_free(&b);
		return NULL;
	}
	fclose(fp);
	return buf_steal(&b, NULL);
}

/* set_str - replace *dst with a copy of s */
static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

/* golden_run - the text a golden .in must produce: argv or the error */
static char *
golden_run(const char *path, char *in)
{
	struct envelope		 env;
	struct subst_ctx	 ctx;
	struct buf		 out;
	char			*line, *next, *eq, *end, **words, **argv;
	char			 why[256];
	size_t			 i;

	memset(&env, 0, sizeof(env));
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	buf_init(&out, 0);

	/* Line 1 is the command; in is ours to cut into lines. */
	line = in;
	if ((next = strchr(line, '\n')) != NULL)
		*next++ = '\0';
	words = subst_split(line, why, sizeof(why));

	for (line = next; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL)
			fail_msg("%s: no '=' in \"%s\"", path, line);
		*eq++ = '\0';
		if (strcmp(line, "sender") == 0)
			envelope_set_sender(&env, eq);
		else if (strcmp(line, "rcpt") == 0)
			envelope_add_rcpt(&env, eq);
		else if (strcmp(line, "queue_id") == 0)
			set_str(&env.queue_id, eq);
		else if (strcmp(line, "client_addr") == 0)
			set_str(&env.client_addr, eq);
		else if (strcmp(line, "client_name") == 0)
			set_str(&env.client_name, eq);
		else if (strcmp(line, "helo") == 0)
			set_str(&env.helo, eq);
		else if (strcmp(line, "auth_user") == 0)
			set_str(&env.auth_user, eq);
		else if (strcmp(line, "msgfile") == 0)
			ctx.msgfile = eq;
		else if (strcmp(line, "newfile") == 0)
			ctx.newfile = eq;
		else if (strcmp(line, "resultfile") == 0)
			ctx.resultfile = eq;
		else if (strcmp(line, "tmpdir") == 0)
			ctx.tmpdir = eq;
		else if (strcmp(line, "size") == 0) {
			errno = 0;
			ctx.size = strtoull(eq, &end, 10);
			if (errno != 0 || *eq == '\0' || *end != '\0')
				fail_msg("%s: bad size \"%s\"", path, eq);
		} else
			fail_msg("%s: unknown key \"%s\"", path, line);
	}

	if (words == NULL)
		(void)buf_appendf(&out, "error: %s\n", why);
	else {
		argv = subst_argv(words, &ctx);
		for (i = 0; argv[i] != NULL; i++)
			(void)buf_appendf(&out, "[%s]\n", argv[i]);
		xfree_strv(&argv);
		xfree_strv(&words);
	}
	envelope_free(&env);
	return buf_steal(&out, NULL);
}

/* test_golden - one NAME.in against its NAME.ref; state is the .in path */
static void
test_golden(void **state)
{
	const char	*inpath = *state;
	char		*refpath, *in, *ref, *got;
	size_t		 n;

	n = strlen(inpath);
	(void)xasprintf(&refpath, "%.*s.ref", (int)(n - 3), inpath);

	if ((in = read_file(inpath)) == NULL)
		fail_msg("cannot read %s", inpath);
	if ((ref = read_file(refpath)) == NULL)
		fail_msg("cannot read %s", refpath);
	got = golden_run(inpath, in);
	if (strcmp(got, ref) != 0) {
		print_error("%s: want:\n%s--- got:\n%s---\n", inpath, ref,
		    got);
		fail_msg("%s differs from %s", inpath, refpath);
	}
	free(got);
	free(ref);
	free(in);
	free(refpath);
}

/* test_golden_count - the golden directory was found and is not empty */
static void
test_golden_count(void **state)
{
	size_t	n = (size_t)(uintptr_t)*state;

	if (n < GOLDEN_MIN)
		fail_msg("found %zu golden cases in %s/subst, want at least "
		    "%d", n, getenv("SLUICE_TESTDATA") ? getenv(
		    "SLUICE_TESTDATA") : "testdata", GOLDEN_MIN);
}

/* cmp_str - qsort order for the golden file names */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* golden_paths - the sorted paths of every NAME.in under dir */
static char **
golden_paths(const char *dir, size_t *np)
{
	DIR		*d;
	struct dirent	*de;
	char		**v = NULL, *p;
	size_t		  n = 0, len;

	*np = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 3 || strcmp(de->d_name + len - 3, ".in") != 0)
			continue;
		(void)xasprintf(&p, "%s/%s", dir, de->d_name);
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = p;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_str);
	*np = n;
	return v;
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_why),
		cmocka_unit_test(test_check_word),
		cmocka_unit_test(test_argv_hostile),
		cmocka_unit_test(test_queue_id),
		cmocka_unit_test(test_argv_long_local),
		cmocka_unit_test(test_argv_table),
		cmocka_unit_test(test_argv_unknown),
		cmocka_unit_test(test_env_full),
		cmocka_unit_test(test_env_empty),
		cmocka_unit_test(test_env_nothing_inherited),
	};
	struct CMUnitTest	*tests;
	const char		*base;
	char			*dir, **paths;
	size_t			 nfixed, npaths, i, n;
	int			 rc;

	if ((base = getenv("SLUICE_TESTDATA")) == NULL || *base == '\0')
		base = "testdata";
	(void)xasprintf(&dir, "%s/subst", base);
	paths = golden_paths(dir, &npaths);

	nfixed = sizeof(fixed) / sizeof(fixed[0]);
	tests = xcalloc(nfixed + npaths + 1, sizeof(*tests));
	memcpy(tests, fixed, sizeof(fixed));
	n = nfixed;
	tests[n].name = "test_golden_count";
	tests[n].test_func = test_golden_count;
	tests[n].initial_state = (void *)(uintptr_t)npaths;
	n++;
	for (i = 0; i < npaths; i++, n++) {
		/* The case's name: its file name without the directory. */
		tests[n].name = paths[i] + strlen(dir) + 1;
		tests[n].test_func = test_golden;
		tests[n].initial_state = paths[i];
	}

	rc = _cmocka_run_group_tests("subst", tests, n, NULL, NULL);

	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	free(tests);
	free(dir);
	return rc;
}
