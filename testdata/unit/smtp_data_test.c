/*
 * NAME
 *	smtp_data_test.c - unit tests for smtp_data.c
 *
 * DESCRIPTION
 *	Tables of wire bytes with what the DATA-phase code must make of
 *	them, written out by hand: the DATA reader against the SMTP
 *	smuggling variants, the relay's dot-stuffing writer, the next hop's
 *	reply reader and which reply codes can answer which command.  Every
 *	stream reader is also fed one byte at a time and in two pieces split
 *	at every offset, and must give the same content, flags and end.
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
#include "mail/smtp_proto.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* A string literal with its length, so inputs may hold NUL bytes. */
#define B(s)		(s), sizeof(s) - 1

/* ------------------------------------------------------------------ */
/* The DATA reader                                                    */
/* ------------------------------------------------------------------ */

#define F_LF	0x01
#define F_CR	0x02
#define F_NUL	0x04
#define F_LONG	0x08
#define F_BIG	0x10
#define ALL	((size_t)-1)	/* every byte was taken */

struct data_case {
	const char		*label;
	const char		*in;
	size_t			 inlen;
	size_t			 line_max;
	unsigned long long	 size_max;
	int			 end;		/* 1: the end was found */
	size_t			 used;		/* bytes taken, or ALL */
	const char		*out;
	size_t			 outlen;
	int			 flags;
};

