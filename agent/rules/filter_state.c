/*
 * filter_state.c - instance slots and the error breaker of a filter
 *
 * SECURITY: no outside input; shared by all worker threads.
 * ERRORS: pthread failures are fatal (the process cannot work on).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "rules/filter_state.h"

struct filter_state {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 running;	/* runs holding a slot */
	int		 errors;	/* consecutive errors */
	int		 off;		/* switched off */
	int		 probing;	/* a trial run is under way */
	long long	 off_until_ms;
};

/* filter_state_new - a filter that is on, with no run */
struct filter_state *
filter_state_new(void)
{
	struct filter_state	*fs;
	pthread_condattr_t	 ca;

	fs = xcalloc(1, sizeof(*fs));
	if (pthread_mutex_init(&fs->mu, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&fs->cv, &ca) != 0)
		fatalx("filter state: pthread init failed");
	pthread_condattr_destroy(&ca);
	return fs;
}

/* filter_state_free - release the state */
void
filter_state_free(struct filter_state **fsp)
{
	if (*fsp == NULL)
		return;
	pthread_mutex_destroy(&(*fsp)->mu);
	pthread_cond_destroy(&(*fsp)->cv);
	free(*fsp);
	*fsp = NULL;
}

/* filter_state_acquire - take one of instances slots, waiting wait_ms */
int
filter_state_acquire(struct filter_state *fs, int instances, int wait_ms)
{
	struct timespec	ts;
	int		rc = 0;

	if (instances <= 0)
		return 0;
	clock_mono_deadline(&ts, wait_ms);
	pthread_mutex_lock(&fs->mu);
	while (fs->running >= instances && rc == 0)
		rc = pthread_cond_timedwait(&fs->cv, &fs->mu, &ts);
	if (fs->running < instances) {
		fs->running++;
		rc = 0;
	} else
		rc = -1;
	pthread_mutex_unlock(&fs->mu);
	return rc;
}

/* filter_state_release - give the slot back */
void
filter_state_release(struct filter_state *fs, int instances)
{
	if (instances <= 0)
		return;
	pthread_mutex_lock(&fs->mu);
	fs->running--;
	pthread_cond_signal(&fs->cv);
	pthread_mutex_unlock(&fs->mu);
}

/* filter_state_gate - is the filter on, off, or due for a trial? */
enum fs_gate
filter_state_gate(struct filter_state *fs, long long now_ms)
{
	enum fs_gate	g = FS_ON;

	pthread_mutex_lock(&fs->mu);
	if (fs->off) {
		if (!fs->probing && now_ms >= fs->off_until_ms) {
			fs->probing = 1;
			g = FS_PROBE;
		} else
			g = FS_OFF;
	}
	pthread_mutex_unlock(&fs->mu);
	return g;
}

/* filter_state_record - count a result; switch off or on */
enum fs_change
filter_state_record(struct filter_state *fs, enum fs_gate how, int error,
    int threshold, int cooldown_ms, long long now_ms)
{
	enum fs_change	ch = FS_NO_CHANGE;

	pthread_mutex_lock(&fs->mu);
	if (how == FS_PROBE) {
		fs->probing = 0;
		if (error) {
			fs->off_until_ms = now_ms + cooldown_ms;
			ch = FS_SWITCHED_OFF;
		} else {
			fs->off = 0;
			fs->errors = 0;
			ch = FS_SWITCHED_ON;
		}
	} else if (!error) {
		fs->errors = 0;
	} else if (++fs->errors >= threshold && threshold > 0 && !fs->off) {
		fs->off = 1;
		fs->off_until_ms = now_ms + cooldown_ms;
		ch = FS_SWITCHED_OFF;
	}
	pthread_mutex_unlock(&fs->mu);
	return ch;
}

/* filter_state_unprobe - give the trial run to a later message */
void
filter_state_unprobe(struct filter_state *fs)
{
	pthread_mutex_lock(&fs->mu);
	fs->probing = 0;
	pthread_mutex_unlock(&fs->mu);
}

/* filter_state_snapshot - a consistent view for reports */
void
filter_state_snapshot(struct filter_state *fs, int *running, int *errors,
    int *off, long long *off_until_ms)
{
	pthread_mutex_lock(&fs->mu);
	*running = fs->running;
	*errors = fs->errors;
	*off = fs->off;
	*off_until_ms = fs->off_until_ms;
	pthread_mutex_unlock(&fs->mu);
}
