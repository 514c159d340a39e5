/*
 * NAME
 *	envelope_test.c - unit tests for envelope.c
 *
 * DESCRIPTION
 *	Tables of values with the reply envelope_check_value() must give:
 *	control characters (CR, LF, NUL inside a length-carrying value,
 *	TAB, DEL, ESC), the RFC 5321 limits on both sides of each edge, the
 *	null sender and the empty recipient.  Then envelope_check() over
 *	whole envelopes, and the recipient and sender editing functions.
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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "mail/envelope.h"

#define NOAT	((size_t)-1)	/* build a value without '@' */

/*
 * Literal values.  len carries the length so a NUL can sit inside;
 * code 0 means the value must pass.
 */
struct value_case {
	const char	*what;
	const char	*val;
	size_t		 len;
	int		 is_addr;
	int		 code;
	const char	*status;
	const char	*text;
};

#define V(s)	(s), sizeof(s) - 1

static const struct value_case value_cases[] = {
	{ "sender", V("user@example.org"), 1, 0, NULL, NULL },
	{ "sender", V(""), 1, 0, NULL, NULL },
	{ "recipient 1", V("postmaster"), 1, 0, NULL, NULL },
	{ "recipient 1", V("\"a@b\"@example.org"), 1, 0, NULL, NULL },
	{ "recipient 1", V("j\303\266rg@example.org"), 1, 0, NULL, NULL },
	{ "recipient 1", V(";sleep 66;@x"), 1, 0, NULL, NULL },
	{ "recipient 1", V(""), 1, 553, "5.1.3", "recipient 1 is empty" },
	{ "recipient 2", V("a\rb@x"), 1, 553, "5.1.3",
	    "recipient 2 contains a control character (0x0d)" },
	{ "sender", V("a\rb@x"), 1, 553, "5.1.7",
	    "sender contains a control character (0x0d)" },
	{ "sender", V("a@x\n"), 1, 553, "5.1.7",
	    "sender contains a control character (0x0a)" },
	{ "sender", V("a\0b@x"), 1, 553, "5.1.7",
	    "sender contains a control character (0x00)" },
	{ "recipient 3", V("a@x\0"), 1, 553, "5.1.3",
	    "recipient 3 contains a control character (0x00)" },
	{ "recipient 1", V("a\tb@x"), 1, 553, "5.1.3",
	    "recipient 1 contains a control character (0x09)" },
	{ "recipient 1", V("ab@x\177"), 1, 553, "5.1.3",
	    "recipient 1 contains a control character (0x7f)" },
	{ "sender", V("\033[2Jab@x"), 1, 553, "5.1.7",
	    "sender contains a control character (0x1b)" },
	{ "sender", V("\001"), 1, 553, "5.1.7",
	    "sender contains a control character (0x01)" },
	/* The first bad byte is the one named. */
	{ "sender", V("a\t\r@x"), 1, 553, "5.1.7",
	    "sender contains a control character (0x09)" },
	/* a program would take these for options (sendmail -oQ/tmp) */
	{ "sender", V("-oQ/tmp@x"), 1, 553, "5.1.7",
	    "sender starts with '-', which a program would take for an "
	    "option" },
	{ "recipient 2", V("-x@example.org"), 1, 553, "5.1.3",
	    "recipient 2 starts with '-', which a program would take for "
	    "an option" },
	{ "recipient 1", V("a-b@x"), 1, 0, NULL, NULL },
	{ "recipient 1", V("\"-x\"@x"), 1, 0, NULL, NULL },
	{ "HELO name", V("-mx"), 0, 0, NULL, NULL },
	{ "HELO name", V("mx.example.org"), 0, 0, NULL, NULL },
	{ "HELO name", V(""), 0, 0, NULL, NULL },
	{ "HELO name", V("mx\tname"), 0, 0, NULL, NULL },
	{ "HELO name", V("mx\r"), 0, 554, "5.5.2",
	    "HELO name contains a control character (0x0d)" },
	{ "client name", V("a\nb"), 0, 554, "5.5.2",
	    "client name contains a control character (0x0a)" },
	{ "authenticated user", V("jo\0e"), 0, 554, "5.5.2",
	    "authenticated user contains a control character (0x00)" },
	{ NULL, V("x\r"), 0, 554, "5.5.2",
	    "value contains a control character (0x0d)" },
};

