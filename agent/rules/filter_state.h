/*
 * filter_state.h - what a filter's runs share across messages
 *
 * Instance slots (instances = N: at most N copies at once across the
 * whole process) and the error breaker: after error_threshold errors in
 * a row the filter is switched off for error_cooldown; then one message
 * tries it again (half-open), and its result switches the filter back on
 * or off for another cool-down.  Thread-safe.  Times are milliseconds of
 * a monotonic clock supplied by the caller, so tests can drive it.
 */
#ifndef SLUICE_FILTER_STATE_H
#define SLUICE_FILTER_STATE_H

enum fs_gate {
	FS_ON,		/* run it */
	FS_OFF,		/* switched off: apply when_off */
	FS_PROBE	/* cool-down over: this run is the trial */
};

enum fs_change {
	FS_NO_CHANGE,
	FS_SWITCHED_OFF,
	FS_SWITCHED_ON
};

struct filter_state;

struct filter_state	*filter_state_new(void);
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
/* filter_state_snapshot - for traces and the control socket */
void			 filter_state_snapshot(struct filter_state *,
			    int *running, int *errors, int *off,
			    long long *off_until_ms);

#endif
