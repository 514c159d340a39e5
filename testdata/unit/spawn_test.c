/*
 * spawn_test.c - unit tests for spawn.c
 *
 * The child programs are small /bin/sh -c scripts and coreutils run
 * directly; sluice itself never calls a shell, its tests may.
 * Every test checks that it leaves no descriptor behind.
 */
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/spawn.h"

#define SH		"/bin/sh"
#define UNUSED		__attribute__((unused))
/* Long enough for any test to finish, short enough that a bug cannot hang. */
#define SAFE_TIMEOUT	20000
/*
 * When the kill itself is broken, nothing in spawn_run ends the program:
 * SIGALRM ends the test run instead, as a failure rather than a hang.
 */
#define WATCHDOG_S	60

static char *const	noenv[] = { NULL };

/* count_fds - how many descriptors this process has open */
static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n;
}

/* fd_setup - remember the descriptor count, start the watchdog */
static int
fd_setup(void **state)
{
	*state = (void *)(intptr_t)count_fds();
	(void)alarm(WATCHDOG_S);
	return 0;
}

/* fd_teardown - stop the watchdog; a test must leave no descriptor open */
static int
fd_teardown(void **state)
{
	(void)alarm(0);
	assert_int_equal(count_fds(), (int)(intptr_t)*state);
	return 0;
}

/* req_init - a request with safe defaults for argv */
static void
req_init(struct spawn_req *req, char *const *argv)
{
	memset(req, 0, sizeof(*req));
	req->argv = argv;
	req->envp = noenv;
	req->timeout_ms = SAFE_TIMEOUT;
	req->grace_ms = 1000;
	req->capture_max = 65536;
}

/* run_sh - run one shell script with the default request */
static void
run_sh(const char *script, struct spawn_res *res)
{
	char *const	 argv[] = { (char *)SH, (char *)"-c", (char *)script,
	    NULL };
	struct spawn_req req;

	req_init(&req, argv);
	assert_int_equal(spawn_run(&req, res), 0);
}

