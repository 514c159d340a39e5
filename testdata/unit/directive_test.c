/*
 * directive_test.c - unit tests for directive.c
 *
 * Table-driven: one entry per accepted form with the directive expected,
 * one per malformed input with the exact error text expected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mail/directive.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* A string literal with its length, so inputs may hold NUL bytes. */
#define BYTES(s)	s, sizeof(s) - 1

static const struct {
	const char		*in;
	enum directive_kind	 kind;
	const char		*name;
	int			 index;
	const char		*value;
} ok_cases[] = {
	{ "reason Spam score 12.5", D_REASON, NULL, 0, "Spam score 12.5" },
	{ "  REASON \t virus\tfound  ", D_REASON, NULL, 0, "virus\tfound" },
	{ "reason caf\xc3\xa9\r\n", D_REASON, NULL, 0, "caf\xc3\xa9" },
	{ "add-header X-Spam: yes", D_ADD_HEADER, "X-Spam", 0, "yes" },
	{ "Add-Header X-Spam:yes\n", D_ADD_HEADER, "X-Spam", 0, "yes" },
	{ "add-header X-Empty:", D_ADD_HEADER, "X-Empty", 0, "" },
	{ "add-header X-Empty: \t ", D_ADD_HEADER, "X-Empty", 0, "" },
	{ "add-header X-A:  a: b  ", D_ADD_HEADER, "X-A", 0, "a: b" },
	{ "add-header X-B[1]: v", D_ADD_HEADER, "X-B[1]", 0, "v" },
	{ "insert-header 0 X-Top: top", D_INSERT_HEADER, "X-Top", 0, "top" },
	{ "insert-header 10000 X-B: v", D_INSERT_HEADER, "X-B", 10000, "v" },
	{ "INSERT-HEADER\t03\tX-C:\tv", D_INSERT_HEADER, "X-C", 3, "v" },
	{ "change-header Subject: new", D_CHANGE_HEADER, "Subject", 1,
	    "new" },
	{ "change-header Received[2]: x y", D_CHANGE_HEADER, "Received", 2,
	    "x y" },
	{ "change-header X[10000]: ", D_CHANGE_HEADER, "X", 10000, "" },
	{ "change-header X]: v", D_CHANGE_HEADER, "X]", 1, "v" },
	{ "delete-header X-Spam", D_DELETE_HEADER, "X-Spam", 0, NULL },
	{ "delete-header Received[3]  ", D_DELETE_HEADER, "Received", 3,
	    NULL },
	{ "prefix-subject [SPAM]", D_PREFIX_SUBJECT, NULL, 0, "[SPAM]" },
	{ "prefix-subject ***  SPAM  ***  ", D_PREFIX_SUBJECT, NULL, 0,
	    "***  SPAM  ***" },
	{ "add-rcpt <bob@example.net>", D_ADD_RCPT, NULL, 0,
	    "bob@example.net" },
	{ "add-rcpt bob@example.net", D_ADD_RCPT, NULL, 0, "bob@example.net" },
	{ "add-rcpt postmaster", D_ADD_RCPT, NULL, 0, "postmaster" },
	{ "add-rcpt <\"a@b c\"@x.org>", D_ADD_RCPT, NULL, 0,
	    "\"a@b c\"@x.org" },
	{ "add-rcpt \"a\\\" b\"@x", D_ADD_RCPT, NULL, 0, "\"a\\\" b\"@x" },
	{ "add-rcpt j\xc3\xb6rg@example.de", D_ADD_RCPT, NULL, 0,
	    "j\xc3\xb6rg@example.de" },
	{ "delete-rcpt <\"john doe\"@example.net>", D_DELETE_RCPT, NULL, 0,
	    "\"john doe\"@example.net" },
	{ "change-sender <>", D_CHANGE_SENDER, NULL, 0, "" },
	{ "change-sender alice@example.org", D_CHANGE_SENDER, NULL, 0,
	    "alice@example.org" },
	{ "Change-Sender <bounce+x=y@example.org>", D_CHANGE_SENDER, NULL, 0,
	    "bounce+x=y@example.org" },
};

/* check_one - d has the expected kind, name, index and value */
static void
check_one(const char *label, const struct directive *d,
    enum directive_kind kind, const char *name, int index, const char *value)
{
	if (d->kind != kind)
		fail_msg("%s: kind %d", label, d->kind);
	if (name == NULL ? d->name != NULL :
	    d->name == NULL || strcmp(d->name, name) != 0)
		fail_msg("%s: name %s", label, d->name ? d->name : "(null)");
	if (d->index != index)
		fail_msg("%s: index %d", label, d->index);
	if (value == NULL ? d->value != NULL :
	    d->value == NULL || strcmp(d->value, value) != 0)
		fail_msg("%s: value %s", label, d->value ? d->value : "(null)");
}

