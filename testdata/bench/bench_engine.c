/*
 * bench_engine.c - messages per second through the engine, in one
 * process, beside raw posix_spawn of the same program
 *
 * Four measurements, interleaved and repeated, medians reported:
 *   (a) the engine with no filter rules,
 *   (b) the engine with one trivial exec filter, from a process under
 *       the filter's seccomp profile as the launcher's keepers are,
 *   (b0) the same with sandbox = "none" (no seccomp, no Landlock),
 *   (c) posix_spawn + waitpid of that filter's program, nothing else.
 * Each engine message is the whole offline path: work directory, spool
 * write, header parse, rules, the filter run, cleanup; as root the run
 * is the filter's own user's (filter_user), as in sluiced.  The ratio b/c
 * (time per message over time per raw spawn) is the engine's overhead.
 * Usage: bench_engine [-n messages] [-r rounds] [-p program] [-s spooldir]
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/spool.h"
#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/spawn.h"
#include "lib/xmalloc.h"

extern char	**environ;

/* now_s - monotonic seconds */
static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* load - a config with or without the filter rule, the filter under
 * the seccomp profile sandbox */
static struct config *
load(const char *dir, const char *prog, int with_filter, const char *sandbox)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path, ov[600];
	char			*ovs[] = { ov, NULL };
	FILE			*fp;

	xasprintf(&path, "%s/bench%d-%s.conf", dir, with_filter, sandbox);
	fp = fopen(path, "w");
	fprintf(fp, "filters = ( { name = \"trivial\"; command = \"%s %%f\"; "
	    "sandbox = \"%s\"; } );\n", prog, sandbox);
	if (with_filter)
		fprintf(fp, "rules = ( { filter = \"trivial\"; } );\n");
	fclose(fp);
	snprintf(ov, sizeof(ov), "include_dir=%s/empty.d", dir);
	c = config_load(path, ovs, &e);
	if (c == NULL)
		fatalx("bench config: %s", e.n ? e.msg[0] : "?");
	free(path);
	return c;
}

/* cpu_s - CPU seconds of this process and its reaped children */
static double
cpu_s(void)
{
	struct rusage	a, b;

	getrusage(RUSAGE_SELF, &a);
	getrusage(RUSAGE_CHILDREN, &b);
	return (double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec +
	    b.ru_utime.tv_sec + b.ru_stime.tv_sec) +
	    (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec +
	    b.ru_utime.tv_usec + b.ru_stime.tv_usec) / 1e6;
}

static double	last_cpu;	/* CPU seconds of the last run_engine */

#define PAIRS	20	/* batches for the paired sandbox measurement */

/* run_engine - n messages; returns seconds */
static double
run_engine(struct config *c, const char *spool, const char *msg, size_t len,
    int n)
{
	struct engine_msg	 m;
	struct engine_input	 in;
	struct spool_msg	 sm;
	char			 why[256], *rcpt[] = { (char *)"rcpt@example.net" };
	double			 t0 = now_s(), c0 = cpu_s();
	int			 i;

	for (i = 0; i < n; i++) {
		if (spool_msg_create(&sm, spool, 0, why, sizeof(why)) != 0)
			fatalx("%s", why);
		if (spool_msg_write(&sm, msg, len) != 0 ||
		    spool_msg_close(&sm, 0) != 0)
			fatalx("spool write failed");
		memset(&in, 0, sizeof(in));
		in.cfg = c;
		in.workdir = sm.dir;
		in.sender = "sender@example.org";
		in.rcpt = rcpt;
		in.nrcpt = 1;
		engine_judge(&m, &in);
		if (m.verdict != V_ACCEPT)
			fatalx("unexpected verdict %s: %s", verdict_name(m.verdict),
			    m.nsteps > 0 ? m.steps[m.nsteps - 1].error : "?");
		(void)spool_msg_discard(&sm);
		engine_msg_free(&m);
	}
	last_cpu = cpu_s() - c0;
	return now_s() - t0;
}