/* describe_is - assert what spawn_describe says about res */
static void
describe_is(const struct spawn_res *res, const char *want)
{
	char	buf[128];

	spawn_describe(res, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* gone - whether pid has died (gone, or a zombie nobody reaped yet) */
static int
gone(pid_t pid)
{
	char	 path[64], line[512], *p;
	FILE	*f;
	int	 i, dead;

	for (i = 0; i < 100; i++) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return 1;
		(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		dead = 0;
		if ((f = fopen(path, "r")) == NULL)
			return 1;
		/* State follows the ")" that ends the command name. */
		if (fgets(line, sizeof(line), f) != NULL &&
		    (p = strrchr(line, ')')) != NULL && p[1] == ' ' &&
		    (p[2] == 'Z' || p[2] == 'X'))
			dead = 1;
		(void)fclose(f);
		if (dead)
			return 1;
		(void)usleep(10000);
	}
	return 0;
}

/* test_exit - exit codes and signals come back as they happened */
static void
test_exit(void **state UNUSED)
{
	static const struct {
		const char		*script;
		enum spawn_outcome	 outcome;
		int			 status;
		const char		*describe;
	} t[] = {
		{ "exit 0", SPAWN_EXITED, 0, "exit=0" },
		{ "exit 1", SPAWN_EXITED, 1, "exit=1" },
		{ "exit 75", SPAWN_EXITED, 75, "exit=75" },
		/* A real 127 is not an exec failure. */
		{ "exit 127", SPAWN_EXITED, 127, "exit=127" },
		{ "exit 255", SPAWN_EXITED, 255, "exit=255" },
		{ "ulimit -c 0; kill -SEGV $$", SPAWN_SIGNALED, 11,
		    "signal=11 (Segmentation fault)" },
		{ "kill -KILL $$", SPAWN_SIGNALED, 9, "signal=9 (Killed)" },
		/* Default dispositions: a write to a closed pipe kills. */
		{ "kill -PIPE $$", SPAWN_SIGNALED, 13, "signal=13 (Broken pipe)" },
	};
	struct spawn_res	res;
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		run_sh(t[i].script, &res);
		assert_int_equal(res.outcome, t[i].outcome);
		assert_int_equal(res.status, t[i].status);
		assert_true(res.pid > 0);
		assert_true(res.elapsed_us > 0);
		/* rusage of the reaped child, not of nobody. */
		assert_true(res.ru.ru_maxrss > 0);
		describe_is(&res, t[i].describe);
		spawn_res_free(&res);
		assert_null(res.out);
		assert_null(res.err);
	}
}

/* test_exec_failed - programs that cannot be run, told apart by errno */
static void
test_exec_failed(void **state UNUSED)
{
	char		 plain[] = "/tmp/spawn_test.XXXXXX";
	char		 garbage[] = "/tmp/spawn_test.XXXXXX";
	int		 fd;
	struct {
		const char	*path;
		int		 err;
		const char	*describe;
	} t[] = {
		{ "/nonexistent/prog", ENOENT,
		    "exec failed: No such file or directory" },
		{ plain, EACCES, "exec failed: Permission denied" },
		{ "/", EACCES, "exec failed: Permission denied" },
		{ garbage, ENOEXEC, "exec failed: Exec format error" },
	};
	struct spawn_req	 req;
	struct spawn_res	 res;
	char			*argv[2] = { NULL, NULL };
	size_t			 i;

	/* Mode 0644: even root may not exec a file without an x bit. */
	assert_true((fd = mkstemp(plain)) != -1);
	assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	assert_int_equal(fchmod(fd, 0644), 0);
	(void)close(fd);
	assert_true((fd = mkstemp(garbage)) != -1);
	assert_int_equal(write(fd, "\x01\x02\x03\x04garbage", 11), 11);
	assert_int_equal(fchmod(fd, 0755), 0);
	(void)close(fd);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		argv[0] = (char *)t[i].path;
		req_init(&req, argv);
		assert_int_equal(spawn_run(&req, &res), 0);
		assert_int_equal(res.outcome, SPAWN_EXEC_FAILED);
		assert_int_equal(res.status, t[i].err);
		describe_is(&res, t[i].describe);
		/* Buffers exist on every outcome. */
		assert_non_null(res.out);
		assert_int_equal(res.outlen, 0);
		spawn_res_free(&res);
	}
	(void)unlink(plain);
	(void)unlink(garbage);
}

/* test_bad_request - requests that are refused without starting anything */
static void
test_bad_request(void **state UNUSED)
{
	char *const	 abs[] = { (char *)"/bin/true", NULL };
	char *const	 rel[] = { (char *)"bin/true", NULL };
	char *const	 bare[] = { (char *)"true", NULL };
	char *const	 empty[] = { (char *)"", NULL };
	char *const	 none[] = { NULL };
	struct {
		char *const	*argv;
		int		 timeout_ms;
		int		 grace_ms;
	} t[] = {
		{ NULL, 0, 0 },
		{ none, 0, 0 },
		{ rel, 0, 0 },
		{ bare, 0, 0 },
		{ empty, 0, 0 },
		{ abs, -1, 0 },
		{ abs, 100, -1 },
	};
	struct spawn_req	req;
	struct spawn_res	res;
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		req_init(&req, t[i].argv);
		req.timeout_ms = t[i].timeout_ms;
		req.grace_ms = t[i].grace_ms;
		res.out = (char *)"stale";
		assert_int_equal(spawn_run(&req, &res), -1);
		/* Safe to free after a refusal. */
		assert_null(res.out);
		spawn_res_free(&res);
	}
	assert_int_equal(spawn_run(NULL, &res), -1);
	req_init(&req, abs);
	assert_int_equal(spawn_run(&req, NULL), -1);
	/* The same request with sane values runs. */
	assert_int_equal(spawn_run(&req, &res), 0);
	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_int_equal(res.status, 0);
	spawn_res_free(&res);
}

