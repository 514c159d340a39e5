/*
 * header_test.c - unit tests for header.c
 *
 * Table-driven: each case gives an input and the fields, body and error
 * text expected, written out by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mail/header.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* A string literal with its length, so inputs may hold NUL bytes. */
#define BYTES(s)	s, sizeof(s) - 1

struct parse_case {
	const char	*label;
	const char	*in;
	size_t		 inlen;
	int		 strict;
	int		 rc;
	const char	*err;		/* expected why when rc == -1 */
	size_t		 n;
	const char	*f[6][2];	/* expected name, value */
	const char	*body;		/* expected bytes from *body_off on */
	size_t		 bodylen;
};

static const struct parse_case parse_cases[] = {
	{ "simple", BYTES("From: a@b\nTo: c@d\n\nbody\n"), 0, 0, NULL,
	    2, { { "From", " a@b" }, { "To", " c@d" } }, BYTES("body\n") },
	{ "folded", BYTES("Subject: one\n two\n\tthree\nX: y\n\nB"), 0, 0,
	    NULL, 2, { { "Subject", " one\n two\n\tthree" }, { "X", " y" } },
	    BYTES("B") },
	{ "crlf", BYTES("From: a\r\nSubject: x\r\n y\r\n\r\nbody\r\n"), 0,
	    0, NULL, 2, { { "From", " a" }, { "Subject", " x\n y" } },
	    BYTES("body\r\n") },
	{ "no empty line", BYTES("A: 1\nB: 2\n"), 0, 0, NULL,
	    2, { { "A", " 1" }, { "B", " 2" } }, BYTES("") },
	{ "last line without LF", BYTES("A: 1\nB: 2"), 0, 0, NULL,
	    2, { { "A", " 1" }, { "B", " 2" } }, BYTES("") },
	{ "last line ends in CR only", BYTES("A: 1\r\nB: 2\r"), 0, 0, NULL,
	    2, { { "A", " 1" }, { "B", " 2" } }, BYTES("") },
	{ "empty line is the end", BYTES("A: 1\n\n"), 0, 0, NULL,
	    1, { { "A", " 1" } }, BYTES("") },
	{ "only a second empty line in body", BYTES("A: 1\n\n\nx"), 0, 0,
	    NULL, 1, { { "A", " 1" } }, BYTES("\nx") },
	{ "no headers", BYTES("\nbody"), 0, 0, NULL, 0, { { NULL } },
	    BYTES("body") },
	{ "no headers, CRLF", BYTES("\r\nbody"), 0, 0, NULL, 0, { { NULL } },
	    BYTES("body") },
	{ "empty input", BYTES(""), 0, 0, NULL, 0, { { NULL } }, BYTES("") },
	{ "empty values", BYTES("A:\nB:x\n\n"), 0, 0, NULL,
	    2, { { "A", "" }, { "B", "x" } }, BYTES("") },
	{ "colon in value", BYTES("A: b:c\n\n"), 0, 0, NULL,
	    1, { { "A", " b:c" } }, BYTES("") },
	{ "unusual ftext", BYTES("X-a_b!#$~[1]: v\n\n"), 0, 0, NULL,
	    1, { { "X-a_b!#$~[1]", " v" } }, BYTES("") },
	{ "blank-only continuation", BYTES("A: 1\n \nB: 2\n\n"), 0, 0, NULL,
	    2, { { "A", " 1\n " }, { "B", " 2" } }, BYTES("") },
	{ "bare CR kept when not strict", BYTES("A: x\ry\n\n"), 0, 0, NULL,
	    1, { { "A", " x\ry" } }, BYTES("") },
	{ "no colon ends the block", BYTES("A: 1\nnot a header\nB: 2\n"),
	    0, 0, NULL, 1, { { "A", " 1" } },
	    BYTES("not a header\nB: 2\n") },
	{ "space in name ends the block", BYTES("A: 1\nFrom x: y\n\nz"),
	    0, 0, NULL, 1, { { "A", " 1" } }, BYTES("From x: y\n\nz") },
	{ "space before colon ends the block", BYTES("A : 1\n\n"), 0, 0,
	    NULL, 0, { { NULL } }, BYTES("A : 1\n\n") },
	{ "mbox From line", BYTES("From a@b Mon Jan  1 00:00:00 2024\nA: 1\n"),
	    0, 0, NULL, 0, { { NULL } },
	    BYTES("From a@b Mon Jan  1 00:00:00 2024\nA: 1\n") },
	{ "continuation first", BYTES(" x\nA: 1\n"), 0, 0, NULL,
	    0, { { NULL } }, BYTES(" x\nA: 1\n") },
	{ "NUL ends the block", BYTES("A: 1\nB: x\0y\nC: 3\n\nbody"), 0, 0,
	    NULL, 1, { { "A", " 1" } }, BYTES("B: x\0y\nC: 3\n\nbody") },
	{ "NUL in a continuation", BYTES("A: 1\n \0\nB: 2\n"), 0, 0, NULL,
	    1, { { "A", " 1" } }, BYTES(" \0\nB: 2\n") },
	{ "empty name", BYTES("A: 1\n: x\n"), 0, 0, NULL,
	    1, { { "A", " 1" } }, BYTES(": x\n") },

	{ "strict ok", BYTES("A: 1\n b\nB:2\n\nbody"), 1, 0, NULL,
	    2, { { "A", " 1\n b" }, { "B", "2" } }, BYTES("body") },
	{ "strict, no headers", BYTES("\nbody"), 1, 0, NULL, 0, { { NULL } },
	    BYTES("body") },
	{ "strict CRLF", BYTES("A: 1\r\n\r\n"), 1, 0, NULL,
	    1, { { "A", " 1" } }, BYTES("") },
	{ "strict, no empty line", BYTES("A: 1\nB: 2\n"), 1, -1,
	    "no empty line between header and body", 0, { { NULL } },
	    NULL, 0 },
	{ "strict, empty input", BYTES(""), 1, -1,
	    "no empty line between header and body", 0, { { NULL } },
	    NULL, 0 },
	{ "strict, not a field", BYTES("A: 1\nB: 2\nbad line\n\n"), 1, -1,
	    "line 3: not a header field", 0, { { NULL } }, NULL, 0 },
	{ "strict, space before colon", BYTES("A: 1\n x\nB : 2\n\n"), 1, -1,
	    "line 3: not a header field", 0, { { NULL } }, NULL, 0 },
	{ "strict, continuation first", BYTES(" x\n\n"), 1, -1,
	    "line 1: continuation line before the first field", 0,
	    { { NULL } }, NULL, 0 },
	{ "strict, NUL", BYTES("A: 1\nB: \0\n\n"), 1, -1,
	    "line 2: NUL byte", 0, { { NULL } }, NULL, 0 },
	{ "strict, NUL in body is fine", BYTES("A: 1\n\n\0"), 1, 0, NULL,
	    1, { { "A", " 1" } }, BYTES("\0") },
	{ "strict, bare CR", BYTES("A: 1\r\nB: x\ry\r\n\r\n"), 1, -1,
	    "line 2: CR not followed by LF", 0, { { NULL } }, NULL, 0 },
};

