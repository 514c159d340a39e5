/*
 * ctl_scan.c - "sluicectl scan": the pipeline over stored mail
 *
 * Runs every message of mbox files, Maildirs or single files through the
 * engine, -j jobs at a time (sharing one config snapshot, so instances
 * limits and error thresholds apply across the jobs as in the daemon),
 * and prints one line per message and a summary.  On a terminal a
 * progress line shows how far it got.
 * SECURITY: as "try": filters run as the invoking user in a private
 * temporary spool.
 * ERRORS: unreadable paths and messages are reported and counted; the
 * exit status is 0 when every message was scanned, 1 otherwise, or the
 * usage and config statuses of sluicectl(8).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_common.h"
#include "mailbox.h"
#include "config/config.h"
#include "engine/engine.h"
#include "engine/spool.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"

#define MAX_JOBS	64

struct scan {
	pthread_mutex_t		 mu;
	struct config		*cfg;
	char			*base;
	char			**paths;
	int			 npaths;
	int			 pathi;
	struct mailbox		*mb;
	const struct envelope	*given;		/* -f and -r */
	int			 progress;
	unsigned long		 count[V_COUNT];
	unsigned long		 scanned;
	unsigned long		 failed;
	/* for the progress line: bytes of all paths, and done so far */
	unsigned long long	 total_bytes;
	unsigned long long	 done_bytes;
	long long		 t0, shown;	/* ms */
};

/* path_bytes - the bytes of a file, or of the files of a directory
 * tree (a Maildir's cur/ and new/); what cannot be read counts 0 */