/* test_capture - stdout and stderr apart, NULs kept, the cap enforced */
static void
test_capture(void **state UNUSED)
{
	static const struct {
		const char	*script;
		size_t		 max;
		int		 exit;
		const char	*out;
		size_t		 outlen;
		int		 out_trunc;
		const char	*err;
		size_t		 errlen;
		int		 err_trunc;
	} t[] = {
		{ "printf out; printf err >&2", 64, 0,
		    "out", 3, 0, "err", 3, 0 },
		{ "printf 'a\\000b'; exit 4", 64, 4, "a\0b", 3, 0, "", 0, 0 },
		{ "", 64, 0, "", 0, 0, "", 0, 0 },
		{ "printf 12345; printf 67890 >&2", 5, 0,
		    "12345", 5, 0, "67890", 5, 0 },
		{ "printf 123456; printf 678901 >&2", 5, 0,
		    "12345", 5, 1, "67890", 5, 1 },
		{ "printf x", 0, 0, "", 0, 1, "", 0, 0 },
		{ "printf ''", 0, 0, "", 0, 0, "", 0, 0 },
		/* 1 MiB does not block the program: it is read and dropped. */
		{ "head -c 1048576 /dev/zero; printf done >&2; exit 3", 10, 3,
		    "\0\0\0\0\0\0\0\0\0\0", 10, 1, "done", 4, 0 },
		{ "head -c 1048576 /dev/zero >&2; echo ok", 1000, 0,
		    "ok\n", 3, 0, "", 1000, 1 },
		/* Both at once, interleaved by the kernel. */
		{ "head -c 300000 /dev/zero & head -c 300000 /dev/zero >&2;"
		    " wait; printf z", 4, 0, "\0\0\0\0", 4, 1, "\0\0\0\0", 4, 1 },
	};
	char *const		 argv[] = { (char *)SH, (char *)"-c", NULL, NULL };
	char			*av[4];
	struct spawn_req	 req;
	struct spawn_res	 res;
	size_t			 i;

	memcpy(av, argv, sizeof(av));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		av[2] = (char *)t[i].script;
		req_init(&req, av);
		req.capture_max = t[i].max;
		assert_int_equal(spawn_run(&req, &res), 0);
		assert_int_equal(res.outcome, SPAWN_EXITED);
		assert_int_equal(res.status, t[i].exit);
		assert_int_equal(res.outlen, t[i].outlen);
		assert_memory_equal(res.out, t[i].out, t[i].outlen);
		assert_int_equal(res.out[res.outlen], '\0');
		assert_int_equal(res.out_truncated, t[i].out_trunc);
		assert_int_equal(res.errlen, t[i].errlen);
		if (t[i].errlen == 1000) {
			/* The 1 MiB case: zeros up to the cap. */
			assert_int_equal(res.err[0], '\0');
			assert_int_equal(res.err[999], '\0');
		} else
			assert_memory_equal(res.err, t[i].err, t[i].errlen);
		assert_int_equal(res.err[res.errlen], '\0');
		assert_int_equal(res.err_truncated, t[i].err_trunc);
		spawn_res_free(&res);
	}
}

/* test_stdin - stdin is /dev/null, so a reader gets end of file at once */
static void
test_stdin(void **state UNUSED)
{
	char *const	 rl[] = { (char *)"/bin/readlink", (char *)"/proc/self/fd/0",
	    NULL };
	char *const	 cat[] = { (char *)"/bin/cat", NULL };
	struct spawn_req req;
	struct spawn_res res;

	req_init(&req, rl);
	assert_int_equal(spawn_run(&req, &res), 0);
	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_string_equal(res.out, "/dev/null\n");
	spawn_res_free(&res);

	req_init(&req, cat);
	assert_int_equal(spawn_run(&req, &res), 0);
	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.outlen, 0);
	spawn_res_free(&res);
}

/*
 * test_timeout_grandchild - the timeout ends a program that sleeps, and a
 * background grandchild that ignores SIGTERM dies too
 */
