/*
 * spawn.h - run one filter program and wait for it
 *
 * This is the launcher's core.  The child is started with vfork semantics
 * (the caller may be big and threaded), sets itself up with
 * async-signal-safe calls only: signals reset, its own session and process
 * group, rlimits, stdin from /dev/null, stdout/stderr to capture pipes,
 * every other descriptor closed, working directory, then execve with the
 * given argv and environment.  No shell is involved.
 *
 * The caller's thread waits (pidfd + poll, no SIGCHLD handler needed):
 * on timeout the whole process group gets SIGTERM, and SIGKILL after the
 * grace period.  When the program exits, whatever it left running in its
 * process group (a "sleep 1000 &") is killed too.  stdout and stderr are
 * captured up to a cap each; the rest is read and thrown away.
 */
#ifndef SLUICE_SPAWN_H
#define SLUICE_SPAWN_H

#include <sys/resource.h>
#include <sys/types.h>

#include <signal.h>
#include <stddef.h>

struct spawn_limits {
	rlim_t	cpu;		/* RLIMIT_CPU seconds; 0 = leave as is */
	rlim_t	as;		/* RLIMIT_AS bytes */
	rlim_t	fsize;		/* RLIMIT_FSIZE bytes */
	rlim_t	nofile;		/* RLIMIT_NOFILE */
	rlim_t	nproc;		/* RLIMIT_NPROC */
};

struct spawn_req {
	char *const		*argv;		/* argv[0] is the program path */
	char *const		*envp;
	const char		*cwd;		/* NULL = leave */
	struct spawn_limits	 limits;
	int			 timeout_ms;	/* 0 = none */
	int			 grace_ms;	/* SIGTERM -> SIGKILL */
	size_t			 capture_max;	/* per stream */
	/* when not NULL and set (by a signal handler): end the run now,
	 * with SIGKILL to its process group; SPAWN_FAILED, ECANCELED */
	const volatile sig_atomic_t *cancel;
	int			 sandbox;	/* enum sandbox_profile; 0 is
						   the default profile */
	uid_t			 uid;		/* the run's user and group */
	gid_t			 gid;		/* (SPAWN_SELF: the caller's) */
	/* the run's own directory, made by the caller (rundir.h): lent to
	 * the run's user, and under a profile the one place besides
	 * writable it may write (Landlock); NULL = none */
	const char		*rundir;
	char *const		*writable;	/* NULL-terminated, or NULL */
	/* names in rundir the run writes, handed back open (output_fd) */
	const char *const	*outputs;
	/* has_stdin: stdin_fd (the caller's, above 2) is the run's
	 * standard input instead of /dev/null, for a run that serves
	 * requests on it for long (a module host: a socket) */
	int			 has_stdin;
	int			 stdin_fd;
	/* has_watch: once watch_fd is readable (bytes or end of file) the
	 * run is ended as at its timeout, SIGTERM and SIGKILL after
	 * grace_ms: SPAWN_FAILED with ECANCELED */
	int			 has_watch;
	int			 watch_fd;
};

#define SPAWN_SELF		((uid_t)-1)
#define SPAWN_OUTPUTS_MAX	4

enum spawn_outcome {
	SPAWN_EXITED,		/* status = exit code */
	SPAWN_SIGNALED,		/* status = signal number */
	SPAWN_TIMEOUT,		/* killed by us after timeout_ms */
	SPAWN_EXEC_FAILED,	/* execve failed: status = errno */
	SPAWN_FAILED		/* could not start (fork, pipe): status = errno */
};

struct spawn_res {
	enum spawn_outcome	 outcome;
	int			 status;
	pid_t			 pid;
	long			 elapsed_us;
	struct rusage		 ru;
	char			*out;		/* NUL-terminated, may hold NULs */
	size_t			 outlen;
	int			 out_truncated;
	char			*err;
	size_t			 errlen;
	int			 err_truncated;
	/* per req->outputs: a descriptor (read-only, a regular file), or
	 * -1 with output_err (ENOENT: not written; EINVAL: not a regular
	 * file, a symlink say) */
	size_t			 noutputs;
	int			 output_fd[SPAWN_OUTPUTS_MAX];
	int			 output_err[SPAWN_OUTPUTS_MAX];
	int			 orphans;	/* left running, then killed */
	int			 left;		/* rundir could not be emptied */
	int			 cleared;	/* rundir holds only what
						   the caller put there */
};

/*
 * spawn_run - start req->argv and wait until it is over.  Returns 0 when
 * res describes what happened (any outcome), -1 only for a bad request.
 * From the first run (or spawn_sandbox_init) on, the process keeps a
 * descriptor of /dev/null open for its children's stdin, and each thread
 * that starts a child keeps a stack for its children.
 */
int	spawn_run(const struct spawn_req *req, struct spawn_res *res);
/*
 * spawn_sandbox_init - build the seccomp programs and take the Landlock
 * paths now, hiding the spool directory spool (NULL: nothing hidden);
 * spawn_run does it at its first run otherwise, with nothing hidden.  A
 * process that forks helpers calls it first, so they inherit them.  0,
 * or -1 with why; without them every run that asks for a profile fails
 * (SPAWN_FAILED, ENOSYS).
 */
int	spawn_sandbox_init(const char *spool, char *why, size_t whylen);
/*
 * spawn_sandbox_self - put the calling process (single-threaded: a
 * launcher's keeper) under seccomp profile for good; its runs under that
 * profile inherit it instead of installing their own, and runs under
 * another are refused (SPAWN_FAILED, EPERM).  0, or -1 with why.
 */
int	spawn_sandbox_self(int profile, char *why, size_t whylen);
/*
 * spawn_signals_settled - the calling process (single-threaded: a
 * keeper) will not change a signal's disposition again; its children
 * then reset to SIG_DFL only the signals that are not SIG_DFL now, not
 * every signal there is.
 */
void	spawn_signals_settled(void);
/* spawn_res_free - the captured output and the output descriptors */
void	spawn_res_free(struct spawn_res *);
/*
 * spawn_reap_orphans - for a child subreaper (PR_SET_CHILD_SUBREAPER)
 * that runs one program at a time, after spawn_run: kill and reap every
 * process the run left behind, those in sessions of their own included
 * (they were reparented to us when their parents ended).  Does nothing
 * in a process that is not a subreaper.  Reaps with waitpid(-1): never
 * for a process with other children of its own.  Returns how many it
 * reaped.
 */
int	spawn_reap_orphans(void);
/* spawn_describe - "exit=1", "signal=9 (Killed)", "timeout after 5000ms",
 * "exec failed: No such file or directory" */
void	spawn_describe(const struct spawn_res *, char *, size_t);

#endif
