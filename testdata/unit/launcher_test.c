/*
 * NAME
 *	launcher_test.c - unit tests for launcher.c and listen.c
 *
 * DESCRIPTION
 *	The launcher's wire format: a request and a result survive the
 *	round trip; every truncation and every corrupted count of a
 *	request is refused.  A real launcher process (forked here, as the
 *	master does) runs programs for several threads at once, reports
 *	exit codes, output and timeouts, and a request after the launcher
 *	died fails cleanly instead of hanging.  listen_parse() accepts
 *	the documented socket forms and refuses the rest with a reason.
 *
 * SECURITY
 *	Test code only; the programs run are /bin/sh and coreutils.
 *
 * ERRORS
 *	A failed expectation fails the test through cmocka.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/launcher.h"
#include "lib/listen.h"
#include "lib/xmalloc.h"

static char *const	sh_argv[] = { (char *)"/bin/sh", (char *)"-c",
			    (char *)"echo out; echo err >&2; exit 3", NULL };
static char *const	some_env[] = { (char *)"A=1", (char *)"B=two", NULL };

/* sample_req - a request with every field set */
static void
sample_req(struct spawn_req *r)
{
	memset(r, 0, sizeof(*r));
	r->argv = sh_argv;
	r->envp = some_env;
	r->cwd = "/tmp";
	r->timeout_ms = 5000;
	r->grace_ms = 200;
	r->capture_max = 1000;
	r->limits.cpu = 7;
	r->limits.as = 1 << 30;
	r->limits.nofile = 64;
}

/* check_req_roundtrip - decode(encode(r)) == r */
static void
check_req_roundtrip(void **state)
{
	struct spawn_req	r, d;
	struct buf		b;
	char			*strs, why[200];

	sample_req(&r);
	buf_init(&b, 0);
	launcher_req_encode(&r, &b);
	assert_int_equal(launcher_req_decode(b.data, b.len, &d, &strs, why,
	    sizeof(why)), 0);
	assert_string_equal(d.argv[0], "/bin/sh");
	assert_string_equal(d.argv[2], "echo out; echo err >&2; exit 3");
	assert_null(d.argv[3]);
	assert_string_equal(d.envp[1], "B=two");
	assert_null(d.envp[2]);
	assert_string_equal(d.cwd, "/tmp");
	assert_int_equal(d.timeout_ms, 5000);
	assert_int_equal(d.grace_ms, 200);
	assert_int_equal(d.capture_max, 1000);
	assert_int_equal(d.limits.cpu, 7);
	assert_int_equal(d.limits.as, 1 << 30);
	assert_int_equal(d.limits.nofile, 64);
	launcher_req_free(&d, &strs);
	assert_null(strs);
	buf_free(&b);
}

/* check_req_truncated - every prefix of a request is refused */
static void
check_req_truncated(void **state)
{
	struct spawn_req	r, d;
	struct buf		b;
	char			*strs, why[200];
	size_t			len;

	sample_req(&r);
	buf_init(&b, 0);
	launcher_req_encode(&r, &b);
	for (len = 0; len < b.len; len++) {
		assert_int_equal(launcher_req_decode(b.data, len, &d, &strs,
		    why, sizeof(why)), -1);
		assert_null(strs);
	}
	buf_free(&b);
}

/* check_req_corrupt - wrong counts, a missing terminator, no program */
static void
check_req_corrupt(void **state)
{
	struct spawn_req	r, d;
	struct buf		b;
	char			*strs, why[200], *p;
	uint32_t		v;

	sample_req(&r);
	buf_init(&b, 0);
	launcher_req_encode(&r, &b);
	p = xmemdup(b.data, b.len);

	/* argc (second word) one too many, then zero */
	memcpy(&v, p + 4, 4);
	v++;
	memcpy(p + 4, &v, 4);
	assert_int_equal(launcher_req_decode(p, b.len, &d, &strs, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "words"));
	v = 0;
	memcpy(p + 4, &v, 4);
	assert_int_equal(launcher_req_decode(p, b.len, &d, &strs, why,
	    sizeof(why)), -1);

	/* an extra NUL inside a word */
	memcpy(p, b.data, b.len);
	p[b.len - 3] = '\0';
	assert_int_equal(launcher_req_decode(p, b.len, &d, &strs, why,
	    sizeof(why)), -1);

	/* bad magic */
	memcpy(p, b.data, b.len);
	p[0] ^= 1;
	assert_int_equal(launcher_req_decode(p, b.len, &d, &strs, why,
	    sizeof(why)), -1);
	free(p);
	buf_free(&b);
}

