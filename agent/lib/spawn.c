/*
 * spawn.c - start one filter program with vfork semantics and wait for it
 *
 * The child is made with clone(CLONE_VM | CLONE_VFORK): it borrows the
 * caller's memory until execve, so starting it costs the same whether the
 * caller holds 10 MiB or 1 GiB, and only the calling thread stops
 * meanwhile.  Because the child shares memory (and the calling thread's
 * TLS) with a process whose other threads keep running, it runs on its own
 * small stack and makes async-signal-safe system calls only: no malloc, no
 * locks, no stdio, no logging.  It reports a failure before or at execve
 * through a field of the parent's stack, which it shares.
 *
 * The parent thread then waits on a pidfd and the two capture pipes with
 * poll, so no SIGCHLD handler is involved and other threads' children are
 * never touched (no waitpid(-1)).
 *
 * SECURITY: runs untrusted programs with the caller's privileges; dropping
 * them is not this file's job.  Never calls a shell: argv goes to execve
 * as given, argv[0] must be an absolute path, and the environment is
 * exactly req->envp.  The program gets /dev/null and the two capture pipes
 * and no other descriptor.  Every descriptor made here is O_CLOEXEC from
 * the start, so a child that another thread starts at the same moment
 * cannot inherit it.  The program's output is untrusted bytes: stored up to
 * a cap, the rest read and thrown away, nothing interpreted here.  Kills
 * go to the program's process group, so what it leaves running in the
 * background dies with it; a grandchild that makes its own session
 * escapes that kill, and spawn_reap_orphans() in a subreaper (the
 * launcher's keepers, sluicectl try) ends it too.
 * The caller must neither set SIGCHLD to SIG_IGN nor reap with
 * waitpid(-1): either takes the exit status away (reported as SPAWN_FAILED
 * with ECHILD).
 * ERRORS: spawn_run returns -1 only for a malformed request.  Whatever
 * goes wrong while starting or waiting is described in the result
 * (SPAWN_FAILED or SPAWN_EXEC_FAILED with an errno); only allocation
 * failure is fatal (xmalloc).  Nothing is logged: the caller decides what
 * a failure means and logs it once.
 */
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <linux/seccomp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/rundir.h"
#include "lib/sandbox.h"
#include "lib/spawn.h"
#include "lib/why.h"
#include "lib/xmalloc.h"

/*
 * The child's stack.  Its code needs a few hundred bytes; the rest is
 * room for libc (and sanitizer interceptors in test builds).
 */
#define CHILD_STACK	(64 * 1024)
/* Bytes read per system call from a capture pipe. */
#define READ_CHUNK	16384
/*
 * After the program exited, at most this much is read from each pipe: a
 * grandchild outside the process group could otherwise keep us reading
 * forever.  It is more than the largest pipe buffer (pipe-max-size, 1 MiB
 * by default), so all the program itself wrote is still read.
 */
#define DRAIN_MAX	(2 * 1024 * 1024)

/*
 * The child runs on a stack the address sanitizer does not know and never
 * returns from its frames (it execs or exits), so instrumented frames would
 * leave poisoned shadow behind for memory that is unmapped and reused
 * later.  Everything the child runs of ours carries this attribute.
 */
#define CHILD_CODE	__attribute__((no_sanitize("address", "undefined")))

/* Where the child stopped, if it did not reach a successful execve. */
enum child_step {
	STEP_NONE,		/* execve succeeded (or the child was killed) */
	STEP_SETUP,		/* setsid, dup2, setrlimit or chdir failed */
	STEP_EXEC		/* execve failed */
};

/*
 * What the child needs, prepared by the parent (the child must not compute
 * anything that could allocate), and what it reports back.  It lives on
 * the parent's stack; the child sees it through the shared memory.
 */
