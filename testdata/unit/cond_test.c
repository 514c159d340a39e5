/*
 * cond_test.c - rule conditions: patterns, recipients any/all, headers,
 * size, time windows, condition sets, and matches that hit a limit
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "mail/header.h"
#include "rules/cond.h"

/* patterns - add NULL-terminated patterns to a condition */
static void
patterns(struct cond *c, const char *const *p)
{
	char	why[256];

	for (; *p != NULL; p++)
		assert_int_equal(match_list_add(&c->ml, *p, why, sizeof(why)),
		    0);
}

static struct envelope	env;
static struct header_list hdr;
static struct tm	now;
static struct cond_input in;

/* setup - a message from a@example.org to two recipients */
static int
setup(void **state)
{
	static const char msg[] = "From: A <a@example.org>\n"
	    "Subject: Your invoice\n"
	    "X-Spam-Flag: NO\n"
	    "X-Spam-Flag: YES\n"
	    "X-Folded: first\n\tsecond\n"
	    "\nbody\n";
	size_t	off;
	char	why[128];

	(void)state;
	memset(&env, 0, sizeof(env));
	env.sender = xstrdup("a@example.org");
	envelope_add_rcpt(&env, "b@example.net");
	envelope_add_rcpt(&env, "c@example.com");
	memset(&hdr, 0, sizeof(hdr));
	assert_int_equal(header_parse(msg, sizeof(msg) - 1, &hdr, &off, 0,
	    why, sizeof(why)), 0);
	memset(&now, 0, sizeof(now));
	now.tm_year = 126;
	now.tm_mon = 10;	/* November */
	now.tm_mday = 23;
	now.tm_wday = 1;	/* Monday */
	now.tm_hour = 9;
	now.tm_min = 30;
	in.env = &env;
	in.hdr = &hdr;
	in.size = 5000;
	in.tm = &now;
	return 0;
}

/* teardown - free the message */
static int
teardown(void **state)
{
	(void)state;
	envelope_free(&env);
	header_list_free(&hdr);
	return 0;
}

struct text_case {
	enum cond_field	 field;
	const char	*header;
	const char	*pats[4];
	int		 rcpt_all;
	int		 want;
	const char	*why;	/* substring of the explanation */
};

static const struct text_case text_cases[] = {
	/* exact strings match the whole value, ignoring ASCII case */
	{ CF_SENDER, NULL, { "a@example.org" }, 0, 1,
	    "sender \"a@example.org\" matches \"a@example.org\"" },
	{ CF_SENDER, NULL, { "A@EXAMPLE.ORG" }, 0, 1, "matches" },
	{ CF_SENDER, NULL, { "example.org" }, 0, 0,
	    "matches none of 1 pattern" },
	{ CF_SENDER, NULL, { "/example\\.org$/" }, 0, 1,
	    "matches \"/example\\.org$/\"" },
	{ CF_SENDER, NULL, { "/EXAMPLE/" }, 0, 0, "none of 1 pattern" },
	{ CF_SENDER, NULL, { "/EXAMPLE/i" }, 0, 1, "matches" },
	/* exact strings are tried before regexes: the exact one is named */
	{ CF_SENDER, NULL, { "/a@/", "a@example.org" }, 0, 1,
	    "matches \"a@example.org\"" },
	{ CF_SENDER, NULL, { "x@y", "/^z/", NULL }, 0, 0,
	    "matches none of 2 patterns" },
	/* recipients: any (default) and all */
	{ CF_RCPT, NULL, { "c@example.com" }, 0, 1,
	    "recipient \"c@example.com\" matches" },
	{ CF_RCPT, NULL, { "c@example.com" }, 1, 0,
	    "recipient \"b@example.net\" matches none of 1 pattern "
	    "(recipient_match = all)" },
	{ CF_RCPT, NULL, { "/@example\\.(net|com)$/" }, 1, 1,
	    "all 2 recipients match" },
	{ CF_RCPT, NULL, { "/@nowhere/" }, 0, 0,
	    "none of 2 recipients matches" },
	/* subject and headers: unfolded, any field of the name */
	{ CF_SUBJECT, NULL, { "your invoice" }, 0, 1, "matches" },
	{ CF_SUBJECT, NULL, { "/^invoice/" }, 0, 0, "none" },
	{ CF_HEADER, "x-spam-flag", { "YES" }, 0, 1,
	    "x-spam-flag \"YES\" matches \"YES\"" },
	{ CF_HEADER, "X-Folded", { "first second" }, 0, 1, "matches" },
	{ CF_HEADER, "X-Absent", { "/./" }, 0, 0, "no X-Absent header" },
};