static void
test_timeout_grandchild(void **state UNUSED)
{
	char *const	 argv[] = { (char *)SH, (char *)"-c", (char *)
	    "(trap '' TERM; exec sleep 1000) & echo $!; sleep 1000", NULL };
	struct spawn_req req;
	struct spawn_res res;
	long		 gpid;

	req_init(&req, argv);
	req.timeout_ms = 500;
	req.grace_ms = 200;
	assert_int_equal(spawn_run(&req, &res), 0);
	assert_int_equal(res.outcome, SPAWN_TIMEOUT);
	assert_int_equal(res.status, 500);
	describe_is(&res, "timeout after 500ms");
	/* It cannot be over before the timeout. */
	assert_true(res.elapsed_us >= 500000);
	gpid = strtol(res.out, NULL, 10);
	assert_true(gpid > 1);
	assert_true(gone((pid_t)gpid));
	spawn_res_free(&res);
}

/*
 * test_timeout - SIGTERM at the timeout, SIGKILL after the grace period
 * for a program that ignores SIGTERM, no timeout when it is 0
 */
static void
test_timeout(void **state UNUSED)
{
	static const struct {
		const char		*script;
		int			 timeout;
		int			 grace;
		enum spawn_outcome	 outcome;
		int			 status;
		const char		*out;
		long			 min_us;	/* cannot end earlier */
	} t[] = {
		/* It hears the SIGTERM (and its sleep dies of it). */
		{ "trap 'echo term; exit 0' TERM; sleep 1000 & wait",
		    500, 10000, SPAWN_TIMEOUT, 500, "term\n", 500000 },
		/* Neither it nor its sleep can end before the SIGKILL. */
		{ "trap '' TERM; echo x; sleep 1000", 500, 200,
		    SPAWN_TIMEOUT, 500, "x\n", 700000 },
		{ "trap '' TERM; sleep 1000", 200, 0,
		    SPAWN_TIMEOUT, 200, "", 200000 },
		/* 0 = no timeout. */
		{ "sleep 0.2; echo done; exit 3", 0, 0,
		    SPAWN_EXITED, 3, "done\n", 200000 },
	};
	char *const		 argv[] = { (char *)SH, (char *)"-c", NULL, NULL };
	char			*av[4];
	struct spawn_req	 req;
	struct spawn_res	 res;
	size_t			 i;

	memcpy(av, argv, sizeof(av));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		av[2] = (char *)t[i].script;
		req_init(&req, av);
		req.timeout_ms = t[i].timeout;
		req.grace_ms = t[i].grace;
		assert_int_equal(spawn_run(&req, &res), 0);
		assert_int_equal(res.outcome, t[i].outcome);
		assert_int_equal(res.status, t[i].status);
		assert_string_equal(res.out, t[i].out);
		assert_true(res.elapsed_us >= t[i].min_us);
		spawn_res_free(&res);
	}
}

/*
 * test_exit_leftover - a program that exits while its background child
 * still holds stdout: the result comes at its exit, not at the pipe's end
 * of file (which would be the 20 s timeout), and the child is killed
 */
static void
test_exit_leftover(void **state UNUSED)
{
	struct spawn_res res;
	long		 gpid;

	run_sh("sleep 1000 & echo $!; printf bye >&2; exit 0", &res);
	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.err, "bye");
	gpid = strtol(res.out, NULL, 10);
	assert_true(gpid > 1);
	assert_true(gone((pid_t)gpid));
	spawn_res_free(&res);
}

/*
 * test_orphans - in a subreaper, what a run started in a session of its
 * own is killed and reaped by spawn_reap_orphans; outside one, nothing
 * is touched.  Runs in a child process, which alone becomes a subreaper.
 */