/* test_ok - each accepted form, alone in a file */
static void
test_ok(void **state)
{
	struct directive_list	l;
	char			why[256];
	size_t			i;

	(void)state;
	for (i = 0; i < NELEM(ok_cases); i++) {
		why[0] = '\0';
		if (directive_parse(ok_cases[i].in, strlen(ok_cases[i].in), &l,
		    why, sizeof(why)) != 0)
			fail_msg("\"%s\": %s", ok_cases[i].in, why);
		if (l.n != 1)
			fail_msg("\"%s\": %zu directives", ok_cases[i].in, l.n);
		check_one(ok_cases[i].in, &l.d[0], ok_cases[i].kind,
		    ok_cases[i].name, ok_cases[i].index, ok_cases[i].value);
		directive_list_free(&l);
		assert_int_equal(l.n, 0);
		assert_null(l.d);
	}
}

static const struct {
	const char	*in;
	size_t		 len;
	const char	*err;
} bad_cases[] = {
	{ BYTES("add-header X Foo: bar"),
	    "line 1: bad header name \"X Foo\"" },
	{ BYTES("add-header : bar"), "line 1: bad header name \"\"" },
	{ BYTES("add-header X-Foo: a\rb"), "line 1: CR not followed by LF" },
	{ BYTES("reason x\r"), "line 1: CR not followed by LF" },
	{ BYTES("reason x\r\r\n"), "line 1: CR not followed by LF" },
	{ BYTES("reason ok\nadd-header X: a\0b\n"), "line 2: NUL byte" },
	{ BYTES("# a comment with a \0 in it\n"), "line 1: NUL byte" },
	{ BYTES("frobnicate x"), "line 1: unknown directive \"frobnicate\"" },
	{ BYTES("\n# c\nadd_header X: y"),
	    "line 3: unknown directive \"add_header\"" },
	{ BYTES("x\x1b[2J\"\\ y"),
	    "line 1: unknown directive \"x\\x1b[2J\\\"\\\\\"" },
	{ BYTES("aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeee x"),
	    "line 1: unknown directive "
	    "\"aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd\"..." },
	{ BYTES("reason: x"), "line 1: unknown directive \"reason:\"" },
	{ BYTES("add-header X-Foo bar"),
	    "line 1: missing ':' after header name" },
	{ BYTES("change-header X[0]: v"),
	    "line 1: bad header index (1..10000)" },
	{ BYTES("change-header X[10001]: v"),
	    "line 1: bad header index (1..10000)" },
	{ BYTES("delete-header X[]"), "line 1: bad header index (1..10000)" },
	{ BYTES("delete-header X[a]"), "line 1: bad header index (1..10000)" },
	{ BYTES("delete-header X[-1]"),
	    "line 1: bad header index (1..10000)" },
	{ BYTES("delete-header [1]"), "line 1: bad header name \"\"" },
	{ BYTES("delete-header X: y"), "line 1: bad header name \"X: y\"" },
	{ BYTES("delete-header X [2]"), "line 1: bad header name \"X \"" },
	{ BYTES("insert-header -1 X: v"), "line 1: bad position (0..10000)" },
	{ BYTES("insert-header 10001 X: v"),
	    "line 1: bad position (0..10000)" },
	{ BYTES("insert-header X: v"), "line 1: bad position (0..10000)" },
	{ BYTES("insert-header 5x X: v"), "line 1: bad position (0..10000)" },
	{ BYTES("insert-header 5  "),
	    "line 1: insert-header needs a header field after the position" },
	{ BYTES("reason a\nreason b"), "line 2: second reason" },
	{ BYTES("reason a\x01 b"), "line 1: control character in reason" },
	{ BYTES("reason a\x7f b"), "line 1: control character in reason" },
	{ BYTES("reason   "), "line 1: reason needs an argument" },
	{ BYTES("change-sender"), "line 1: change-sender needs an argument" },
	{ BYTES("prefix-subject a\tb"),
	    "line 1: control character in subject prefix" },
	{ BYTES("add-rcpt <>"), "line 1: empty address" },
	{ BYTES("delete-rcpt <>"), "line 1: empty address" },
	{ BYTES("add-rcpt <a@b"), "line 1: unbalanced angle brackets" },
	{ BYTES("add-rcpt a@b>"), "line 1: unbalanced angle brackets" },
	{ BYTES("add-rcpt <"), "line 1: unbalanced angle brackets" },
	{ BYTES("add-rcpt a b@c"),
	    "line 1: bad address: blank outside a quoted local part" },
	{ BYTES("add-rcpt <a@b c>"),
	    "line 1: bad address: blank outside a quoted local part" },
	{ BYTES("add-rcpt a\x01@b"), "line 1: bad address: control character" },
	{ BYTES("add-rcpt <-oQ/tmp@b>"), "line 1: bad address: starts with "
	    "'-', which a program would take for an option" },
	{ BYTES("change-sender -x@b"), "line 1: bad address: starts with "
	    "'-', which a program would take for an option" },
	{ BYTES("change-sender \"a\tb\"@c"),
	    "line 1: bad address: control character" },
	{ BYTES("add-rcpt \"a b@c"),
	    "line 1: bad address: unterminated quoted string" },
	{ BYTES("add-rcpt a\"b c\"@d"),
	    "line 1: bad address: quoted string is not the whole local part" },
	{ BYTES("add-rcpt \"a\"b@c"),
	    "line 1: bad address: quoted string is not the whole local part" },
};