static void
t_text(void **state)
{
	struct cond	c;
	char		why[320];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		const struct text_case *t = &text_cases[i];

		memset(&c, 0, sizeof(c));
		c.field = t->field;
		c.header = (char *)(uintptr_t)t->header;
		c.rcpt_all = t->rcpt_all;
		patterns(&c, t->pats);
		if (cond_eval(&c, &in, why, sizeof(why)) != t->want ||
		    strstr(why, t->why) == NULL)
			fail_msg("case %zu: want %d \"%s\", got \"%s\"", i,
			    t->want, t->why, why);
		match_list_free(&c.ml);
	}
}

static void
t_no_recipients(void **state)
{
	struct envelope		 none = { 0 };
	struct cond_input	 in0 = in;
	struct cond		 c;
	const char *const	 p[] = { "/./", NULL };
	char			 why[320];

	(void)state;
	none.sender = (char *)(uintptr_t)"";
	in0.env = &none;
	memset(&c, 0, sizeof(c));
	c.field = CF_RCPT;
	patterns(&c, p);
	assert_int_equal(cond_eval(&c, &in0, why, sizeof(why)), 0);
	c.rcpt_all = 1;
	assert_int_equal(cond_eval(&c, &in0, why, sizeof(why)), 0);
	assert_string_equal(why, "recipient: the message has none");
	/* the null sender is "" and can be matched exactly */
	c.field = CF_SENDER;
	match_list_free(&c.ml);
	const char *const empty[] = { "", NULL };
	patterns(&c, empty);
	assert_int_equal(cond_eval(&c, &in0, why, sizeof(why)), 1);
	match_list_free(&c.ml);
}

static void
t_size(void **state)
{
	static const struct {
		unsigned long long	min, max;
		int			want;
	} cases[] = {
		{ 0, 4999, 0 }, { 0, 5000, 1 }, { 5000, 5000, 1 },
		{ 5001, ~0ULL, 0 }, { 1000, ~0ULL, 1 },
	};
	struct cond	c;
	char		why[320];
	size_t		i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.field = CF_SIZE;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c.size_min = cases[i].min;
		c.size_max = cases[i].max;
		assert_int_equal(cond_eval(&c, &in, why, sizeof(why)),
		    cases[i].want);
	}
	c.size_min = 0;
	c.size_max = 100;
	cond_eval(&c, &in, why, sizeof(why));
	assert_string_equal(why, "size 5000 is outside 0-100");
}

static void
t_time(void **state)
{
	static const struct {
		const char	*spec;
		int		 want;
	} cases[] = {
		{ "* * * * *", 1 },
		{ "30 9 * * *", 1 },
		{ "31 9 * * *", 0 },
		{ "* 8-17 * * mon-fri", 1 },
		{ "* 8-17 * * sat,sun", 0 },
		{ "* * 23 nov *", 1 },
		{ "* * * dec *", 0 },
	};
	struct cond	c;
	char		why[320];
	size_t		i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.field = CF_TIME;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cron_parse(&c.cron, cases[i].spec, why,
		    sizeof(why)), 0);
		c.cron_spec = (char *)(uintptr_t)cases[i].spec;
		if (cond_eval(&c, &in, why, sizeof(why)) != cases[i].want)
			fail_msg("%s: want %d: %s", cases[i].spec,
			    cases[i].want, why);
	}
	assert_string_equal(why, "time Mon 2026-11-23 09:30 is outside "
	    "\"* * * dec *\"");
}

static void
t_sets(void **state)
{
	struct cond_set	 s = { 0 };
	struct cond	*c;
	const char	*const sender[] = { "/@example\\.org$/", NULL };
	const char	*const subj[] = { "/invoice/i", NULL };
	const char	*const nomatch[] = { "/refund/", NULL };
	char		 why[320];

	(void)state;
	assert_int_equal(cond_set_eval(&s, &in, why, sizeof(why)), 1);
	assert_string_equal(why, "no conditions");
	c = cond_set_add(&s, CF_SENDER);
	patterns(c, sender);
	c = cond_set_add(&s, CF_SUBJECT);
	patterns(c, subj);
	assert_int_equal(cond_set_eval(&s, &in, why, sizeof(why)), 1);
	assert_string_equal(why, "all 2 conditions hold");
	c = cond_set_add(&s, CF_SUBJECT);
	patterns(c, nomatch);
	/* every condition must hold; the first that does not is named */
	assert_int_equal(cond_set_eval(&s, &in, why, sizeof(why)), 0);
	assert_string_equal(why, "Subject \"Your invoice\" matches none of 1 "
	    "pattern");
	cond_set_free(&s);
	assert_int_equal(s.n, 0);
}