static void
test_orphans(void **state UNUSED)
{
	struct spawn_res res;
	pid_t		 pid, orphan;
	int		 st, n, rc = 0;

	assert_int_equal(spawn_reap_orphans(), 0);	/* not a subreaper */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
			_exit(2);
		run_sh("setsid sh -c 'echo $$; exec sleep 1000' </dev/null "
		    "2>/dev/null & sleep 0.3; exit 0", &res);
		orphan = (pid_t)strtol(res.out, NULL, 10);
		if (res.outcome != SPAWN_EXITED || orphan <= 1)
			_exit(3);
		/* spawn_run itself ended it once the run was over */
		n = spawn_reap_orphans();
		if (res.orphans != 1 || n != 0)
			rc = 5;
		else if (!gone(orphan))
			rc = 6;
		else if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
			rc = 7;
		spawn_res_free(&res);
		_exit(rc);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* test_cancel - a cancelled run ends at once, killed, as ECANCELED */
static void
test_cancel(void **state UNUSED)
{
	static volatile sig_atomic_t	 cancel = 1;
	char *const			 argv[] = { (char *)"/bin/sleep",
	    (char *)"1000", NULL };
	struct spawn_req		 req;
	struct spawn_res		 res;

	req_init(&req, argv);
	req.cancel = &cancel;
	assert_int_equal(spawn_run(&req, &res), 0);
	assert_int_equal(res.outcome, SPAWN_FAILED);
	assert_int_equal(res.status, ECANCELED);
	assert_true(gone(res.pid));
	spawn_res_free(&res);
}

/* test_env - the program sees exactly the environment given */
static void
test_env(void **state UNUSED)
{
	char *const	 argv[] = { (char *)"/usr/bin/env", NULL };
	char *const	 two[] = { (char *)"A=1", (char *)"B=two words", NULL };
	char *const	 odd[] = { (char *)"PATH=/nowhere", (char *)"X=", NULL };
	struct {
		char *const	*envp;
		const char	*want;
	} t[] = {
		{ noenv, "" },
		{ NULL, "" },
		{ two, "A=1\nB=two words\n" },
		{ odd, "PATH=/nowhere\nX=\n" },
	};
	struct spawn_req	req;
	struct spawn_res	res;
	size_t			i;

	/* Something in our own environment that must not leak through. */
	assert_int_equal(setenv("SPAWN_TEST_SECRET", "1", 1), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		req_init(&req, argv);
		req.envp = t[i].envp;
		assert_int_equal(spawn_run(&req, &res), 0);
		assert_int_equal(res.outcome, SPAWN_EXITED);
		assert_int_equal(res.status, 0);
		assert_string_equal(res.out, t[i].want);
		spawn_res_free(&res);
	}
	(void)unsetenv("SPAWN_TEST_SECRET");
}

/* test_fds - the program gets 0, 1, 2 and nothing else of ours */
static void
test_fds(void **state UNUSED)
{
	char *const	 ls[] = { (char *)"/bin/ls", (char *)"/proc/self/fd",
	    NULL };
	char *const	 sh[] = { (char *)SH, (char *)"-c", (char *)
	    "readlink /proc/self/fd/0; ls /proc/self/fd; echo e >&2", NULL };
	struct spawn_req req;
	struct spawn_res res;
	int		 fd, save0, save1;

	/* Inheritable descriptors, low and high. */
	assert_true((fd = open("/dev/null", O_RDONLY)) != -1);
	assert_int_equal(dup2(fd, 100), 100);
	req_init(&req, ls);
	assert_int_equal(spawn_run(&req, &res), 0);
	assert_int_equal(res.outcome, SPAWN_EXITED);
	/* 3 is the directory ls itself reads. */
	assert_string_equal(res.out, "0\n1\n2\n3\n");
	spawn_res_free(&res);
	(void)close(100);
	(void)close(fd);

	/*
	 * A caller whose stdin and stdout are closed: the new descriptors
	 * land on 0 and 1 and must still end up in the right places.
	 */
	assert_true((save0 = dup(0)) != -1);
	assert_true((save1 = dup(1)) != -1);
	(void)close(0);
	(void)close(1);
	req_init(&req, sh);
	fd = spawn_run(&req, &res);
	(void)dup2(save0, 0);
	(void)dup2(save1, 1);
	(void)close(save0);
	(void)close(save1);
	assert_int_equal(fd, 0);
	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_string_equal(res.out, "/dev/null\n0\n1\n2\n3\n");
	assert_string_equal(res.err, "e\n");
	spawn_res_free(&res);
}

/* test_rlimits - limits are set soft and hard; 0 leaves a limit alone */
static void
test_rlimits(void **state UNUSED)
{
	static const struct {
		struct spawn_limits	 l;
		const char		*script;
		const char		*want;
	} t[] = {
		{ { .nofile = 20 }, "ulimit -n; ulimit -H -n", "20\n20\n" },
		/* dash counts file size in 512-byte blocks. */
		{ { .fsize = 1024 }, "ulimit -f; ulimit -H -f", "2\n2\n" },
		/* CPU: hard one second above soft, for a SIGXCPU first. */
		{ { .cpu = 5 }, "ulimit -t; ulimit -H -t", "5\n6\n" },
		{ { .as = 1024 * 1024 * 1024 }, "ulimit -v; ulimit -H -v",
		    "1048576\n1048576\n" },
		{ { .nproc = 5000 }, "ulimit -p; ulimit -H -p",
		    "5000\n5000\n" },
		{ { .nofile = 30, .fsize = 2048 }, "ulimit -n; ulimit -f",
		    "30\n4\n" },
	};
	char *const		 argv[] = { (char *)SH, (char *)"-c", NULL, NULL };
	char			*av[4];
	char			 want[64];
	struct spawn_req	 req;
	struct spawn_res	 res;
	struct rlimit		 rl;
	size_t			 i;

	memcpy(av, argv, sizeof(av));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		av[2] = (char *)t[i].script;
		req_init(&req, av);
		req.limits = t[i].l;
		assert_int_equal(spawn_run(&req, &res), 0);
		assert_int_equal(res.outcome, SPAWN_EXITED);
		assert_string_equal(res.out, t[i].want);
		spawn_res_free(&res);
	}

	/* Enforced: a write past RLIMIT_FSIZE draws SIGXFSZ. */
	av[2] = (char *)"exec head -c 2000 /dev/zero > spawn_test_fsize.$$";
	req_init(&req, av);
	req.cwd = "/dev/shm";
	req.limits.fsize = 1000;
	assert_int_equal(spawn_run(&req, &res), 0);
	(void)snprintf(want, sizeof(want), "/dev/shm/spawn_test_fsize.%d",
	    (int)res.pid);
	assert_int_equal(unlink(want), 0);
	assert_int_equal(res.outcome, SPAWN_SIGNALED);
	assert_int_equal(res.status, SIGXFSZ);
	spawn_res_free(&res);

	/* Asking for more than the hard limit gets the hard limit. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	av[2] = (char *)"ulimit -n; ulimit -H -n";
	req_init(&req, av);
	req.limits.nofile = rl.rlim_max + 1000;
	(void)snprintf(want, sizeof(want), "%llu\n%llu\n",
	    (unsigned long long)rl.rlim_max, (unsigned long long)rl.rlim_max);
	assert_int_equal(spawn_run(&req, &res), 0);
	assert_string_equal(res.out, want);
	spawn_res_free(&res);

	/* 0 = leave: the program has our own limits. */
	req_init(&req, av);
	(void)snprintf(want, sizeof(want), "%llu\n%llu\n",
	    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	assert_int_equal(spawn_run(&req, &res), 0);
	assert_string_equal(res.out, want);
	spawn_res_free(&res);
}

/* sig_noop - a handler the program must not inherit */
static void
sig_noop(int sig)
{
	(void)sig;
}

/*
 * test_signals - ignored signals and blocked signals of the caller do not
 * reach the program, and the caller's own mask is left as it was
 */
static void
test_signals(void **state UNUSED)
{
	char *const	 argv[] = { (char *)"/bin/grep", (char *)"-E",
	    (char *)"^Sig(Blk|Ign)", (char *)"/proc/self/status", NULL };
	struct sigaction sa, opipe, oterm, ousr1;
	sigset_t	 mask, omask, after;
	struct spawn_req req;
	struct spawn_res res;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGPIPE, &sa, &opipe), 0);
	assert_int_equal(sigaction(SIGTERM, &sa, &oterm), 0);
	sa.sa_handler = sig_noop;
	assert_int_equal(sigaction(SIGUSR1, &sa, &ousr1), 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGINT);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &mask, &omask), 0);

	req_init(&req, argv);
	assert_int_equal(spawn_run(&req, &res), 0);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &after), 0);

	assert_int_equal(pthread_sigmask(SIG_SETMASK, &omask, NULL), 0);
	(void)sigaction(SIGPIPE, &opipe, NULL);
	(void)sigaction(SIGTERM, &oterm, NULL);
	(void)sigaction(SIGUSR1, &ousr1, NULL);

	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_string_equal(res.out,
	    "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	spawn_res_free(&res);
	/* Our mask came back: USR2 and INT blocked, TERM (blocked during
	 * the clone) not. */
	assert_int_equal(sigismember(&after, SIGUSR2), 1);
	assert_int_equal(sigismember(&after, SIGINT), 1);
	assert_int_equal(sigismember(&after, SIGTERM), 0);
	assert_int_equal(sigismember(&after, SIGCHLD), 0);
}