static const struct data_case data_cases[] = {
	/* the end, and what follows it is left alone */
	{ "empty message", B(".\r\n"), 0, 0, 1, ALL, B(""), 0 },
	{ "empty message, then QUIT", B(".\r\nQUIT\r\n"), 0, 0, 1, 3, B(""),
	    0 },
	{ "one line", B("a\r\n.\r\n"), 0, 0, 1, ALL, B("a\n"), 0 },
	{ "pipelined commands stay", B("a\r\nb\r\n.\r\nMAIL FROM:<x@y>\r\n"),
	    0, 0, 1, 9, B("a\nb\n"), 0 },
	{ "empty first line", B("\r\n.\r\n"), 0, 0, 1, ALL, B("\n"), 0 },
	{ "two ends: the first counts", B("a\r\n.\r\n.\r\n"), 0, 0, 1, 6,
	    B("a\n"), 0 },
	{ "no end yet", B("a\r\nb"), 0, 0, 0, ALL, B("a\nb"), 0 },
	{ "nothing", B(""), 0, 0, 0, ALL, B(""), 0 },
	{ "end pending", B("a\r\n.\r"), 0, 0, 0, ALL, B("a\n"), 0 },

	/* dot-unstuffing after a real CR LF */
	{ "stuffed dot line", B("..\r\n.\r\n"), 0, 0, 1, ALL, B(".\n"), 0 },
	{ "stuffed dots", B("a\r\n..b\r\n...\r\n.\r\n"), 0, 0, 1, ALL,
	    B("a\n.b\n..\n"), 0 },
	{ "leading dot at the start", B(".a\r\n.\r\n"), 0, 0, 1, ALL, B("a\n"),
	    0 },
	{ "dot inside a line", B("a.\r\n.b.\r\n.\r\n"), 0, 0, 1, ALL,
	    B("a.\nb.\n"), 0 },
	{ "dot space is not the end", B("a\r\n. \r\n.\r\n"), 0, 0, 1, ALL,
	    B("a\n \n"), 0 },

	/* smuggling: none of these is the end */
	{ "LF . LF", B("a\n.\nMAIL FROM:<x@y>\r\n"), 0, 0, 0, ALL,
	    B("a\n.\nMAIL FROM:<x@y>\n"), F_LF },
	{ "CR . CR", B("a\r.\rMAIL FROM:<x@y>\r\n"), 0, 0, 0, ALL,
	    B("a\n.\nMAIL FROM:<x@y>\n"), F_CR },
	{ "LF . CRLF", B("a\n.\r\nMAIL FROM:<x@y>\r\n"), 0, 0, 0, ALL,
	    B("a\n.\nMAIL FROM:<x@y>\n"), F_LF },
	{ "CRLF . LF", B("a\r\n.\nMAIL FROM:<x@y>\r\n"), 0, 0, 0, ALL,
	    B("a\n.\nMAIL FROM:<x@y>\n"), F_LF },
	{ "CR . CRLF", B("a\r.\r\nMAIL FROM:<x@y>\r\n"), 0, 0, 0, ALL,
	    B("a\n.\nMAIL FROM:<x@y>\n"), F_CR },
	{ "CRLF . CR", B("a\r\n.\rMAIL FROM:<x@y>\r\n"), 0, 0, 0, ALL,
	    B("a\n.\nMAIL FROM:<x@y>\n"), F_CR },
	{ "LF . LF at the start", B("\n.\n"), 0, 0, 0, ALL, B("\n.\n"), F_LF },
	{ ". LF right after DATA", B(".\nQUIT\r\n"), 0, 0, 0, ALL,
	    B(".\nQUIT\n"), F_LF },
	{ ". CR right after DATA", B(".\rQUIT\r\n"), 0, 0, 0, ALL,
	    B(".\nQUIT\n"), F_CR },
	{ "LF .. LF keeps both dots", B("a\n..\n"), 0, 0, 0, ALL,
	    B("a\n..\n"), F_LF },
	{ "smuggled, then the real end", B("a\n.\nRSET\r\n.\r\nQUIT\r\n"),
	    0, 0, 1, 13, B("a\n.\nRSET\n"), F_LF },
	{ "CR CR LF . CRLF is the end", B("a\r\r\n.\r\n"), 0, 0, 1, ALL,
	    B("a\n\n"), F_CR },
	{ "LF CR LF . CRLF is the end", B("a\n\r\n.\r\nX"), 0, 0, 1, 7,
	    B("a\n\n"), F_LF },
	{ "CRLF . CR CRLF . CRLF", B("a\r\n.\r\r\n.\r\n"), 0, 0, 1, ALL,
	    B("a\n.\n\n"), F_CR },

	/* NUL tricks */
	{ "CRLF . NUL CRLF", B("a\r\n.\0\r\nQUIT\r\n"), 0, 0, 0, ALL,
	    B("a\n\0\nQUIT\n"), F_NUL },
	{ "CRLF NUL . CRLF", B("a\r\n\0.\r\nQUIT\r\n"), 0, 0, 0, ALL,
	    B("a\n\0.\nQUIT\n"), F_NUL },
	{ "CRLF . CR NUL LF", B("a\r\n.\r\0\nQUIT\r\n"), 0, 0, 0, ALL,
	    B("a\n.\n\0\nQUIT\n"), F_CR | F_LF | F_NUL },
	{ "CR NUL LF . CRLF", B("a\r\0\n.\r\nQUIT\r\n"), 0, 0, 0, ALL,
	    B("a\n\0\n.\nQUIT\n"), F_CR | F_LF | F_NUL },
	{ "NUL in a line, then the end", B("x\0y\r\n.\r\n"), 0, 0, 1, ALL,
	    B("x\0y\n"), F_NUL },

	/* limits */
	{ "line of line_max", B("abc\r\n.\r\n"), 3, 0, 1, ALL, B("abc\n"), 0 },
	{ "line over line_max", B("abcd\r\nx\r\n.\r\n"), 3, 0, 1, ALL,
	    B("abcd\nx\n"), F_LONG },
	{ "stuffed dot not counted", B("..ab\r\n.\r\n"), 3, 0, 1, ALL,
	    B(".ab\n"), 0 },
	{ "line over line_max, bare LF", B("abcd\nx\r\n.\r\n"), 3, 0, 1, ALL,
	    B("abcd\nx\n"), F_LONG | F_LF },
	{ "size_max exactly", B("abcd\r\n.\r\n"), 0, 5, 1, ALL, B("abcd\n"),
	    0 },
	{ "over size_max, output stops, end still found",
	    B("abcde\r\nfgh\r\n.\r\nQUIT\r\n"), 0, 5, 1, 15, B("abcde"),
	    F_BIG },
};

struct data_got {
	int		 end;
	size_t		 used;
	char		*out;
	size_t		 outlen;
	int		 flags;
};

/*
 * run_data - feed in[0..len) in pieces (as run_lines); stop at the end.
 * Each call's output must fit the documented bound, len + 2.
 */
static void
run_data(const char *in, size_t len, size_t line_max,
    unsigned long long size_max, size_t split, size_t step,
    struct data_got *g)
{
	struct smtp_data	d;
	size_t			off = 0, used, o, chunk;
	char			*buf;

