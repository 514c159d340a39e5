/*
 * NAME
 *	fuzz_cron.c - libFuzzer target for cron_parse() and cron_match()
 *
 * DESCRIPTION
 *	The input, cut at its first NUL, is parsed as a time window.  A
 *	window that parses is matched against a few fixed times.  Beyond
 *	the sanitizers, the target traps when a bit set holds a value
 *	outside its field or when an error message is empty, unterminated
 *	or not printable, since either would be a bug in the parser.
 *
 * SECURITY
 *	Test code only.  The input is copied into a buffer of exactly its
 *	length plus a NUL, so a read past the terminator is caught by
 *	ASan.
 *
 * ERRORS
 *	None are returned; a broken invariant aborts the run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/xmalloc.h"
#include "rules/cron.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Fixed times: min, hour, mday, mon (0-based), wday. */
static const int times[][5] = {
	{  0,  0,  1,  0, 1 },	/* 2024-01-01 00:00, Monday */
	{ 59, 23, 31, 11, 2 },	/* 2024-12-31 23:59, Tuesday */
	{ 30, 12, 29,  1, 4 },	/* 2024-02-29 12:30, Thursday */
	{ 15,  9, 31,  2, 0 },	/* 2024-03-31 09:15, Sunday */
	{ 45, 17, 13,  8, 5 },	/* 2024-09-13 17:45, Friday */
};

/* check_window - the bit sets hold only values their fields allow */
static void
check_window(const struct cron_window *w)
{
	if ((w->minute >> 60) != 0 || (w->hour >> 24) != 0 ||
	    (w->mday & 1) != 0 || (w->month & ~0x1ffeU) != 0 ||
	    (w->wday & 0x80) != 0)
		abort();
	if (w->minute == 0 || w->hour == 0 || w->mday == 0 ||
	    w->month == 0 || w->wday == 0)
		abort();
	if (w->mday_star > 1 || w->wday_star > 1)
		abort();
}

/* check_why - an error message is non-empty, terminated and printable */
static void
check_why(const char *why, size_t whylen)
{
	size_t	i;

	for (i = 0; i < whylen && why[i] != '\0'; i++)
		if ((unsigned char)why[i] < 0x20 ||
		    (unsigned char)why[i] >= 0x7f)
			abort();
	if (i == 0 || i == whylen)
		abort();
}

/* LLVMFuzzerTestOneInput - parse one input and match the result */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cron_window	 w;
	struct tm		 tm;
	char			*spec, why[160];
	size_t			 i;
	volatile int		 hits;

	spec = xmalloc(size + 1);
	if (size > 0)
		memcpy(spec, data, size);
	spec[size] = '\0';

	if (cron_parse(&w, spec, why, sizeof(why)) == 0) {
		check_window(&w);
		hits = 0;
		for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			memset(&tm, 0, sizeof(tm));
			tm.tm_min = times[i][0];
			tm.tm_hour = times[i][1];
			tm.tm_mday = times[i][2];
			tm.tm_mon = times[i][3];
			tm.tm_wday = times[i][4];
			tm.tm_year = 124;
			hits += cron_match(&w, &tm);
		}
		(void)hits;
	} else
		check_why(why, sizeof(why));

	free(spec);
	return 0;
}
