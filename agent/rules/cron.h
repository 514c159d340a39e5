/*
 * cron.h - time windows in cron syntax
 *
 * "minute hour day-of-month month day-of-week", each field "*", a number,
 * a range "a-b", a step "*\/n" or "a-b/n", or a comma list of those.
 * Month 1-12 (or jan..dec), weekday 0-7 (0 and 7 are Sunday, or sun..sat).
 * As in cron(8): when both day fields are restricted, a day matches if
 * either matches.  Pure: no clock is read here.
 */
#ifndef SLUICE_CRON_H
#define SLUICE_CRON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cron_window {
	uint64_t	minute;		/* bit 0..59 */
	uint32_t	hour;		/* bit 0..23 */
	uint32_t	mday;		/* bit 1..31 */
	uint16_t	month;		/* bit 1..12 */
	uint8_t		wday;		/* bit 0..6, Sunday = 0 */
	uint8_t		mday_star;	/* day-of-month field was "*" */
	uint8_t		wday_star;	/* day-of-week field was "*" */
};

/*
 * cron_parse - parse spec into w; on error return -1 and put a message
 * such as "hour field: 25 is out of range 0-23" into why.
 */
int	cron_parse(struct cron_window *w, const char *spec, char *why,
	    size_t whylen);
/* cron_match - 1 if the broken-down local time tm is inside the window */
int	cron_match(const struct cron_window *w, const struct tm *tm);

#endif
