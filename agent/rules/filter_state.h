/*
 * filter_state.h - what a filter's runs share across messages
 *
 * Instance slots (instances = N: at most N copies at once across the
 * whole process) and the error breaker: after error_threshold errors in
 * a row the filter is switched off for error_cooldown; then one message
 * tries it again (half-open), and its result switches the filter back on
 * or off for another cool-down.  The operator may also switch a filter
 * off until switched on again (sluicectl disable / enable), or clear
 * its breaker (sluicectl reset).  And what the control socket reports:
 * runs, verdicts and errors by kind, run times.  The counters only ever
 * grow, as metrics want.
 *
 * The state is refcounted: a reload hands the state of a filter whose
 * definition did not change to the new snapshot, so its breaker, its
 * slots and its figures go on.  Thread-safe.  Times are milliseconds of
 * a monotonic clock supplied by the caller, so tests can drive it.
 */
#ifndef SLUICE_FILTER_STATE_H
#define SLUICE_FILTER_STATE_H

#include <stdint.h>

#include "mail/verdict.h"

enum fs_gate {
	FS_ON,		/* run it */
	FS_OFF,		/* switched off by its errors: apply when_off */
	FS_PROBE,	/* cool-down over: this run is the trial */
	FS_DISABLED	/* switched off by the operator: apply when_off */
};

enum fs_change {
	FS_NO_CHANGE,
	FS_SWITCHED_OFF,
	FS_SWITCHED_ON
};

/* the kinds of a filter's errors */
enum fs_error {
	FE_TIMEOUT,	/* ran past its timeout */
	FE_SIGNAL,	/* killed by a signal (a crash, a limit, seccomp) */
	FE_EXEC,	/* could not be executed */
	FE_EXIT,	/* an exit code (or module return) no rule maps */
	FE_OUTPUT,	/* a bad result file, directive or replacement */
	FE_FAILED,	/* a module said it failed */
	FE_COUNT
};

/* run time histogram: FS_HIST_SUB buckets per power of two of us */
#define FS_HIST_SUB	4
#define FS_HIST_N	(40 * FS_HIST_SUB)

/* upper bounds (ms) of the buckets metrics show; +Inf follows */
#define FS_BUCKETS_MS	{ 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, \
			  2500, 5000, 10000, 30000, 60000 }
#define FS_NBUCKETS	15

/* a consistent copy of everything, for reports */
struct fs_view {
	int		 running;	/* runs under way */
	int		 waiting;	/* waiting for an instance slot */
	int		 errors;	/* consecutive errors */
	int		 off;		/* switched off by its errors */
	int		 probing;	/* a trial run is under way */
	int		 disabled;	/* switched off by the operator */
	long long	 off_until_ms;	/* when off: the end of the cool-down */
	uint64_t	 runs;		/* finished runs, errors included */
	uint64_t	 verdicts[V_COUNT]; /* V_ERROR: runs that failed */
	uint64_t	 errkind[FE_COUNT];
	uint64_t	 skipped;	/* not run: switched off */
	uint64_t	 no_slot;	/* not run: no instance slot in time */
	uint64_t	 internal;	/* not counted: sluice's failure */
	uint64_t	 switched_off;	/* times the breaker opened */
	uint64_t	 sum_us;	/* total run time */
	uint64_t	 hist[FS_HIST_N];
	uint64_t	 buckets[FS_NBUCKETS];	/* not cumulative */
};

struct filter_state;

struct filter_state	*filter_state_new(void);
/* filter_state_ref - one more holder (a newer snapshot) */
struct filter_state	*filter_state_ref(struct filter_state *);
/* filter_state_free - drop a holder's reference; freed with the last */
void			 filter_state_free(struct filter_state **);
/* filter_state_acquire - wait up to wait_ms for a slot when instances > 0;
 * 0 when the caller holds one, -1 when the wait ran out */
int			 filter_state_acquire(struct filter_state *,
			    int instances, int wait_ms);
void			 filter_state_release(struct filter_state *,
			    int instances);
enum fs_gate		 filter_state_gate(struct filter_state *,
			    long long now_ms);
/* filter_state_record - count a run's result (error or not) */
enum fs_change		 filter_state_record(struct filter_state *,
			    enum fs_gate how, int error, int threshold,
			    int cooldown_ms, long long now_ms);
/* filter_state_unprobe - the trial did not happen (no slot, or our own
 * failure): let the next message try */
void			 filter_state_unprobe(struct filter_state *);
/* filter_state_count - the figures of one finished run: its verdict
 * (V_ERROR with the error's kind) and how long it took */
void			 filter_state_count(struct filter_state *,
			    enum verdict, enum fs_error, long long us);
/* filter_state_not_run - a message the filter did not run for */
void			 filter_state_not_run(struct filter_state *,
			    enum fs_gate why, int no_slot, int internal);
/* filter_state_disable - the operator's switch: 1 off, 0 on */
void			 filter_state_disable(struct filter_state *, int);
/* filter_state_reset - clear the breaker: on, no errors in a row */
void			 filter_state_reset(struct filter_state *);
void			 filter_state_view(struct filter_state *,
			    struct fs_view *);
/* fs_percentile_us - the run time under which p percent of the runs
 * ended (an upper bound, within a fifth), 0 with no run */
long long		 fs_percentile_us(const struct fs_view *, double p);
/* fs_error_name - "timeout", "signal", ... */
const char		*fs_error_name(enum fs_error);

#endif
