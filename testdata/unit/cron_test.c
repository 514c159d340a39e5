/*
 * NAME
 *	cron_test.c - unit tests for cron.c
 *
 * DESCRIPTION
 *	Tables of specs with the verdict and message expected from
 *	cron_parse(), of specs with the bit sets they must produce, and of
 *	specs with broken-down times and whether cron_match() accepts
 *	them.  Every expectation is written out by hand; the weekdays in
 *	the match table are those of the real calendar dates named in the
 *	comments.
 *
 * SECURITY
 *	Test code only; reads no input from outside.
 *
 * ERRORS
 *	A failed expectation fails the test through cmocka.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "rules/cron.h"

#define B(n)	((uint64_t)1 << (n))

struct parse_case {
	const char	*spec;
	int		 ok;
	const char	*msg;	/* substring of why when !ok */
};

static const struct parse_case parse_cases[] = {
	/* Accepted. */
	{ "* * * * *",				1, NULL },
	{ "0 0 1 1 0",				1, NULL },
	{ "59 23 31 12 7",			1, NULL },
	{ "*/15 9-17 * * mon-fri",		1, NULL },
	{ "0 12 * JAN,Jul Sun",			1, NULL },
	{ "1,2,3 */2 1-31/10 jan-dec/3 0-7",	1, NULL },
	{ " \t* * * * *\t ",			1, NULL },
	{ "*  *\t\t* * *",			1, NULL },
	{ "5/10 * * * *",			1, NULL },
	{ "0 0 * * fri-sun",			1, NULL },
	{ "00 007 01 01 00",			1, NULL },
	{ "0 0 * * 1-fri",			1, NULL },
	{ "*/59 */23 */30 */11 */7",		1, NULL },

	/* Field count. */
	{ "* * * *",		0, "expected 5 fields, found 4" },
	{ "* * * * * *",	0, "expected 5 fields, found 6" },
	{ "",			0, "expected 5 fields, found 0" },
	{ " \t \t",		0, "expected 5 fields, found 0" },
	{ "1 2 3 4 5 6 7 8",	0, "expected 5 fields, found 8" },

	/* Ranges of each field. */
	{ "60 * * * *",		0, "minute field: 60 is out of range 0-59" },
	{ "* 24 * * *",		0, "hour field: 24 is out of range 0-23" },
	{ "* 25 * * *",		0, "hour field: 25 is out of range 0-23" },
	{ "* * 0 * *",		0,
	    "day-of-month field: 0 is out of range 1-31" },
	{ "* * 32 * *",		0,
	    "day-of-month field: 32 is out of range 1-31" },
	{ "* * * 0 *",		0, "month field: 0 is out of range 1-12" },
	{ "* * * 13 *",		0, "month field: 13 is out of range 1-12" },
	{ "* * * * 8",		0, "weekday field: 8 is out of range 0-7" },
	{ "1-60 * * * *",	0, "minute field: 60 is out of range 0-59" },
	{ "* 0024 * * *",	0, "hour field: 0024 is out of range 0-23" },
	{ "* 99999999999999999999 * * *", 0,
	    "hour field: 99999999999999999999 is out of range 0-23" },
	{ "* * * 1234567890123456789012345678901234567890 *", 0,
	    "month field: 12345678901234567890123456789012... "
	    "is out of range 1-12" },

	/* Reversed ranges. */
	{ "* * 10-5 * *",	0,
	    "day-of-month field: range 10-5 is reversed" },
	{ "* * * * fri-mon",	0, "weekday field: range fri-mon is reversed" },
	{ "* * * dec-jan *",	0, "month field: range dec-jan is reversed" },
	{ "* * * * 5-0",	0, "weekday field: range 5-0 is reversed" },
	{ "30-29 * * * *",	0, "minute field: range 30-29 is reversed" },

	/* Names. */
	{ "* * * * xyz",	0, "weekday field: unknown name \"xyz\"" },
	{ "* * * january *",	0, "month field: unknown name \"january\"" },
	{ "* * * * monday",	0, "weekday field: unknown name \"monday\"" },
	{ "* * * * L",		0, "weekday field: unknown name \"L\"" },
	{ "* * * * jan",	0, "weekday field: unknown name \"jan\"" },
	{ "* * * mon *",	0, "month field: unknown name \"mon\"" },
	{ "* mon * * *",	0, "hour field: \"mon\" is not a number" },
	{ "* * jan * *",	0,
	    "day-of-month field: \"jan\" is not a number" },

	/* Steps. */
	{ "*/0 * * * *",	0, "minute field: bad step \"0\"" },
	{ "*/ * * * *",		0, "minute field: bad step \"\"" },
	{ "*/x * * * *",	0, "minute field: bad step \"x\"" },
	{ "*/1a * * * *",	0, "minute field: bad step \"1a\"" },
	{ "*/60 * * * *",	0, "minute field: bad step \"60\" (must be 1-59)" },
	{ "* */24 * * *",	0, "hour field: bad step \"24\" (must be 1-23)" },
	{ "* * * * */8",	0, "weekday field: bad step \"8\" (must be 1-7)" },
	{ "1-2/3/4 * * * *",	0, "minute field: bad step \"3/4\"" },
	{ "*/99999999999999999999 * * * *", 0,
	    "minute field: bad step \"99999999999999999999\"" },
	{ "* * * 1-12/-1 *",	0, "month field: bad step \"-1\"" },

	/* Lists and syntax. */
	{ "1,,2 * * * *",	0, "minute field: empty list element in \"1,,2\"" },
	{ "1, * * * *",		0, "minute field: empty list element in \"1,\"" },
	{ "* ,1 * * *",		0, "hour field: empty list element in \",1\"" },
	{ "* * * * ,",		0, "weekday field: empty list element" },
	{ "5x * * * *",		0, "minute field: bad number \"5x\"" },
	{ "1- * * * *",		0,
	    "minute field: missing value at the end of \"1-\"" },
	{ "-5 * * * *",		0, "minute field: unexpected \"-5\"" },
	{ "1-2-3 * * * *",	0, "minute field: unexpected \"-3\" in \"1-2-3\"" },
	{ "*-5 * * * *",	0, "minute field: unexpected \"-5\" in \"*-5\"" },
	{ "** * * * *",		0, "minute field: unexpected \"*\" in \"**\"" },
	{ "? * * * *",		0, "minute field: unexpected \"?\"" },
	{ "1\n * * * *",	0,
	    "minute field: unexpected \"\\x0a\" in \"1\\x0a\"" },
	{ "* * * * 1\"",	0,
	    "weekday field: unexpected \"\\\"\" in \"1\\\"\"" },
	{ "* * 1-3,5-x * *",	0, "day-of-month field: \"x\" is not a number" },
};

