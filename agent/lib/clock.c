/*
 * clock.c - the monotonic and the wall clock
 *
 * SECURITY: none; reads the kernel's clocks.
 * ERRORS: none (clock_gettime cannot fail for these clocks).
 */
#include <time.h>

#include "lib/clock.h"

/* clock_mono_ms - monotonic milliseconds */
long long
clock_mono_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* clock_mono_us - monotonic microseconds */
long long
clock_mono_us(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* clock_mono_deadline - a monotonic point ms from now */
void
clock_mono_deadline(struct timespec *ts, int ms)
{
	(void)clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* clock_wall_s - seconds since the epoch */
long long
clock_wall_s(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec;
}

/* clock_wall_ms - milliseconds since the epoch */
long long
clock_wall_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long	(*clock_ms)(void) = clock_mono_ms;