/*
 * run_as_keeper - run_engine in a child that is under the filter's
 * seccomp profile itself, as the launcher's keepers are (so a run
 * inherits it instead of installing it); returns seconds, last_cpu set
 */
static double
run_as_keeper(struct config *c, int profile, const char *spool,
    const char *msg, size_t len, int n)
{
	double	r[2];
	char	why[256];
	pid_t	pid;
	int	p[2], st;

	if (pipe(p) != 0)
		fatal("pipe");
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid == 0) {
		close(p[0]);
		if (spawn_sandbox_self(profile, why, sizeof(why)) != 0)
			fatalx("%s", why);
		spawn_signals_settled();
		r[0] = run_engine(c, spool, msg, len, n);
		r[1] = last_cpu;
		if (write(p[1], r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], r, sizeof(r)) != (ssize_t)sizeof(r))
		fatalx("the measuring child failed");
	close(p[0]);
	waitpid(pid, &st, 0);
	/* the run directories it kept, as the master does for an agent */
	(void)spool_run_forget(spool, pid);
	last_cpu = r[1];
	return r[0];
}

/* run_spawn - n raw spawns; returns seconds */
static double
run_spawn(const char *prog, const char *arg, int n)
{
	char	*argv[] = { (char *)(uintptr_t)prog, (char *)(uintptr_t)arg,
		    NULL };
	double	 t0 = now_s();
	pid_t	 pid;
	int	 i, st;

	for (i = 0; i < n; i++) {
		if (posix_spawn(&pid, prog, NULL, NULL, argv, environ) != 0)
			fatal("posix_spawn");
		waitpid(pid, &st, 0);
	}
	return now_s() - t0;
}