struct bits_case {
	const char	*spec;
	uint64_t	 minute;
	uint32_t	 hour;
	uint32_t	 mday;
	uint16_t	 month;
	uint8_t		 wday;
	uint8_t		 mday_star;
	uint8_t		 wday_star;
};

#define ALL_MIN		0x0fffffffffffffffULL	/* 0..59 */
#define ALL_HOUR	0x00ffffffU		/* 0..23 */
#define ALL_MDAY	0xfffffffeU		/* 1..31 */
#define ALL_MONTH	0x1ffe			/* 1..12 */
#define ALL_WDAY	0x7f			/* 0..6 */

static const struct bits_case bits_cases[] = {
	{ "* * * * *", ALL_MIN, ALL_HOUR, ALL_MDAY, ALL_MONTH, ALL_WDAY,
	    1, 1 },
	{ "*/15 * * * *", B(0) | B(15) | B(30) | B(45), ALL_HOUR, ALL_MDAY,
	    ALL_MONTH, ALL_WDAY, 1, 1 },
	{ "5/20 0,12 1-31/10 jan-dec/3 mon-fri",
	    B(5) | B(25) | B(45), B(0) | B(12), B(1) | B(11) | B(21) | B(31),
	    B(1) | B(4) | B(7) | B(10), 0x3e, 0, 0 },
	{ "59 23 31 12 7", B(59), B(23), B(31), B(12), B(0), 0, 0 },
	{ "0 0 * * 0-7", B(0), B(0), ALL_MDAY, ALL_MONTH, ALL_WDAY, 1, 0 },
	{ "0 0 * * fri-sun", B(0), B(0), ALL_MDAY, ALL_MONTH,
	    B(5) | B(6) | B(0), 1, 0 },
	{ "0 0 * * */2", B(0), B(0), ALL_MDAY, ALL_MONTH,
	    B(0) | B(2) | B(4) | B(6), 1, 0 },
	{ "0 0 */2 * *", B(0), B(0), 0xaaaaaaaaU, ALL_MONTH, ALL_WDAY, 0, 1 },
	{ "0 0 * * 5/1", B(0), B(0), ALL_MDAY, ALL_MONTH, B(5) | B(6), 1, 0 },
	{ "0 0 * * 7/1", B(0), B(0), ALL_MDAY, ALL_MONTH, B(0), 1, 0 },
	{ "0 0 * * SAT,sun", B(0), B(0), ALL_MDAY, ALL_MONTH,
	    B(6) | B(0), 1, 0 },
	{ "0-59/30 0-23/12 * FEB,mar *", B(0) | B(30), B(0) | B(12),
	    ALL_MDAY, B(2) | B(3), ALL_WDAY, 1, 1 },
	{ "00 007 01 01 00", B(0), B(7), B(1), B(1), B(0), 0, 0 },
	{ "1,1,1-2 * 31,1 * 6,6", B(1) | B(2), ALL_HOUR, B(1) | B(31),
	    ALL_MONTH, B(6), 0, 0 },
	{ "*/59 */23 */30 */11 */7", B(0) | B(59), B(0) | B(23),
	    B(1) | B(31), B(1) | B(12), B(0), 0, 0 },
	{ "* * *,* * *,*", ALL_MIN, ALL_HOUR, ALL_MDAY, ALL_MONTH, ALL_WDAY,
	    0, 0 },
};