/* test_cwd - the working directory is applied, or the start fails */
static void
test_cwd(void **state UNUSED)
{
	char *const	 argv[] = { (char *)"/bin/pwd", NULL };
	struct {
		const char		*cwd;
		enum spawn_outcome	 outcome;
		int			 status;
		const char		*out;
	} t[] = {
		{ "/", SPAWN_EXITED, 0, "/\n" },
		{ "/proc", SPAWN_EXITED, 0, "/proc\n" },
		{ "/proc/self/fd", SPAWN_EXITED, 0, NULL },
		{ "/nonexistent", SPAWN_FAILED, ENOENT, "" },
		{ "/dev/null", SPAWN_FAILED, ENOTDIR, "" },
	};
	struct spawn_req	req;
	struct spawn_res	res;
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		req_init(&req, argv);
		req.cwd = t[i].cwd;
		assert_int_equal(spawn_run(&req, &res), 0);
		assert_int_equal(res.outcome, t[i].outcome);
		assert_int_equal(res.status, t[i].status);
		if (t[i].out != NULL)
			assert_string_equal(res.out, t[i].out);
		else
			/* The child's own /proc/<pid>/fd. */
			assert_true(strncmp(res.out, "/proc/", 6) == 0);
		spawn_res_free(&res);
	}
	req_init(&req, argv);
	req.cwd = "/nonexistent";
	assert_int_equal(spawn_run(&req, &res), 0);
	describe_is(&res, "spawn failed: No such file or directory");
	spawn_res_free(&res);
}