	smtp_data_init(&d, line_max, size_max);
	g->out = xmalloc(len + 3);
	g->outlen = 0;
	g->end = 0;
	buf = xmalloc(len + 3);
	while (off < len) {
		chunk = len - off;
		if (split != 0 && off < split)
			chunk = split - off;
		else if (step != 0 && chunk > step)
			chunk = step;
		memset(buf, 0x55, len + 3);
		g->end = smtp_data_feed(&d, in + off, chunk, &used, buf, &o);
		assert_true(used <= chunk);
		assert_true(o <= chunk + 2);
		assert_true(g->outlen + o <= len + 2);
		memcpy(g->out + g->outlen, buf, o);
		g->outlen += o;
		off += used;
		if (g->end)
			break;
		assert_int_equal(used, chunk);
	}
	free(buf);
	g->used = off;
	g->flags = (d.bare_lf ? F_LF : 0) | (d.bare_cr ? F_CR : 0) |
	    (d.nul ? F_NUL : 0) | (d.too_long ? F_LONG : 0) |
	    (d.too_big ? F_BIG : 0);
}

/* check_data - a run against the expectation */
static void
check_data(const char *label, const char *how, const struct data_got *g,
    int end, size_t used, const char *out, size_t outlen, int flags)
{
	if (g->end != end || g->used != used)
		fail_msg("%s (%s): end %d used %zu, want end %d used %zu",
		    label, how, g->end, g->used, end, used);
	if (g->outlen != outlen || memcmp(g->out, out, outlen) != 0)
		fail_msg("%s (%s): content \"%.*s\" (%zu), want \"%s\" (%zu)",
		    label, how, (int)g->outlen, g->out, g->outlen, out,
		    outlen);
	if (g->flags != flags)
		fail_msg("%s (%s): flags %#x, want %#x", label, how, g->flags,
		    flags);
}

/* test_data_feed - each case whole, byte by byte, split everywhere */
static void
test_data_feed(void **state)
{
	const struct data_case	*c;
	struct data_got		 g;
	char			 how[32];
	size_t			 i, k, used;

	(void)state;
	for (i = 0; i < NELEM(data_cases); i++) {
		c = &data_cases[i];
		run_data(c->in, c->inlen, c->line_max, c->size_max, 0, 0, &g);
		used = c->used == ALL ? c->inlen : c->used;
		check_data(c->label, "whole", &g, c->end, used, c->out,
		    c->outlen, c->flags);
		free(g.out);
		run_data(c->in, c->inlen, c->line_max, c->size_max, 0, 1, &g);
		check_data(c->label, "byte by byte", &g, c->end, used,
		    c->out, c->outlen, c->flags);
		free(g.out);
		for (k = 1; k < c->inlen; k++) {
			snprintf(how, sizeof(how), "split at %zu", k);
			run_data(c->in, c->inlen, c->line_max, c->size_max, k,
			    0, &g);
			check_data(c->label, how, &g, c->end, used, c->out,
			    c->outlen, c->flags);
			free(g.out);
		}
	}
}

/* ------------------------------------------------------------------ */
/* The dot-stuffing writer                                            */
/* ------------------------------------------------------------------ */

struct stuff_case {
	const char	*in;
	size_t		 inlen;
	const char	*wire;		/* feed and end together */
	size_t		 wirelen;
	const char	*content;	/* what the DATA reader gives back */
	size_t		 contentlen;
	int		 nul;
};

