/*
 * modcheck.c - a configuration's modules loaded once in a throw-away
 * process
 *
 * The master must not run module code: it is root, and a module's init
 * may load hundreds of MiB (a virus signature set) that every later
 * fork would copy.  So a checking child becomes the sluice user, sets
 * no_new_privs, loads every module as the agent will
 * (engine_modules_load: dlopen, ABI version, init with the settings),
 * calls each fini, and writes its reasons, one per line, to a pipe.  A
 * child that crashes, exits in a module or takes longer than
 * CHECK_TIMEOUT_S is a refusal too, with what happened.
 *
 * SECURITY: the child drops root before the first dlopen; nothing it
 * writes is trusted but as text of a bounded size.
 * ERRORS: -1 with reasons in the caller's config_errors; logs nothing.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/modcheck.h"
#include "daemon/privsep.h"
#include "engine/engine_module.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/io.h"

#define CHECK_TIMEOUT_S	120
#define CHECK_OUT_MAX	(64 * 1024)
#define DONE		"."	/* the child's last line */

/* check_child - in the child: load, report, unload; never returns */
static void
check_child(const struct config *c, int out)
{
	struct config_errors	 ce = { 0 };
	struct config		*cc = (struct config *)c;	/* our copy */
	struct buf		 b;
	char			 why[300];
	size_t			 i;

	if (privsep_drop(c->user, c->uid, c->gid, why, sizeof(why)) != 0) {
		dprintf(out, "module check: %s\n", why);
		_exit(1);
	}
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	(void)engine_modules_load(cc, &ce);
	buf_init(&b, 0);
	for (i = 0; i < ce.n; i++)
		buf_appendf(&b, "%s\n", ce.msg[i]);
	buf_appendf(&b, "%s\n", DONE);	/* not an exit(0) in an init */
	(void)io_write_all(out, b.data, b.len, 10000);
	for (i = 0; i < cc->nfilters; i++)
		if (cc->filters[i].mod != NULL) {
			cc->filters[i].mod_free(cc->filters[i].mod);
			cc->filters[i].mod = NULL;
		}
	_exit(ce.n > 0 ? 1 : 0);
}

/* modcheck_run - see modcheck.h */
int
modcheck_run(const struct config *c, struct config_errors *e)
{
	struct pollfd	 pfd;
	struct buf	 b;
	char		 chunk[4096], *line, *nl;
	long long	 deadline;
	size_t		 i, before = e->n;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2], st, timed_out = 0, done = 0;

	for (i = 0; i < c->nfilters; i++)
		if (c->filters[i].module != NULL)
			break;
	if (i == c->nfilters)
		return 0;
	if (pipe2(p, O_CLOEXEC) != 0) {
		config_errors_add(e, "module check: pipe: %s",
		    strerror(errno));
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		config_errors_add(e, "module check: fork: %s",
		    strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		check_child(c, p[1]);
	}
	close(p[1]);
	buf_init(&b, 0);
	deadline = clock_mono_ms() + CHECK_TIMEOUT_S * 1000LL;
	for (;;) {
		long long left = deadline - clock_mono_ms();

		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		pfd.fd = p[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = read(p[0], chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (b.len < CHECK_OUT_MAX)
			buf_append(&b, chunk, (size_t)n);
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	buf_appendc(&b, '\0');
	for (line = b.data; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (strcmp(line, DONE) == 0 && nl != NULL && *nl == '\0')
			done = 1;
		else
			config_errors_add(e, "%s", line);
	}
	buf_free(&b);
	if (timed_out)
		config_errors_add(e, "module check: the modules' init did not "
		    "finish within %d s", CHECK_TIMEOUT_S);
	else if (WIFSIGNALED(st))
		config_errors_add(e, "module check: the process loading the "
		    "modules was killed by signal %d (%s): a module's init "
		    "crashed", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (!done)
		config_errors_add(e, "module check: the process loading the "
		    "modules exited with status %d before it was done (a "
		    "module's init called exit?)", WIFEXITED(st) ?
		    WEXITSTATUS(st) : -1);
	return e->n == before ? 0 : -1;
}