struct child_arg {
	char *const		*argv;
	char *const		*envp;
	const char		*cwd;
	struct spawn_limits	 limits;
	const struct sock_fprog	*seccomp;	/* NULL: none */
	int			 landlock;	/* ruleset, or -1: none */
	int			 switch_ids;	/* become uid:gid */
	uint64_t		 bounding;	/* capabilities to drop from
						   the bounding set */
	const sigset_t		*reset;		/* the signals to reset; NULL:
						   all */
	uid_t			 uid;
	gid_t			 gid;
	int			 fd_in;
	int			 fd_out;
	int			 fd_err;
	sigset_t		 nomask;
	struct sigaction	 dfl;
	volatile int		 step;
	volatile int		 err;
};

/* One capture pipe, read end, and what was kept of it. */
struct capture {
	int		fd;		/* -1 once closed */
	size_t		max;
	int		truncated;
	struct buf	b;
};

enum kill_state { RUNNING, TERMED, KILLED };

/* the seccomp programs, built once per process (before its forks) */
static struct sandbox_set	sandboxes;
static pthread_once_t		sandbox_once = PTHREAD_ONCE_INIT;
static int			sandbox_ok;
static char			sandbox_why[256];
static const char		*sandbox_hide;
static int			 self_profile = -1;	/* installed here */

/* sandbox_once_build - for pthread_once */
static void
sandbox_once_build(void)
{
	sandbox_ok = sandbox_build(&sandboxes, sandbox_why,
	    sizeof(sandbox_why)) == 0 &&
	    sandbox_fs_init(sandbox_hide, sandbox_why,
	    sizeof(sandbox_why)) == 0;
}

/* spawn_sandbox_self - see spawn.h */
int
spawn_sandbox_self(int profile, char *why, size_t whylen)
{
	(void)pthread_once(&sandbox_once, sandbox_once_build);
	if (profile < 0 || profile >= SANDBOX_NPROFILES) {
		why_set(why, whylen, "no sandbox profile %d", profile);
		return -1;
	}
	if (profile != SANDBOX_NONE) {
		if (!sandbox_ok) {
			why_set(why, whylen, "%s", sandbox_why);
			return -1;
		}
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
		    &sandboxes.prog[profile]) != 0) {
			why_set(why, whylen, "installing the seccomp profile "
			    "\"%s\": %s", sandbox_name(profile),
			    strerror(errno));
			return -1;
		}
	}
	self_profile = profile;
	return 0;
}

/*
 * The bounding set as it was at the first run: it can only shrink, so a
 * child that drops what was in it then drops all that is left (a dozen
 * system calls instead of 64, each through the keeper's seccomp program).
 */
static pthread_once_t	bounding_once = PTHREAD_ONCE_INIT;
static uint64_t		bounding;

static void
bounding_read(void)
{
	int	c, r;

	for (c = 0; c < 64; c++) {
		if ((r = prctl(PR_CAPBSET_READ, c, 0, 0, 0)) < 0)
			break;		/* past the last capability */
		if (r == 1)
			bounding |= 1ULL << c;
	}
}

/* the signals that are not SIG_DFL, once spawn_signals_settled says
 * they stay so */
static sigset_t		settled_set;
static int		settled;

/* spawn_signals_settled - see spawn.h */
void
spawn_signals_settled(void)
{
	struct sigaction	sa;
	int			sig;

	sigemptyset(&settled_set);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* glibc answers nothing for its own two: reset them */
		if (sigaction(sig, NULL, &sa) != 0 ||
		    sa.sa_handler != SIG_DFL)
			sigaddset(&settled_set, sig);
	}
	settled = 1;
}

static int	dev_null(void);

/* spawn_sandbox_init - see spawn.h */
int
spawn_sandbox_init(const char *spool, char *why, size_t whylen)
{
	sandbox_hide = spool;
	(void)pthread_once(&sandbox_once, sandbox_once_build);
	/* the children's stdin, for the helpers to inherit too */
	(void)dev_null();
	if (!sandbox_ok) {
		why_set(why, whylen, "%s", sandbox_why);
		return -1;
	}
	return 0;
}

static char *const	noenv[] = { NULL };

static void	child_fail(struct child_arg *, int) __attribute__((noreturn));

/* child_fail - tell the parent which step failed and why, then exit */
static void CHILD_CODE
child_fail(struct child_arg *a, int step)
{
	a->err = errno;
	a->step = step;
	_exit(127);
}