static const struct stuff_case stuff_cases[] = {
	{ B(""), B(".\r\n"), B(""), 0 },
	{ B("a"), B("a\r\n.\r\n"), B("a\n"), 0 },
	{ B("a\n"), B("a\r\n.\r\n"), B("a\n"), 0 },
	{ B("a\r\n"), B("a\r\n.\r\n"), B("a\n"), 0 },
	{ B("a\r"), B("a\r\n.\r\n"), B("a\n"), 0 },
	{ B("a\rb\nc\r\nd"), B("a\r\nb\r\nc\r\nd\r\n.\r\n"), B("a\nb\nc\nd\n"),
	    0 },
	{ B("\n"), B("\r\n.\r\n"), B("\n"), 0 },
	{ B("\r\r\n\n"), B("\r\n\r\n\r\n.\r\n"), B("\n\n\n"), 0 },
	{ B("\n\r"), B("\r\n\r\n.\r\n"), B("\n\n"), 0 },
	{ B("."), B("..\r\n.\r\n"), B(".\n"), 0 },
	{ B(".\n"), B("..\r\n.\r\n"), B(".\n"), 0 },
	{ B("..x\n"), B("...x\r\n.\r\n"), B("..x\n"), 0 },
	{ B("a.b\n.c"), B("a.b\r\n..c\r\n.\r\n"), B("a.b\n.c\n"), 0 },
	{ B("a\n.\nb"), B("a\r\n..\r\nb\r\n.\r\n"), B("a\n.\nb\n"), 0 },
	{ B("a\r.\rb"), B("a\r\n..\r\nb\r\n.\r\n"), B("a\n.\nb\n"), 0 },
	{ B("a\r\n.\r\nMAIL FROM:<x@y>\r\n"),
	    B("a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n"),
	    B("a\n.\nMAIL FROM:<x@y>\n"), 0 },
	{ B("a\n.\r\n"), B("a\r\n..\r\n.\r\n"), B("a\n.\n"), 0 },
	{ B("a\r\n.\n"), B("a\r\n..\r\n.\r\n"), B("a\n.\n"), 0 },
	{ B("a\r\n.\r"), B("a\r\n..\r\n.\r\n"), B("a\n.\n"), 0 },
	{ B(".\r\n"), B("..\r\n.\r\n"), B(".\n"), 0 },
	{ B("a\r\n.\0\r\n"), B("a\r\n..\0\r\n.\r\n"), B("a\n.\0\n"), 1 },
	{ B("\0.\n"), B("\0.\r\n.\r\n"), B("\0.\n"), 1 },
	{ B("x\r\r\r"), B("x\r\n\r\n\r\n.\r\n"), B("x\n\n\n"), 0 },
};

/* run_stuff - feed in pieces, then end; returns the wire bytes */
static char *
run_stuff(const char *in, size_t len, size_t split, size_t step,
    size_t *wirelen)
{
	struct smtp_stuff	s;
	char			*wire;
	size_t			 off = 0, o = 0, n, chunk;

	wire = xmalloc(2 * len + 5 + 16);
	smtp_stuff_init(&s);
	while (off < len) {
		chunk = len - off;
		if (split != 0 && off < split)
			chunk = split - off;
		else if (step != 0 && chunk > step)
			chunk = step;
		n = smtp_stuff_feed(&s, in + off, chunk, wire + o);
		assert_true(n <= 2 * chunk + 5);
		o += n;
		off += chunk;
	}
	n = smtp_stuff_end(&s, wire + o);
	assert_true(n <= 5);
	o += n;
	assert_true(o <= 2 * len + 5);
	*wirelen = o;
	return wire;
}

/* test_stuff - wire bytes by hand; the same in any pieces; and the DATA
 * reader finds exactly our end and gives the content back */
static void
test_stuff(void **state)
{
	const struct stuff_case	*c;
	struct data_got		 g;
	char			*wire, label[32];
	size_t			 i, k, wl;

	(void)state;
	for (i = 0; i < NELEM(stuff_cases); i++) {
		c = &stuff_cases[i];
		for (k = 0; k <= c->inlen + 1; k++) {
			/* k == 0: whole; k <= inlen: split; last: bytes */
			if (k == c->inlen + 1)
				wire = run_stuff(c->in, c->inlen, 0, 1, &wl);
			else if (k == c->inlen)
				wire = run_stuff(c->in, c->inlen, 0, 0, &wl);
			else
				wire = run_stuff(c->in, c->inlen, k, 0, &wl);
			if (wl != c->wirelen ||
			    memcmp(wire, c->wire, wl) != 0)
				fail_msg("stuff case %zu (%zu): \"%.*s\", want "
				    "\"%s\"", i, k, (int)wl, wire, c->wire);
			free(wire);
		}
		snprintf(label, sizeof(label), "round trip %zu", i);
		wire = run_stuff(c->in, c->inlen, 0, 0, &wl);
		run_data(wire, wl, 0, 0, 0, 0, &g);
		check_data(label, "whole", &g, 1, wl, c->content,
		    c->contentlen, c->nul ? F_NUL : 0);
		free(g.out);
		run_data(wire, wl, 0, 0, 0, 1, &g);
		check_data(label, "byte by byte", &g, 1, wl, c->content,
		    c->contentlen, c->nul ? F_NUL : 0);
		free(g.out);
		free(wire);
	}
}

/* ------------------------------------------------------------------ */
/* The reply reader                                                   */
/* ------------------------------------------------------------------ */

struct resp_case {
	const char	*label;
	const char	*line[4];
	size_t		 n;		/* lines fed; the last completes */
	int		 bad;
	int		 code;		/* when not bad */
	const char	*text;
};