#define NTHREADS	4
#define NSPAWNS		20

struct worker {
	int	id;
	int	bad;		/* results that were wrong */
	char	first[128];	/* what the first one was */
};

/* worker - spawn NSPAWNS programs, check each result */
static void *
worker(void *v)
{
	struct worker	*w = v;
	char		 id[16], n[16], want[64];
	char *const	 ls[] = { (char *)"/bin/ls", (char *)"/proc/self/fd",
	    NULL };
	char		*sh[] = { (char *)SH, (char *)"-c",
	    (char *)"printf %s-%s \"$1\" \"$2\"; exit $(($2 % 7))",
	    (char *)"sh", id, n, NULL };
	struct spawn_req req;
	struct spawn_res res;
	int		 i, ok;

	(void)snprintf(id, sizeof(id), "%d", w->id);
	for (i = 0; i < NSPAWNS; i++) {
		(void)snprintf(n, sizeof(n), "%d", i);
		/* Odd rounds look for another thread's pipe ends. */
		req_init(&req, i % 2 ? ls : sh);
		if (spawn_run(&req, &res) != 0) {
			w->bad++;
			continue;
		}
		if (i % 2) {
			ok = res.outcome == SPAWN_EXITED && res.status == 0 &&
			    strcmp(res.out, "0\n1\n2\n3\n") == 0;
		} else {
			(void)snprintf(want, sizeof(want), "%d-%d", w->id, i);
			ok = res.outcome == SPAWN_EXITED &&
			    res.status == i % 7 && strcmp(res.out, want) == 0;
		}
		if (!ok) {
			if (w->bad++ == 0)
				spawn_describe(&res, w->first,
				    sizeof(w->first));
		}
		spawn_res_free(&res);
	}
	return NULL;
}