/* check_res_roundtrip - a result with NULs in its output survives */
static void
check_res_roundtrip(void **state)
{
	struct spawn_res	r, d;
	struct buf		b;
	char			why[200];
	size_t			len;

	memset(&r, 0, sizeof(r));
	r.outcome = SPAWN_SIGNALED;
	r.status = 9;
	r.pid = 1234;
	r.elapsed_us = 5678;
	r.out = (char *)"a\0b";
	r.outlen = 3;
	r.out_truncated = 1;
	r.err = (char *)"e";
	r.errlen = 1;
	buf_init(&b, 0);
	launcher_res_encode(&r, &b);
	assert_int_equal(launcher_res_decode(b.data, b.len, NULL, 0, &d, why,
	    sizeof(why)), 0);
	assert_int_equal(d.outcome, SPAWN_SIGNALED);
	assert_int_equal(d.status, 9);
	assert_int_equal(d.pid, 1234);
	assert_int_equal(d.elapsed_us, 5678);
	assert_int_equal(d.outlen, 3);
	assert_memory_equal(d.out, "a\0b", 3);
	assert_int_equal(d.out_truncated, 1);
	assert_string_equal(d.err, "e");
	spawn_res_free(&d);
	for (len = 0; len < b.len; len++)
		assert_int_equal(launcher_res_decode(b.data, len, NULL, 0, &d, why,
		    sizeof(why)), -1);
	buf_free(&b);
}

static int	ctl[2];
static pid_t	lpid;

/* launcher_up - fork a launcher the way the master does */
static int
launcher_up(void **state)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
	    0, ctl), 0);
	lpid = fork();
	assert_true(lpid >= 0);
	if (lpid == 0) {
		close(ctl[0]);
		launcher_main(ctl[1], -1, NULL, NULL, 0);
	}
	close(ctl[1]);
	launcher_client_init(ctl[0]);
	return 0;
}

/* launcher_down - kill it and its keepers */
static int
launcher_down(void **state)
{
	if (lpid > 0) {
		kill(lpid, SIGKILL);
		waitpid(lpid, NULL, 0);
	}
	close(ctl[0]);
	return 0;
}

/* run_one - a shell command through the launcher */
static void
run_one(const char *cmd, int timeout_ms, struct spawn_res *res)
{
	char *const		argv[] = { (char *)"/bin/sh", (char *)"-c",
				    (char *)cmd, NULL };
	char *const		envp[] = { (char *)"PATH=/bin:/usr/bin", NULL };
	struct spawn_req	r;
	char			why[200];

	memset(&r, 0, sizeof(r));
	r.argv = argv;
	r.envp = envp;
	r.timeout_ms = timeout_ms;
	r.grace_ms = 100;
	r.capture_max = 4096;
	assert_int_equal(launcher_spawn(&r, res, why, sizeof(why)), 0);
}

/* check_launcher_runs - exit code, output, timeout */
static void
check_launcher_runs(void **state)
{
	struct spawn_res	res;

	run_one("echo out; echo err >&2; exit 3", 5000, &res);
	assert_int_equal(res.outcome, SPAWN_EXITED);
	assert_int_equal(res.status, 3);
	assert_string_equal(res.out, "out\n");
	assert_string_equal(res.err, "err\n");
	spawn_res_free(&res);

	run_one("sleep 5", 200, &res);
	assert_int_equal(res.outcome, SPAWN_TIMEOUT);
	spawn_res_free(&res);
}

/* worker - one of several threads asking at once */
static void *
worker(void *arg)
{
	struct spawn_res	 res;
	char			 cmd[64], want[32];
	int			 i, n = (int)(intptr_t)arg;

	for (i = 0; i < 10; i++) {
		snprintf(cmd, sizeof(cmd), "echo %d-%d", n, i);
		snprintf(want, sizeof(want), "%d-%d\n", n, i);
		run_one(cmd, 5000, &res);
		if (res.outcome != SPAWN_EXITED || strcmp(res.out, want) != 0)
			return (void *)1;
		spawn_res_free(&res);
	}
	return NULL;
}

/* check_launcher_threads - answers never cross between threads */
static void
check_launcher_threads(void **state)
{
	pthread_t	t[4];
	void		*rv;
	int		i;

	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker,
		    (void *)(intptr_t)i), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
	}
}