static const struct resp_case resp_cases[] = {
	{ "single", { "250 ok" }, 1, 0, 250, "ok" },
	{ "code only", { "250" }, 1, 0, 250, "" },
	{ "code and space", { "354 " }, 1, 0, 354, "" },
	{ "enhanced code kept", { "550 5.1.1 No such user" }, 1, 0, 550,
	    "5.1.1 No such user" },
	{ "multi-line", { "250-mx.example.org", "250-PIPELINING",
	    "250 8BITMIME" }, 3, 0, 250, "mx.example.org\nPIPELINING\n8BITMIME" },
	{ "empty continuation", { "220-", "220 ready" }, 2, 0, 220,
	    "\nready" },
	{ "4xx", { "451 4.3.0 try later" }, 1, 0, 451, "4.3.0 try later" },
	{ "code mismatch", { "250-a", "251 b" }, 2, 1, 0, NULL },
	{ "class mismatch", { "250-a", "550 b" }, 2, 1, 0, NULL },
	{ "too short", { "25" }, 1, 1, 0, NULL },
	{ "empty", { "" }, 1, 1, 0, NULL },
	{ "letters", { "abc def" }, 1, 1, 0, NULL },
	{ "letter in code", { "2x0 ok" }, 1, 1, 0, NULL },
	{ "no separator", { "250ok" }, 1, 1, 0, NULL },
	{ "tab separator", { "250\tok" }, 1, 1, 0, NULL },
	{ "1xx", { "150 ok" }, 1, 1, 0, NULL },
	{ "6xx", { "600 ok" }, 1, 1, 0, NULL },
	{ "0xx", { "099 ok" }, 1, 1, 0, NULL },
	{ "garbage after continuation", { "250-a", "garbage" }, 2, 1, 0,
	    NULL },
	{ "control bytes replaced", { "250 a\tb\033[0m\177c" }, 1, 0, 250,
	    "a?b?[0m?c" },
	{ "CR and NUL replaced", { "221-a\rb", "221 c\0d" }, 2, 0, 221,
	    "a?b\nc?d" },
	{ "UTF-8 kept", { "250 \303\251" }, 1, 0, 250, "\303\251" },
};

/* test_resp - each reply line by line */
static void
test_resp(void **state)
{
	const struct resp_case	*c;
	struct smtp_resp	 r;
	size_t			 i, k, len;
	int			 rc;

	(void)state;
	for (i = 0; i < NELEM(resp_cases); i++) {
		c = &resp_cases[i];
		smtp_resp_init(&r);
		for (k = 0; k < c->n; k++) {
			len = strlen(c->line[k]);
			if (strcmp(c->label, "CR and NUL replaced") == 0 &&
			    k == 1)
				len = 7;	/* "221 c\0d" */
			rc = smtp_resp_line(&r, c->line[k], len);
			if (rc != (k + 1 == c->n))
				fail_msg("%s: line %zu returned %d", c->label,
				    k, rc);
		}
		if (r.bad != c->bad)
			fail_msg("%s: bad %d, want %d", c->label, r.bad,
			    c->bad);
		if (c->bad)
			continue;
		assert_int_equal(r.code, c->code);
		assert_string_equal(r.text, c->text);
		assert_int_equal(r.textlen, strlen(c->text));
		assert_int_equal(r.lines, (int)c->n);
	}
}

/* test_resp_limits - a reply that never ends, and one that is huge */
static void
test_resp_limits(void **state)
{
	struct smtp_resp	r;
	char			line[3000];
	int			i;

	(void)state;
	/* 99 continuation lines and a last line are one reply */
	smtp_resp_init(&r);
	for (i = 0; i < 99; i++)
		assert_int_equal(smtp_resp_line(&r, B("250-x")), 0);
	assert_int_equal(smtp_resp_line(&r, B("250 x")), 1);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.code, 250);
	/* the 100th continuation line is too many */
	smtp_resp_init(&r);
	for (i = 0; i < 99; i++)
		assert_int_equal(smtp_resp_line(&r, B("250-x")), 0);
	assert_int_equal(smtp_resp_line(&r, B("250-x")), 1);
	assert_int_equal(r.bad, 1);
	/* text is cut to fit, NUL-terminated */
	memcpy(line, "250 ", 4);
	memset(line + 4, 'y', sizeof(line) - 4);
	smtp_resp_init(&r);
	assert_int_equal(smtp_resp_line(&r, line, sizeof(line)), 1);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.textlen, sizeof(r.text) - 1);
	assert_int_equal(strlen(r.text), sizeof(r.text) - 1);
	assert_int_equal(r.text[0], 'y');
	/* the same, over several lines */
	smtp_resp_init(&r);
	line[3] = '-';
	assert_int_equal(smtp_resp_line(&r, line, sizeof(line)), 0);
	line[3] = ' ';
	assert_int_equal(smtp_resp_line(&r, line, sizeof(line)), 1);
	assert_int_equal(r.textlen, sizeof(r.text) - 1);
	assert_int_equal(strlen(r.text), sizeof(r.text) - 1);
}