/* test_threads - several threads spawning at once see only their own */
static void
test_threads(void **state UNUSED)
{
	pthread_t	t[NTHREADS];
	struct worker	w[NTHREADS];
	int		i, before;

	before = count_fds();
	memset(w, 0, sizeof(w));
	for (i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]),
		    0);
	}
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < NTHREADS; i++) {
		if (w[i].bad != 0)
			print_error("thread %d: %d bad, first: %s\n", i,
			    w[i].bad, w[i].first);
		assert_int_equal(w[i].bad, 0);
	}
	assert_int_equal(count_fds(), before);
}

/* test_describe - the log words for each outcome */
static void
test_describe(void **state UNUSED)
{
	static const struct {
		enum spawn_outcome	 outcome;
		int			 status;
		size_t			 size;
		const char		*want;
	} t[] = {
		{ SPAWN_EXITED, 0, 64, "exit=0" },
		{ SPAWN_EXITED, 75, 64, "exit=75" },
		{ SPAWN_SIGNALED, 9, 64, "signal=9 (Killed)" },
		{ SPAWN_SIGNALED, 15, 64, "signal=15 (Terminated)" },
		{ SPAWN_SIGNALED, 200, 64, "signal=200 (unknown signal)" },
		{ SPAWN_TIMEOUT, 5000, 64, "timeout after 5000ms" },
		{ SPAWN_EXEC_FAILED, ENOENT, 64,
		    "exec failed: No such file or directory" },
		{ SPAWN_EXEC_FAILED, ENOEXEC, 64,
		    "exec failed: Exec format error" },
		{ SPAWN_FAILED, EMFILE, 64, "spawn failed: Too many open files" },
		{ SPAWN_FAILED, 9999, 64, "spawn failed: error 9999" },
		{ (enum spawn_outcome)42, 0, 64, "outcome=42" },
		/* Cut to the buffer, still terminated. */
		{ SPAWN_EXITED, 75, 5, "exit" },
		{ SPAWN_TIMEOUT, 5000, 1, "" },
	};
	struct spawn_res	res;
	char			buf[64];
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&res, 0, sizeof(res));
		res.outcome = t[i].outcome;
		res.status = t[i].status;
		memset(buf, 'X', sizeof(buf));
		spawn_describe(&res, buf, t[i].size);
		assert_string_equal(buf, t[i].want);
	}
	/* A zero-sized buffer is not written at all. */
	buf[0] = 'X';
	spawn_describe(&res, buf, 0);
	assert_int_equal(buf[0], 'X');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exit, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_exec_failed, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_bad_request, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_capture, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_stdin, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_timeout_grandchild,
		    fd_setup, fd_teardown),
		cmocka_unit_test_setup_teardown(test_timeout, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_exit_leftover, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_orphans, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_cancel, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_env, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_fds, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_rlimits, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_signals, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_cwd, fd_setup,
		    fd_teardown),
		cmocka_unit_test_setup_teardown(test_threads, fd_setup,
		    fd_teardown),
		cmocka_unit_test(test_describe),
	};

	/* the sandbox's descriptors (Landlock paths) are made once: now,
	 * not inside the first test that counts descriptors */
	{
		char	why[256];

		if (spawn_sandbox_init(NULL, why, sizeof(why)) != 0)
			fail_msg("%s", why);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
