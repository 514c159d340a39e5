/*
 * clock.h - the one clock of every sluice process
 *
 * Timeouts, deadlines, cool-downs and elapsed times use the monotonic
 * clock through these calls.  clock_ms is a pointer so that tests can
 * move time on their own (an injected clock); everything that waits on
 * a deadline reads it.
 */
#ifndef SLUICE_CLOCK_H
#define SLUICE_CLOCK_H

struct timespec;

/* clock_mono_ms, clock_mono_us - the monotonic clock */
long long	clock_mono_ms(void);
long long	clock_mono_us(void);
/* clock_mono_deadline - ts is ms milliseconds from now on the monotonic
 * clock (for pthread_cond_timedwait with a CLOCK_MONOTONIC condvar) */
void		clock_mono_deadline(struct timespec *ts, int ms);
/* clock_wall_s - seconds since the epoch (for names, not for timing) */
long long	clock_wall_s(void);
/* clock_wall_ms - the same in milliseconds */
long long	clock_wall_ms(void);
/* the clock for deadlines; clock_mono_ms unless a test replaced it */
extern long long	(*clock_ms)(void);

#endif