/* which codes answer which command: every class at every stage */
struct answers_case {
	enum smtp_resp_to	 to;
	int			 code;
	int			 fits;
};

static const struct answers_case answers_cases[] = {
	{ RESP_GREETING, 220, 1 }, { RESP_GREETING, 250, 0 },
	{ RESP_GREETING, 221, 0 }, { RESP_GREETING, 354, 0 },
	{ RESP_GREETING, 421, 1 }, { RESP_GREETING, 554, 1 },
	{ RESP_EHLO, 250, 1 }, { RESP_EHLO, 220, 0 }, { RESP_EHLO, 251, 0 },
	{ RESP_EHLO, 354, 0 }, { RESP_EHLO, 421, 1 }, { RESP_EHLO, 502, 1 },
	{ RESP_XFORWARD, 250, 1 }, { RESP_XFORWARD, 354, 0 },
	{ RESP_XFORWARD, 334, 0 }, { RESP_XFORWARD, 421, 1 },
	{ RESP_XFORWARD, 550, 1 },
	{ RESP_MAIL, 250, 1 }, { RESP_MAIL, 200, 1 }, { RESP_MAIL, 354, 0 },
	{ RESP_MAIL, 334, 0 }, { RESP_MAIL, 300, 0 }, { RESP_MAIL, 399, 0 },
	{ RESP_MAIL, 451, 1 }, { RESP_MAIL, 553, 1 },
	{ RESP_RCPT, 250, 1 }, { RESP_RCPT, 251, 1 }, { RESP_RCPT, 354, 0 },
	{ RESP_RCPT, 450, 1 }, { RESP_RCPT, 550, 1 }, { RESP_RCPT, 599, 1 },
	{ RESP_DATA, 354, 1 }, { RESP_DATA, 250, 0 }, { RESP_DATA, 200, 0 },
	{ RESP_DATA, 221, 0 }, { RESP_DATA, 334, 0 }, { RESP_DATA, 355, 0 },
	{ RESP_DATA, 451, 1 }, { RESP_DATA, 503, 1 }, { RESP_DATA, 554, 1 },
	{ RESP_DOT, 250, 1 }, { RESP_DOT, 251, 1 }, { RESP_DOT, 354, 0 },
	{ RESP_DOT, 334, 0 }, { RESP_DOT, 452, 1 }, { RESP_DOT, 552, 1 },
	{ RESP_RSET, 250, 1 }, { RESP_RSET, 354, 0 }, { RESP_RSET, 421, 1 },
	{ RESP_RSET, 500, 1 },
	/* outside what the reply reader lets through: never an answer */
	{ RESP_DOT, 199, 0 }, { RESP_DOT, 600, 0 }, { RESP_MAIL, 0, 0 },
	{ RESP_DATA, -354, 0 }, { RESP_DATA, 1354, 0 },
	{ RESP_COUNT, 250, 0 },
};

/* test_resp_answers - the code a command can get, by hand */
static void
test_resp_answers(void **state)
{
	const struct answers_case	*c;
	size_t				 i;
	int				 k;

	(void)state;
	for (i = 0; i < NELEM(answers_cases); i++) {
		c = &answers_cases[i];
		if (smtp_resp_answers(c->to, c->code) != c->fits)
			fail_msg("%s answered with %d: got %d, want %d",
			    smtp_resp_to_name(c->to), c->code,
			    smtp_resp_answers(c->to, c->code), c->fits);
	}
	/* every stage has a name for the log */
	for (k = 0; k <= RESP_COUNT; k++)
		assert_non_null(smtp_resp_to_name((enum smtp_resp_to)k));
	assert_string_equal(smtp_resp_to_name(RESP_DATA), "DATA");
	assert_string_equal(smtp_resp_to_name(RESP_DOT), "the end of data");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_feed),
		cmocka_unit_test(test_stuff),
		cmocka_unit_test(test_resp),
		cmocka_unit_test(test_resp_limits),
		cmocka_unit_test(test_resp_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