struct match_case {
	const char	*spec;
	int		 min, hour, mday, mon, wday;	/* tm_mon 0-based */
	int		 match;
};

static const struct match_case match_cases[] = {
	/* Minute and hour. */
	{ "30 9 * * *",			30,  9, 14,  5, 5, 1 },
	{ "30 9 * * *",			31,  9, 14,  5, 5, 0 },
	{ "30 9 * * *",			30, 10, 14,  5, 5, 0 },
	{ "0,15,30,45 * * * *",		45,  3,  1,  0, 1, 1 },
	{ "0,15,30,45 * * * *",		44,  3,  1,  0, 1, 0 },
	{ "*/15 * * * *",		 0,  0,  1,  0, 1, 1 },
	{ "*/15 * * * *",		59,  0,  1,  0, 1, 0 },
	{ "5/20 * * * *",		45,  0,  1,  0, 1, 1 },
	{ "5/20 * * * *",		 0,  0,  1,  0, 1, 0 },

	/* Working hours; 2024-06-14 is a Friday, 2024-06-15 a Saturday. */
	{ "* 9-17 * * mon-fri",		 0, 12, 14,  5, 5, 1 },
	{ "* 9-17 * * mon-fri",		 0, 12, 15,  5, 6, 0 },
	{ "* 9-17 * * mon-fri",		 0, 18, 14,  5, 5, 0 },
	{ "* 9-17 * * mon-fri",		59, 17, 14,  5, 5, 1 },
	{ "* 9-17 * * mon-fri",		59,  8, 14,  5, 5, 0 },
	{ "* 9-17 * * MON-FRI",		 0,  9,  1,  0, 1, 1 },	/* 2024-01-01 */

	/* Both day fields restricted: either matches. */
	{ "0 0 13 * 5",			 0,  0, 13,  8, 5, 1 },	/* 2024-09-13 */
	{ "0 0 13 * 5",			 0,  0, 14,  5, 5, 1 },	/* 2024-06-14 */
	{ "0 0 13 * 5",			 0,  0, 13,  6, 6, 1 },	/* 2024-07-13 */
	{ "0 0 13 * 5",			 0,  0, 15,  5, 6, 0 },	/* 2024-06-15 */
	{ "0 0 */2 * 5",		 0,  0, 14,  5, 5, 1 },	/* 2024-06-14 */
	{ "0 0 */2 * 5",		 0,  0,  7,  8, 6, 1 },	/* 2024-09-07 */
	{ "0 0 */2 * 5",		 0,  0,  8,  8, 0, 0 },	/* 2024-09-08 */
	{ "0 0 1-31 * 5",		 0,  0,  8,  8, 0, 1 },	/* 2024-09-08 */
	/* Only one restricted: that one decides. */
	{ "0 0 13 * *",			 0,  0, 14,  5, 5, 0 },	/* 2024-06-14 */
	{ "0 0 13 * *",			 0,  0, 13,  6, 6, 1 },	/* 2024-07-13 */
	{ "0 0 * * 5",			 0,  0, 13,  6, 6, 0 },	/* 2024-07-13 */
	{ "0 0 * * 5",			 0,  0, 14,  5, 5, 1 },	/* 2024-06-14 */
	{ "0 0 * * */2",		 0,  0, 14,  5, 5, 0 },	/* 2024-06-14 */
	{ "0 0 * * */2",		 0,  0, 15,  5, 6, 1 },	/* 2024-06-15 */

	/* Sunday as 0, 7 and names; 2024-03-31 is a Sunday. */
	{ "0 0 * * 7",			 0,  0, 31,  2, 0, 1 },
	{ "0 0 * * 0",			 0,  0, 31,  2, 0, 1 },
	{ "0 0 * * 7",			 0,  0,  1,  0, 1, 0 },
	{ "0 0 * * 6-7",		 0,  0, 31,  2, 0, 1 },
	{ "0 0 * * 6-7",		 0,  0, 15,  5, 6, 1 },
	{ "0 0 * * 6-7",		 0,  0, 14,  5, 5, 0 },
	{ "0 0 * * fri-sun",		 0,  0, 31,  2, 0, 1 },
	{ "0 0 * * fri-sun",		 0,  0, 15,  5, 6, 1 },
	{ "0 0 * * fri-sun",		 0,  0,  1,  0, 1, 0 },
	{ "0 0 * * Sun",		 0,  0, 31,  2, 0, 1 },

	/* Months: tm_mon counts from 0. */
	{ "0 0 * dec *",		 0,  0, 31, 11, 2, 1 },	/* 2024-12-31 */
	{ "0 0 * dec *",		 0,  0, 31,  0, 3, 0 },	/* 2024-01-31 */
	{ "0 0 * jan *",		 0,  0, 31,  0, 3, 1 },
	{ "0 0 * 1 *",			 0,  0, 31,  0, 3, 1 },
	{ "0 0 * 1 *",			 0,  0, 29,  1, 4, 0 },	/* 2024-02-29 */
	{ "0 0 * 12 *",			 0,  0, 30, 10, 6, 0 },	/* 2024-11-30 */
	{ "0 0 29 feb *",		 0,  0, 29,  1, 4, 1 },
	{ "0 0 * jun-aug/2 *",		 0,  0, 14,  5, 5, 1 },
	{ "0 0 * jun-aug/2 *",		 0,  0, 13,  6, 6, 0 },

	/* Upper boundaries; 2024-12-31 is a Tuesday. */
	{ "59 23 31 12 *",		59, 23, 31, 11, 2, 1 },
	{ "59 23 31 12 *",		58, 23, 31, 11, 2, 0 },
	{ "59 23 31 12 *",		59, 22, 31, 11, 2, 0 },
	{ "59 23 31 12 *",		59, 23, 30, 11, 1, 0 },
	{ "59 23 31 12 *",		59, 23, 31,  9, 4, 0 },	/* 2024-10-31 */
	/* Lower boundaries. */
	{ "0 0 1 1 *",			 0,  0,  1,  0, 1, 1 },
	{ "0 0 1 1 *",			 1,  0,  1,  0, 1, 0 },
};

