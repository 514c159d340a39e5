/*
 * NAME
 *	ctlproto_test.c - unit tests for ctlproto.c and json.c
 *
 * DESCRIPTION
 *	Requests the control socket must take, with the words they give,
 *	and requests it must refuse, with the start of the reason.  Then
 *	the JSON writer: nesting and commas, escapes, bytes that are not
 *	UTF-8, numbers, and nesting that does not close.
 *
 * SECURITY
 *	Test program; touches no file.
 *
 * ERRORS
 *	None: every failure is a failed test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/buf.h"
#include "lib/ctlproto.h"
#include "lib/json.h"

static struct ctl_request	r;

static int
parse(const char *s, char *why, size_t len)
{
	return ctl_parse(s, strlen(s), &r, why, len);
}

static void
t_good(void **state)
{
	char	why[200];

	(void)state;
	assert_int_equal(parse("status", why, sizeof(why)), 0);
	assert_string_equal(r.cmd, "status");
	assert_int_equal(r.narg, 0);
	assert_int_equal(parse("log since=2026-12-01T10:00 sender=%5Ea%25b "
	    "limit=5", why, sizeof(why)), 0);
	assert_string_equal(r.cmd, "log");
	assert_int_equal(r.nopt, 3);
	assert_string_equal(ctl_opt(&r, "sender"), "^a%b");
	assert_string_equal(ctl_opt(&r, "since"), "2026-12-01T10:00");
	assert_null(ctl_opt(&r, "verdict"));
	/* escaped '=' and space: positional */
	assert_int_equal(parse("disable a%3Db%20c empty=", why,
	    sizeof(why)), 0);
	assert_int_equal(r.narg, 1);
	assert_string_equal(r.arg[0], "a=b c");
	assert_string_equal(ctl_opt(&r, "empty"), "");
	/* an upper-case key is not an option */
	assert_int_equal(parse("x A=b", why, sizeof(why)), 0);
	assert_int_equal(r.narg, 1);
	assert_int_equal(r.nopt, 0);
}

static void
t_bad(void **state)
{
	static const struct { const char *req, *why; } cases[] = {
		{ "", "an empty request" },
		{ " status", "an empty word at byte 0" },
		{ "status ", "an empty word at byte 7" },
		{ "disable  x", "an empty word at byte 8" },
		{ "status\r", "byte 0x0d at byte 6" },
		{ "disable \x7f", "byte 0x7f at byte 8" },
		{ "disable \xc3\xa9", "byte 0xc3 at byte 8" },
		{ "Status", "the command must be" },
		{ "st4tus", "the command must be" },
		{ "x %4", "an escape cut short at byte 2" },
		{ "x %", "an escape cut short at byte 2" },
		{ "x %zz", "a bad escape at byte 2" },
		{ "x a=%00", "%00 at byte 4" },
		{ "x a=1 a=2", "option a given twice" },
	};
	char	why[200], big[CTL_REQUEST_MAX + 10];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		if (parse(cases[i].req, why, sizeof(why)) == 0)
			fail_msg("\"%s\" was taken", cases[i].req);
		if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("\"%s\": \"%s\"", cases[i].req, why);
	}
	/* 33 words */
	strcpy(big, "x");
	for (i = 0; i < 32; i++)
		strcat(big, " a");
	assert_int_equal(parse(big, why, sizeof(why)), -1);
	assert_string_equal(why, "more than 32 words");
	memset(big, 'a', CTL_REQUEST_MAX);
	big[CTL_REQUEST_MAX] = '\0';
	assert_int_equal(parse(big, why, sizeof(why)), -1);
	assert_string_equal(why, "a request of over 4095 bytes");
	big[CTL_REQUEST_MAX - 1] = '\0';
	assert_int_equal(parse(big, why, sizeof(why)), 0);
}

static void
t_encode(void **state)
{
	struct buf	b;
	char		why[200];

	(void)state;
	buf_init(&b, 0);
	ctl_put_word(&b, "log");
	ctl_put_word(&b, "a b=c%");
	ctl_put_opt(&b, "sender", "^x@y\xe9$");
	assert_string_equal(b.data, "log a%20b%3Dc%25 sender=^x@y%E9$");
	assert_int_equal(ctl_parse(b.data, b.len, &r, why, sizeof(why)), 0);
	assert_string_equal(r.arg[0], "a b=c%");
	assert_string_equal(ctl_opt(&r, "sender"), "^x@y\xe9$");
	buf_free(&b);
}

static void
t_json(void **state)
{
	struct json	j;
	struct buf	b;

	(void)state;
	buf_init(&b, 0);
	json_init(&j, &b);
	json_object(&j, NULL);
	json_bool(&j, "ok", 1);
	json_str(&j, "s", "a\"b\\c\n\t\x01\x7f");
	json_str(&j, "u", "caf\xc3\xa9 \xe9 \xed\xa0\x80 \xc0\xaf");
	json_str(&j, "n", NULL);
	json_array(&j, "a");
	json_int(&j, NULL, -3);
	json_uint(&j, NULL, 18446744073709551615ULL);
	json_double(&j, NULL, 0.25);
	json_object(&j, NULL);
	json_end(&j);
	json_end(&j);
	json_end(&j);
	assert_int_equal(json_done(&j), 0);
	assert_string_equal(b.data, "{\"ok\":true,"
	    "\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\","
	    "\"u\":\"caf\xc3\xa9 \\u00e9 \\u00ed\\u00a0\\u0080 \\u00c0\\u00af\","
	    "\"n\":null,\"a\":[-3,18446744073709551615,0.25,{}]}");
	/* left open */
	buf_reset(&b);
	json_init(&j, &b);
	json_object(&j, NULL);
	assert_int_equal(json_done(&j), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_good),
		cmocka_unit_test(t_bad),
		cmocka_unit_test(t_encode),
		cmocka_unit_test(t_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