/* check_parse - run one parse case and compare with its expectations */
static void
check_parse(const struct parse_case *c)
{
	struct header_list	l;
	size_t			i, body_off = 12345;
	char			why[256] = "";
	int			rc;

	rc = header_parse(c->in, c->inlen, &l, &body_off, c->strict, why,
	    sizeof(why));
	if (rc != c->rc)
		fail_msg("%s: rc %d, want %d (%s)", c->label, rc, c->rc, why);
	if (rc == -1) {
		if (strcmp(why, c->err) != 0)
			fail_msg("%s: why \"%s\", want \"%s\"", c->label, why,
			    c->err);
		assert_int_equal(l.n, 0);
		assert_null(l.h);
		return;
	}
	if (l.n != c->n)
		fail_msg("%s: %zu fields, want %zu", c->label, l.n, c->n);
	for (i = 0; i < l.n; i++) {
		if (strcmp(l.h[i].name, c->f[i][0]) != 0 ||
		    strcmp(l.h[i].value, c->f[i][1]) != 0)
			fail_msg("%s: field %zu is \"%s\":\"%s\"", c->label, i,
			    l.h[i].name, l.h[i].value);
	}
	if (body_off + c->bodylen != c->inlen ||
	    memcmp(c->in + body_off, c->body, c->bodylen) != 0)
		fail_msg("%s: body_off %zu, want %zu", c->label, body_off,
		    c->inlen - c->bodylen);
	header_list_free(&l);
	assert_int_equal(l.n, 0);
}

