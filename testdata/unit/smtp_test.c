/*
 * NAME
 *	smtp_test.c - unit tests for smtp_cmd.c (and lib/listen.c's
 *	address lists)
 *
 * DESCRIPTION
 *	Tables of wire bytes with what the SMTP parsers must make of them,
 *	written out by hand: the command line reader (CR LF, bare LF, a CR
 *	inside a line, over-long lines), every command and its reply codes,
 *	envelope paths at the RFC 5321 limits, ESMTP parameters, XFORWARD
 *	and what each of its attributes may carry, the address lists that
 *	say who may send it (lib/listen.c) and the DATA phase's deadline.
 *	The line reader is also fed one byte at a time and in two pieces
 *	split at every offset, and must give the same lines and flags.
 *	smtp_data_test.c has the DATA reader, the dot-stuffing writer and
 *	the reply reader.
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

#include "lib/listen.h"
#include "lib/xmalloc.h"
#include "mail/smtp_proto.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* A string literal with its length, so inputs may hold NUL bytes. */
#define B(s)		(s), sizeof(s) - 1

/* ------------------------------------------------------------------ */
/* The command line reader                                            */
/* ------------------------------------------------------------------ */

#define LINES_MAX	4

struct line_want {
	const char	*text;		/* NULL: too long, bytes not checked */
	size_t		 len;
	int		 bare_lf;
	int		 bare_cr;
	int		 too_long;
};

struct line_case {
	const char		*label;
	const char		*in;
	size_t			 inlen;
	size_t			 max;
	size_t			 n;
	struct line_want	 l[LINES_MAX];
};

#define LW(s)		{ (s), sizeof(s) - 1, 0, 0, 0 }
#define LW_LF(s)	{ (s), sizeof(s) - 1, 1, 0, 0 }
#define LW_CR(s)	{ (s), sizeof(s) - 1, 0, 1, 0 }
#define LW_LONG		{ NULL, 0, 0, 0, 1 }
#define LW_LONG_LF	{ NULL, 0, 1, 0, 1 }

static const struct line_case line_cases[] = {
	{ "one CRLF line", B("HELO a\r\n"), 100, 1, { LW("HELO a") } },
	{ "two CRLF lines", B("NOOP\r\nQUIT\r\n"), 100, 2,
	    { LW("NOOP"), LW("QUIT") } },
	{ "empty line", B("\r\n"), 100, 1, { LW("") } },
	{ "bare LF ends a line, flagged", B("a\nb\r\n"), 100, 2,
	    { LW_LF("a"), LW("b") } },
	{ "two bare LFs", B("\n\n"), 100, 2, { LW_LF(""), LW_LF("") } },
	{ "CR inside a line is kept and flagged", B("a\rb\r\n"), 100, 1,
	    { LW_CR("a\rb") } },
	{ "CR CR LF", B("a\r\r\n"), 100, 1, { LW_CR("a\r") } },
	{ "CR flag is per line", B("a\rb\r\nc\r\n"), 100, 2,
	    { LW_CR("a\rb"), LW("c") } },
	{ "LF flag is per line", B("a\nc\r\n"), 100, 2,
	    { LW_LF("a"), LW("c") } },
	{ "no line end yet", B("MAIL FROM:<a@b>"), 100, 0, { LW("") } },
	{ "CR at the end is pending", B("QUIT\r"), 100, 0, { LW("") } },
	{ "partial second line", B("a\r\nbc"), 100, 1, { LW("a") } },
	{ "exactly max bytes", B("abcd\r\n"), 4, 1, { LW("abcd") } },
	{ "max bytes, bare LF", B("abcd\n"), 4, 1, { LW_LF("abcd") } },
	{ "one over max, next line fine", B("abcde\r\nxy\r\n"), 4, 2,
	    { LW_LONG, LW("xy") } },
	{ "far over max, next line fine", B("abcdefghijklmnop\r\nok\r\n"),
	    4, 2, { LW_LONG, LW("ok") } },
	{ "too long, bare LF", B("abcdefgh\nok\r\n"), 4, 2,
	    { LW_LONG_LF, LW("ok") } },
	{ "too long is reported only once complete", B("abcdefghij"), 4, 0,
	    { LW("") } },
	{ "a kept CR counts toward max", B("abc\rd\r\nz\r\n"), 3, 2,
	    { { NULL, 0, 0, 1, 1 }, LW("z") } },
	{ "NUL is a line byte", B("a\0b\r\n"), 100, 1, { LW("a\0b") } },
};

struct got_line {
	char	text[64];
	size_t	len;
	int	bare_lf, bare_cr, too_long;
};

/*
 * run_lines - feed in[0..len) in pieces of at most step bytes (the first
 * piece split bytes, when split is nonzero); collect the lines
 */
static size_t
run_lines(const char *in, size_t len, size_t max, size_t split, size_t step,
    struct got_line *got, size_t gotmax)
{
	struct smtp_line	l;
	size_t			off = 0, n = 0, used, chunk;

	smtp_line_init(&l, max);
	while (off < len) {
		chunk = len - off;
		if (split != 0 && off < split)
			chunk = split - off;
		else if (step != 0 && chunk > step)
			chunk = step;
		used = (size_t)-1;
		if (smtp_line_feed(&l, in + off, chunk, &used)) {
			assert_true(used >= 1 && used <= chunk);
			assert_true(n < gotmax);
			assert_true(l.len <= max);
			assert_int_equal(l.buf[l.len], '\0');
			got[n].len = l.len;
			memcpy(got[n].text, l.buf, l.len < 64 ? l.len : 64);
			got[n].bare_lf = l.bare_lf;
			got[n].bare_cr = l.bare_cr;
			got[n].too_long = l.too_long;
			n++;
		} else
			assert_int_equal(used, chunk);
		off += used;
	}
	smtp_line_free(&l);
	return n;
}

/* check_lines - the lines got against the case */
static void
check_lines(const struct line_case *c, const char *how,
    const struct got_line *got, size_t n)
{
	size_t	i;

	if (n != c->n)
		fail_msg("%s (%s): %zu lines, want %zu", c->label, how, n,
		    c->n);
	for (i = 0; i < n; i++) {
		if (got[i].bare_lf != c->l[i].bare_lf ||
		    got[i].bare_cr != c->l[i].bare_cr ||
		    got[i].too_long != c->l[i].too_long)
			fail_msg("%s (%s): line %zu flags lf=%d cr=%d long=%d, "
			    "want %d %d %d", c->label, how, i, got[i].bare_lf,
			    got[i].bare_cr, got[i].too_long, c->l[i].bare_lf,
			    c->l[i].bare_cr, c->l[i].too_long);
		if (c->l[i].text == NULL)
			continue;
		if (got[i].len != c->l[i].len ||
		    memcmp(got[i].text, c->l[i].text, got[i].len) != 0)
			fail_msg("%s (%s): line %zu is \"%.*s\", want \"%s\"",
			    c->label, how, i, (int)got[i].len, got[i].text,
			    c->l[i].text);
	}
}

/* test_line_feed - each case whole, byte by byte, and split in two */
static void
test_line_feed(void **state)
{
	const struct line_case	*c;
	struct got_line		 got[LINES_MAX + 1];
	char			 how[32];
	size_t			 i, k, n;

	(void)state;
	for (i = 0; i < NELEM(line_cases); i++) {
		c = &line_cases[i];
		memset(got, 0, sizeof(got));
		n = run_lines(c->in, c->inlen, c->max, 0, 0, got, NELEM(got));
		check_lines(c, "whole", got, n);
		memset(got, 0, sizeof(got));
		n = run_lines(c->in, c->inlen, c->max, 0, 1, got, NELEM(got));
		check_lines(c, "byte by byte", got, n);
		for (k = 1; k < c->inlen; k++) {
			memset(got, 0, sizeof(got));
			n = run_lines(c->in, c->inlen, c->max, k, 0, got,
			    NELEM(got));
			snprintf(how, sizeof(how), "split at %zu", k);
			check_lines(c, how, got, n);
		}
	}
}

/* test_line_reuse - a reader goes on after a too-long line and clears
 * its flags for the next line, also when fed line by line */