/*
 * child_limit - lower (never raise above the current hard limit) one
 * resource limit, soft and hard, so the program cannot raise it back.
 * slack puts the hard limit that much above the soft one: for CPU time
 * the program then gets SIGXCPU, which says what happened, before the
 * SIGKILL.
 */
static int CHILD_CODE
child_limit(int resource, rlim_t want, rlim_t slack)
{
	struct rlimit	rl;
	rlim_t		hard;

	if (want == 0)
		return 0;
	if (getrlimit(resource, &rl) == -1)
		return -1;
	hard = rl.rlim_max;
	if (hard != RLIM_INFINITY && want > hard)
		want = hard;
	rl.rlim_cur = want;
	rl.rlim_max = want;
	if (slack > 0 && want != RLIM_INFINITY &&
	    (hard == RLIM_INFINITY || hard - want > slack))
		rl.rlim_max = want + slack;
	return setrlimit(resource, &rl);
}

/* child_limits - apply the request's resource limits */
static int CHILD_CODE
child_limits(const struct spawn_limits *l)
{
	if (child_limit(RLIMIT_CPU, l->cpu, 1) == -1 ||
	    child_limit(RLIMIT_AS, l->as, 0) == -1 ||
	    child_limit(RLIMIT_FSIZE, l->fsize, 0) == -1 ||
	    child_limit(RLIMIT_NOFILE, l->nofile, 0) == -1 ||
	    child_limit(RLIMIT_NPROC, l->nproc, 0) == -1)
		return -1;
	return 0;
}

/*
 * child_closefrom - close every descriptor above 2.  Kernels before 5.9
 * (or a seccomp filter) lack close_range; then close them one by one up to
 * the descriptor limit, which must not have been lowered yet.
 */
