/*
 * ctl_try.c - "sluicectl try": one message through the whole pipeline
 *
 * Shows, for every rule, whether it matched and why, the argv after
 * substitution, the exit status and time, the directives applied; then
 * the verdict and the reply an MTA would get.  -o writes the resulting
 * message.  The exit status says the verdict.
 * SECURITY: filters run as the invoking user, in a private temporary
 * spool that is removed afterwards.  Trace output quotes every value
 * from the message or a filter so control characters cannot fake lines.
 * ERRORS: to stderr, with the exit statuses of sluicectl(8).
 */
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_common.h"
#include "config/config.h"
#include "engine/engine.h"
#include "engine/spool.h"
#include "lib/buf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"

#define INPUT_MAX	(1024UL * 1024 * 1024)

/* read_input - a whole file, or stdin for "-" */
static int
read_input(const char *path, struct buf *b)
{
	char	chunk[65536];
	ssize_t	n;
	int	fd;

	buf_init(b, INPUT_MAX);
	fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
	    open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_append(b, chunk, (size_t)n) != 0) {
			errno = EFBIG;
			n = -1;
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return n < 0 ? -1 : 0;
}

/* print_escaped - a value with control and 8-bit bytes as \xNN, so no
 * value can start a line of its own in the trace */
static void
print_escaped(const char *w, int quote)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)w; *p != '\0'; p++) {
		if (quote && *p == '\'')
			fputs("'\\''", stdout);
		else if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

/* print_word - one argument, shell-quoted, bytes escaped */
static void
print_word(const char *w)
{
	putchar('\'');
	print_escaped(w, 1);
	putchar('\'');
}

/* print_block - indented lines of captured output */
static void
print_block(const char *label, const char *text)
{
	const char	*p = text, *lf;

	if (text == NULL)
		return;
	while (*p != '\0') {
		lf = strchr(p, '\n');
		printf("    %s: %.*s\n", label, (int)(lf ? lf - p :
		    (long)strlen(p)), p);
		if (lf == NULL)
			break;
		p = lf + 1;
	}
}

/* matched_word - a step's matched field in words */
static const char *
matched_word(int matched)
{
	return matched < 0 ? "undecided" : matched ? "matched" :
	    "not matched";
}

/* print_trace - what happened at each rule */
static void
print_trace(const struct engine_msg *m)
{
	const struct engine_step	*st;
	size_t				 i, j;

	for (i = 0; i < m->nsteps; i++) {
		st = &m->steps[i];
		if (st->kind == STEP_ADDRESS_RULE) {
			printf("address rule \"%s\": %s: %s\n", st->rule,
			    matched_word(st->matched), st->why);
		} else {
			printf("rule \"%s\" (filter %s): %s: %s\n", st->rule,
			    st->filter, matched_word(st->matched), st->why);
		}
		if (st->argv != NULL) {
			printf("    argv:");
			for (j = 0; st->argv[j] != NULL; j++) {
				putchar(' ');
				print_word(st->argv[j]);
			}
			putchar('\n');
		}
		if (st->outcome[0] != '\0')
			printf("    status: %s, %.1f ms\n", st->outcome,
			    st->elapsed_us / 1000.0);
		print_block("stdout", st->out_head);
		print_block("stderr", st->err_head);
		for (j = 0; st->applied != NULL && st->applied[j] != NULL;
		    j++) {
			printf("    applied: ");
			print_escaped(st->applied[j], 0);
			putchar('\n');
		}
		if (st->reason != NULL)
			printf("    reason: %s\n", st->reason);
		if (st->error[0] != '\0') {
			printf("    error: ");
			print_escaped(st->error, 0);
			putchar('\n');
		}
		if (st->matched && st->kind == STEP_RULE) {
			if (st->verdict == V_ERROR)
				printf("    verdict: error -> %s (on_error)\n",
				    st->result == V_CONTINUE ? "skip" :
				    verdict_name(st->result));
			else
				printf("    verdict: %s\n",
				    verdict_name(st->result));
		}
	}
	for (i = m->nsteps; i < m->cfg->narules + m->cfg->nrules; i++)
		if (i >= m->cfg->narules)
			printf("rule \"%s\": not reached\n",
			    m->cfg->rules[i - m->cfg->narules].name);
}

/* print_envelope - the envelope as the engine sees it at the end */
static void
print_envelope(const char *label, const struct envelope *env)
{
	size_t	i;

	printf("%s: from <", label);
	print_escaped(env->sender, 0);
	printf("> to");
	for (i = 0; i < env->nrcpt; i++) {
		printf(" <");
		print_escaped(env->rcpt[i], 0);
		putchar('>');
	}
	putchar('\n');
}

/* fd_sink - engine_write_message() into a file */
static int
fd_sink(void *arg, const char *p, size_t len)
{
	return io_write_all(*(int *)arg, p, len, -1);
}

/* write_output - the resulting message to path */
static int
write_output(struct engine_msg *m, const char *path)
{
	int	fd, rc;

	fd = strcmp(path, "-") == 0 ? STDOUT_FILENO :
	    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "sluicectl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = engine_write_message(m, fd_sink, &fd);
	if (rc != 0)
		fprintf(stderr, "sluicectl: %s: %s\n", path, strerror(errno));
	if (fd != STDOUT_FILENO && close(fd) != 0)
		rc = -1;
	return rc;
}

/* ctl_try - the command */
int
ctl_try(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "client", required_argument, NULL, 'C' },
		{ "client-name", required_argument, NULL, 'N' },
		{ "helo", required_argument, NULL, 'H' },
		{ "auth", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	const char		*conf = SYSCONFDIR "/sluice/sluice.conf";
	const char		*out = NULL;
	char			*ov[CTL_MAX_OVERRIDES + 1] = { NULL };
	char			*base = NULL, why[512];
	struct envelope		 env = { 0 };
	struct engine_msg	 m;
	struct config		*cfg;
	struct buf		 in;
	int			 ch, nov = 0, verbose = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:f:o:O:q:r:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':	conf = optarg; break;
		case 'f':
			free(env.sender);
			env.sender = envelope_unbracket(optarg);
			break;
		case 'r': {
			char *a = envelope_unbracket(optarg);

			envelope_add_rcpt(&env, a);
			free(a);
			break;
		}
		case 'o':	out = optarg; break;
		case 'O':
			if (nov == CTL_MAX_OVERRIDES) {
				fprintf(stderr, "sluicectl: too many -O\n");
				return EXIT_USAGE;
			}
			ov[nov++] = optarg;
			break;
		case 'q':	free(env.queue_id);
				env.queue_id = xstrdup(optarg); break;
		case 'C':	env.client_addr = xstrdup(optarg); break;
		case 'N':	env.client_name = xstrdup(optarg); break;
		case 'H':	env.helo = xstrdup(optarg); break;
		case 'A':	env.auth_user = xstrdup(optarg); break;
		case 'v':	verbose = 1; break;
		default:
			envelope_free(&env);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sluicectl try: one message file (or -) "
		    "expected\n");
		envelope_free(&env);
		return EXIT_USAGE;
	}
	if (verbose)
		log_init("sluicectl", LOG_DEST_STDERR, 0);
	if ((cfg = ctl_load_config(conf, ov)) == NULL) {
		envelope_free(&env);
		return EXIT_CONFIG;
	}
	if (read_input(argv[optind], &in) != 0) {
		fprintf(stderr, "sluicectl: %s: %s\n", argv[optind],
		    strerror(errno));
		buf_free(&in);
		envelope_free(&env);
		config_unref(&cfg);
		return EXIT_NOINPUT;
	}
	if ((base = ctl_spool_base()) == NULL) {
		buf_free(&in);
		envelope_free(&env);
		config_unref(&cfg);
		return EXIT_SOFTWARE;
	}
	/* filters read nothing of the spool but their own message */
	if (spawn_sandbox_init(base, why, sizeof(why)) != 0)
		fprintf(stderr, "sluicectl: %s\n", why);
	if (env.sender == NULL)
		env.sender = xstrdup("");	/* the null sender */
	/* one filter at a time: nothing a run starts outlives it (the
	 * engine reaps what is left after each run) */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	printf("message: %s (%zu bytes)\n", argv[optind], in.len);
	print_envelope("envelope", &env);
	if (ctl_filter_message(cfg, base, in.data ? in.data : "", in.len,
	    &env, &m, why, sizeof(why)) != 0) {
		fprintf(stderr, "sluicectl: %s\n", why);
		rc = EXIT_SOFTWARE;
	} else {
		print_trace(&m);
		if (m.nmods > 0 || m.body_replaced)
			print_envelope("final envelope", &m.env);
		printf("verdict: %s%s%s%s\n", verdict_name(m.verdict),
		    m.decided_by ? " (rule \"" : "",
		    m.decided_by ? m.decided_by : "",
		    m.decided_by ? "\")" : "");
		printf("reply: %d %s %s\n", m.reply.code, m.reply.status,
		    m.reply.text);
		rc = ctl_verdict_exit(m.verdict);
		fflush(stdout);
		if (out != NULL && write_output(&m, out) != 0)
			rc = EXIT_SOFTWARE;
	}
	engine_msg_free(&m);
	(void)spool_remove(base);
	free(base);
	buf_free(&in);
	envelope_free(&env);
	config_unref(&cfg);
	return rc;
}