/* test_parse - every case of the parse table */
static void
test_parse(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(parse_cases); i++)
		check_parse(&parse_cases[i]);
}

/* test_parse_why_optional - a NULL why must not be written to */
static void
test_parse_why_optional(void **state)
{
	struct header_list	l;
	size_t			off;

	(void)state;
	assert_int_equal(header_parse("x\n", 2, &l, &off, 1, NULL, 0), -1);
	assert_int_equal(l.n, 0);
}

/* make_line - "A: " and 'v' bytes up to linelen, then the ending */
static char *
make_line(size_t linelen, const char *ending, const char *rest)
{
	char	*s;
	size_t	 el = strlen(ending), rl = strlen(rest);

	s = malloc(linelen + el + rl + 1);
	assert_non_null(s);
	memcpy(s, "A: ", 3);
	memset(s + 3, 'v', linelen - 3);
	memcpy(s + linelen, ending, el);
	memcpy(s + linelen + el, rest, rl + 1);
	return s;
}

/*
 * test_line_max - 998 bytes is the limit in strict mode, with or without
 * CR; non-strict parsing keeps longer lines.
 */
static void
test_line_max(void **state)
{
	static const struct {
		size_t		 linelen;
		const char	*ending;
		int		 strict;
		int		 rc;
	} cases[] = {
		{ 998, "\n", 1, 0 },
		{ 998, "\r\n", 1, 0 },
		{ 999, "\n", 1, -1 },
		{ 999, "\r\n", 1, -1 },
		{ 999, "\n", 0, 0 },
		{ 5000, "\n", 0, 0 },
	};
	struct header_list	 l;
	size_t			 i, off;
	char			*in, why[128];
	int			 rc;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		in = make_line(cases[i].linelen, cases[i].ending, "\nb");
		why[0] = '\0';
		rc = header_parse(in, strlen(in), &l, &off, cases[i].strict,
		    why, sizeof(why));
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, why);
		if (rc == 0) {
			assert_int_equal(l.n, 1);
			assert_int_equal(strlen(l.h[0].value),
			    cases[i].linelen - 2);
			assert_string_equal(in + off, "b");
		} else
			assert_string_equal(why,
			    "line 1: longer than 998 bytes");
		header_list_free(&l);
		free(in);
	}
}

/* test_name_len - a 128-byte name is a field, 129 bytes end the block */
static void
test_name_len(void **state)
{
	struct header_list	l;
	char			in[200];
	size_t			off;

	(void)state;
	memset(in, 'N', 128);
	memcpy(in + 128, ":v\n\n", 5);
	assert_int_equal(header_parse(in, strlen(in), &l, &off, 1, NULL, 0),
	    0);
	assert_int_equal(l.n, 1);
	assert_int_equal(off, 132);
	header_list_free(&l);

	memset(in, 'N', 129);
	memcpy(in + 129, ":v\n\n", 5);
	assert_int_equal(header_parse(in, strlen(in), &l, &off, 0, NULL, 0),
	    0);
	assert_int_equal(l.n, 0);
	assert_int_equal(off, 0);
}

/*
 * Round trips: header block + "\n" + body parses, and serialize gives the
 * header block back byte for byte.
 */
static const struct {
	const char	*hdr;
	const char	*body;
	size_t		 n;
} trip_cases[] = {
	{ "Return-Path: <alice@example.org>\n"
	  "Received: from mail.example.org (mail.example.org [192.0.2.1])\n"
	  "\tby mx.example.net (Postfix) with ESMTPS id 4F1A2B3C4D\n"
	  "\tfor <bob@example.net>; Mon,  1 Jan 2024 10:00:00 +0000 (UTC)\n"
	  "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n"
	  " d=example.org; s=sel; h=from:to:subject;\n"
	  " b=AbCdEf0123==\n"
	  "From: Alice <alice@example.org>\n"
	  "To: bob@example.net\n"
	  "Subject:   =?UTF-8?Q?caf=C3=A9?=  \n"
	  "X-Empty:\n"
	  "X-Tabs:\tvalue\t\n"
	  "MIME-Version: 1.0\n",
	  "Hello Bob,\n\nsee you.\n", 9 },
	{ "A: 1\n", "", 1 },
	{ "", "body only\n", 0 },
	{ "X: \xc3\xa9\xff 8-bit\n", "x", 1 },
};