static void
test_line_reuse(void **state)
{
	struct smtp_line	l;
	size_t			used;

	(void)state;
	smtp_line_init(&l, 8);
	assert_int_equal(smtp_line_feed(&l, B("0123456789\n"), &used), 1);
	assert_int_equal(used, 11);
	assert_int_equal(l.too_long, 1);
	assert_int_equal(l.bare_lf, 1);
	assert_true(l.len <= 8);
	assert_int_equal(smtp_line_feed(&l, B("DATA\r\nQUIT\r\n"), &used), 1);
	assert_int_equal(used, 6);
	assert_int_equal(l.too_long, 0);
	assert_int_equal(l.bare_lf, 0);
	assert_int_equal(l.bare_cr, 0);
	assert_int_equal(l.len, 4);
	assert_string_equal(l.buf, "DATA");
	/* nothing: no line, and the next line is still a fresh one */
	assert_int_equal(smtp_line_feed(&l, "", 0, &used), 0);
	assert_int_equal(used, 0);
	assert_int_equal(smtp_line_feed(&l, B("QUIT\r\n"), &used), 1);
	assert_string_equal(l.buf, "QUIT");
	smtp_line_free(&l);
	assert_null(l.buf);
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */
/* ------------------------------------------------------------------ */

struct cmd_case {
	const char	*line;
	size_t		 len;
	int		 code;		/* 0: accepted */
	const char	*status;
	const char	*text;
	enum smtp_verb	 verb;		/* when accepted */
	const char	*arg;		/* NULL: must be NULL */
	const char	*addr;		/* NULL: must be NULL */
	int		 utf8;
	const char	*params;	/* "K=V|K"; NULL: none */
	const char	*xfwd;		/* "NAME=v|ADDR=" ...; NULL: none */
};

/* accepted: verb, arg, addr, utf8, params, xfwd */
#define OK(l, v, a, ad, u, p, x) \
	{ B(l), 0, NULL, NULL, v, a, ad, u, p, x }
#define NO(l, c, s, t) \
	{ B(l), c, s, t, SMTP_UNKNOWN, NULL, NULL, 0, NULL, NULL }

#define E_SYN	"5.5.4"
#define XF_BAD_HOST	"not a host name or address literal"
#define XF_BAD_NAME	"Bad XFORWARD NAME value: " XF_BAD_HOST
#define XF_BAD_HELO	"Bad XFORWARD HELO value: " XF_BAD_HOST
#define XF_BAD_ADDR	"Bad XFORWARD ADDR value: not an IPv4 or IPv6 address"
#define XF_BAD_PORT	"Bad XFORWARD PORT value: not a port number"
#define XF_BAD_PROTO	"Bad XFORWARD PROTO value: not a protocol name"
#define XF_BAD_IDENT	"Bad XFORWARD IDENT value: a queue id is 1 to 32 " \
			"letters and digits"
#define XF_BAD_SOURCE	"Bad XFORWARD SOURCE value: not LOCAL or REMOTE"
#define BADS	"Bad sender address syntax: "
#define BADR	"Bad recipient address syntax: "

static const struct cmd_case cmd_cases[] = {
	/* verbs, case does not matter */
	OK("HELO mx.example.org", SMTP_HELO, "mx.example.org", NULL, 0, NULL,
	    NULL),
	OK("helo mx", SMTP_HELO, "mx", NULL, 0, NULL, NULL),
	OK("EhLo mx.example.org", SMTP_EHLO, "mx.example.org", NULL, 0,
	    NULL, NULL),
	OK("lhlo mx", SMTP_LHLO, "mx", NULL, 0, NULL, NULL),
	OK("MAIL FROM:<a@b>", SMTP_MAIL, NULL, "a@b", 0, NULL, NULL),
	OK("mail from:<a@b>", SMTP_MAIL, NULL, "a@b", 0, NULL, NULL),
	OK("RCPT TO:<a@b>", SMTP_RCPT, NULL, "a@b", 0, NULL, NULL),
	OK("rcpt to:<a@b>", SMTP_RCPT, NULL, "a@b", 0, NULL, NULL),
	OK("DATA", SMTP_DATA, NULL, NULL, 0, NULL, NULL),
	OK("data", SMTP_DATA, NULL, NULL, 0, NULL, NULL),
	OK("DATA  ", SMTP_DATA, NULL, NULL, 0, NULL, NULL),
	OK("RSET", SMTP_RSET, NULL, NULL, 0, NULL, NULL),
	OK("rSeT", SMTP_RSET, NULL, NULL, 0, NULL, NULL),
	OK("QUIT", SMTP_QUIT, NULL, NULL, 0, NULL, NULL),
	OK("quit", SMTP_QUIT, NULL, NULL, 0, NULL, NULL),
	OK("NOOP", SMTP_NOOP, "", NULL, 0, NULL, NULL),
	OK("noop hello there", SMTP_NOOP, "hello there", NULL, 0, NULL, NULL),
	OK("VRFY postmaster", SMTP_VRFY, "postmaster", NULL, 0, NULL, NULL),
	OK("vrfy", SMTP_VRFY, "", NULL, 0, NULL, NULL),
	OK("HELP", SMTP_HELP, "", NULL, 0, NULL, NULL),
	OK("help DATA", SMTP_HELP, "DATA", NULL, 0, NULL, NULL),
	OK("XFORWARD NAME=a", SMTP_XFORWARD, NULL, NULL, 0, NULL, "NAME=a"),
	OK("xforward name=a", SMTP_XFORWARD, NULL, NULL, 0, NULL, "NAME=a"),

	/* not offered, not known */
	NO("STARTTLS", 502, "5.5.1", "Command not implemented"),
	NO("starttls", 502, "5.5.1", "Command not implemented"),
	NO("AUTH PLAIN AGpvZQBzZWNyZXQ=", 502, "5.5.1",
	    "Command not implemented"),
	NO("auth login", 502, "5.5.1", "Command not implemented"),
	NO("BDAT 100 LAST", 502, "5.5.1", "Command not implemented"),
	NO("bdat 0", 502, "5.5.1", "Command not implemented"),
	NO("ETRN example.org", 502, "5.5.1", "Command not implemented"),
	NO("EXPN staff", 502, "5.5.1", "Command not implemented"),
	NO("TURN", 502, "5.5.1", "Command not implemented"),
	NO("FOO", 500, "5.5.2", "Command not recognized"),
	NO("", 500, "5.5.2", "Command not recognized"),
	NO("   ", 500, "5.5.2", "Command not recognized"),
	NO(" HELO mx", 500, "5.5.2", "Command not recognized"),
	NO("MAILFROM:<a@b>", 500, "5.5.2", "Command not recognized"),
	NO("HELOmx", 500, "5.5.2", "Command not recognized"),
	NO("GET / HTTP/1.0", 500, "5.5.2", "Command not recognized"),
	NO("DATAX", 500, "5.5.2", "Command not recognized"),

	/* arguments where none belong */
	NO("DATA x", 501, E_SYN, "Syntax: DATA"),
	NO("data now please", 501, E_SYN, "Syntax: DATA"),
	NO("RSET x", 501, E_SYN, "Syntax: RSET"),
	NO("QUIT now", 501, E_SYN, "Syntax: QUIT"),

	/* control characters, anywhere */
	NO("HELO a\tb", 500, "5.5.2", "Invalid character in command"),
	NO("HELO a\rb", 500, "5.5.2", "Invalid character in command"),
	NO("HELO a\nb", 500, "5.5.2", "Invalid character in command"),
	NO("MAIL FROM:<a\0@b>", 500, "5.5.2", "Invalid character in command"),
	NO("RCPT TO:<a@b>\0", 500, "5.5.2", "Invalid character in command"),
	NO("NOOP \033[2J", 500, "5.5.2", "Invalid character in command"),
	NO("RCPT TO:<a@b>\177", 500, "5.5.2", "Invalid character in command"),
	NO("\bQUIT", 500, "5.5.2", "Invalid character in command"),
	NO("FOO\001", 500, "5.5.2", "Invalid character in command"),

	/* HELO, EHLO, LHLO */
	OK("EHLO mx.example.org trailing words", SMTP_EHLO, "mx.example.org",
	    NULL, 0, NULL, NULL),
	OK("EHLO    mx   ", SMTP_EHLO, "mx", NULL, 0, NULL, NULL),
	OK("HELO [192.0.2.1]", SMTP_HELO, "[192.0.2.1]", NULL, 0, NULL, NULL),
	OK("EHLO m\303\274ller.example", SMTP_EHLO, "m\303\274ller.example",
	    NULL, 0, NULL, NULL),
	NO("HELO", 501, E_SYN, "Syntax: HELO hostname"),
	NO("HELO ", 501, E_SYN, "Syntax: HELO hostname"),
	NO("EHLO", 501, E_SYN, "Syntax: EHLO hostname"),
	NO("EHLO    ", 501, E_SYN, "Syntax: EHLO hostname"),
	NO("LHLO", 501, E_SYN, "Syntax: LHLO hostname"),
	NO("EHLO m\377ller", 501, E_SYN, "Bad hostname"),
	NO("HELO \300\257", 501, E_SYN, "Bad hostname"),

	/* MAIL and RCPT: the keyword and the spaces */
	OK("MAIL FROM: <a@b>", SMTP_MAIL, NULL, "a@b", 0, NULL, NULL),
	OK("MAIL FROM:   <a@b>", SMTP_MAIL, NULL, "a@b", 0, NULL, NULL),
	OK("RCPT TO: <a@b>", SMTP_RCPT, NULL, "a@b", 0, NULL, NULL),
	OK("MAIL FROM:<a@b>   ", SMTP_MAIL, NULL, "a@b", 0, NULL, NULL),
	OK("MAIL FROM:<>", SMTP_MAIL, NULL, "", 0, NULL, NULL),
	OK("MAIL FROM: <>", SMTP_MAIL, NULL, "", 0, NULL, NULL),
	OK("MAIL FROM:<> BODY=8BITMIME", SMTP_MAIL, NULL, "", 0,
	    "BODY=8BITMIME", NULL),
	NO("MAIL", 501, E_SYN, "Syntax: MAIL FROM:<address>"),
	NO("MAIL FROM", 501, E_SYN, "Syntax: MAIL FROM:<address>"),
	NO("MAIL TO:<a@b>", 501, E_SYN, "Syntax: MAIL FROM:<address>"),
	NO("MAIL FROM <a@b>", 501, E_SYN, "Syntax: MAIL FROM:<address>"),
	NO("RCPT", 501, E_SYN, "Syntax: RCPT TO:<address>"),
	NO("RCPT FROM:<a@b>", 501, E_SYN, "Syntax: RCPT TO:<address>"),
	NO("RCPT TO", 501, E_SYN, "Syntax: RCPT TO:<address>"),
	NO("MAIL FROM:a@b", 501, "5.1.7",
	    BADS "the address must be in angle brackets"),
	NO("MAIL FROM:", 501, "5.1.7",
	    BADS "the address must be in angle brackets"),
	NO("RCPT TO:a@b", 501, "5.1.3",
	    BADR "the address must be in angle brackets"),
	NO("MAIL FROM:<a@b", 501, "5.1.7", BADS "bad address"),
	NO("RCPT TO:<a@b>x", 501, E_SYN, "Syntax error after address"),
	NO("RCPT TO:<a@b><c@d>", 501, E_SYN, "Syntax error after address"),
	NO("RCPT TO:<>", 501, "5.1.3",
	    BADR "the null address is not a recipient"),

	/* postmaster without a domain: RCPT only */
	OK("RCPT TO:<Postmaster>", SMTP_RCPT, NULL, "Postmaster", 0, NULL,
	    NULL),
	OK("RCPT TO:<postmaster>", SMTP_RCPT, NULL, "postmaster", 0, NULL,
	    NULL),
	OK("RCPT TO:<POSTMASTER>", SMTP_RCPT, NULL, "POSTMASTER", 0, NULL,
	    NULL),
	NO("MAIL FROM:<postmaster>", 501, "5.1.7",
	    BADS "the address needs a domain"),
	NO("RCPT TO:<postmistress>", 501, "5.1.3",
	    BADR "the address needs a domain"),
	NO("RCPT TO:<user>", 501, "5.1.3", BADR "the address needs a domain"),
	NO("RCPT TO:<a b@c>", 501, "5.1.3", BADR "the address needs a domain"),

	/* quoted local parts */
	OK("MAIL FROM:<\"john smith\"@example.org>", SMTP_MAIL, NULL,
	    "\"john smith\"@example.org", 0, NULL, NULL),
	OK("RCPT TO:<\"a\\\"b\\\\c\"@x.org>", SMTP_RCPT, NULL,
	    "\"a\\\"b\\\\c\"@x.org", 0, NULL, NULL),
	OK("RCPT TO:<\"a@b>c\"@x.org>", SMTP_RCPT, NULL, "\"a@b>c\"@x.org",
	    0, NULL, NULL),
	OK("RCPT TO:<\"\"@x.org>", SMTP_RCPT, NULL, "\"\"@x.org", 0, NULL,
	    NULL),
	NO("RCPT TO:<\"ab@x.org>", 501, "5.1.3",
	    BADR "unterminated quoted local part"),
	NO("RCPT TO:<\"ab\\\">", 501, "5.1.3",
	    BADR "unterminated quoted local part"),
	NO("RCPT TO:<\"ab\\", 501, "5.1.3", BADR "bad quoted local part"),
	NO("RCPT TO:<\"a\"b@x.org>", 501, "5.1.3",
	    BADR "the address needs a domain"),

	/* dot-atom local parts */
	OK("RCPT TO:<first.last+tag@x.org>", SMTP_RCPT, NULL,
	    "first.last+tag@x.org", 0, NULL, NULL),
	OK("RCPT TO:<!#$%&'*+-/=?^_`{|}~@x.org>", SMTP_RCPT, NULL,
	    "!#$%&'*+-/=?^_`{|}~@x.org", 0, NULL, NULL),
	NO("RCPT TO:<.a@x.org>", 501, "5.1.3", BADR "bad local part"),
	NO("RCPT TO:<a.@x.org>", 501, "5.1.3", BADR "bad local part"),
	NO("RCPT TO:<a..b@x.org>", 501, "5.1.3", BADR "bad local part"),
	NO("RCPT TO:<@x.org>", 501, "5.1.3", BADR "bad source route"),
	NO("RCPT TO:<a(b)@x.org>", 501, "5.1.3",
	    BADR "the address needs a domain"),

	/* source routes are dropped */
	OK("RCPT TO:<@r1.example,@r2.example:u@d.example>", SMTP_RCPT, NULL,
	    "u@d.example", 0, NULL, NULL),
	OK("MAIL FROM:<@r1.example:u@d.example>", SMTP_MAIL, NULL,
	    "u@d.example", 0, NULL, NULL),
	OK("RCPT TO:<@[192.0.2.1]:u@d.example>", SMTP_RCPT, NULL,
	    "u@d.example", 0, NULL, NULL),
	NO("RCPT TO:<@r1.example,u@d.example>", 501, "5.1.3",
	    BADR "bad source route"),
	NO("RCPT TO:<@r1.example u@d.example>", 501, "5.1.3",
	    BADR "bad source route"),
	NO("RCPT TO:<@:u@d.example>", 501, "5.1.3", BADR "bad domain"),
	NO("RCPT TO:<@r1,:u@d.example>", 501, "5.1.3",
	    BADR "bad source route"),

	/* domains and address literals */
	OK("RCPT TO:<u@[192.0.2.1]>", SMTP_RCPT, NULL, "u@[192.0.2.1]", 0,
	    NULL, NULL),
	OK("RCPT TO:<u@[IPv6:2001:db8::1]>", SMTP_RCPT, NULL,
	    "u@[IPv6:2001:db8::1]", 0, NULL, NULL),
	OK("RCPT TO:<u@a-b.c-d.example>", SMTP_RCPT, NULL,
	    "u@a-b.c-d.example", 0, NULL, NULL),
	OK("RCPT TO:<u@x>", SMTP_RCPT, NULL, "u@x", 0, NULL, NULL),
	NO("RCPT TO:<u@[]>", 501, "5.1.3", BADR "bad address literal"),
	NO("RCPT TO:<u@[192.0.2.1>", 501, "5.1.3", BADR "bad address literal"),
	NO("RCPT TO:<u@[1 2]>", 501, "5.1.3", BADR "bad address literal"),
	NO("RCPT TO:<u@[a[b]>", 501, "5.1.3", BADR "bad address literal"),
	NO("RCPT TO:<u@[a\\]]>", 501, "5.1.3", BADR "bad address literal"),
	NO("RCPT TO:<u@-x.org>", 501, "5.1.3", BADR "bad domain"),
	NO("RCPT TO:<u@x-.org>", 501, "5.1.3", BADR "bad domain"),
	NO("RCPT TO:<u@x..org>", 501, "5.1.3", BADR "bad domain"),
	NO("RCPT TO:<u@x.org.>", 501, "5.1.3", BADR "bad domain"),
	NO("RCPT TO:<u@>", 501, "5.1.3", BADR "bad domain"),
	NO("RCPT TO:<u@x_y.org>", 501, "5.1.3", BADR "bad address"),
	NO("MAIL FROM:<u@x.org@y.org>", 501, "5.1.7", BADS "bad address"),

	/* non-ASCII: well-formed UTF-8 only, flagged */
	OK("RCPT TO:<j\303\266rg@b\303\274" "cher.example>", SMTP_RCPT, NULL,
	    "j\303\266rg@b\303\274" "cher.example", 1, NULL, NULL),
	OK("MAIL FROM:<\344\275\240\345\245\275@example.org> SMTPUTF8",
	    SMTP_MAIL, NULL, "\344\275\240\345\245\275@example.org", 1,
	    "SMTPUTF8", NULL),
	OK("RCPT TO:<\"\303\251 \303\251\"@x.org>", SMTP_RCPT, NULL,
	    "\"\303\251 \303\251\"@x.org", 1, NULL, NULL),
	OK("RCPT TO:<u@\360\237\230\200.example>", SMTP_RCPT, NULL,
	    "u@\360\237\230\200.example", 1, NULL, NULL),
	NO("RCPT TO:<j\366rg@x.org>", 501, "5.1.3",
	    BADR "address is not valid UTF-8"),
	NO("MAIL FROM:<\300\257@x.org>", 501, "5.1.7",
	    BADS "address is not valid UTF-8"),
	NO("RCPT TO:<\340\200\257@x.org>", 501, "5.1.3",
	    BADR "address is not valid UTF-8"),
	NO("RCPT TO:<\355\240\200@x.org>", 501, "5.1.3",
	    BADR "address is not valid UTF-8"),
	NO("RCPT TO:<\364\220\200\200@x.org>", 501, "5.1.3",
	    BADR "address is not valid UTF-8"),
	NO("RCPT TO:<a\303@x.org>", 501, "5.1.3",
	    BADR "address is not valid UTF-8"),
	NO("RCPT TO:<u@x.\303>", 501, "5.1.3",
	    BADR "address is not valid UTF-8"),
	NO("RCPT TO:<\"\377\"@x.org>", 501, "5.1.3",
	    BADR "address is not valid UTF-8"),

	/* ESMTP parameters */
	OK("MAIL FROM:<a@b> SIZE=1000 BODY=8BITMIME SMTPUTF8", SMTP_MAIL,
	    NULL, "a@b", 0, "SIZE=1000|BODY=8BITMIME|SMTPUTF8", NULL),
	OK("MAIL FROM:<a@b> size=10 body=7bit smtputf8", SMTP_MAIL, NULL,
	    "a@b", 0, "SIZE=10|BODY=7bit|SMTPUTF8", NULL),
	OK("MAIL FROM:<a@b>    SIZE=1     RET=HDRS   ", SMTP_MAIL, NULL, "a@b",
	    0, "SIZE=1|RET=HDRS", NULL),
	OK("RCPT TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40b",
	    SMTP_RCPT, NULL, "a@b", 0,
	    "NOTIFY=SUCCESS,FAILURE|ORCPT=rfc822;a+40b", NULL),
	OK("MAIL FROM:<a@b> X-Y2=1 Z9", SMTP_MAIL, NULL, "a@b", 0,
	    "X-Y2=1|Z9", NULL),
	OK("MAIL FROM:<a@b> X=\303\251", SMTP_MAIL, NULL, "a@b", 0,
	    "X=\303\251", NULL),
	OK("MAIL FROM:<a@b> A B C D E F G H I J K L M N O P", SMTP_MAIL, NULL,
	    "a@b", 0, "A|B|C|D|E|F|G|H|I|J|K|L|M|N|O|P", NULL),
	NO("MAIL FROM:<a@b> A B C D E F G H I J K L M N O P Q", 501, E_SYN,
	    "Too many parameters"),
	NO("MAIL FROM:<a@b> SIZE=1 size=2", 501, E_SYN,
	    "Duplicate parameter"),
	NO("MAIL FROM:<a@b> SMTPUTF8 SMTPUTF8", 501, E_SYN,
	    "Duplicate parameter"),
	NO("MAIL FROM:<a@b> =1", 501, E_SYN, "Syntax error in parameters"),
	NO("MAIL FROM:<a@b> SIZE=", 501, E_SYN, "Syntax error in parameters"),
	NO("MAIL FROM:<a@b> SIZE==1", 501, E_SYN,
	    "Syntax error in parameters"),
	NO("MAIL FROM:<a@b> SIZE=1=2", 501, E_SYN,
	    "Syntax error in parameters"),
	NO("MAIL FROM:<a@b> -X=1", 501, E_SYN, "Syntax error in parameters"),
	NO("MAIL FROM:<a@b> A_B=1", 501, E_SYN, "Syntax error in parameters"),
	NO("MAIL FROM:<a@b> S\303\251=1", 501, E_SYN,
	    "Syntax error in parameters"),
	NO("MAIL FROM:<a@b> X=\377", 501, E_SYN,
	    "Parameter value is not valid UTF-8"),
	NO("RCPT TO:<a@b> X=\355\240\200", 501, E_SYN,
	    "Parameter value is not valid UTF-8"),

	/* XFORWARD */
	OK("XFORWARD NAME=mail.example.org ADDR=192.0.2.1 PORT=4711 "
	    "PROTO=ESMTP HELO=client.example IDENT=1A2B3C SOURCE=REMOTE",
	    SMTP_XFORWARD, NULL, NULL, 0, NULL,
	    "NAME=mail.example.org|ADDR=192.0.2.1|PORT=4711|PROTO=ESMTP|"
	    "HELO=client.example|IDENT=1A2B3C|SOURCE=REMOTE"),
	OK("XFORWARD NAME=[UNAVAILABLE] ADDR=[TEMPUNAVAIL]", SMTP_XFORWARD,
	    NULL, NULL, 0, NULL, "NAME=|ADDR="),
	OK("XFORWARD HELO=+5BUNAVAILABLE+5D", SMTP_XFORWARD, NULL, NULL, 0,
	    NULL, "HELO="),
	OK("XFORWARD HELO=mx+2Eexample+2Done+2eorg", SMTP_XFORWARD, NULL,
	    NULL, 0, NULL, "HELO=mx.example-one.org"),
	OK("XFORWARD ADDR=IPV6:2001:db8::1   PORT=25  ", SMTP_XFORWARD, NULL,
	    NULL, 0, NULL, "ADDR=IPV6:2001:db8::1|PORT=25"),
	OK("XFORWARD NAME=a NAME=b", SMTP_XFORWARD, NULL, NULL, 0, NULL,
	    "NAME=b"),
	/* what Postfix sends: address literals, its long queue ids, the
	   original client's port, the source of the mail */
	OK("XFORWARD NAME=host_1.example HELO=[192.0.2.1] ADDR=IPv6:::1",
	    SMTP_XFORWARD, NULL, NULL, 0, NULL,
	    "NAME=host_1.example|ADDR=IPv6:::1|HELO=[192.0.2.1]"),
	OK("XFORWARD HELO=[IPv6:2001:db8::1] IDENT=4Rb1Hn0wJDz9vRV "
	    "SOURCE=LOCAL PROTO=SMTP PORT=0", SMTP_XFORWARD, NULL, NULL, 0,
	    NULL, "PORT=0|PROTO=SMTP|HELO=[IPv6:2001:db8::1]|"
	    "IDENT=4Rb1Hn0wJDz9vRV|SOURCE=LOCAL"),
	NO("XFORWARD", 501, E_SYN, "Syntax: XFORWARD attribute=value..."),
	NO("XFORWARD   ", 501, E_SYN, "Syntax: XFORWARD attribute=value..."),
	NO("XFORWARD NAME", 501, E_SYN, "Syntax: XFORWARD attribute=value..."),
	NO("XFORWARD NAME=a ADDR", 501, E_SYN,
	    "Syntax: XFORWARD attribute=value..."),
	NO("XFORWARD FOO=bar", 501, E_SYN, "Bad XFORWARD attribute name"),
	NO("XFORWARD =bar", 501, E_SYN, "Bad XFORWARD attribute name"),
	NO("XFORWARD NAMES=a", 501, E_SYN, "Bad XFORWARD attribute name"),
	NO("XFORWARD NAME=a=b", 501, E_SYN, "Bad XFORWARD attribute value"),
	NO("XFORWARD NAME=+0A", 501, E_SYN, "Bad XFORWARD attribute value"),
	NO("XFORWARD NAME=+0D+0A", 501, E_SYN,
	    "Bad XFORWARD attribute value"),
	NO("XFORWARD NAME=a+00", 501, E_SYN, "Bad XFORWARD attribute value"),
	NO("XFORWARD NAME=+7F", 501, E_SYN, "Bad XFORWARD attribute value"),
	NO("XFORWARD NAME=+2", 501, E_SYN, "Bad XFORWARD attribute value"),
	NO("XFORWARD NAME=+GG", 501, E_SYN, "Bad XFORWARD attribute value"),
	NO("XFORWARD NAME=+FF", 501, E_SYN, "Bad XFORWARD attribute value"),
	NO("XFORWARD NAME=\303\251", 501, E_SYN,
	    "Bad XFORWARD attribute value"),
	/* each value is what its attribute may be, or the whole command is
	   refused, with a reply that does not echo it */
	NO("XFORWARD IDENT=../../x", 501, E_SYN, XF_BAD_IDENT),
	NO("XFORWARD IDENT=ABC/DEF", 501, E_SYN, XF_BAD_IDENT),
	NO("XFORWARD IDENT=A+2E+2EB", 501, E_SYN, XF_BAD_IDENT),
	NO("XFORWARD IDENT=", 501, E_SYN, XF_BAD_IDENT),
	NO("XFORWARD IDENT=123456789012345678901234567890123", 501, E_SYN,
	    XF_BAD_IDENT),
	NO("XFORWARD NAME=ok.example IDENT=A-1", 501, E_SYN, XF_BAD_IDENT),
	NO("XFORWARD NAME=evil+3Bexample", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=+24+28id+29", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=a+20b", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=a+09b", 501, E_SYN, "Bad XFORWARD attribute value"),
	NO("XFORWARD NAME=", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=a..b", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=.a", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=-a.example", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=a-.example", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=a/b", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=[192.0.2.1", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD NAME=[not.an.address]", 501, E_SYN, XF_BAD_NAME),
	NO("XFORWARD HELO=x+3By", 501, E_SYN, XF_BAD_HELO),
	NO("XFORWARD HELO=a+2Bb+3dc", 501, E_SYN, XF_BAD_HELO),
	NO("XFORWARD HELO=a+20b", 501, E_SYN, XF_BAD_HELO),
	NO("XFORWARD HELO=+C3+A9t+C3+A9", 501, E_SYN, XF_BAD_HELO),
	NO("XFORWARD HELO=[IPv6:192.0.2.1]", 501, E_SYN, XF_BAD_HELO),
	NO("XFORWARD ADDR=not-an-address", 501, E_SYN, XF_BAD_ADDR),
	NO("XFORWARD ADDR=192.0.2.300", 501, E_SYN, XF_BAD_ADDR),
	NO("XFORWARD ADDR=192.0.2", 501, E_SYN, XF_BAD_ADDR),
	NO("XFORWARD ADDR=[192.0.2.1]", 501, E_SYN, XF_BAD_ADDR),
	NO("XFORWARD ADDR=IPv6:192.0.2.1", 501, E_SYN, XF_BAD_ADDR),
	NO("XFORWARD ADDR=2001:db8::zz", 501, E_SYN, XF_BAD_ADDR),
	NO("XFORWARD PORT=http", 501, E_SYN, XF_BAD_PORT),
	NO("XFORWARD PORT=65536", 501, E_SYN, XF_BAD_PORT),
	NO("XFORWARD PORT=-1", 501, E_SYN, XF_BAD_PORT),
	NO("XFORWARD PROTO=E+3BSMTP", 501, E_SYN, XF_BAD_PROTO),
	NO("XFORWARD PROTO=E+2FSMTP", 501, E_SYN, XF_BAD_PROTO),
	NO("XFORWARD SOURCE=ELSEWHERE", 501, E_SYN, XF_BAD_SOURCE),
};

/* fmt_params - "K=V|K" from the parsed parameters */
static void
fmt_params(const struct smtp_cmd *cmd, char *s, size_t n)
{
	size_t	i, o = 0;

	s[0] = '\0';
	for (i = 0; i < cmd->nparam && o < n; i++)
		o += (size_t)snprintf(s + o, n - o, "%s%s%s%s", i ? "|" : "",
		    cmd->param[i].key, cmd->param[i].value ? "=" : "",
		    cmd->param[i].value ? cmd->param[i].value : "");
}

/* fmt_xfwd - "NAME=v|ADDR=" from the attributes sent */
static void
fmt_xfwd(const struct smtp_cmd *cmd, char *s, size_t n)
{
	static const char *const names[XF_COUNT] = {
		"NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"
	};
	size_t	i, o = 0;

	s[0] = '\0';
	for (i = 0; i < XF_COUNT && o < n; i++)
		if (cmd->xfwd[i] != NULL)
			o += (size_t)snprintf(s + o, n - o, "%s%s=%s",
			    o ? "|" : "", names[i], cmd->xfwd[i]);
}

/* check_cmd - parse one line and compare with the case */
static void
check_cmd(const char *label, const char *line, size_t len, int code,
    const char *status, const char *text, enum smtp_verb verb,
    const char *arg, const char *addr, int utf8, const char *params,
    const char *xfwd)
{
	struct smtp_cmd		cmd;
	struct reply	r;
	char			got[1024];
	char			*copy;
	int			rc;

	/* the parser must not need a NUL after the line */
	copy = xmalloc(len + 1);
	memcpy(copy, line, len);
	copy[len] = 'X';
	memset(&r, 0, sizeof(r));
	rc = smtp_cmd_parse(copy, len, &cmd, &r);
	if (code != 0) {
		if (rc != -1)
			fail_msg("%s: accepted, want %d %s %s", label, code,
			    status, text);
		if (r.code != code || strcmp(r.status, status) != 0 ||
		    strcmp(r.text, text) != 0)
			fail_msg("%s: got %d %s %s, want %d %s %s", label,
			    r.code, r.status, r.text, code, status, text);
		smtp_cmd_free(&cmd);
		free(copy);
		return;
	}
	if (rc != 0)
		fail_msg("%s: refused: %d %s %s", label, r.code, r.status,
		    r.text);
	if (cmd.verb != verb)
		fail_msg("%s: verb %d, want %d", label, cmd.verb, verb);
	if ((arg == NULL) != (cmd.arg == NULL) ||
	    (arg != NULL && strcmp(arg, cmd.arg) != 0))
		fail_msg("%s: arg \"%s\", want \"%s\"", label,
		    cmd.arg ? cmd.arg : "(null)", arg ? arg : "(null)");
	if ((addr == NULL) != (cmd.addr == NULL) ||
	    (addr != NULL && strcmp(addr, cmd.addr) != 0))
		fail_msg("%s: addr \"%s\", want \"%s\"", label,
		    cmd.addr ? cmd.addr : "(null)", addr ? addr : "(null)");
	if (cmd.utf8 != utf8)
		fail_msg("%s: utf8 %d, want %d", label, cmd.utf8, utf8);
	fmt_params(&cmd, got, sizeof(got));
	if (strcmp(got, params ? params : "") != 0)
		fail_msg("%s: params \"%s\", want \"%s\"", label, got,
		    params ? params : "");
	fmt_xfwd(&cmd, got, sizeof(got));
	if (strcmp(got, xfwd ? xfwd : "") != 0)
		fail_msg("%s: xforward \"%s\", want \"%s\"", label, got,
		    xfwd ? xfwd : "");
	assert_non_null(cmd.verb_text);
	smtp_cmd_free(&cmd);
	assert_null(cmd.addr);
	free(copy);
}

/* test_cmd_table - every row of cmd_cases */
static void
test_cmd_table(void **state)
{
	const struct cmd_case	*c;
	char			 label[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(cmd_cases); i++) {
		c = &cmd_cases[i];
		snprintf(label, sizeof(label), "case %zu \"%.40s\"", i,
		    c->line);
		check_cmd(label, c->line, c->len, c->code, c->status, c->text,
		    c->verb, c->arg, c->addr, c->utf8, c->params, c->xfwd);
	}
}

/* test_verb_text - the verb as sent, at most 16 bytes */
static void
test_verb_text(void **state)
{
	struct smtp_cmd		cmd;
	struct reply	r;

	(void)state;
	assert_int_equal(smtp_cmd_parse(B("MaIl FROM:<a@b>"), &cmd, &r), 0);
	assert_string_equal(cmd.verb_text, "MaIl");
	smtp_cmd_free(&cmd);
	assert_int_equal(smtp_cmd_parse(B("ABCDEFGHIJKLMNOPQRSTUVWXYZ x"),
	    &cmd, &r), -1);
	assert_string_equal(cmd.verb_text, "ABCDEFGHIJKLMNOP");
	smtp_cmd_free(&cmd);
}

/* repeat - n copies of c at s; returns s + n */
static char *
repeat(char *s, char c, size_t n)
{
	memset(s, c, n);
	return s + n;
}

/* domain - a name of exactly n bytes made of labels of at most 63 */
static char *
domain(char *s, size_t n)
{
	size_t	lab;

	while (n > 0) {
		lab = n > 63 ? 63 : n;
		if (n - lab == 1)	/* never leave one byte for a label */
			lab--;
		s = repeat(s, 'd', lab);
		n -= lab;
		if (n > 0) {
			*s++ = '.';
			n--;
		}
	}
	return s;
}

/* path_cmd - "RCPT TO:<" local-bytes "@" domain ">" */
static size_t
path_cmd(char *buf, const char *verb, size_t local, size_t dom)
{
	char	*s = buf;

	s += sprintf(s, "%s", verb);
	s = repeat(s, 'l', local);
	*s++ = '@';
	s = domain(s, dom);
	*s++ = '>';
	*s = '\0';
	return (size_t)(s - buf);
}

/* test_path_lengths - RFC 5321 4.5.3.1: both sides of every limit */
static void
test_path_lengths(void **state)
{
	char	line[1024], *s, want[400];
	size_t	len;

	(void)state;
	/* local part: 64 bytes pass, 65 do not */
	len = path_cmd(line, "RCPT TO:<", 64, 10);
	memcpy(want, line + 9, len - 10);
	want[len - 10] = '\0';
	check_cmd("local 64", line, len, 0, NULL, NULL, SMTP_RCPT, NULL,
	    want, 0, NULL, NULL);
	len = path_cmd(line, "RCPT TO:<", 65, 10);
	check_cmd("local 65", line, len, 501, "5.1.3",
	    BADR "local part longer than 64 bytes", 0, NULL, NULL, 0, NULL,
	    NULL);
	len = path_cmd(line, "MAIL FROM:<", 65, 10);
	check_cmd("local 65 sender", line, len, 501, "5.1.7",
	    BADS "local part longer than 64 bytes", 0, NULL, NULL, 0, NULL,
	    NULL);

	/* a quoted local part counts its quotes: 62 + 2 pass, 63 + 2 not */
	s = line + sprintf(line, "RCPT TO:<\"");
	s = repeat(s, 'q', 62);
	s += sprintf(s, "\"@x.org>");
	len = (size_t)(s - line);
	memcpy(want, line + 9, len - 10);
	want[len - 10] = '\0';
	check_cmd("quoted 64", line, len, 0, NULL, NULL, SMTP_RCPT, NULL,
	    want, 0, NULL, NULL);
	s = line + sprintf(line, "RCPT TO:<\"");
	s = repeat(s, 'q', 63);
	s += sprintf(s, "\"@x.org>");
	check_cmd("quoted 65", line, (size_t)(s - line), 501, "5.1.3",
	    BADR "local part longer than 64 bytes", 0, NULL, NULL, 0, NULL,
	    NULL);

	/* a label: 63 pass, 64 do not */
	s = line + sprintf(line, "RCPT TO:<u@");
	s = repeat(s, 'd', 63);
	s += sprintf(s, ".org>");
	len = (size_t)(s - line);
	memcpy(want, line + 9, len - 10);
	want[len - 10] = '\0';
	check_cmd("label 63", line, len, 0, NULL, NULL, SMTP_RCPT, NULL,
	    want, 0, NULL, NULL);
	s = line + sprintf(line, "RCPT TO:<u@");
	s = repeat(s, 'd', 64);
	s += sprintf(s, ".org>");
	check_cmd("label 64", line, (size_t)(s - line), 501, "5.1.3",
	    BADR "domain label longer than 63 bytes", 0, NULL, NULL, 0, NULL,
	    NULL);

	/*
	 * A domain: 255 bytes pass the domain rule, 256 do not.  With a
	 * mailbox around it, 255 bytes then break the path limit: the
	 * reason tells which rule refused it.
	 */
	len = path_cmd(line, "RCPT TO:<", 1, 255);
	check_cmd("domain 255", line, len, 501, "5.1.3",
	    BADR "address longer than 256 bytes", 0, NULL, NULL, 0, NULL,
	    NULL);
	len = path_cmd(line, "RCPT TO:<", 1, 256);
	check_cmd("domain 256", line, len, 501, "5.1.3",
	    BADR "domain longer than 255 bytes", 0, NULL, NULL, 0, NULL,
	    NULL);
	s = line + sprintf(line, "RCPT TO:<@");
	s = domain(s, 256);
	s += sprintf(s, ":u@x.org>");
	check_cmd("route domain 256", line, (size_t)(s - line), 501, "5.1.3",
	    BADR "domain longer than 255 bytes", 0, NULL, NULL, 0, NULL,
	    NULL);

	/* the path: 256 bytes with its brackets pass, 257 do not */
	len = path_cmd(line, "RCPT TO:<", 64, 189);
	assert_int_equal(len - 8, 256);
	memcpy(want, line + 9, len - 10);
	want[len - 10] = '\0';
	check_cmd("path 256", line, len, 0, NULL, NULL, SMTP_RCPT, NULL,
	    want, 0, NULL, NULL);
	len = path_cmd(line, "MAIL FROM:<", 64, 190);
	assert_int_equal(len - 10, 257);
	check_cmd("path 257", line, len, 501, "5.1.7",
	    BADS "address longer than 256 bytes", 0, NULL, NULL, 0, NULL,
	    NULL);
	len = path_cmd(line, "MAIL FROM:<", 40, 600);
	check_cmd("path 600", line, len, 501, "5.1.7",
	    BADS "domain longer than 255 bytes", 0, NULL, NULL, 0, NULL,
	    NULL);
}

/* test_helo_length - a HELO argument of 512 bytes passes, 513 not */
static void
test_helo_length(void **state)
{
	char	line[600], *s;

	(void)state;
	s = line + sprintf(line, "EHLO ");
	s = repeat(s, 'h', 512);
	*s = '\0';
	check_cmd("helo 512", line, (size_t)(s - line), 0, NULL, NULL,
	    SMTP_EHLO, line + 5, NULL, 0, NULL, NULL);
	*s++ = 'h';
	check_cmd("helo 513", line, (size_t)(s - line), 501, E_SYN,
	    "Bad hostname", 0, NULL, NULL, 0, NULL, NULL);
}

/* test_xforward_length - a 255-byte host name passes, 256 not; raw
 * values over three times that are refused before decoding */
static void
test_xforward_length(void **state)
{
	char	line[1200], want[300], *s;
	size_t	i;

	(void)state;
	/* four labels of 63 and three dots: 255 bytes */
	s = line + sprintf(line, "XFORWARD HELO=");
	for (i = 0; i < 255; i++)
		*s++ = i % 64 == 63 ? '.' : 'h';
	*s = '\0';
	memcpy(want, "HELO=", 5);
	memcpy(want + 5, line + 14, 256);
	check_cmd("xfwd 255", line, (size_t)(s - line), 0, NULL, NULL,
	    SMTP_XFORWARD, NULL, NULL, 0, NULL, want);
	*s++ = 'h';
	check_cmd("xfwd 256", line, (size_t)(s - line), 501, E_SYN,
	    "Bad XFORWARD attribute value", 0, NULL, NULL, 0, NULL, NULL);

	/* the same 255 bytes, each written as "+41" or "+2E": 765 raw
	   bytes pass */
	s = line + sprintf(line, "XFORWARD HELO=");
	for (i = 0; i < 255; i++) {
		s += sprintf(s, i % 64 == 63 ? "+2E" : "+41");
		want[5 + i] = i % 64 == 63 ? '.' : 'A';
	}
	check_cmd("xfwd 765 raw", line, (size_t)(s - line), 0, NULL, NULL,
	    SMTP_XFORWARD, NULL, NULL, 0, NULL, want);
	*s++ = 'A';
	check_cmd("xfwd 766 raw", line, (size_t)(s - line), 501, E_SYN,
	    "XFORWARD attribute value too long", 0, NULL, NULL, 0, NULL, NULL);

	/* a label of 64 is not a host name */
	s = line + sprintf(line, "XFORWARD NAME=");
	s = repeat(s, 'n', 64);
	check_cmd("xfwd label 64", line, (size_t)(s - line), 501, E_SYN,
	    XF_BAD_NAME, 0, NULL, NULL, 0, NULL, NULL);
	s = line + sprintf(line, "XFORWARD NAME=");
	s = repeat(s, 'n', 63);
	*s = '\0';
	check_cmd("xfwd label 63", line, (size_t)(s - line), 0, NULL, NULL,
	    SMTP_XFORWARD, NULL, NULL, 0, NULL, line + 9);
}

/* ------------------------------------------------------------------ */
/* XFORWARD values and who may send them                               */
/* ------------------------------------------------------------------ */

struct xfwd_case {
	enum xfwd_attr	 a;
	const char	*v;
	int		 ok;
};

static const struct xfwd_case xfwd_cases[] = {
	/* host names: LDH labels, "_" too; address literals */
	{ XF_NAME, "mx.example.org", 1 },
	{ XF_NAME, "localhost", 1 },
	{ XF_NAME, "unknown", 1 },
	{ XF_NAME, "a-b.c_d.example", 1 },
	{ XF_NAME, "xn--bcher-kva.example", 1 },
	{ XF_NAME, "1.2.3.4", 1 },
	{ XF_NAME, "[192.0.2.1]", 1 },
	{ XF_NAME, "[IPv6:2001:db8::1]", 1 },
	{ XF_NAME, "[ipv6:::1]", 1 },
	{ XF_NAME, "", 0 },
	{ XF_NAME, ".", 0 },
	{ XF_NAME, "a.", 0 },
	{ XF_NAME, ".a", 0 },
	{ XF_NAME, "a..b", 0 },
	{ XF_NAME, "-a", 0 },
	{ XF_NAME, "a-", 0 },
	{ XF_NAME, "a.-b.c", 0 },
	{ XF_NAME, "a b", 0 },
	{ XF_NAME, "a;b", 0 },
	{ XF_NAME, "a/b", 0 },
	{ XF_NAME, "$(id)", 0 },
	{ XF_NAME, "`id`", 0 },
	{ XF_NAME, "a'b", 0 },
	{ XF_NAME, "a\"b", 0 },
	{ XF_NAME, "a\\b", 0 },
	{ XF_NAME, "a\tb", 0 },
	{ XF_NAME, "\303\251t\303\251.example", 0 },
	{ XF_NAME, "[192.0.2.1", 0 },
	{ XF_NAME, "192.0.2.1]", 0 },
	{ XF_NAME, "[]", 0 },
	{ XF_NAME, "[IPv6:]", 0 },
	{ XF_NAME, "[192.0.2.256]", 0 },
	{ XF_NAME, "[2001:db8::1]", 0 },	/* RFC 5321 wants "IPv6:" */
	{ XF_NAME, "[IPv6:192.0.2.1]", 0 },
	{ XF_NAME, "[../../x]", 0 },
	{ XF_HELO, "client.example", 1 },
	{ XF_HELO, "[192.0.2.1]", 1 },
	{ XF_HELO, "x;y", 0 },
	{ XF_HELO, "..", 0 },
	/* addresses */
	{ XF_ADDR, "192.0.2.1", 1 },
	{ XF_ADDR, "0.0.0.0", 1 },
	{ XF_ADDR, "2001:db8::1", 1 },
	{ XF_ADDR, "IPv6:2001:db8::1", 1 },
	{ XF_ADDR, "ipv6:::1", 1 },
	{ XF_ADDR, "::ffff:192.0.2.1", 1 },
	{ XF_ADDR, "", 0 },
	{ XF_ADDR, "192.0.2", 0 },
	{ XF_ADDR, "192.0.2.1.5", 0 },
	{ XF_ADDR, "192.0.2.256", 0 },
	{ XF_ADDR, "0x7f.1", 0 },
	{ XF_ADDR, " 192.0.2.1", 0 },
	{ XF_ADDR, "[192.0.2.1]", 0 },
	{ XF_ADDR, "IPv6:192.0.2.1", 0 },
	{ XF_ADDR, "IPv6:", 0 },
	{ XF_ADDR, "2001:db8::g", 0 },
	{ XF_ADDR, "localhost", 0 },
	{ XF_ADDR, "1111:2222:3333:4444:5555:6666:7777:8888:9999", 0 },
	/* ports */
	{ XF_PORT, "25", 1 },
	{ XF_PORT, "0", 1 },
	{ XF_PORT, "65535", 1 },
	{ XF_PORT, "65536", 0 },
	{ XF_PORT, "123456", 0 },
	{ XF_PORT, "", 0 },
	{ XF_PORT, "-1", 0 },
	{ XF_PORT, "25a", 0 },
	{ XF_PORT, " 25", 0 },
	/* protocol names */
	{ XF_PROTO, "SMTP", 1 },
	{ XF_PROTO, "ESMTP", 1 },
	{ XF_PROTO, "esmtpsa", 1 },
	{ XF_PROTO, "QMQP", 1 },
	{ XF_PROTO, "", 0 },
	{ XF_PROTO, "E-SMTP", 0 },
	{ XF_PROTO, "ESMTP;", 0 },
	{ XF_PROTO, "ESMTP/1", 0 },
	/* queue ids */
	{ XF_IDENT, "3F2A1C", 1 },
	{ XF_IDENT, "4Rb1Hn0wJDz9vRV", 1 },
	{ XF_IDENT, "12345678901234567890123456789012", 1 },
	{ XF_IDENT, "123456789012345678901234567890123", 0 },
	{ XF_IDENT, "", 0 },
	{ XF_IDENT, "..", 0 },
	{ XF_IDENT, "../../x", 0 },
	{ XF_IDENT, "a/b", 0 },
	{ XF_IDENT, "a.b", 0 },
	{ XF_IDENT, "a-b", 0 },
	{ XF_IDENT, "a_b", 0 },
	{ XF_IDENT, "a b", 0 },
	{ XF_IDENT, "\303\251", 0 },
	/* the source of the mail */
	{ XF_SOURCE, "LOCAL", 1 },
	{ XF_SOURCE, "REMOTE", 1 },
	{ XF_SOURCE, "remote", 1 },
	{ XF_SOURCE, "", 0 },
	{ XF_SOURCE, "ELSEWHERE", 0 },
	{ XF_SOURCE, "LOCAL ", 0 },
};

/* test_xfwd_check - every row of xfwd_cases; a refusal is a reason
 * that does not repeat the value */
static void
test_xfwd_check(void **state)
{
	const struct xfwd_case	*c;
	const char		*why;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(xfwd_cases); i++) {
		c = &xfwd_cases[i];
		why = smtp_xfwd_check(c->a, c->v);
		if (c->ok && why != NULL)
			fail_msg("case %zu: %s=\"%s\" refused: %s", i,
			    smtp_xfwd_name(c->a), c->v, why);
		if (!c->ok && why == NULL)
			fail_msg("case %zu: %s=\"%s\" accepted", i,
			    smtp_xfwd_name(c->a), c->v);
		/* (SOURCE's reason names the two values it may be) */
		if (why != NULL && c->v[0] != '\0' && c->a != XF_SOURCE &&
		    strstr(why, c->v) != NULL)
			fail_msg("case %zu: the reason repeats the value", i);
	}
	/* a host name of 255 bytes passes, 256 not */
	{
		char	name[300];

		memset(name, 'a', 256);
		for (i = 63; i < 256; i += 64)
			name[i] = '.';
		name[255] = '\0';
		assert_null(smtp_xfwd_check(XF_NAME, name));
		name[255] = 'a';
		name[256] = '\0';
		assert_non_null(smtp_xfwd_check(XF_NAME, name));
	}
	assert_string_equal(smtp_xfwd_name(XF_IDENT), "IDENT");
	assert_string_equal(smtp_xfwd_name(XF_SOURCE), "SOURCE");
}

struct net_case {
	const char	*net;
	const char	*why;		/* NULL: it parses */
};

static const struct net_case net_cases[] = {
	{ "127.0.0.0/8", NULL },
	{ "192.0.2.1", NULL },
	{ "192.0.2.1/32", NULL },
	{ "0.0.0.0/0", NULL },
	{ "::1", NULL },
	{ "[::1]", NULL },
	{ "[::1]/128", NULL },
	{ "2001:db8::/32", NULL },
	{ "::/0", NULL },
	{ "192.0.2.1/24", "host bits are set (the network is 192.0.2.0/24)" },
	{ "10.1.2.3/9", "host bits are set (the network is 10.0.0.0/9)" },
	{ "2001:db8::1/64",
	    "host bits are set (the network is 2001:db8::/64)" },
	{ "192.0.2.0/33", "the prefix length must be 0 to 32" },
	{ "::/129", "the prefix length must be 0 to 128" },
	{ "192.0.2.0/", "the prefix length must be 0 to 32" },
	{ "192.0.2.0/2a", "the prefix length must be 0 to 32" },
	{ "192.0.2.0/0024", "the prefix length must be 0 to 32" },
	{ "192.0.2.0/-1", "the prefix length must be 0 to 32" },
	{ "[192.0.2.1]", "not an IPv4 or IPv6 address or network (host names "
	    "are not looked up)" },
	{ "mx.example.org", "not an IPv4 or IPv6 address or network (host "
	    "names are not looked up)" },
	{ "", "not an IPv4 or IPv6 address or network (host names are not "
	    "looked up)" },
	{ "/8", "not an IPv4 or IPv6 address or network (host names are not "
	    "looked up)" },
	{ "192.0.2", "not an IPv4 or IPv6 address or network (host names are "
	    "not looked up)" },
};

/* test_net_parse - every row of net_cases */
static void
test_net_parse(void **state)
{
	struct listen_net	n;
	char			why[200];
	size_t			i;
	int			rc;

	(void)state;
	for (i = 0; i < NELEM(net_cases); i++) {
		why[0] = '\0';
		rc = listen_net_parse(net_cases[i].net, &n, why, sizeof(why));
		if (net_cases[i].why == NULL && rc != 0)
			fail_msg("\"%s\": refused: %s", net_cases[i].net, why);
		if (net_cases[i].why != NULL && (rc != -1 ||
		    strcmp(why, net_cases[i].why) != 0))
			fail_msg("\"%s\": rc %d \"%s\", want \"%s\"",
			    net_cases[i].net, rc, why, net_cases[i].why);
	}
}

/* test_net_match - addresses inside and outside a list of nets */
static void
test_net_match(void **state)
{
	static const char *const list[] = {
		"127.0.0.0/8", "::1", "192.0.2.128/25", "2001:db8:1::/48",
		"10.0.0.0/7", NULL
	};
	static const struct {
		const char	*addr;
		int		 in;
	} cases[] = {
		{ "127.0.0.1", 1 }, { "127.255.255.255", 1 },
		{ "128.0.0.1", 0 }, { "126.255.255.255", 0 },
		{ "::1", 1 }, { "::2", 0 }, { "::", 0 },
		{ "192.0.2.128", 1 }, { "192.0.2.255", 1 },
		{ "192.0.2.127", 0 }, { "192.0.3.128", 0 },
		{ "2001:db8:1::5", 1 }, { "2001:db8:1:ffff::1", 1 },
		{ "2001:db8:2::1", 0 },
		{ "10.0.0.1", 1 }, { "11.255.0.1", 1 }, { "12.0.0.1", 0 },
		{ "9.255.255.255", 0 },
		/* the IPv4 nets take IPv4-mapped IPv6 addresses too */
		{ "::ffff:127.0.0.1", 1 }, { "::ffff:128.0.0.1", 0 },
		{ "unix", 0 }, { "", 0 }, { "127.0.0.1 ", 0 },
		{ "localhost", 0 },
	};
	struct listen_net	nets[8];
	char			why[200];
	size_t			i, n;

	(void)state;
	for (n = 0; list[n] != NULL; n++)
		assert_int_equal(listen_net_parse(list[n], &nets[n], why,
		    sizeof(why)), 0);
	for (i = 0; i < NELEM(cases); i++)
		if (listen_net_match(nets, n, cases[i].addr) != cases[i].in)
			fail_msg("\"%s\": %s", cases[i].addr, cases[i].in ?
			    "not matched" : "matched");
	/* an empty list matches nothing, and "/0" everything */
	assert_int_equal(listen_net_match(nets, 0, "127.0.0.1"), 0);
	assert_int_equal(listen_net_parse("0.0.0.0/0", &nets[0], why,
	    sizeof(why)), 0);
	assert_int_equal(listen_net_match(nets, 1, "203.0.113.9"), 1);
	assert_int_equal(listen_net_match(nets, 1, "2001:db8::1"), 0);
}

/* ------------------------------------------------------------------ */
/* The DATA phase's deadline                                          */
/* ------------------------------------------------------------------ */

/* test_deadline - smtp_timeout 2 s and 500 bytes a second: hand-worked
 * times for a trickle, a fast client, one that stops */
static void
test_deadline(void **state)
{
	struct smtp_deadline	d;
	long long		t;
	int			by_rate, i;

	(void)state;
	/* nothing yet: smtp_timeout from the start, silence and rate
	 * agree */
	smtp_deadline_init(&d, 10000, 2000, 500);
	assert_int_equal(smtp_deadline_at(&d, &by_rate), 12000);
	assert_int_equal(by_rate, 0);

	/* one byte every 500 ms: each buys 2 ms, so the silence limit
	 * moves on but the rate's does not: cut at 12000 + 2 ms a byte */
	for (i = 1; i <= 3; i++)
		smtp_deadline_got(&d, 10000 + 500 * i, 1);
	assert_int_equal(smtp_deadline_at(&d, &by_rate), 12006);
	assert_int_equal(by_rate, 1);
	smtp_deadline_got(&d, 12000, 1);
	assert_int_equal(smtp_deadline_at(&d, &by_rate), 12008);
	assert_int_equal(by_rate, 1);

	/* 1 MB at once: 2000 s more by the rate, but 2 s of silence
	 * still ends it */
	smtp_deadline_init(&d, 0, 2000, 500);
	smtp_deadline_got(&d, 100, 1000000);
	assert_int_equal(smtp_deadline_at(&d, &by_rate), 2100);
	assert_int_equal(by_rate, 0);

	/* 16 KB a second for a minute: always ahead of the rate */
	smtp_deadline_init(&d, 0, 2000, 500);
	for (t = 1000; t <= 60000; t += 1000) {
		smtp_deadline_got(&d, t, 16000);
		assert_int_equal(smtp_deadline_at(&d, &by_rate), t + 2000);
		assert_int_equal(by_rate, 0);
	}

	/* exactly the rate, 500 bytes a second, keeps its margin of
	 * smtp_timeout */
	smtp_deadline_init(&d, 0, 2000, 500);
	for (t = 1000; t <= 10000; t += 1000)
		smtp_deadline_got(&d, t, 500);
	assert_int_equal(smtp_deadline_at(&d, NULL), 12000);

	/* nothing received does not count as activity */
	smtp_deadline_init(&d, 0, 2000, 500);
	smtp_deadline_got(&d, 1500, 0);
	assert_int_equal(smtp_deadline_at(&d, NULL), 2000);

	/* 4 GiB at the lowest rate does not overflow */
	smtp_deadline_init(&d, 0, 1000, 1);
	smtp_deadline_got(&d, 5, 4294967295UL);
	assert_int_equal(smtp_deadline_at(&d, &by_rate), 1005);
	assert_int_equal(by_rate, 0);
}

/* test_path_direct - smtp_path_parse's own outputs: *end, and bytes a
 * command line cannot carry */
static void
test_path_direct(void **state)
{
	const char	*why;
	char		*addr;
	size_t		 end;
	int		 utf8;

	(void)state;
	assert_int_equal(smtp_path_parse(B("<a@b> SIZE=1"), 0, &addr, &end,
	    &utf8, &why), 0);
	assert_string_equal(addr, "a@b");
	assert_int_equal(end, 5);
	free(addr);
	assert_int_equal(smtp_path_parse(B("<>x"), 0, &addr, &end, &utf8,
	    &why), 0);
	assert_string_equal(addr, "");
	assert_int_equal(end, 2);
	free(addr);
	assert_int_equal(smtp_path_parse(B("<@r:a@b>"), 1, &addr, &end,
	    &utf8, &why), 0);
	assert_string_equal(addr, "a@b");
	assert_int_equal(end, 8);
	free(addr);
	/* control characters inside quotes, escaped or not */
	assert_int_equal(smtp_path_parse(B("<\"a\rb\"@x>"), 1, &addr, &end,
	    &utf8, &why), -1);
	assert_null(addr);
	assert_string_equal(why, "bad quoted local part");
	assert_int_equal(smtp_path_parse(B("<\"a\\\nb\"@x>"), 1, &addr, &end,
	    &utf8, &why), -1);
	assert_string_equal(why, "bad quoted local part");
	assert_int_equal(smtp_path_parse(B("<\"a\\\0b\"@x>"), 1, &addr, &end,
	    &utf8, &why), -1);
	assert_string_equal(why, "bad quoted local part");
	assert_int_equal(smtp_path_parse(B("<a@x\0>"), 0, &addr, &end,
	    &utf8, &why), -1);
	assert_null(addr);
	assert_int_equal(smtp_path_parse("", 0, 0, &addr, &end, &utf8, &why),
	    -1);
	assert_string_equal(why, "the address must be in angle brackets");
	assert_int_equal(smtp_path_parse(B("<"), 0, &addr, &end, &utf8, &why),
	    -1);
	assert_int_equal(smtp_path_parse(B("<@"), 0, &addr, &end, &utf8,
	    &why), -1);
	assert_int_equal(smtp_path_parse(B("<a@b"), 0, &addr, &end, &utf8,
	    &why), -1);
	assert_string_equal(why, "bad address");
}

/*
 * test_path_nul - a NUL byte is no atext: "<a\0b@x>" must be refused,
 * not accepted as the address "a" (the copy stops at the NUL), which
 * would turn a mailbox with a domain into a local one
 */
static void
test_path_nul(void **state)
{
	const char	*why;
	char		*addr;
	size_t		 end;
	int		 utf8;

	(void)state;
	addr = NULL;
	if (smtp_path_parse(B("<a\0b@x>"), 1, &addr, &end, &utf8,
	    &why) == 0) {
		char	got[64];

		snprintf(got, sizeof(got), "%s", addr);
		free(addr);
		fail_msg("\"<a\\0b@x>\" accepted as \"%s\"", got);
	}
	assert_null(addr);
	addr = NULL;
	if (smtp_path_parse(B("<\0@x>"), 0, &addr, &end, &utf8, &why) == 0) {
		free(addr);
		fail_msg("\"<\\0@x>\" accepted");
	}
}

/* test_xtext_utf8 - the two helpers on their own */
static void
test_xtext_utf8(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;	/* NULL: refused */
	} xt[] = {
		{ B(""), "" },
		{ B("abc"), "abc" },
		{ B("a+2Bb"), "a+b" },
		{ B("+3D+3d"), "==" },
		{ B("+7e"), "~" },
		{ B("+2"), NULL },
		{ B("+"), NULL },
		{ B("a+g0"), NULL },
		{ B("a=b"), NULL },
		{ B("a b"), NULL },
		{ B("a\001"), NULL },
		{ B("+1F"), NULL },
		{ B("+0a"), NULL },
		{ B("+7F"), NULL },
		{ B("\303\251"), NULL },
		{ B("+C3+A9"), "\303\251" },
	};
	static const struct {
		const char	*in;
		size_t		 len;
		int		 ok;
	} u8[] = {
		{ B(""), 1 },
		{ B("plain"), 1 },
		{ B("\0"), 1 },
		{ B("\302\200"), 1 },		/* U+0080 */
		{ B("\337\277"), 1 },		/* U+07FF */
		{ B("\340\240\200"), 1 },	/* U+0800 */
		{ B("\355\237\277"), 1 },	/* U+D7FF */
		{ B("\356\200\200"), 1 },	/* U+E000 */
		{ B("\357\277\277"), 1 },	/* U+FFFF */
		{ B("\360\220\200\200"), 1 },	/* U+10000 */
		{ B("\364\217\277\277"), 1 },	/* U+10FFFF */
		{ B("\200"), 0 },		/* lone continuation */
		{ B("\300\200"), 0 },		/* overlong NUL */
		{ B("\301\277"), 0 },		/* overlong */
		{ B("\340\237\277"), 0 },	/* overlong U+07FF */
		{ B("\360\217\277\277"), 0 },	/* overlong U+FFFF */
		{ B("\355\240\200"), 0 },	/* U+D800 */
		{ B("\355\277\277"), 0 },	/* U+DFFF */
		{ B("\364\220\200\200"), 0 },	/* U+110000 */
		{ B("\365\200\200\200"), 0 },
		{ B("\370\210\200\200\200"), 0 },
		{ B("\377"), 0 },
		{ B("\303"), 0 },		/* truncated */
		{ B("\342\202"), 0 },
		{ B("a\303("), 0 },
		{ B("\342\202\254"), 1 },	/* the euro sign */
	};
	char	*s;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(xt); i++) {
		s = smtp_xtext_decode(xt[i].in, xt[i].len);
		if ((s == NULL) != (xt[i].out == NULL) ||
		    (s != NULL && strcmp(s, xt[i].out) != 0))
			fail_msg("xtext %zu \"%s\": got \"%s\", want \"%s\"",
			    i, xt[i].in, s ? s : "(null)",
			    xt[i].out ? xt[i].out : "(null)");
		free(s);
	}
	for (i = 0; i < NELEM(u8); i++)
		if (smtp_utf8_valid(u8[i].in, u8[i].len) != u8[i].ok)
			fail_msg("utf8 case %zu: got %d, want %d", i,
			    !u8[i].ok, u8[i].ok);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_feed),
		cmocka_unit_test(test_line_reuse),
		cmocka_unit_test(test_cmd_table),
		cmocka_unit_test(test_verb_text),
		cmocka_unit_test(test_path_lengths),
		cmocka_unit_test(test_helo_length),
		cmocka_unit_test(test_xforward_length),
		cmocka_unit_test(test_xfwd_check),
		cmocka_unit_test(test_net_parse),
		cmocka_unit_test(test_net_match),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_path_direct),
		cmocka_unit_test(test_path_nul),
		cmocka_unit_test(test_xtext_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