/* test_bad - malformed files: -1, the exact text, an empty list */
static void
test_bad(void **state)
{
	struct directive_list	l;
	char			why[256];
	size_t			i;

	(void)state;
	for (i = 0; i < NELEM(bad_cases); i++) {
		why[0] = '\0';
		if (directive_parse(bad_cases[i].in, bad_cases[i].len, &l, why,
		    sizeof(why)) != -1)
			fail_msg("case %zu accepted", i);
		if (strcmp(why, bad_cases[i].err) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, why,
			    bad_cases[i].err);
		assert_int_equal(l.n, 0);
		assert_null(l.d);
	}
}

/*
 * test_lengths - limits exactly at and one past: 998-byte header lines,
 * reason, subject prefix, address parts.  Inputs are built here because
 * they are long; the expectations are still fixed numbers.
 */
static void
test_lengths(void **state)
{
	static const struct {
		const char	*head;	/* text before the filler */
		size_t		 fill;	/* filler bytes */
		const char	*tail;	/* text after the filler */
		const char	*err;	/* NULL: accepted */
	} cases[] = {
		/* "X-Test: " is 8 bytes, so 990 fill bytes make 998. */
		{ "add-header X-Test: ", 990, "", NULL },
		{ "add-header X-Test: ", 991, "",
		    "line 1: header field longer than 998 bytes" },
		{ "insert-header 1 X-Test:", 991, "",
		    "line 1: header field longer than 998 bytes" },
		{ "change-header X-Test[2]:    ", 990, "   ", NULL },
		{ "change-header X-Test[2]: ", 991, "",
		    "line 1: header field longer than 998 bytes" },
		{ "reason ", 512, "", NULL },
		{ "reason ", 513, "", "line 1: reason longer than 512 bytes" },
		{ "prefix-subject ", 200, "", NULL },
		{ "prefix-subject ", 201, "",
		    "line 1: subject prefix longer than 200 bytes" },
		{ "add-rcpt ", 64, "@example.org", NULL },
		{ "add-rcpt <", 65, "@example.org>",
		    "line 1: bad address: local part longer than 64 bytes" },
		{ "add-rcpt ", 65, "",
		    "line 1: bad address: local part longer than 64 bytes" },
		/* 64 + 1 + 189 = 254 */
		{ "add-rcpt <", 64, "@"
		    "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		    "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		    "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		    "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.examp.net>", NULL },
		{ "delete-rcpt <", 64, "@"
		    "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		    "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		    "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		    "aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.examp.nets>",
		    "line 1: bad address: longer than 254 bytes" },
		{ "change-sender a@", 300, "",
		    "line 1: bad address: longer than 254 bytes" },
	};
	struct directive_list	 l;
	char			*in, why[256];
	size_t			 i, hl, tl;
	int			 rc;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		hl = strlen(cases[i].head);
		tl = strlen(cases[i].tail);
		in = malloc(hl + cases[i].fill + tl + 1);
		assert_non_null(in);
		memcpy(in, cases[i].head, hl);
		memset(in + hl, 'x', cases[i].fill);
		memcpy(in + hl + cases[i].fill, cases[i].tail, tl + 1);
		why[0] = '\0';
		rc = directive_parse(in, strlen(in), &l, why, sizeof(why));
		if (cases[i].err == NULL) {
			if (rc != 0 || l.n != 1)
				fail_msg("case %zu: %s", i, why);
			if (l.d[0].kind == D_ADD_HEADER ||
			    l.d[0].kind == D_CHANGE_HEADER ||
			    l.d[0].kind == D_REASON ||
			    l.d[0].kind == D_PREFIX_SUBJECT)
				assert_int_equal(strlen(l.d[0].value),
				    cases[i].fill);
		} else if (rc != -1 || strcmp(why, cases[i].err) != 0)
			fail_msg("case %zu: rc %d \"%s\"", i, rc, why);
		directive_list_free(&l);
		free(in);
	}
}