static void CHILD_CODE
child_closefrom(int keep)
{
	struct rlimit	rl;
	rlim_t		fd, max;

	if (keep < 3) {
		if (close_range(3, ~0U, 0) == 0)
			return;
	} else if ((keep == 3 || close_range(3, (unsigned)keep - 1, 0) == 0) &&
	    close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	max = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = rl.rlim_cur;
	for (fd = 3; fd < max && fd <= INT_MAX; fd++)
		if ((int)fd != keep)
			(void)close((int)fd);
}

/*
 * child_become - the run's own user and group, no other groups.  Raw
 * system calls: the C library's would ask every thread of the process
 * to change too, and ours are the parent's threads.  The bounding set
 * goes first, while we may still drop it (CAP_SETPCAP).
 */
static int CHILD_CODE
child_become(const struct child_arg *a)
{
	int	c;

	if (!a->switch_ids)
		return 0;
	for (c = 0; c < 64; c++)
		if (a->bounding & (1ULL << c))
			(void)prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	if (syscall(SYS_setgroups, 0, NULL) == -1 ||
	    syscall(SYS_setresgid, a->gid, a->gid, a->gid) == -1 ||
	    syscall(SYS_setresuid, a->uid, a->uid, a->uid) == -1)
		return -1;
	return 0;
}

/* child_nocaps - no capability left in any set */
static int CHILD_CODE
child_nocaps(void)
{
	struct __user_cap_header_struct	h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	d[2];

	memset(d, 0, sizeof(d));
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return (int)syscall(SYS_capset, &h, d);
}

/*
 * child_main - set the child up and exec the program.  Runs with every
 * signal blocked (the parent thread blocked them before clone), so no
 * handler of the parent can run here, on memory the parent still uses,
 * before the dispositions are back to default; and no call here can fail
 * with EINTR.
 */
/*
 * child_default_signal - SIG_DFL through rt_sigaction(2) itself; the
 * kernel's struct, which has no room for glibc's reservations
 */
static void CHILD_CODE
child_default_signal(int sig)
{
	struct {
		void		*handler;
		unsigned long	 flags;
		void		*restorer;
		uint64_t	 mask;
	} ka = { SIG_DFL, 0, NULL, 0 };

	(void)syscall(SYS_rt_sigaction, sig, &ka, NULL, sizeof(ka.mask));
}

static int CHILD_CODE
child_main(void *v)
{
	struct child_arg	*a = v;
	int			 sig;

	/*
	 * Reset ignored signals as well: a filter that inherits an ignored
	 * SIGPIPE or SIGTERM would not die the way it should, and execve
	 * keeps SIG_IGN.  glibc's sigaction() refuses its two internal
	 * real-time signals, which a parent may still have ignored, so
	 * those go to the kernel directly.
	 */
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP ||
		    (a->reset != NULL && !sigismember(a->reset, sig)))
			continue;
		if (sigaction(sig, &a->dfl, NULL) == -1)
			child_default_signal(sig);
	}

	/* Its own session and process group, so the kill reaches all. */
	if (setsid() == -1)
		child_fail(a, STEP_SETUP);

	/* The parent made sure the three are above 2, so dup2 clears CLOEXEC. */
	if (dup2(a->fd_in, STDIN_FILENO) == -1 ||
	    dup2(a->fd_out, STDOUT_FILENO) == -1 ||
	    dup2(a->fd_err, STDERR_FILENO) == -1)
		child_fail(a, STEP_SETUP);
	/* Before the limits: the fallback loop needs the old RLIMIT_NOFILE. */
	child_closefrom(a->landlock);

	/*
	 * The sandbox, in this order: limits; the run's user; no way to
	 * gain privileges through a set-id program (or file capabilities);
	 * no capability; files private to the run's user unless the
	 * program says otherwise; the file system rules; seccomp.
	 */
	if (child_limits(&a->limits) == -1)
		child_fail(a, STEP_SETUP);
	if (child_become(a) == -1)
		child_fail(a, STEP_SETUP);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		child_fail(a, STEP_SETUP);
	/* as a user of its own, nothing of ours; else (sluicectl, a
	 * sluiced not started as root) the caller's own rights */
	if (a->switch_ids && child_nocaps() == -1)
		child_fail(a, STEP_SETUP);
	(void)umask(077);
	if (a->cwd != NULL && chdir(a->cwd) == -1)
		child_fail(a, STEP_SETUP);
	if (a->landlock >= 0) {
		if (sandbox_fs_enter(a->landlock) == -1)
			child_fail(a, STEP_SETUP);
		(void)close(a->landlock);
	}
	/* last: from here on the filter's own rules apply to us too */
	if (a->seccomp != NULL &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, a->seccomp) == -1)
		child_fail(a, STEP_SETUP);

	(void)sigprocmask(SIG_SETMASK, &a->nomask, NULL);
	execve(a->argv[0], a->argv, a->envp);
	child_fail(a, STEP_EXEC);
}

/* ms_until - poll timeout in ms until the deadline, rounded up; -1 = none */
static int
ms_until(int64_t deadline)
{
	int64_t	d;

	if (deadline < 0)
		return -1;
	d = deadline - clock_mono_us();
	if (d <= 0)
		return 0;
	d = (d + 999) / 1000;
	return d > INT_MAX ? INT_MAX : (int)d;
}

/* close_fd - close a descriptor if open and mark it closed */
static void
close_fd(int *fdp)
{
	if (*fdp != -1) {
		(void)close(*fdp);
		*fdp = -1;
	}
}

/*
 * fd_high - move a descriptor above 2.  A caller with stdin, stdout or
 * stderr closed gets 0..2 from open or pipe; in the child dup2 onto the
 * same number would then keep FD_CLOEXEC, or clobber a pipe end not yet
 * duplicated.
 */
static int
fd_high(int *fdp)
{
	int	fd;

	if (*fdp > STDERR_FILENO)
		return 0;
	if ((fd = fcntl(*fdp, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) == -1)
		return -1;
	(void)close(*fdp);
	*fdp = fd;
	return 0;
}

/* capture_keep - keep what fits under the cap, note what did not */
static void
capture_keep(struct capture *c, const char *p, size_t n)
{
	size_t	room, take;

	room = c->max - c->b.len;
	take = n < room ? n : room;
	if (take > 0)
		(void)buf_append(&c->b, p, take);
	if (take < n)
		c->truncated = 1;
}

/*
 * capture_read - one read from a capture pipe.  Returns the bytes read,
 * 0 at end of file, -1 when nothing is there now.  The pipe is closed at
 * end of file and on a read error (there is nothing better to do with a
 * broken pipe than to stop reading it).
 */
static ssize_t
capture_read(struct capture *c)
{
	char	chunk[READ_CHUNK];
	ssize_t	n;

	if (c->fd == -1)
		return 0;
	do
		n = read(c->fd, chunk, sizeof(chunk));
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		capture_keep(c, chunk, (size_t)n);
		return n;
	}
	if (n == -1 && errno == EAGAIN)
		return -1;
	close_fd(&c->fd);
	return n == 0 ? 0 : -1;
}