/* cmp - qsort doubles */
static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char	*prog = "/bin/true";
	const char	*base = "/tmp";
	char		*dir, *msg, *path, why[256];
	double		 t0[16], t1[16], t2[16], tr[16], a, b, b2, r;
	double		 u1[16], u2[16];
	int		 n = 2000, rounds = 3, ch, i;
	size_t		 len;
	struct config	*c0, *c1, *c2;

	while ((ch = getopt(argc, argv, "n:p:r:s:")) != -1) {
		switch (ch) {
		case 's': base = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'p': prog = optarg; break;
		case 'r': rounds = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_engine [-n messages] "
			    "[-r rounds] [-p program] [-s spooldir]\n");
			return 64;
		}
	}
	if (rounds < 1 || rounds > 15 || n < 1)
		fatalx("bad -n or -r");
	log_init("bench", LOG_DEST_NONE, 0);
	xasprintf(&dir, "%s/sluice-bench.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp %s", dir);
	xasprintf(&path, "%s/empty.d", dir);
	if (mkdir(path, 0700) != 0)
		fatal("mkdir %s", path);
	free(path);
	/* a 4 KiB message */
	len = 4096;
	msg = xmalloc(len + 1);
	len = (size_t)snprintf(msg, len, "From: a@example.org\n"
	    "To: b@example.net\nSubject: bench\nMessage-ID: <1@x>\n\n");
	for (; len < 4095; len++)
		msg[len] = (len % 64 == 63) ? '\n' : 'x';
	msg[len++] = '\n';
	/* as the launcher does: the spool hidden from the filters */
	if (spawn_sandbox_init(dir, why, sizeof(why)) != 0)
		fatalx("%s", why);
	c0 = load(dir, prog, 0, "default");
	c1 = load(dir, prog, 1, "default");
	c2 = load(dir, prog, 1, "none");
	/* as root, each run as the filter's own user, as sluiced runs it
	 * (the spool passable to it, as sluiced's is) */
	if (geteuid() == 0) {
		c1->switch_users = c2->switch_users = 1;
		if (chmod(dir, 0711) != 0)
			fatal("chmod %s", dir);
	}
	xasprintf(&path, "%s/message", dir);
	fclose(fopen(path, "w"));
	/* warm up, then interleave the three so drift hits all alike */
	run_engine(c1, dir, msg, len, n / 10 + 1);
	for (i = 0; i < rounds; i++) {
		t0[i] = run_engine(c0, dir, msg, len, n);
		t1[i] = run_as_keeper(c1, SANDBOX_DEFAULT, dir, msg, len, n);
		u1[i] = last_cpu;
		t2[i] = run_as_keeper(c2, SANDBOX_NONE, dir, msg, len, n);
		u2[i] = last_cpu;
		tr[i] = run_spawn(prog, path, n);
	}
	qsort(t0, (size_t)rounds, sizeof(double), cmp);
	qsort(t1, (size_t)rounds, sizeof(double), cmp);
	qsort(t2, (size_t)rounds, sizeof(double), cmp);
	qsort(tr, (size_t)rounds, sizeof(double), cmp);
	qsort(u1, (size_t)rounds, sizeof(double), cmp);
	qsort(u2, (size_t)rounds, sizeof(double), cmp);
	a = n / t0[rounds / 2];
	b = n / t1[rounds / 2];
	b2 = n / t2[rounds / 2];
	r = n / tr[rounds / 2];
	printf("engine: %d messages of 4 KiB, median of %d rounds, program "
	    "%s, spool in %s\n", n, rounds, prog, base);
	printf("  %-36s %9.0f msg/s\n", "(a) engine, no filter", a);
	printf("  %-36s %9.0f msg/s\n", "(b) engine, one exec filter", b);
	printf("  %-36s %9.0f msg/s\n", "(b0) the same, sandbox = none", b2);
	printf("  %-36s %9.0f spawn/s\n", "(c) raw posix_spawn + waitpid", r);
	printf("  %-36s %9.2f   (aim: <= 1.20)\n",
	    "cost ratio b/c (time per message)", r / b);
	printf("  %-36s %9.2f   (aim: <= 1.10)\n",
	    "sandbox cost b0/b (time per run)", b2 / b);
	printf("  %-36s %9.0f us (b), %.0f us (b0)\n",
	    "CPU per message, filter's included", u1[rounds / 2] / n * 1e6,
	    u2[rounds / 2] / n * 1e6);
	printf("  %-36s %9.2f   (%zu Landlock rules a run)\n",
	    "sandbox cost in CPU time", u1[rounds / 2] / u2[rounds / 2],
	    sandbox_fs_rules());
	/*
	 * The sandbox's cost in pairs: a batch sandboxed, then the same
	 * batch not, PAIRS times; the median of the pairs' ratios.  Load
	 * from elsewhere that comes and goes hits both halves of a pair
	 * alike, where it skews rounds of thousands.
	 */
	{
		double	pw[PAIRS], pc[PAIRS], w1, w2, cc1;
		int	k, m = n / PAIRS > 20 ? n / PAIRS : 20;

		for (k = 0; k < PAIRS; k++) {
			w1 = run_as_keeper(c1, SANDBOX_DEFAULT, dir, msg, len,
			    m);
			cc1 = last_cpu;
			w2 = run_as_keeper(c2, SANDBOX_NONE, dir, msg, len, m);
			pw[k] = w1 / w2;
			pc[k] = cc1 / last_cpu;
		}
		qsort(pw, PAIRS, sizeof(double), cmp);
		qsort(pc, PAIRS, sizeof(double), cmp);
		printf("  %-36s %9.2f   (aim: <= 1.10; %d pairs of %d, "
		    "quartiles %.2f-%.2f)\n", "sandbox cost, paired (time)",
		    (pw[PAIRS / 2 - 1] + pw[PAIRS / 2]) / 2, PAIRS, m,
		    pw[PAIRS / 4], pw[3 * PAIRS / 4]);
		printf("  %-36s %9.2f   (aim: <= 1.10; quartiles %.2f-%.2f)\n",
		    "sandbox cost, paired (CPU)",
		    (pc[PAIRS / 2 - 1] + pc[PAIRS / 2]) / 2, pc[PAIRS / 4],
		    pc[3 * PAIRS / 4]);
	}
	unlink(path);
	free(path);
	config_unref(&c0);
	config_unref(&c1);
	config_unref(&c2);
	spool_remove(dir);
	free(dir);
	free(msg);
	return 0;
}