/* check_parse - every parse_cases entry is accepted or refused as listed */
static void
check_parse(void **state)
{
	struct cron_window	w;
	char			why[256];
	size_t			i;
	int			rc;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		memset(why, 'Z', sizeof(why));
		rc = cron_parse(&w, c->spec, why, sizeof(why));
		if (c->ok) {
			if (rc != 0)
				fail_msg("\"%s\": refused: %s", c->spec, why);
			assert_string_equal(why, "");
		} else {
			if (rc != -1)
				fail_msg("\"%s\": accepted", c->spec);
			if (strstr(why, c->msg) == NULL)
				fail_msg("\"%s\": got \"%s\", want \"%s\"",
				    c->spec, why, c->msg);
		}
	}
}

/* check_bits - specs produce the hand-computed bit sets and star flags */
static void
check_bits(void **state)
{
	struct cron_window	w;
	char			why[256];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(bits_cases) / sizeof(bits_cases[0]); i++) {
		const struct bits_case *c = &bits_cases[i];

		memset(&w, 0xa5, sizeof(w));
		if (cron_parse(&w, c->spec, why, sizeof(why)) != 0)
			fail_msg("\"%s\": refused: %s", c->spec, why);
		if (w.minute != c->minute || w.hour != c->hour ||
		    w.mday != c->mday || w.month != c->month ||
		    w.wday != c->wday || w.mday_star != c->mday_star ||
		    w.wday_star != c->wday_star)
			fail_msg("\"%s\": got min %#llx hour %#x mday %#x "
			    "month %#x wday %#x stars %d,%d", c->spec,
			    (unsigned long long)w.minute, w.hour, w.mday,
			    w.month, w.wday, w.mday_star, w.wday_star);
	}
}

