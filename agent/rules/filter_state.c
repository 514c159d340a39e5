/*
 * filter_state.c - instance slots, the error breaker and the figures of
 * a filter
 *
 * SECURITY: no outside input; shared by all worker threads.
 * ERRORS: pthread failures are fatal (the process cannot work on).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "rules/filter_state.h"

struct filter_state {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 refs;
	struct fs_view	 v;
};

static const long long	bucket_ms[FS_NBUCKETS] = FS_BUCKETS_MS;

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
	fs->refs = 1;
	return fs;
}

/* filter_state_ref - one more holder */
struct filter_state *
filter_state_ref(struct filter_state *fs)
{
	pthread_mutex_lock(&fs->mu);
	fs->refs++;
	pthread_mutex_unlock(&fs->mu);
	return fs;
}

/* filter_state_free - drop a reference, free with the last */
void
filter_state_free(struct filter_state **fsp)
{
	struct filter_state	*fs = *fsp;
	int			 last;

	if (fs == NULL)
		return;
	*fsp = NULL;
	pthread_mutex_lock(&fs->mu);
	last = --fs->refs == 0;
	pthread_mutex_unlock(&fs->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&fs->mu);
	pthread_cond_destroy(&fs->cv);
	free(fs);
}

/* filter_state_acquire - take one of instances slots, waiting wait_ms */
int
filter_state_acquire(struct filter_state *fs, int instances, int wait_ms)
{
	struct timespec	ts;
	int		rc = 0;

	pthread_mutex_lock(&fs->mu);
	if (instances <= 0) {
		fs->v.running++;
		pthread_mutex_unlock(&fs->mu);
		return 0;
	}
	clock_mono_deadline(&ts, wait_ms);
	fs->v.waiting++;
	while (fs->v.running >= instances && rc == 0)
		rc = pthread_cond_timedwait(&fs->cv, &fs->mu, &ts);
	fs->v.waiting--;
	if (fs->v.running < instances) {
		fs->v.running++;
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
	pthread_mutex_lock(&fs->mu);
	fs->v.running--;
	if (instances > 0)
		pthread_cond_signal(&fs->cv);
	pthread_mutex_unlock(&fs->mu);
}

/* filter_state_gate - is the filter on, off, or due for a trial? */
enum fs_gate
filter_state_gate(struct filter_state *fs, long long now_ms)
{
	enum fs_gate	g = FS_ON;

	pthread_mutex_lock(&fs->mu);
	if (fs->v.disabled)
		g = FS_DISABLED;
	else if (fs->v.off) {
		if (!fs->v.probing && now_ms >= fs->v.off_until_ms) {
			fs->v.probing = 1;
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
		fs->v.probing = 0;
		if (!fs->v.off)
			;	/* reset while the trial ran */
		else if (error) {
			fs->v.off_until_ms = now_ms + cooldown_ms;
			fs->v.switched_off++;
			ch = FS_SWITCHED_OFF;
		} else {
			fs->v.off = 0;
			fs->v.errors = 0;
			ch = FS_SWITCHED_ON;
		}
	} else if (!error) {
		fs->v.errors = 0;
	} else if (++fs->v.errors >= threshold && threshold > 0 &&
	    !fs->v.off) {
		fs->v.off = 1;
		fs->v.off_until_ms = now_ms + cooldown_ms;
		fs->v.switched_off++;
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
	fs->v.probing = 0;
	pthread_mutex_unlock(&fs->mu);
}

/* hist_index - the fine bucket of a run time: FS_HIST_SUB per octave */
static int
hist_index(long long us)
{
	int	i;

	if (us < 1)
		return 0;
	i = (int)floor(log2((double)us) * FS_HIST_SUB) + 1;
	return i >= FS_HIST_N ? FS_HIST_N - 1 : i;
}

/* filter_state_count - one finished run */
void
filter_state_count(struct filter_state *fs, enum verdict v, enum fs_error e,
    long long us)
{
	int	i;

	if (us < 0)
		us = 0;
	pthread_mutex_lock(&fs->mu);
	fs->v.runs++;
	if ((int)v >= 0 && v < V_COUNT)
		fs->v.verdicts[v]++;
	if (v == V_ERROR && (int)e >= 0 && e < FE_COUNT)
		fs->v.errkind[e]++;
	fs->v.sum_us += (uint64_t)us;
	fs->v.hist[hist_index(us)]++;
	for (i = 0; i < FS_NBUCKETS && us > bucket_ms[i] * 1000; i++)
		;
	if (i < FS_NBUCKETS)
		fs->v.buckets[i]++;
	pthread_mutex_unlock(&fs->mu);
}

/* filter_state_not_run - a message that did not get a run */
void
filter_state_not_run(struct filter_state *fs, enum fs_gate why, int no_slot,
    int internal)
{
	pthread_mutex_lock(&fs->mu);
	if (why == FS_OFF || why == FS_DISABLED)
		fs->v.skipped++;
	if (no_slot)
		fs->v.no_slot++;
	if (internal)
		fs->v.internal++;
	pthread_mutex_unlock(&fs->mu);
}

/* filter_state_disable - the operator's switch */
void
filter_state_disable(struct filter_state *fs, int off)
{
	pthread_mutex_lock(&fs->mu);
	fs->v.disabled = off != 0;
	pthread_mutex_unlock(&fs->mu);
}

/* filter_state_reset - close the breaker */
void
filter_state_reset(struct filter_state *fs)
{
	pthread_mutex_lock(&fs->mu);
	fs->v.off = 0;
	fs->v.errors = 0;
	fs->v.off_until_ms = 0;
	pthread_mutex_unlock(&fs->mu);
}

/* filter_state_view - a consistent copy */
void
filter_state_view(struct filter_state *fs, struct fs_view *out)
{
	pthread_mutex_lock(&fs->mu);
	*out = fs->v;
	pthread_mutex_unlock(&fs->mu);
}

/* fs_percentile_us - from the fine histogram: the upper bound of the
 * bucket the p-th percentile falls in */
long long
fs_percentile_us(const struct fs_view *v, double p)
{
	uint64_t	n = 0, want, seen = 0;
	int		i;

	for (i = 0; i < FS_HIST_N; i++)
		n += v->hist[i];
	if (n == 0)
		return 0;
	want = (uint64_t)ceil((double)n * p / 100.0);
	if (want < 1)
		want = 1;
	for (i = 0; i < FS_HIST_N; i++) {
		seen += v->hist[i];
		if (seen >= want)
			break;
	}
	if (i == 0)
		return 1;
	return (long long)ceil(exp2((double)i / FS_HIST_SUB));
}

/* fs_error_name - the name of an error kind */
const char *
fs_error_name(enum fs_error e)
{
	static const char *const names[FE_COUNT] = {
		"timeout", "signal", "exec", "exit", "output", "failed"
	};

	return (int)e >= 0 && e < FE_COUNT ? names[e] : "?";
}