/* check_one - run envelope_check_value and compare with the case */
static void
check_one(size_t i, const char *what, const char *val, size_t len,
    int is_addr, int code, const char *status, const char *text)
{
	struct reply	err;
	int			rc;

	memset(&err, 0, sizeof(err));
	err.code = -7;
	rc = envelope_check_value(what, val, len, is_addr, &err);
	if (code == 0) {
		if (rc != 0)
			fail_msg("case %zu (%s, %zu bytes): refused: %d %s %s",
			    i, what ? what : "NULL", len, err.code,
			    err.status, err.text);
		/* Success leaves err alone. */
		assert_int_equal(err.code, -7);
		return;
	}
	if (rc != -1)
		fail_msg("case %zu (%s, %zu bytes): passed, want %d %s", i,
		    what ? what : "NULL", len, code, status);
	assert_int_equal(err.code, code);
	assert_string_equal(err.status, status);
	assert_string_equal(err.text, text);
}

/* test_values - every row of value_cases */
static void
test_values(void **state)
{
	const struct value_case	*c;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		c = &value_cases[i];
		check_one(i, c->what, c->val, c->len, c->is_addr, c->code,
		    c->status, c->text);
	}
}

/*
 * Lengths: a value of local bytes 'l', then '@' and domain bytes 'd'
 * (no '@' at all when domain is NOAT).
 */
struct len_case {
	const char	*what;
	size_t		 local;
	size_t		 domain;
	int		 is_addr;
	int		 code;
	const char	*status;
	const char	*text;
};

#define LOCAL_TEXT	\
	" local part is longer than 64 octets (RFC 5321 4.5.3.1.1)"
#define DOMAIN_TEXT	\
	" domain is longer than 255 octets (RFC 5321 4.5.3.1.2)"
#define PATH_TEXT	\
	" path is longer than 256 octets (RFC 5321 4.5.3.1.3)"

static const struct len_case len_cases[] = {
	{ "sender", 64, 10, 1, 0, NULL, NULL },
	{ "sender", 65, 10, 1, 553, "5.1.7", "sender" LOCAL_TEXT },
	{ "recipient 2", 65, 10, 1, 553, "5.1.3", "recipient 2" LOCAL_TEXT },
	{ "recipient 1", 64, NOAT, 1, 0, NULL, NULL },
	{ "recipient 1", 65, NOAT, 1, 553, "5.1.3",
	    "recipient 1" LOCAL_TEXT },
	{ "recipient 1", 300, 11, 1, 553, "5.1.3", "recipient 1" LOCAL_TEXT },
	/* 256 is over the domain limit itself. */
	{ "recipient 1", 1, 256, 1, 553, "5.1.3", "recipient 1" DOMAIN_TEXT },
	{ "sender", 1, 256, 1, 553, "5.1.7", "sender" DOMAIN_TEXT },
	/* 255 is a legal domain, but "l@" + 255 + "<>" is 259 octets. */
	{ "recipient 1", 1, 255, 1, 553, "5.1.3", "recipient 1" PATH_TEXT },
	/* 64 + 1 + 189 = 254, with "<>" exactly 256. */
	{ "recipient 1", 64, 189, 1, 0, NULL, NULL },
	{ "recipient 1", 64, 190, 1, 553, "5.1.3", "recipient 1" PATH_TEXT },
	{ "sender", 1, 252, 1, 0, NULL, NULL },
	{ "sender", 1, 253, 1, 553, "5.1.7", "sender" PATH_TEXT },
	{ "recipient 1", 0, 253, 1, 0, NULL, NULL },
	/* Non-addresses: only ENV_TEXT_MAX, no local part or path. */
	{ "HELO name", 512, NOAT, 0, 0, NULL, NULL },
	{ "HELO name", 513, NOAT, 0, 554, "5.5.2",
	    "HELO name is longer than 512 octets" },
	{ "queue id", 100, 400, 0, 0, NULL, NULL },
	{ "client name", 600, NOAT, 0, 554, "5.5.2",
	    "client name is longer than 512 octets" },
};