/* check_match - cron_match answers as listed for each time */
static void
check_match(void **state)
{
	struct cron_window	w;
	struct tm		tm;
	char			why[256];
	size_t			i;
	int			got;

	(void)state;
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];

		if (cron_parse(&w, c->spec, why, sizeof(why)) != 0)
			fail_msg("\"%s\": refused: %s", c->spec, why);
		memset(&tm, 0, sizeof(tm));
		tm.tm_min = c->min;
		tm.tm_hour = c->hour;
		tm.tm_mday = c->mday;
		tm.tm_mon = c->mon;
		tm.tm_wday = c->wday;
		tm.tm_year = 124;
		got = cron_match(&w, &tm);
		if (got != c->match)
			fail_msg("\"%s\" at %02d:%02d mday %d mon %d wday %d: "
			    "got %d, want %d", c->spec, c->min, c->hour,
			    c->mday, c->mon, c->wday, got, c->match);
	}
}

/* check_star_matches_all - "* * * * *" matches every valid time */
static void
check_star_matches_all(void **state)
{
	struct cron_window	w;
	struct tm		tm;
	char			why[256];
	int			min, hour, mday, mon, wday;

	(void)state;
	assert_int_equal(cron_parse(&w, "* * * * *", why, sizeof(why)), 0);
	memset(&tm, 0, sizeof(tm));
	for (min = 0; min < 60; min++)
	for (hour = 0; hour < 24; hour++)
	for (mday = 1; mday <= 31; mday++)
	for (mon = 0; mon < 12; mon++)
	for (wday = 0; wday < 7; wday++) {
		tm.tm_min = min;
		tm.tm_hour = hour;
		tm.tm_mday = mday;
		tm.tm_mon = mon;
		tm.tm_wday = wday;
		if (cron_match(&w, &tm) != 1)
			fail_msg("no match at %d %d %d %d %d",
			    min, hour, mday, mon, wday);
	}
}