/* test_round_trip - parse then serialize gives the same bytes */
static void
test_round_trip(void **state)
{
	struct header_list	 l;
	size_t			 i, off, hlen, slen;
	char			*in, *out;

	(void)state;
	for (i = 0; i < NELEM(trip_cases); i++) {
		hlen = strlen(trip_cases[i].hdr);
		if (asprintf(&in, "%s\n%s", trip_cases[i].hdr,
		    trip_cases[i].body) < 0)
			fail();
		assert_int_equal(header_parse(in, strlen(in), &l, &off, 1,
		    NULL, 0), 0);
		assert_int_equal(l.n, trip_cases[i].n);
		assert_int_equal(off, hlen + 1);
		out = header_serialize(&l, &slen);
		assert_int_equal(slen, hlen);
		assert_memory_equal(out, trip_cases[i].hdr, hlen);
		assert_int_equal(out[slen], '\0');
		free(out);
		header_list_free(&l);
		free(in);
	}
}

/* parse_ok - parse a block that the test knows to be good */
static void
parse_ok(const char *in, struct header_list *l)
{
	size_t	off;

	assert_int_equal(header_parse(in, strlen(in), l, &off, 0, NULL, 0),
	    0);
}

static const char get_block[] =
	"Received: a\n"
	"Subject: s\n"
	"received: b\n"
	"To: t\n"
	"RECEIVED: c\n"
	"\n";

/* test_get_count - case-insensitive lookup, 1-based indexes */
static void
test_get_count(void **state)
{
	static const struct {
		const char	*name;
		int		 idx;
		const char	*value;	/* NULL: not found */
	} gets[] = {
		{ "Received", 1, " a" },
		{ "Received", 2, " b" },
		{ "received", 3, " c" },
		{ "RECEIVED", 4, NULL },
		{ "Received", 0, NULL },
		{ "Received", -1, NULL },
		{ "subject", 1, " s" },
		{ "Subjec", 1, NULL },
		{ "Subjects", 1, NULL },
		{ "X-None", 1, NULL },
	};
	static const struct {
		const char	*name;
		int		 n;
	} counts[] = {
		{ "Received", 3 }, { "rEcEiVeD", 3 }, { "To", 1 },
		{ "Subject", 1 }, { "From", 0 }, { "", 0 },
	};
	struct header_list	 l;
	const struct header	*h;
	size_t			 i;

	(void)state;
	parse_ok(get_block, &l);
	for (i = 0; i < NELEM(gets); i++) {
		h = header_get(&l, gets[i].name, gets[i].idx);
		if (gets[i].value == NULL) {
			if (h != NULL)
				fail_msg("get %s[%d] found \"%s\"",
				    gets[i].name, gets[i].idx, h->value);
		} else if (h == NULL ||
		    strcmp(h->value, gets[i].value) != 0)
			fail_msg("get %s[%d]", gets[i].name, gets[i].idx);
	}
	for (i = 0; i < NELEM(counts); i++)
		if (header_count(&l, counts[i].name) != counts[i].n)
			fail_msg("count %s", counts[i].name);
	header_list_free(&l);
}

enum op { OP_END, OP_ADD, OP_INSERT, OP_CHANGE, OP_DELETE };

/* Edit cases: operations on edit_block, then the expected block. */
static const char edit_block[] =
	"A: 1\n"
	"B: 2\n"
	"a: 3\n"
	"C: 4\n"
	"\n";