/* test_file - a whole file: comments, blanks, CRLF, order kept */
static void
test_file(void **state)
{
	static const char file[] =
	    "# written by a test filter\r\n"
	    "\r\n"
	    "   # indented comment\n"
	    "reason spam\n"
	    "\t\n"
	    "add-header X-Spam-Flag: YES\r\n"
	    "delete-header X-Old\n"
	    "prefix-subject [SPAM]\n"
	    "add-rcpt <quarantine@example.org>\n"
	    "change-sender <>";
	struct directive_list	l;
	char			why[128] = "";

	(void)state;
	if (directive_parse(file, sizeof(file) - 1, &l, why, sizeof(why))
	    != 0)
		fail_msg("%s", why);
	assert_int_equal(l.n, 6);
	check_one("0", &l.d[0], D_REASON, NULL, 0, "spam");
	check_one("1", &l.d[1], D_ADD_HEADER, "X-Spam-Flag", 0, "YES");
	check_one("2", &l.d[2], D_DELETE_HEADER, "X-Old", 0, NULL);
	check_one("3", &l.d[3], D_PREFIX_SUBJECT, NULL, 0, "[SPAM]");
	check_one("4", &l.d[4], D_ADD_RCPT, NULL, 0, "quarantine@example.org");
	check_one("5", &l.d[5], D_CHANGE_SENDER, NULL, 0, "");
	directive_list_free(&l);

	/* Nothing at all is a valid, empty result. */
	assert_int_equal(directive_parse("", 0, &l, why, sizeof(why)), 0);
	assert_int_equal(l.n, 0);
	directive_list_free(&l);

	/* A late error throws away what came before it. */
	assert_int_equal(directive_parse("reason a\nadd-rcpt b\nbogus\n", 26,
	    &l, why, sizeof(why)), -1);
	assert_string_equal(why, "line 3: unknown directive \"bogus\"");
	assert_int_equal(l.n, 0);
	assert_null(l.d);

	/* Many directives make the list grow. */
	{
		char	big[64 * 20 + 1];
		size_t	i;

		big[0] = '\0';
		for (i = 0; i < 64; i++)
			strcat(big, "delete-rcpt a@b.c\n");
		assert_int_equal(directive_parse(big, strlen(big), &l, why,
		    sizeof(why)), 0);
		assert_int_equal(l.n, 64);
		check_one("63", &l.d[63], D_DELETE_RCPT, NULL, 0, "a@b.c");
		directive_list_free(&l);
	}
}

/* test_file_max - DIRECTIVE_FILE_MAX bytes are fine, one more is not */
static void
test_file_max(void **state)
{
	struct directive_list	 l;
	char			*in, why[128] = "";
	size_t			 i;

	(void)state;
	in = malloc(DIRECTIVE_FILE_MAX + 1);
	assert_non_null(in);
	/* 256 KiB of 64-byte comment lines. */
	for (i = 0; i < DIRECTIVE_FILE_MAX + 1; i++)
		in[i] = (i % 64 == 63) ? '\n' : '#';
	assert_int_equal(directive_parse(in, DIRECTIVE_FILE_MAX, &l, why,
	    sizeof(why)), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(directive_parse(in, DIRECTIVE_FILE_MAX + 1, &l, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "file larger than 262144 bytes");
	assert_int_equal(l.n, 0);
	/* why may be absent */
	assert_int_equal(directive_parse(in, DIRECTIVE_FILE_MAX + 1, &l, NULL,
	    0), -1);
	assert_int_equal(directive_parse("x", 1, &l, NULL, 0), -1);
	free(in);
}

/* test_short_why - a small why buffer is cut, never overrun */
static void
test_short_why(void **state)
{
	struct directive_list	l;
	char			why[12];

	(void)state;
	memset(why, 'Z', sizeof(why));
	assert_int_equal(directive_parse("bogus", 5, &l, why, 10), -1);
	assert_string_equal(why, "line 1: u");
	assert_int_equal(why[10], 'Z');
	assert_int_equal(directive_parse("bogus", 5, &l, why, 5), -1);
	assert_string_equal(why, "line");
}

/* test_kind_name - every kind has its keyword */
static void
test_kind_name(void **state)
{
	static const struct {
		enum directive_kind	 kind;
		const char		*name;
	} cases[] = {
		{ D_REASON, "reason" },
		{ D_ADD_HEADER, "add-header" },
		{ D_INSERT_HEADER, "insert-header" },
		{ D_CHANGE_HEADER, "change-header" },
		{ D_DELETE_HEADER, "delete-header" },
		{ D_PREFIX_SUBJECT, "prefix-subject" },
		{ D_ADD_RCPT, "add-rcpt" },
		{ D_DELETE_RCPT, "delete-rcpt" },
		{ D_CHANGE_SENDER, "change-sender" },
		{ (enum directive_kind)99, "?" },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		assert_string_equal(directive_kind_name(cases[i].kind),
		    cases[i].name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_max),
		cmocka_unit_test(test_short_why),
		cmocka_unit_test(test_kind_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