/* check_bad_tm - a time with out-of-range fields never matches */
static void
check_bad_tm(void **state)
{
	static const int bad[][5] = {
		/* min, hour, mday, mon, wday */
		{ 60,  0,  1,  0, 0 },
		{ -1,  0,  1,  0, 0 },
		{  0, 24,  1,  0, 0 },
		{  0, -1,  1,  0, 0 },
		{  0,  0,  0,  0, 0 },
		{  0,  0, 32,  0, 0 },
		{  0,  0,  1, 12, 0 },
		{  0,  0,  1, -1, 0 },
		{  0,  0,  1,  0, 7 },
		{  0,  0,  1,  0, -1 },
	};
	struct cron_window	w;
	struct tm		tm;
	char			why[256];
	size_t			i;

	(void)state;
	assert_int_equal(cron_parse(&w, "* * * * *", why, sizeof(why)), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_min = bad[i][0];
		tm.tm_hour = bad[i][1];
		tm.tm_mday = bad[i][2];
		tm.tm_mon = bad[i][3];
		tm.tm_wday = bad[i][4];
		if (cron_match(&w, &tm) != 0)
			fail_msg("bad time %zu matched", i);
	}
}

/* check_error_keeps_window - a refused spec leaves the window alone */
static void
check_error_keeps_window(void **state)
{
	struct cron_window	w, before;
	char			why[256];

	(void)state;
	memset(&w, 0x5a, sizeof(w));
	before = w;
	assert_int_equal(cron_parse(&w, "0 0 * * 9", why, sizeof(why)), -1);
	assert_memory_equal(&w, &before, sizeof(w));
	assert_int_equal(cron_parse(&w, "0 0 * *", why, sizeof(why)), -1);
	assert_memory_equal(&w, &before, sizeof(w));
}

/* check_small_why - messages are truncated to whylen and terminated */
static void
check_small_why(void **state)
{
	struct cron_window	w;
	char			buf[32];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(cron_parse(&w, "* 25 * * *", buf, 10), -1);
	assert_string_equal(buf, "hour fiel");
	assert_int_equal(buf[10], 'Z');

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(cron_parse(&w, "* 25 * * *", buf, 1), -1);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'Z');

	/* The field prefix alone fills the buffer. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(cron_parse(&w, "* * 0 * *", buf, 14), -1);
	assert_string_equal(buf, "day-of-month ");
	assert_int_equal(buf[14], 'Z');

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(cron_parse(&w, "1 2 3", buf, 12), -1);
	assert_string_equal(buf, "expected 5 ");
	assert_int_equal(buf[12], 'Z');

	assert_int_equal(cron_parse(&w, "* 25 * * *", NULL, 0), -1);
	assert_int_equal(cron_parse(&w, "* * * * *", NULL, 0), 0);
}

/* check_long_garbage - echoed text is shortened and made printable */
static void
check_long_garbage(void **state)
{
	struct cron_window	w;
	char			spec[1100], why[1024];
	size_t			i;

	(void)state;
	memcpy(spec, "* * * ", 6);
	for (i = 6; i < 1006; i++)
		spec[i] = 'x';
	memcpy(spec + 1006, " *", 3);
	assert_int_equal(cron_parse(&w, spec, why, sizeof(why)), -1);
	assert_string_equal(why, "month field: unknown name "
	    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");

	/* Control and high bytes come back escaped. */
	assert_int_equal(cron_parse(&w, "* * * \x01\xff *", why, sizeof(why)),
	    -1);
	assert_string_equal(why, "month field: unexpected \"\\x01\\xff\"");
	for (i = 0; why[i] != '\0'; i++)
		assert_true(why[i] >= 0x20 && why[i] < 0x7f);
}

/* check_null_spec - a missing spec is an error, not a crash */
static void
check_null_spec(void **state)
{
	struct cron_window	w;
	char			why[256];

	(void)state;
	assert_int_equal(cron_parse(&w, NULL, why, sizeof(why)), -1);
	assert_true(why[0] != '\0');
}

/* main - run the cron tests */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_parse),
		cmocka_unit_test(check_bits),
		cmocka_unit_test(check_match),
		cmocka_unit_test(check_star_matches_all),
		cmocka_unit_test(check_bad_tm),
		cmocka_unit_test(check_error_keeps_window),
		cmocka_unit_test(check_small_why),
		cmocka_unit_test(check_long_garbage),
		cmocka_unit_test(check_null_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