static const struct {
	const char	*label;
	struct {
		enum op		 op;
		const char	*name;
		int		 idx;	/* index, or position for insert */
		const char	*value;
		int		 ret;	/* expected return (change/delete) */
	} ops[4];
	const char	*want;
} edit_cases[] = {
	{ "add", { { OP_ADD, "X-New", 0, " new", 0 } },
	    "A: 1\nB: 2\na: 3\nC: 4\nX-New: new\n" },
	{ "add keeps the value as given", { { OP_ADD, "X", 0, "v", 0 } },
	    "A: 1\nB: 2\na: 3\nC: 4\nX:v\n" },
	{ "insert at top", { { OP_INSERT, "T", 0, " t", 0 } },
	    "T: t\nA: 1\nB: 2\na: 3\nC: 4\n" },
	{ "insert in the middle", { { OP_INSERT, "M", 2, " m", 0 } },
	    "A: 1\nB: 2\nM: m\na: 3\nC: 4\n" },
	{ "insert at the end", { { OP_INSERT, "E", 4, " e", 0 } },
	    "A: 1\nB: 2\na: 3\nC: 4\nE: e\n" },
	{ "insert past the end", { { OP_INSERT, "E", 99, " e", 0 } },
	    "A: 1\nB: 2\na: 3\nC: 4\nE: e\n" },
	{ "change first", { { OP_CHANGE, "a", 1, " one", 0 } },
	    "A: one\nB: 2\na: 3\nC: 4\n" },
	{ "change second", { { OP_CHANGE, "A", 2, " three", 0 } },
	    "A: 1\nB: 2\na: three\nC: 4\n" },
	{ "change index 0 is the first", { { OP_CHANGE, "A", 0, "x", 0 } },
	    "A:x\nB: 2\na: 3\nC: 4\n" },
	{ "change absent", { { OP_CHANGE, "A", 3, " x", -1 },
	    { OP_CHANGE, "Z", 1, " x", -1 } },
	    "A: 1\nB: 2\na: 3\nC: 4\n" },
	{ "delete all", { { OP_DELETE, "a", 0, NULL, 2 } },
	    "B: 2\nC: 4\n" },
	{ "delete second", { { OP_DELETE, "A", 2, NULL, 1 } },
	    "A: 1\nB: 2\nC: 4\n" },
	{ "delete absent", { { OP_DELETE, "A", 3, NULL, 0 },
	    { OP_DELETE, "Z", 0, NULL, 0 }, { OP_DELETE, "A", -1, NULL, 0 } },
	    "A: 1\nB: 2\na: 3\nC: 4\n" },
	{ "delete everything, then add", { { OP_DELETE, "A", 0, NULL, 2 },
	    { OP_DELETE, "B", 0, NULL, 1 }, { OP_DELETE, "C", 1, NULL, 1 },
	    { OP_ADD, "N", 0, " n", 0 } },
	    "N: n\n" },
	{ "insert then change the inserted", {
	    { OP_INSERT, "a", 0, " 0", 0 },
	    { OP_CHANGE, "A", 1, " zero", 0 },
	    { OP_CHANGE, "A", 3, " three", 0 } },
	    "a: zero\nA: 1\nB: 2\na: three\nC: 4\n" },
};

/* test_edit - add/insert/change/delete, checked through serialize */
static void
test_edit(void **state)
{
	struct header_list	 l;
	size_t			 i, j, len;
	char			*out;
	int			 ret;

	(void)state;
	for (i = 0; i < NELEM(edit_cases); i++) {
		parse_ok(edit_block, &l);
		for (j = 0; j < NELEM(edit_cases[i].ops); j++) {
			const char *name = edit_cases[i].ops[j].name;
			const char *value = edit_cases[i].ops[j].value;
			int idx = edit_cases[i].ops[j].idx;

			ret = 0;
			switch (edit_cases[i].ops[j].op) {
			case OP_END:
				break;
			case OP_ADD:
				header_add(&l, name, value);
				break;
			case OP_INSERT:
				header_insert(&l, (size_t)idx, name, value);
				break;
			case OP_CHANGE:
				ret = header_change(&l, name, idx, value);
				break;
			case OP_DELETE:
				ret = header_delete(&l, name, idx);
				break;
			}
			if (ret != edit_cases[i].ops[j].ret)
				fail_msg("%s: op %zu returned %d",
				    edit_cases[i].label, j, ret);
		}
		out = header_serialize(&l, &len);
		if (strcmp(out, edit_cases[i].want) != 0 ||
		    len != strlen(edit_cases[i].want))
			fail_msg("%s: got \"%s\"", edit_cases[i].label, out);
		free(out);
		header_list_free(&l);
	}
}

/* test_edit_empty - editing a list that header_parse never filled */
static void
test_edit_empty(void **state)
{
	struct header_list	 l = { NULL, 0, 0 };
	char			*out;
	size_t			 len = 99;

	(void)state;
	out = header_serialize(&l, &len);
	assert_string_equal(out, "");
	assert_int_equal(len, 0);
	free(out);
	assert_int_equal(header_delete(&l, "A", 0), 0);
	assert_int_equal(header_change(&l, "A", 1, "x"), -1);
	header_insert(&l, 5, "B", " b");
	header_insert(&l, 0, "A", " a");
	out = header_serialize(&l, NULL);
	assert_string_equal(out, "A: a\nB: b\n");
	free(out);
	header_list_free(&l);
	assert_null(l.h);
	assert_int_equal(l.n, 0);
}

