/*
 * accept_guard_test.c - unit tests for accept_guard.c
 *
 * Real sockets (abstract unix sockets, nothing in the file system) and
 * a real shortage: the test lowers its own soft RLIMIT_NOFILE so that
 * no descriptor number is free below it, and raises it again after.
 * The pause is checked on an injected clock.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/accept_guard.h"
#include "lib/clock.h"
#include "lib/log.h"

#define TURNED	"421 test\r\n"

static struct sockaddr_un	addr;
static socklen_t		addrlen;
static struct rlimit		saved;
static long long		now = 1000000;

/* fake_clock - the injected clock */
static long long
fake_clock(void)
{
	return now;
}

/* listener - a non-blocking listening socket at addr */
static int
listener(void)
{
	static int	seq;
	int		fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	/* abstract: sun_path[0] stays NUL */
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1,
	    "sluice-accept-guard-test.%d.%d", (int)getpid(), seq++);
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(addr.sun_path + 1));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, addrlen), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

/* client - a connection to addr, waiting in its backlog */
static int
client(void)
{
	int	fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, addrlen), 0);
	return fd;
}

/* lowest_free - the lowest descriptor number not in use */
static int
lowest_free(void)
{
	int	fd;

	fd = fcntl(0, F_DUPFD, 0);
	if (fd < 0)
		fd = fcntl(STDERR_FILENO, F_DUPFD, 0);
	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/* nofile - set the soft descriptor limit (0: back to what it was) */
static void
nofile(int n)
{
	struct rlimit	rl = saved;

	if (n > 0)
		rl.rlim_cur = (rlim_t)n;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

/* say_421 - a refuse() that answers and closes, and counts */
static void
say_421(int fd, void *arg)
{
	int	*calls = arg;

	(*calls)++;
	assert_int_equal(write(fd, TURNED, strlen(TURNED)),
	    (ssize_t)strlen(TURNED));
	close(fd);
}

/* setup - the real clock, the limit to restore, no log output */
static int
setup(void **state)
{
	(void)state;
	log_init("accept_guard_test", LOG_DEST_NONE, 0);
	clock_ms = clock_mono_ms;
	return getrlimit(RLIMIT_NOFILE, &saved);
}

/* teardown - the limit back, whatever a test left */
static int
teardown(void **state)
{
	(void)state;
	clock_ms = clock_mono_ms;
	return setrlimit(RLIMIT_NOFILE, &saved);
}

/* test_spare - out of descriptor numbers, the spare takes the waiting
 * client, which gets refuse()'s answer and then the end of the stream */
static void
test_spare(void **state)
{
	struct accept_guard	g;
	char			buf[64];
	ssize_t			n;
	int			l, c, c2, fd, calls = 0;

	(void)state;
	accept_guard_init(&g, "test");
	assert_true(g.spare >= 0);
	l = listener();
	c = client();
	nofile(lowest_free());
	assert_int_equal(accept_guard_accept(&g, l, NULL, NULL, SOCK_CLOEXEC,
	    say_421, &calls), -1);
	assert_int_equal(errno, EMFILE);
	assert_int_equal(calls, 1);
	n = read(c, buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)strlen(TURNED));
	assert_memory_equal(buf, TURNED, strlen(TURNED));
	assert_int_equal(read(c, buf, sizeof(buf)), 0);
	/* the spare is back, and the backlog is empty */
	assert_true(g.spare >= 0);
	assert_true(accept_guard_wait_ms(&g) > 0);
	assert_true(accept_guard_wait_ms(&g) <= ACCEPT_DELAY_MIN);
	nofile(0);
	assert_int_equal(accept_guard_accept(&g, l, NULL, NULL, SOCK_CLOEXEC,
	    say_421, &calls), -1);
	assert_int_equal(errno, EAGAIN);
	/* descriptors back: a client is taken, the pause is over */
	c2 = client();
	fd = accept_guard_accept(&g, l, NULL, NULL, SOCK_CLOEXEC, say_421,
	    &calls);
	assert_true(fd >= 0);
	assert_int_equal(calls, 1);
	assert_int_equal(accept_guard_wait_ms(&g), 0);
	close(fd);
	close(c2);
	close(c);
	close(l);
	close(g.spare);
}

/* test_no_spare - when even the spare's number is above the limit,
 * nothing is refused: the client waits in the backlog, and is taken
 * once the limit is raised */
static void
test_no_spare(void **state)
{
	struct accept_guard	g;
	int			l, c, fd, calls = 0;

	(void)state;
	accept_guard_init(&g, "test");
	l = listener();
	c = client();
	/* every number below the spare's is taken: it was the lowest */
	nofile(g.spare);
	assert_int_equal(accept_guard_accept(&g, l, NULL, NULL, SOCK_CLOEXEC,
	    say_421, &calls), -1);
	assert_int_equal(errno, EMFILE);
	assert_int_equal(calls, 0);
	assert_true(accept_guard_wait_ms(&g) > 0);
	nofile(0);
	fd = accept_guard_accept(&g, l, NULL, NULL, SOCK_CLOEXEC, say_421,
	    &calls);
	assert_true(fd >= 0);
	assert_int_equal(calls, 0);
	assert_true(g.spare >= 0);
	assert_int_equal(accept_guard_wait_ms(&g), 0);
	close(fd);
	close(c);
	close(l);
	close(g.spare);
}

/* test_pause - 10 ms doubling up to 1 s; the clock runs it down; one
 * connection taken ends it, and the next shortage starts at 10 ms */
static void
test_pause(void **state)
{
	static const int	want[] = { 10, 20, 40, 80, 160, 320, 640,
				    1000, 1000, 1000 };
	struct accept_guard	g;
	size_t			i;
	int			l, c, fd;

	(void)state;
	clock_ms = fake_clock;
	accept_guard_init(&g, "test");
	assert_int_equal(accept_guard_wait_ms(&g), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		accept_guard_failed(&g, "pthread_create", EAGAIN);
		assert_int_equal(accept_guard_wait_ms(&g), want[i]);
	}
	now += 300;
	assert_int_equal(accept_guard_wait_ms(&g), 700);
	now += 700;
	assert_int_equal(accept_guard_wait_ms(&g), 0);
	l = listener();
	c = client();
	fd = accept_guard_accept(&g, l, NULL, NULL, SOCK_CLOEXEC, NULL,
	    NULL);
	assert_true(fd >= 0);
	accept_guard_failed(&g, "calloc", ENOMEM);
	assert_int_equal(accept_guard_wait_ms(&g), ACCEPT_DELAY_MIN);
	close(fd);
	close(c);
	close(l);
	close(g.spare);
}

/* test_starved - which errors a pause can cure */
static void
test_starved(void **state)
{
	(void)state;
	assert_true(accept_guard_starved(EMFILE));
	assert_true(accept_guard_starved(ENFILE));
	assert_true(accept_guard_starved(ENOMEM));
	assert_true(accept_guard_starved(ENOBUFS));
	assert_false(accept_guard_starved(EAGAIN));
	assert_false(accept_guard_starved(ECONNABORTED));
	assert_false(accept_guard_starved(EINTR));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_spare, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pause, setup, teardown),
		cmocka_unit_test(test_starved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