/* runaway - n 'a's and a 'b': "^(a+)+$" backtracks exponentially on it */
static char *
runaway(size_t n)
{
	char	*s = xmalloc(n + 2);

	memset(s, 'a', n);
	s[n] = 'b';
	s[n + 1] = '\0';
	return s;
}

/* err_msg - a message whose Subject and first recipient are runaway
 * strings, and a second recipient ok@example.org */
struct err_msg {
	struct envelope		env;
	struct header_list	hdr;
	struct cond_input	in;
};

static void
err_msg_init(struct err_msg *em)
{
	char	*a = runaway(64), *msg, why[128];
	size_t	 off;

	memset(em, 0, sizeof(*em));
	em->env.sender = xstrdup("a@example.org");
	envelope_add_rcpt(&em->env, a);
	envelope_add_rcpt(&em->env, "ok@example.org");
	xasprintf(&msg, "Subject: %s\nX-Two: %s\nX-Two: yes\n\nbody\n", a, a);
	assert_int_equal(header_parse(msg, strlen(msg), &em->hdr, &off, 0,
	    why, sizeof(why)), 0);
	free(msg);
	free(a);
	em->in = in;
	em->in.env = &em->env;
	em->in.hdr = &em->hdr;
}

static void
err_msg_free(struct err_msg *em)
{
	envelope_free(&em->env);
	header_list_free(&em->hdr);
}

struct err_case {
	enum cond_field	 field;
	const char	*header;
	const char	*pats[4];
	int		 rcpt_all;
	int		 want;		/* 1, 0, or -1: could not be decided */
	const char	*why;		/* substring of the explanation */
};

static const struct err_case err_cases[] = {
	/* a match that hits a limit is neither a match nor a non-match */
	{ CF_SUBJECT, NULL, { "/^(a+)+$/" }, 0, -1,
	    "\"/^(a+)+$/\" could not finish: match limit exceeded" },
	{ CF_SUBJECT, NULL, { "/^(a+)+$/" }, 0, -1, "Subject \"aaaa" },
	{ CF_HEADER, "X-Two", { "/^(a+)+$/", "/^no$/" }, 0, -1,
	    "match limit exceeded" },
	/* ... unless another pattern or value decides it */
	{ CF_SUBJECT, NULL, { "/^(a+)+$/", "/b$/" }, 0, 1, "matches \"/b$/\"" },
	{ CF_HEADER, "X-Two", { "/^(a+)+$/", "yes" }, 0, 1,
	    "matches \"yes\"" },
	{ CF_HEADER, "X-Two", { "/^(a+)+$|yes/" }, 0, 1, "matches" },
	/* recipients: any holds on the one that matches; all fails on
	 * the one that does not; otherwise undecided */
	{ CF_RCPT, NULL, { "/^(a+)+$/", "ok@example.org" }, 0, 1,
	    "recipient \"ok@example.org\" matches" },
	{ CF_RCPT, NULL, { "/^(a+)+$/", "ok@example.org" }, 1, -1,
	    "could not finish: match limit exceeded" },
	{ CF_RCPT, NULL, { "/^(a+)+$/" }, 0, -1,
	    "could not finish: match limit exceeded" },
	{ CF_RCPT, NULL, { "/^(a+)+$/" }, 1, 0,
	    "recipient \"ok@example.org\" matches none" },
};

static void
t_match_errors(void **state)
{
	struct err_msg	em;
	struct cond	c;
	char		why[320];
	size_t		i;
	int		rc;

	(void)state;
	err_msg_init(&em);
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *t = &err_cases[i];

		memset(&c, 0, sizeof(c));
		c.field = t->field;
		c.header = (char *)(uintptr_t)t->header;
		c.rcpt_all = t->rcpt_all;
		patterns(&c, t->pats);
		why[0] = '\0';
		rc = cond_eval(&c, &em.in, why, sizeof(why));
		if (rc != t->want || strstr(why, t->why) == NULL)
			fail_msg("case %zu: want %d \"%s\", got %d \"%s\"", i,
			    t->want, t->why, rc, why);
		match_list_free(&c.ml);
	}
	err_msg_free(&em);
}