/* test_name_ok - RFC 5322 ftext, 1..128 bytes */
static void
test_name_ok(void **state)
{
	static const struct {
		const char	*name;
		size_t		 len;
		int		 ok;
	} cases[] = {
		{ BYTES("From"), 1 },
		{ BYTES("X-Spam-Flag"), 1 },
		{ BYTES("!~"), 1 },
		{ BYTES("a"), 1 },
		{ "From:", 4, 1 },
		{ BYTES(""), 0 },
		{ BYTES("A B"), 0 },
		{ BYTES("A:"), 0 },
		{ BYTES("A\tB"), 0 },
		{ BYTES("A\x7f"), 0 },
		{ BYTES("A\x1f"), 0 },
		{ BYTES("caf\xc3\xa9"), 0 },
		{ BYTES("A\0B"), 0 },
	};
	char	long_name[130];
	size_t	i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		if (header_name_ok(cases[i].name, cases[i].len) != cases[i].ok)
			fail_msg("case %zu \"%s\"", i, cases[i].name);
	memset(long_name, 'x', sizeof(long_name));
	assert_int_equal(header_name_ok(long_name, 128), 1);
	assert_int_equal(header_name_ok(long_name, 129), 0);
}

/*
 * test_value_ok - no CR/LF/NUL; "Name: value" at most 998 bytes.  With
 * the 6-byte name "X-Test" that leaves 990 bytes for the value.
 */
static void
test_value_ok(void **state)
{
	static const struct {
		const char	*name;
		const char	*value;
		size_t		 len;
		int		 ok;
	} cases[] = {
		{ "X-Test", BYTES("hello"), 1 },
		{ "X-Test", BYTES(""), 1 },
		{ "X-Test", BYTES("tab\tis fine"), 1 },
		{ "X-Test", BYTES("8-bit \xc3\xa9"), 1 },
		{ "X-Test", BYTES("a\rb"), 0 },
		{ "X-Test", BYTES("a\nb"), 0 },
		{ "X-Test", BYTES("a\r\n b"), 0 },
		{ "X-Test", BYTES("a\0b"), 0 },
		{ "X-Test", BYTES("end\n"), 0 },
		{ "X-Test", "ab\0", 2, 1 },	/* only len bytes count */
	};
	static char	big[2000];
	char		name[1000];
	size_t		i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		if (header_value_ok(cases[i].name, cases[i].value,
		    cases[i].len) != cases[i].ok)
			fail_msg("case %zu", i);
	memset(big, 'v', sizeof(big));
	assert_int_equal(header_value_ok("X-Test", big, 990), 1);
	assert_int_equal(header_value_ok("X-Test", big, 991), 0);
	assert_int_equal(header_value_ok("X-Test", big, sizeof(big)), 0);
	assert_int_equal(header_value_ok("X-Test", big, (size_t)-1), 0);
	memset(name, 'N', 996);
	name[996] = '\0';
	assert_int_equal(header_value_ok(name, "", 0), 1);
	assert_int_equal(header_value_ok(name, "v", 1), 0);
	name[997] = '\0';
	name[996] = 'N';
	assert_int_equal(header_value_ok(name, "", 0), 0);
}

/* test_unfold - folding out, outer white space trimmed */
static void
test_unfold(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ " hello", "hello" },
		{ "hello", "hello" },
		{ " a\n b", "a b" },
		{ " a\n\t \tb  ", "a b" },
		{ " a \n b", "a  b" },
		{ " a\n b\n c", "a b c" },
		{ "\t x \n  ", "x" },
		{ " \n ", "" },
		{ "", "" },
		{ " in  the   middle ", "in  the   middle" },
		{ " =?UTF-8?Q?a?=\n =?UTF-8?Q?b?=",
		    "=?UTF-8?Q?a?= =?UTF-8?Q?b?=" },
	};
	char	*s;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		s = header_value_unfold(cases[i].in);
		if (strcmp(s, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\"", i, s);
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_why_optional),
		cmocka_unit_test(test_line_max),
		cmocka_unit_test(test_name_len),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_get_count),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_edit_empty),
		cmocka_unit_test(test_name_ok),
		cmocka_unit_test(test_value_ok),
		cmocka_unit_test(test_unfold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