static unsigned long long
path_bytes(const char *path, int depth)
{
	struct dirent		*d;
	struct stat		 st;
	unsigned long long	 n = 0;
	char			*sub;
	DIR			*dir;

	if (stat(path, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return (unsigned long long)st.st_size;
	if (!S_ISDIR(st.st_mode) || depth > 2 || (dir = opendir(path)) == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		xasprintf(&sub, "%s/%s", path, d->d_name);
		n += path_bytes(sub, depth + 1);
		free(sub);
	}
	closedir(dir);
	return n;
}

/* show_progress - "1200 messages, 85/s, 2m 10s left" on the terminal,
 * at most five times a second; under the lock */
static void
show_progress(struct scan *s, size_t len)
{
	long long		now = clock_mono_ms(), el, left;
	unsigned long long	rest;
	double			rate;

	s->done_bytes += len;
	if (now - s->shown < 200)
		return;
	s->shown = now;
	el = now - s->t0;
	rate = el > 0 ? (double)s->scanned * 1000.0 / (double)el : 0;
	fputs("\r\033[K", stderr);
	fprintf(stderr, "scanned %lu message%s, %.0f/s", s->scanned,
	    s->scanned == 1 ? "" : "s", rate);
	if (s->total_bytes > s->done_bytes && s->done_bytes > 0 && el > 1000) {
		rest = s->total_bytes - s->done_bytes;
		left = (long long)((double)rest * (double)el /
		    (double)s->done_bytes / 1000.0);
		if (left >= 3600)
			fprintf(stderr, ", %lldh %02lldm left", left / 3600,
			    left % 3600 / 60);
		else
			fprintf(stderr, ", %lldm %02llds left", left / 60,
			    left % 60);
	}
	fflush(stderr);
}

/* next_message - the next message of all paths, under the lock */
static int
next_message(struct scan *s, char **data, size_t *len, char **label)
{
	char	why[512];
	int	r;

	for (;;) {
		if (s->mb == NULL) {
			if (s->pathi >= s->npaths)
				return 0;
			s->mb = mailbox_open(s->paths[s->pathi++], why,
			    sizeof(why));
			if (s->mb == NULL) {
				fprintf(stderr, "sluicectl: %s\n", why);
				s->failed++;
				continue;
			}
		}
		r = mailbox_next(s->mb, data, len, label, why, sizeof(why));
		if (r == 1)
			return 1;
		if (r < 0) {
			fprintf(stderr, "sluicectl: %s\n", why);
			s->failed++;
			free(*label);
			continue;
		}
		mailbox_close(&s->mb);
	}
}

/* scan_one - one message through the engine; prints its line */
static void
scan_one(struct scan *s, const char *data, size_t len, const char *label)
{
	struct envelope		 env = { 0 };
	struct engine_msg	 m;
	char			 why[512];
	size_t			 i;

	if (s->given->sender != NULL)
		env.sender = xstrdup(s->given->sender);
	for (i = 0; i < s->given->nrcpt; i++)
		envelope_add_rcpt(&env, s->given->rcpt[i]);
	mailbox_envelope(data, len, &env);
	if (ctl_filter_message(s->cfg, s->base, data, len, &env, &m, why,
	    sizeof(why)) != 0) {
		pthread_mutex_lock(&s->mu);
		fprintf(stderr, "sluicectl: %s: %s\n", label, why);
		s->failed++;
		pthread_mutex_unlock(&s->mu);
		envelope_free(&env);
		engine_msg_free(&m);
		return;
	}
	pthread_mutex_lock(&s->mu);
	if (s->progress && isatty(STDOUT_FILENO))
		fputs("\r\033[K", stderr);
	printf("%s\t%s\t%d %s %s\n", label, verdict_name(m.verdict),
	    m.reply.code, m.reply.status, m.reply.text);
	fflush(stdout);
	s->count[m.verdict]++;
	s->scanned++;
	if (s->progress)
		show_progress(s, len);
	pthread_mutex_unlock(&s->mu);
	(void)spool_remove(m.workdir);
	engine_msg_free(&m);
}

/* worker - take messages until there are none */
static void *
worker(void *arg)
{
	struct scan	*s = arg;
	char		*data, *label;
	size_t		 len;
	int		 r;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		r = next_message(s, &data, &len, &label);
		pthread_mutex_unlock(&s->mu);
		if (r == 0)
			return NULL;
		scan_one(s, data, len, label);
		free(data);
		free(label);
	}
}

/* ctl_scan - the command */
int
ctl_scan(int argc, char **argv)
{
	const char	*conf = SYSCONFDIR "/sluice/sluice.conf";
	char		*ov[CTL_MAX_OVERRIDES + 1] = { NULL }, *a;
	struct envelope	 given = { 0 };
	struct scan	 s;
	pthread_t	 tid[MAX_JOBS];
	int		 ch, nov = 0, jobs = 1, i, rc;
	enum verdict	 v;

	while ((ch = getopt(argc, argv, "c:f:j:O:r:v")) != -1) {
		switch (ch) {
		case 'c':	conf = optarg; break;
		case 'f':
			free(given.sender);
			given.sender = envelope_unbracket(optarg);
			break;
		case 'r':
			a = envelope_unbracket(optarg);
			envelope_add_rcpt(&given, a);
			free(a);
			break;
		case 'j':
			jobs = atoi(optarg);
			if (jobs < 1 || jobs > MAX_JOBS) {
				fprintf(stderr, "sluicectl scan: -j takes "
				    "1..%d\n", MAX_JOBS);
				envelope_free(&given);
				return EXIT_USAGE;
			}
			break;
		case 'O':
			if (nov == CTL_MAX_OVERRIDES) {
				fprintf(stderr, "sluicectl: too many -O\n");
				envelope_free(&given);
				return EXIT_USAGE;
			}
			ov[nov++] = optarg;
			break;
		case 'v':
			log_init("sluicectl", LOG_DEST_STDERR, 0);
			break;
		default:
			envelope_free(&given);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "sluicectl scan: no mailbox given\n");
		envelope_free(&given);
		return EXIT_USAGE;
	}
	memset(&s, 0, sizeof(s));
	if ((s.cfg = ctl_load_config(conf, ov)) == NULL) {
		envelope_free(&given);
		return EXIT_CONFIG;
	}
	if ((s.base = ctl_spool_base()) == NULL) {
		config_unref(&s.cfg);
		envelope_free(&given);
		return EXIT_SOFTWARE;
	}
	/* filters read nothing of the spool but their own message */
	{
		char	why[256];

		if (spawn_sandbox_init(s.base, why, sizeof(why)) != 0)
			fprintf(stderr, "sluicectl: %s\n", why);
	}
	pthread_mutex_init(&s.mu, NULL);
	s.paths = argv + optind;
	s.npaths = argc - optind;
	s.given = &given;
	s.progress = isatty(STDERR_FILENO);
	if (s.progress) {
		for (i = 0; i < s.npaths; i++)
			s.total_bytes += path_bytes(s.paths[i], 0);
		s.t0 = clock_mono_ms();
	}
	for (i = 0; i < jobs; i++)
		if (pthread_create(&tid[i], NULL, worker, &s) != 0)
			fatalx("pthread_create failed");
	for (i = 0; i < jobs; i++)
		pthread_join(tid[i], NULL);
	if (s.progress)
		fputs("\r\033[K", stderr);
	printf("%lu message%s:", s.scanned, s.scanned == 1 ? "" : "s");
	for (v = V_ACCEPT; v < V_ERROR; v++)
		printf(" %lu %s%s", s.count[v], verdict_name(v),
		    v + 1 < V_ERROR ? "," : "");
	if (s.failed)
		printf("; %lu could not be read", s.failed);
	putchar('\n');
	rc = s.failed ? 1 : 0;
	mailbox_close(&s.mb);
	pthread_mutex_destroy(&s.mu);
	(void)spool_remove(s.base);
	free(s.base);
	config_unref(&s.cfg);
	envelope_free(&given);
	return rc;
}