static void
t_match_error_sets(void **state)
{
	struct err_msg	 em;
	struct cond_set	 s = { 0 }, t = { 0 };
	struct cond	*c;
	const char	*const bad[] = { "/^(a+)+$/", NULL };
	const char	*const yes[] = { "a@example.org", NULL };
	const char	*const no[] = { "b@example.org", NULL };
	char		 why[320];

	(void)state;
	err_msg_init(&em);
	/* undecided and true: undecided, and the explanation says why */
	c = cond_set_add(&s, CF_SUBJECT);
	patterns(c, bad);
	c = cond_set_add(&s, CF_SENDER);
	patterns(c, yes);
	assert_int_equal(cond_set_eval(&s, &em.in, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "match limit exceeded"));
	/* undecided and false, in either order: false */
	c = cond_set_add(&s, CF_SENDER);
	patterns(c, no);
	assert_int_equal(cond_set_eval(&s, &em.in, why, sizeof(why)), 0);
	assert_string_equal(why, "sender \"a@example.org\" matches none of "
	    "1 pattern");
	c = cond_set_add(&t, CF_SENDER);
	patterns(c, no);
	c = cond_set_add(&t, CF_SUBJECT);
	patterns(c, bad);
	assert_int_equal(cond_set_eval(&t, &em.in, why, sizeof(why)), 0);
	cond_set_free(&s);
	cond_set_free(&t);
	err_msg_free(&em);
}

static void
t_list_errors(void **state)
{
	struct match_list	 ml = { 0 };
	const char		*which = NULL;
	char			 why[256], *a = runaway(64);

	(void)state;
	assert_int_equal(match_list_add(&ml, "/^(a+)+$/", why, sizeof(why)),
	    0);
	assert_int_equal(match_list_add(&ml, "/^x/", why, sizeof(why)), 0);
	why[0] = '\0';
	assert_int_equal(match_list_match(&ml, a, &which, why, sizeof(why)),
	    -1);
	assert_string_equal(which, "/^(a+)+$/");
	assert_string_equal(why, "match limit exceeded");
	/* a later regex or an exact string that matches decides */
	assert_int_equal(match_list_add(&ml, "/b$/", why, sizeof(why)), 0);
	assert_int_equal(match_list_match(&ml, a, &which, NULL, 0), 1);
	assert_string_equal(which, "/b$/");
	match_list_free(&ml);
	assert_int_equal(match_list_add(&ml, "/^(a+)+$/", why, sizeof(why)),
	    0);
	assert_int_equal(match_list_add(&ml, a, why, sizeof(why)), 0);
	assert_int_equal(match_list_match(&ml, a, &which, NULL, 0), 1);
	assert_string_equal(which, a);
	/* a value the regex settles at once is no error */
	assert_int_equal(match_list_match(&ml, "aaa", NULL, NULL, 0), 1);
	assert_int_equal(match_list_match(&ml, "xyz", NULL, NULL, 0), 0);
	match_list_free(&ml);
	free(a);
}

static void
t_regex_limits(void **state)
{
	struct regex	*re;
	char		 why[256], *s;
	size_t		 n;

	(void)state;
	/* exponential backtracking stops at the match limit, an error */
	re = regex_compile("^(a+)+$", "", why, sizeof(why));
	assert_non_null(re);
	s = runaway(10000);
	assert_true(regex_match(re, s, strlen(s)) < 0);
	free(s);
	s = runaway(0);
	s[0] = 'a';
	assert_int_equal(regex_match(re, s, strlen(s)), 1);
	free(s);
	regex_free(&re);
	/* a repeated group backtracks once per character: 5,000 of them
	 * are well inside the limits (JIT or not) ... */
	re = regex_compile("^(a|b)*$", "", why, sizeof(why));
	assert_non_null(re);
	n = 5000;
	s = runaway(n);
	assert_int_equal(regex_match(re, s, n + 1), 1);
	free(s);
	/* ... a million are not: an error, never "no match" */
	n = 1000000;
	s = runaway(n);
	s[n] = 'c';
	assert_true(regex_match(re, s, n + 1) < 0);
	free(s);
	regex_free(&re);
}

static void
t_printable(void **state)
{
	char	out[16];

	(void)state;
	str_printable(out, sizeof(out), "a\r\nb\x7f");
	assert_string_equal(out, "a??b?");
	str_printable(out, sizeof(out), "0123456789abcdefghij");
	assert_int_equal(strlen(out), 15);
	assert_string_equal(out + 12, "...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_text, setup, teardown),
		cmocka_unit_test_setup_teardown(t_no_recipients, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_size, setup, teardown),
		cmocka_unit_test_setup_teardown(t_time, setup, teardown),
		cmocka_unit_test_setup_teardown(t_sets, setup, teardown),
		cmocka_unit_test_setup_teardown(t_match_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_match_error_sets, setup,
		    teardown),
		cmocka_unit_test(t_list_errors),
		cmocka_unit_test(t_regex_limits),
		cmocka_unit_test(t_printable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