/* check_launcher_gone - with the launcher dead a request fails fast */
static void
check_launcher_gone(void **state)
{
	char *const		argv[] = { (char *)"/bin/true", NULL };
	struct spawn_req	r;
	struct spawn_res	res;
	char			why[200];

	kill(lpid, SIGKILL);
	waitpid(lpid, NULL, 0);
	lpid = 0;
	memset(&r, 0, sizeof(r));
	r.argv = argv;
	r.timeout_ms = 1000;
	/* the control socket's peer is gone: sendmsg fails at once */
	assert_int_equal(launcher_spawn(&r, &res, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "launcher"));
}

struct listen_case {
	const char	*spec;
	int		 ok;
	int		 family;
	int		 port;
	const char	*path_or_why;
};

static const struct listen_case listen_cases[] = {
	{ "unix:/run/x.sock", 1, AF_UNIX, 0, "/run/x.sock" },
	{ "local:/run/x.sock", 1, AF_UNIX, 0, "/run/x.sock" },
	{ "unix:milter.sock", 1, AF_UNIX, 0, "/rd/milter.sock" },
	{ "inet:127.0.0.1:8890", 1, AF_INET, 8890, NULL },
	{ "inet:8890@127.0.0.1", 1, AF_INET, 8890, NULL },
	{ "inet:localhost:25", 1, AF_INET, 25, NULL },
	{ "inet:*:10025", 1, AF_INET, 10025, NULL },
	{ "inet6:[::1]:8890", 1, AF_INET6, 8890, NULL },
	{ "inet6:8890@::1", 1, AF_INET6, 8890, NULL },
	{ "unix:", 0, 0, 0, "no path" },
	{ "inet:127.0.0.1", 0, 0, 0, "no port" },
	{ "inet:127.0.0.1:0", 0, 0, 0, "bad port" },
	{ "inet:127.0.0.1:65536", 0, 0, 0, "bad port" },
	{ "inet:127.0.0.1:8x", 0, 0, 0, "bad port" },
	{ "inet:mail.example.org:25", 0, 0, 0, "not looked up" },
	{ "inet:::1:25", 0, 0, 0, "numeric IPv4" },
	{ "tcp:127.0.0.1:25", 0, 0, 0, "expected unix:PATH" },
	{ "8890", 0, 0, 0, "expected unix:PATH" },
};

/* check_listen_parse - the table above */
static void
check_listen_parse(void **state)
{
	const struct listen_case	*c;
	struct listener			 l;
	char				 why[300];
	size_t				 i;
	int				 rc;

	for (i = 0; i < sizeof(listen_cases) / sizeof(listen_cases[0]);
	    i++) {
		c = &listen_cases[i];
		why[0] = '\0';
		rc = listen_parse(c->spec, "/rd", &l, why, sizeof(why));
		if (!c->ok) {
			if (rc != -1 || strstr(why, c->path_or_why) == NULL)
				fail_msg("%s: rc %d why \"%s\"", c->spec, rc,
				    why);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", c->spec, why);
		assert_int_equal(l.family, c->family);
		if (c->family == AF_UNIX)
			assert_string_equal(l.path, c->path_or_why);
		else if (c->family == AF_INET)
			assert_int_equal(ntohs(((struct sockaddr_in *)
			    &l.ss)->sin_port), c->port);
		else
			assert_int_equal(ntohs(((struct sockaddr_in6 *)
			    &l.ss)->sin6_port), c->port);
		listen_close(&l, 0);
	}
}

/* check_listen_long_path - a unix path that does not fit sun_path */
static void
check_listen_long_path(void **state)
{
	struct listener	l;
	char		spec[200], why[300];

	snprintf(spec, sizeof(spec), "unix:/%0120d", 0);
	assert_int_equal(listen_parse(spec, "/", &l, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than"));
}

/* main - run the launcher and listen tests */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_req_roundtrip),
		cmocka_unit_test(check_req_truncated),
		cmocka_unit_test(check_req_corrupt),
		cmocka_unit_test(check_res_roundtrip),
		cmocka_unit_test(check_listen_parse),
		cmocka_unit_test(check_listen_long_path),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(check_launcher_runs),
		cmocka_unit_test(check_launcher_threads),
		cmocka_unit_test(check_launcher_gone),
	};
	int	rc;

	signal(SIGPIPE, SIG_IGN);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	return rc + cmocka_run_group_tests(live, launcher_up, launcher_down);
}