/* capture_drain - read what is in the pipe now, at most DRAIN_MAX bytes */
static void
capture_drain(struct capture *c)
{
	size_t	total;
	ssize_t	n;

	for (total = 0; total < DRAIN_MAX; total += (size_t)n)
		if ((n = capture_read(c)) <= 0)
			break;
}

/* reap - collect the child's status and resource use */
static int
reap(pid_t pid, int *status, struct rusage *ru)
{
	while (wait4(pid, status, 0, ru) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/*
 * child_stack - this thread's stack for the children it starts, with a
 * guard page below it: made at its first start and kept, since
 * CLONE_VFORK holds the thread until its child has exec'd or exited, so
 * one stack serves every child the thread starts.  The address of its
 * top, or NULL with errno.
 */
static char *
child_stack(void)
{
	static __thread char	*stk;
	size_t			 pg;
	char			*p;

	if (stk != NULL)
		return stk;
	pg = (size_t)sysconf(_SC_PAGESIZE);
	p = mmap(NULL, CHILD_STACK + pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, pg, PROT_NONE) == -1) {
		int save = errno;

		(void)munmap(p, CHILD_STACK + pg);
		errno = save;
		return NULL;
	}
	stk = p + CHILD_STACK + pg;
	return stk;
}

/*
 * dev_null - a descriptor of /dev/null, read-only, above stderr, opened
 * once for every child's stdin (each child dup2s it to 0); -1 with errno
 * when it cannot be opened (tried again next time)
 */
static int
dev_null(void)
{
	static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
	static int		 nul = -1;
	int			 fd, save;

	(void)pthread_mutex_lock(&mu);
	if (nul == -1 &&
	    (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1) {
		if (fd_high(&fd) == 0)
			nul = fd;
		else
			close_fd(&fd);
	}
	fd = nul;
	save = errno;
	(void)pthread_mutex_unlock(&mu);
	errno = save;
	return fd;
}

/*
 * spawn_start - make the descriptors and start the child.  Returns its
 * pid, or -1 with errno when nothing was started.  On return the child
 * has either exec'd or exited (CLONE_VFORK), and a->step tells which.
 */
static pid_t
spawn_start(const struct spawn_req *req, struct child_arg *a,
    struct capture *cap, int landlock)
{
	sigset_t	 all, old;
	char		*stk;
	int		 nul, op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int		 save;
	pid_t		 pid = -1;

	if ((nul = dev_null()) == -1 || (stk = child_stack()) == NULL ||
	    pipe2(op, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1 ||
	    fd_high(&op[0]) == -1 || fd_high(&op[1]) == -1 ||
	    fd_high(&ep[0]) == -1 || fd_high(&ep[1]) == -1)
		goto out;
	/* Only the read ends: the program's stdout must stay blocking. */
	if (fcntl(op[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(ep[0], F_SETFL, O_NONBLOCK) == -1)
		goto out;

	memset(a, 0, sizeof(*a));
	a->argv = req->argv;
	a->envp = req->envp != NULL ? req->envp : noenv;
	a->cwd = req->cwd;
	a->limits = req->limits;
	/* none, or ours already (spawn_sandbox_self): inherited */
	a->seccomp = req->sandbox == SANDBOX_NONE ||
	    req->sandbox == self_profile ? NULL :
	    &sandboxes.prog[req->sandbox];
	a->landlock = landlock;
	a->uid = req->uid == SPAWN_SELF ? geteuid() : req->uid;
	a->gid = req->uid == SPAWN_SELF ? getegid() : req->gid;
	a->switch_ids = a->uid != geteuid() || a->gid != getegid();
	(void)pthread_once(&bounding_once, bounding_read);
	a->bounding = bounding;
	a->reset = settled ? &settled_set : NULL;
	a->fd_in = nul;
	if (req->has_stdin)
		a->fd_in = req->stdin_fd;
	a->fd_out = op[1];
	a->fd_err = ep[1];
	sigemptyset(&a->nomask);
	a->dfl.sa_handler = SIG_DFL;
	sigemptyset(&a->dfl.sa_mask);
	a->step = STEP_NONE;

	sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, &old);
	pid = clone(child_main, stk, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
	save = errno;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = save;

 out:
	save = errno;
	close_fd(&op[1]);
	close_fd(&ep[1]);
	if (pid == -1) {
		close_fd(&op[0]);
		close_fd(&ep[0]);
	}
	cap[0].fd = op[0];
	cap[1].fd = ep[0];
	errno = save;
	return pid;
}

/* kill_children - SIGKILL to every live child of this process, found in
 * /proc (a child's own children are ours once it is dead) */
static void
kill_children(void)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[64], buf[512], *p, state;
	pid_t		 self = getpid(), pid;
	long		 ppid;
	ssize_t		 n;
	int		 fd;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid = (pid_t)strtol(e->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "pid (comm) state ppid ...": comm may hold anything */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %c %ld", &state, &ppid) != 2)
			continue;
		if (ppid == (long)self && state != 'Z')
			(void)kill(pid, SIGKILL);
	}
	closedir(d);
}

/* spawn_reap_orphans - see spawn.h */
int
spawn_reap_orphans(void)
{
	struct timespec	 ms = { 0, 1000 * 1000 };
	pid_t		 p;
	int		 sub = 0, n = 0, round;

	if (prctl(PR_GET_CHILD_SUBREAPER, &sub) != 0 || !sub)
		return 0;
	/* a fork bomb forks between our looks: each round takes one more
	 * generation, and a killed process forks no more */
	for (round = 0; round < 10000; round++) {
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			n++;
		if (p == -1 && errno != EINTR)
			return n;		/* ECHILD: nobody left */
		kill_children();
		(void)nanosleep(&ms, NULL);
	}
	return n;
}

/*
 * spawn_wait - wait for a started child: read its output, enforce the
 * timeout, kill its process group at the end, reap it.
 */
static void
spawn_wait(const struct spawn_req *req, struct spawn_res *res,
    struct capture *cap, int64_t start)
{
	struct pollfd	 pfd[4];
	enum kill_state	 state = RUNNING;
	int64_t		 next;
	pid_t		 pid = res->pid;
	int		 pidfd, st, i, fail = 0, npfd, watch = req->has_watch;

	if ((pidfd = pidfd_open(pid, 0)) == -1) {
		fail = errno;
		(void)kill(-pid, SIGKILL);
		goto done;
	}

	next = req->timeout_ms > 0 ? start + (int64_t)req->timeout_ms * 1000 :
	    -1;
	for (;;) {
		if (req->cancel != NULL && *req->cancel && fail == 0) {
			(void)kill(-pid, SIGKILL);
			fail = ECANCELED;
			state = KILLED;
			next = -1;
		}
		pfd[0].fd = pidfd;
		pfd[1].fd = cap[0].fd;
		pfd[2].fd = cap[1].fd;
		pfd[3].fd = watch ? req->watch_fd : -1;
		npfd = watch ? 4 : 3;
		for (i = 0; i < 4; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)npfd, ms_until(next)) == -1) {
			if (errno == EINTR)
				continue;
			fail = errno;
			break;
		}
		/* One read per wakeup keeps the timeout checked under a flood. */
		for (i = 0; i < 2; i++)
			if (pfd[i + 1].revents != 0)
				(void)capture_read(&cap[i]);
		if (pfd[0].revents != 0)
			break;
		if (watch && pfd[3].revents != 0) {
			/* the caller is done with the run: end it as at a
			 * timeout; watched no more (it stays readable) */
			watch = 0;
			if (fail == 0)
				fail = ECANCELED;
			if (state == RUNNING)
				next = clock_mono_us();
		}
		if (next < 0 || clock_mono_us() < next)
			continue;
		if (state == RUNNING) {
			(void)kill(-pid, SIGTERM);
			/* A stopped member would never act on the SIGTERM. */
			(void)kill(-pid, SIGCONT);
			state = TERMED;
			next = clock_mono_us() + (int64_t)req->grace_ms * 1000;
		} else {
			(void)kill(-pid, SIGKILL);
			state = KILLED;
			next = -1;
		}
	}

	/*
	 * The program is over (or we give up on it): whatever it left in its
	 * process group dies now.  A leftover may hold the pipes open, so do
	 * not wait for end of file, take only what is there already.
	 */
	(void)kill(-pid, SIGKILL);
	for (i = 0; i < 2; i++)
		capture_drain(&cap[i]);
	close_fd(&pidfd);

 done:
	for (i = 0; i < 2; i++)
		close_fd(&cap[i].fd);
	if (reap(pid, &st, &res->ru) == -1) {
		if (fail == 0)
			fail = errno;
	}
	if (fail != 0) {
		res->outcome = SPAWN_FAILED;
		res->status = fail;
	} else if (state != RUNNING) {
		res->outcome = SPAWN_TIMEOUT;
		res->status = req->timeout_ms;
	} else if (WIFSIGNALED(st)) {
		res->outcome = SPAWN_SIGNALED;
		res->status = WTERMSIG(st);
	} else {
		res->outcome = SPAWN_EXITED;
		res->status = WEXITSTATUS(st);
	}
}

/* spawn_req_ok - whether a request can be run at all */
static int
spawn_req_ok(const struct spawn_req *req)
{
	if (req == NULL || req->argv == NULL || req->argv[0] == NULL)
		return 0;
	/* No PATH search: a filter is named by its full path. */
	if (req->argv[0][0] != '/')
		return 0;
	if (req->timeout_ms < 0 || req->grace_ms < 0)
		return 0;
	/* above 2: the child's dup2 onto 0 must not clobber its own */
	if (req->has_stdin && req->stdin_fd <= STDERR_FILENO)
		return 0;
	return 1;
}

/*
 * spawn_run - start req->argv and wait until it is over.  A NULL envp is
 * an empty environment.  A nonzero limit is set as soft and hard limit
 * (the hard one a second higher for CPU time), but never above the hard
 * limit in force.  A failure in the child before execve (setsid, dup2,
 * setrlimit, chdir: a bad cwd, say) is SPAWN_FAILED with its errno; one of
 * execve itself is SPAWN_EXEC_FAILED.  For SPAWN_TIMEOUT, status is the
 * timeout in ms.  out and err are allocated on every outcome when 0 is
 * returned; on -1, res is zeroed.
 */
int
spawn_run(const struct spawn_req *req, struct spawn_res *res)
{
	struct child_arg	a;
	struct capture		cap[2];
	struct rundir		rd;
	char			why[256];
	int64_t			start;
	uid_t			uid;
	gid_t			gid;
	size_t			n;
	int			i, st, landlock = -1, kept = 0;

	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (!spawn_req_ok(req) || req->sandbox < 0 ||
	    req->sandbox >= SANDBOX_NPROFILES)
		return -1;
	for (n = 0; req->outputs != NULL && req->outputs[n] != NULL; n++)
		if (n == SPAWN_OUTPUTS_MAX || req->rundir == NULL)
			return -1;
	(void)pthread_once(&sandbox_once, sandbox_once_build);
	if (req->sandbox != SANDBOX_NONE && !sandbox_ok) {
		res->outcome = SPAWN_FAILED;
		res->status = ENOSYS;
		return 0;
	}
	/* under a profile of our own, a run gets that one or none */
	if (self_profile >= 0 && self_profile != SANDBOX_NONE &&
	    req->sandbox != self_profile) {
		res->outcome = SPAWN_FAILED;
		res->status = EPERM;
		return 0;
	}
	uid = req->uid == SPAWN_SELF ? geteuid() : req->uid;
	gid = req->uid == SPAWN_SELF ? getegid() : req->gid;
	memset(&rd, 0, sizeof(rd));
	rd.fd = -1;
	if (req->rundir != NULL && rundir_give(&rd, req->rundir, uid,
	    gid) != 0) {
		res->outcome = SPAWN_FAILED;
		res->status = errno;
		return 0;
	}
	/* the file system rules, when the profile has them and the kernel
	 * knows Landlock */
	if (req->sandbox != SANDBOX_NONE && req->rundir != NULL &&
	    sandbox_fs_abi() > 0 &&
	    (landlock = sandbox_fs_ruleset_get(req->rundir, req->writable,
	    &kept, why, sizeof(why))) < 0) {
		res->outcome = SPAWN_FAILED;
		res->status = errno;
		(void)rundir_take(&rd, NULL, NULL, NULL);
		return 0;
	}

	for (i = 0; i < 2; i++) {
		cap[i].fd = -1;
		cap[i].max = req->capture_max;
		cap[i].truncated = 0;
		/* buf treats 0 as "no maximum"; capture_keep enforces ours. */
		buf_init(&cap[i].b, 0);
	}

	start = clock_mono_us();
	res->pid = spawn_start(req, &a, cap, landlock);
	sandbox_fs_ruleset_put(landlock, kept);
	if (res->pid == -1) {
		res->outcome = SPAWN_FAILED;
		res->status = errno;
		res->pid = 0;
	} else if (a.step != STEP_NONE) {
		/* It has exited already and is alone in its group. */
		for (i = 0; i < 2; i++)
			close_fd(&cap[i].fd);
		(void)reap(res->pid, &st, &res->ru);
		res->outcome = a.step == STEP_EXEC ? SPAWN_EXEC_FAILED :
		    SPAWN_FAILED;
		res->status = a.err;
	} else
		spawn_wait(req, res, cap, start);
	res->elapsed_us = (long)(clock_mono_us() - start);

	res->out = buf_steal(&cap[0].b, &res->outlen);
	res->out_truncated = cap[0].truncated;
	res->err = buf_steal(&cap[1].b, &res->errlen);
	res->err_truncated = cap[1].truncated;

	/* nothing of the run may be left when its files are taken */
	res->orphans = spawn_reap_orphans();
	res->noutputs = n;
	if (rundir_take(&rd, req->outputs, res->output_fd,
	    res->output_err) != 0)
		res->left = 1;
	res->cleared = rd.cleared;
	return 0;
}

/* spawn_res_free - release the captured output and the descriptors */
void
spawn_res_free(struct spawn_res *res)
{
	size_t	i;

	if (res == NULL)
		return;
	for (i = 0; i < res->noutputs; i++)
		if (res->output_fd[i] >= 0)
			(void)close(res->output_fd[i]);
	res->noutputs = 0;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
	res->outlen = res->errlen = 0;
}

/* spawn_describe - one log word for the outcome, e.g. "exit=1" */
void
spawn_describe(const struct spawn_res *res, char *buf, size_t len)
{
	const char	*what, *s;

	if (buf == NULL || len == 0)
		return;
	switch (res->outcome) {
	case SPAWN_EXITED:
		(void)snprintf(buf, len, "exit=%d", res->status);
		return;
	case SPAWN_SIGNALED:
		s = sigdescr_np(res->status);
		(void)snprintf(buf, len, "signal=%d (%s)", res->status,
		    s != NULL ? s : "unknown signal");
		return;
	case SPAWN_TIMEOUT:
		(void)snprintf(buf, len, "timeout after %dms", res->status);
		return;
	case SPAWN_EXEC_FAILED:
		what = "exec failed";
		break;
	case SPAWN_FAILED:
		what = "spawn failed";
		break;
	default:
		(void)snprintf(buf, len, "outcome=%d", (int)res->outcome);
		return;
	}
	/* strerrordesc_np, unlike strerror, never writes a shared buffer. */
	if ((s = strerrordesc_np(res->status)) != NULL)
		(void)snprintf(buf, len, "%s: %s", what, s);
	else
		(void)snprintf(buf, len, "%s: error %d", what, res->status);
}