/* test_lengths - every row of len_cases */
static void
test_lengths(void **state)
{
	const struct len_case	*c;
	char			*val;
	size_t			 i, len;

	(void)state;
	for (i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		c = &len_cases[i];
		len = c->local + (c->domain == NOAT ? 0 : 1 + c->domain);
		val = xmalloc(len + 1);
		memset(val, 'l', c->local);
		if (c->domain != NOAT) {
			val[c->local] = '@';
			memset(val + c->local + 1, 'd', c->domain);
		}
		val[len] = '\0';
		check_one(i, c->what, val, len, c->is_addr, c->code,
		    c->status, c->text);
		free(val);
	}
}

/* test_last_at - the local part ends at the last '@', not the first */
static void
test_last_at(void **state)
{
	struct reply	 err;
	char			 val[128];

	(void)state;
	/* 30 + "@" + 40 = 71 octets before the last '@'. */
	memset(val, 'a', 30);
	val[30] = '@';
	memset(val + 31, 'b', 40);
	memcpy(val + 71, "@x.org", sizeof("@x.org"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(envelope_check_value("recipient 1", val,
	    strlen(val), 1, &err), -1);
	assert_string_equal(err.text, "recipient 1" LOCAL_TEXT);

	/* 30 + "@" + 33 = 64: fits. */
	memcpy(val + 64, "@x.org", sizeof("@x.org"));
	assert_int_equal(envelope_check_value("recipient 1", val,
	    strlen(val), 1, &err), 0);
}

/* test_err_null - a caller that wants no reply text */
static void
test_err_null(void **state)
{
	(void)state;
	assert_int_equal(envelope_check_value("sender", "a\rb", 3, 1, NULL),
	    -1);
	assert_int_equal(envelope_check_value("sender", "a@b", 3, 1, NULL),
	    0);
	assert_int_equal(envelope_check_value("sender", NULL, 0, 1, NULL),
	    0);
	assert_int_equal(envelope_check_value("recipient 1", NULL, 0, 1,
	    NULL), -1);
}

/* env_good - a valid envelope with three recipients */
static void
env_good(struct envelope *env)
{
	memset(env, 0, sizeof(*env));
	envelope_set_sender(env, "owner@example.org");
	envelope_add_rcpt(env, "a@example.org");
	envelope_add_rcpt(env, "b@example.org");
	envelope_add_rcpt(env, "c@example.org");
	env->queue_id = xstrdup("3F2A1C");
	env->client_addr = xstrdup("192.0.2.1");
	env->client_name = xstrdup("mx.example.net");
	env->helo = xstrdup("mx.example.net");
	env->auth_user = xstrdup("joe");
}

/* replace - free *p and put a copy of s there */
static void
replace(char **p, const char *s)
{
	free(*p);
	*p = s != NULL ? xstrdup(s) : NULL;
}

/* test_check_envelope - the first bad value decides the reply */
static void
test_check_envelope(void **state)
{
	struct envelope		env;
	struct reply	err;

	(void)state;
	env_good(&env);
	memset(&err, 0, sizeof(err));
	assert_int_equal(envelope_check(&env, &err), 0);

	/* Unknown facts and a sender not given yet pass. */
	replace(&env.client_name, NULL);
	replace(&env.helo, NULL);
	replace(&env.auth_user, NULL);
	replace(&env.client_addr, NULL);
	replace(&env.queue_id, NULL);
	replace(&env.sender, NULL);
	assert_int_equal(envelope_check(&env, &err), 0);
	replace(&env.sender, "");
	assert_int_equal(envelope_check(&env, &err), 0);

	replace(&env.rcpt[2], "c@exa\nmple.org");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_int_equal(err.code, 553);
	assert_string_equal(err.status, "5.1.3");
	assert_string_equal(err.text,
	    "recipient 3 contains a control character (0x0a)");

	/* The sender is checked first. */
	replace(&env.sender, "x\r@y");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_int_equal(err.code, 553);
	assert_string_equal(err.status, "5.1.7");
	assert_string_equal(err.text,
	    "sender contains a control character (0x0d)");
	envelope_free(&env);

	env_good(&env);
	replace(&env.rcpt[1], "");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_int_equal(err.code, 553);
	assert_string_equal(err.status, "5.1.3");
	assert_string_equal(err.text, "recipient 2 is empty");
	envelope_free(&env);

	env_good(&env);
	replace(&env.helo, "evil\r\nDATA");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_int_equal(err.code, 554);
	assert_string_equal(err.status, "5.5.2");
	assert_string_equal(err.text,
	    "HELO name contains a control character (0x0d)");
	envelope_free(&env);

	env_good(&env);
	replace(&env.queue_id, "Q\n1");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_string_equal(err.text,
	    "queue id contains a control character (0x0a)");
	envelope_free(&env);

	env_good(&env);
	replace(&env.client_addr, "1\r");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_string_equal(err.text,
	    "client address contains a control character (0x0d)");
	envelope_free(&env);

	env_good(&env);
	replace(&env.client_name, "a\nb");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_string_equal(err.text,
	    "client name contains a control character (0x0a)");
	envelope_free(&env);

	env_good(&env);
	env.auth_user = xreallocarray(env.auth_user, 600, 1);
	memset(env.auth_user, 'u', 599);
	env.auth_user[599] = '\0';
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_int_equal(err.code, 554);
	assert_string_equal(err.text,
	    "authenticated user is longer than 512 octets");
	envelope_free(&env);
}

/* test_dashes - a leading '-': addresses refused unless allowed, host
 * names always */
static void
test_dashes(void **state)
{
	struct envelope		env;
	struct reply		err;

	(void)state;
	env_good(&env);
	replace(&env.sender, "-oQ/tmp/x@example.org");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_int_equal(err.code, 553);
	assert_string_equal(err.status, "5.1.7");
	assert_string_equal(err.text, "sender starts with '-', which a "
	    "program would take for an option");
	/* allow_min_user */
	assert_int_equal(envelope_check_opts(&env, 1, &err), 0);
	replace(&env.rcpt[0], "-x@example.org");
	assert_int_equal(envelope_check_opts(&env, 1, &err), 0);
	assert_int_equal(envelope_check_opts(&env, 0, &err), -1);
	envelope_free(&env);

	env_good(&env);
	replace(&env.rcpt[1], "-x@example.org");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_int_equal(err.code, 553);
	assert_string_equal(err.status, "5.1.3");
	envelope_free(&env);

	env_good(&env);
	replace(&env.helo, "-oQ/tmp");
	assert_int_equal(envelope_check_opts(&env, 1, &err), -1);
	assert_int_equal(err.code, 554);
	assert_string_equal(err.status, "5.5.2");
	assert_string_equal(err.text, "HELO name starts with '-', which is "
	    "no host name and which a program would take for an option");
	envelope_free(&env);

	env_good(&env);
	replace(&env.client_name, "-x.example.org");
	assert_int_equal(envelope_check(&env, &err), -1);
	assert_string_equal(err.text, "client name starts with '-', which is "
	    "no host name and which a program would take for an option");
	/* inside a name it is fine */
	replace(&env.client_name, "mx-1.example.org");
	assert_int_equal(envelope_check(&env, &err), 0);
	envelope_free(&env);
}

/* test_rcpt_edit - add, delete (ignoring case), keep order and the NULL */
static void
test_rcpt_edit(void **state)
{
	struct envelope	env;

	(void)state;
	memset(&env, 0, sizeof(env));
	envelope_add_rcpt(&env, "a@x");
	envelope_add_rcpt(&env, "B@x");
	envelope_add_rcpt(&env, "c@x");
	envelope_add_rcpt(&env, "b@X");
	assert_int_equal(env.nrcpt, 4);
	assert_string_equal(env.rcpt[1], "B@x");
	assert_null(env.rcpt[4]);

	assert_int_equal(envelope_del_rcpt(&env, "b@x"), 2);
	assert_int_equal(env.nrcpt, 2);
	assert_string_equal(env.rcpt[0], "a@x");
	assert_string_equal(env.rcpt[1], "c@x");
	assert_null(env.rcpt[2]);

	assert_int_equal(envelope_del_rcpt(&env, "nobody@x"), 0);
	assert_int_equal(envelope_del_rcpt(&env, "a@"), 0);
	assert_int_equal(env.nrcpt, 2);

	assert_int_equal(envelope_del_rcpt(&env, "A@X"), 1);
	assert_int_equal(envelope_del_rcpt(&env, "C@x"), 1);
	assert_int_equal(env.nrcpt, 0);
	assert_int_equal(envelope_del_rcpt(&env, "c@x"), 0);

	envelope_add_rcpt(&env, "d@x");
	assert_int_equal(env.nrcpt, 1);
	assert_string_equal(env.rcpt[0], "d@x");
	envelope_free(&env);

	/* Deleting from an envelope that never had recipients. */
	memset(&env, 0, sizeof(env));
	assert_int_equal(envelope_del_rcpt(&env, "a@x"), 0);
	assert_null(env.rcpt);
	envelope_free(&env);
}

/* test_sender - replace the sender, also with itself */
static void
test_sender(void **state)
{
	struct envelope	env;

	(void)state;
	memset(&env, 0, sizeof(env));
	envelope_set_sender(&env, "a@x");
	assert_string_equal(env.sender, "a@x");
	envelope_set_sender(&env, "");
	assert_string_equal(env.sender, "");
	envelope_set_sender(&env, "b@y");
	envelope_set_sender(&env, env.sender);
	assert_string_equal(env.sender, "b@y");
	envelope_set_sender(&env, NULL);
	assert_null(env.sender);
	envelope_free(&env);
}

/* test_copy_free - a deep copy outlives its source; free zeroes */
static void
test_copy_free(void **state)
{
	static const struct envelope	zero;
	struct envelope			src, dst;

	(void)state;
	env_good(&src);
	replace(&src.auth_user, NULL);
	envelope_copy(&dst, &src);

	assert_ptr_not_equal(dst.sender, src.sender);
	assert_ptr_not_equal(dst.rcpt, src.rcpt);
	assert_ptr_not_equal(dst.rcpt[0], src.rcpt[0]);
	assert_ptr_not_equal(dst.helo, src.helo);
	envelope_free(&src);
	assert_memory_equal(&src, &zero, sizeof(zero));

	/* Read after the source is gone: ASan catches a shallow copy. */
	assert_string_equal(dst.sender, "owner@example.org");
	assert_int_equal(dst.nrcpt, 3);
	assert_string_equal(dst.rcpt[0], "a@example.org");
	assert_string_equal(dst.rcpt[1], "b@example.org");
	assert_string_equal(dst.rcpt[2], "c@example.org");
	assert_null(dst.rcpt[3]);
	assert_string_equal(dst.queue_id, "3F2A1C");
	assert_string_equal(dst.client_addr, "192.0.2.1");
	assert_string_equal(dst.client_name, "mx.example.net");
	assert_string_equal(dst.helo, "mx.example.net");
	assert_null(dst.auth_user);

	/* The copy is independent: edit it freely. */
	assert_int_equal(envelope_del_rcpt(&dst, "B@EXAMPLE.ORG"), 1);
	assert_int_equal(dst.nrcpt, 2);
	envelope_free(&dst);
	assert_memory_equal(&dst, &zero, sizeof(zero));

	/* An empty envelope copies to an empty one. */
	envelope_copy(&dst, &zero);
	assert_memory_equal(&dst, &zero, sizeof(zero));
	envelope_free(&dst);
	envelope_free(NULL);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_last_at),
		cmocka_unit_test(test_err_null),
		cmocka_unit_test(test_check_envelope),
		cmocka_unit_test(test_dashes),
		cmocka_unit_test(test_rcpt_edit),
		cmocka_unit_test(test_sender),
		cmocka_unit_test(test_copy_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
