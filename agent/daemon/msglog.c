/*
 * msglog.c - the message log in SQLite (see msglog.h)
 *
 * The engine's hook copies what the row needs into a record and queues
 * it (at most QUEUE_MAX records; beyond that a record is dropped and
 * counted).  The writer thread takes what is queued, up to BATCH_MAX
 * records, and writes them in one transaction; WAL mode with
 * synchronous = NORMAL, so a batch costs one write of the log and no
 * fsync of the database.  Every CLEAN_EVERY_S it deletes the rows older
 * than log_keep.  A failure (a full disk, a locked or broken file) is
 * logged once a minute with the rows it lost; a database that cannot be
 * used is opened again after REOPEN_S.
 *
 * The schema (PRAGMA user_version 1):
 *   messages(id, time, queue_id, client_addr, client_name, helo,
 *            sender, recipients, size, subject, verdict, reply, rule)
 *   runs(message_id, seq, rule, filter, outcome, ms, verdict, error)
 * time is Unix time with fractions; recipients one per line, as they
 * came; runs.verdict is what the run led to (after on_error).
 *
 * SECURITY: the agent's user owns the file; values from outside go in
 * as bound parameters, never as SQL.
 * ERRORS: logged; never a message's failure.
 */
#include <sqlite3.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/msglog.h"
#include "engine/engine.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/header.h"
#include "rules/match.h"

#define QUEUE_MAX	20000
#define BATCH_MAX	1000
#define CLEAN_EVERY_S	600
#define REOPEN_S	10
#define REPORT_S	60
#define SUBJECT_MAX	998
#define STOP_WAIT_MS	10000

struct run_rec {
	char		*rule, *filter, *outcome, *error;
	double		 ms;
	const char	*verdict;
};

struct rec {
	struct rec	*next;
	double		 time;
	char		*queue_id, *client_addr, *client_name, *helo;
	char		*sender, *recipients, *subject, *reply, *rule;
	unsigned long long size;
	const char	*verdict;
	struct run_rec	*runs;
	size_t		 nruns;
};

static const char schema[] =
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = NORMAL;"
    "PRAGMA foreign_keys = ON;"
    "CREATE TABLE IF NOT EXISTS messages ("
    " id INTEGER PRIMARY KEY,"
    " time REAL NOT NULL,"
    " queue_id TEXT, client_addr TEXT, client_name TEXT, helo TEXT,"
    " sender TEXT, recipients TEXT, size INTEGER, subject TEXT,"
    " verdict TEXT NOT NULL, reply TEXT, rule TEXT);"
    "CREATE INDEX IF NOT EXISTS messages_time ON messages(time);"
    "CREATE TABLE IF NOT EXISTS runs ("
    " message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, rule TEXT, filter TEXT, outcome TEXT,"
    " ms REAL, verdict TEXT, error TEXT);"
    "CREATE INDEX IF NOT EXISTS runs_message ON runs(message_id);"
    "PRAGMA user_version = 1;";

static struct config_holder	*holder;
static char			*path;
static pthread_mutex_t		 mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 cv, done_cv;	/* monotonic clock */
static struct rec		*head, **tail = &head;
static size_t			 queued;
static int			 stopping, stopped;
static unsigned long long	 written, lost, lost_reported;
static pthread_t		 writer_t;
static int			 running;

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
rec_free(struct rec *r)
{
	size_t	i;

	for (i = 0; i < r->nruns; i++) {
		free(r->runs[i].rule);
		free(r->runs[i].filter);
		free(r->runs[i].outcome);
		free(r->runs[i].error);
	}
	free(r->runs);
	free(r->queue_id);
	free(r->client_addr);
	free(r->client_name);
	free(r->helo);
	free(r->sender);
	free(r->recipients);
	free(r->subject);
	free(r->reply);
	free(r->rule);
	free(r);
}

/* judged - the engine's hook: the row of one message, queued */
static void
judged(const struct engine_msg *m, const struct engine_input *in)
{
	const struct engine_step	*st;
	const struct header		*h;
	struct rec			*r;
	struct buf			 b;
	char				*subj;
	size_t				 i, n;
	int				 full;

	pthread_mutex_lock(&mu);
	full = queued >= QUEUE_MAX || stopping;
	if (full)
		lost++;
	pthread_mutex_unlock(&mu);
	if (full)
		return;
	r = xcalloc(1, sizeof(*r));
	r->time = (double)clock_wall_ms() / 1000.0;
	r->queue_id = dup_or_null(in->queue_id);
	r->client_addr = dup_or_null(in->client_addr);
	r->client_name = dup_or_null(in->client_name);
	r->helo = dup_or_null(in->helo);
	r->sender = dup_or_null(in->sender);
	buf_init(&b, 0);
	for (i = 0; i < in->nrcpt; i++)
		(void)buf_appendf(&b, "%s%s", i ? "\n" : "", in->rcpt[i]);
	r->recipients = buf_steal(&b, NULL);
	r->size = m->size;
	if ((h = header_get(&m->hdr, "Subject", 1)) != NULL) {
		subj = header_value_unfold(h->value);
		if (strlen(subj) > SUBJECT_MAX)
			subj[SUBJECT_MAX] = '\0';
		r->subject = subj;
	}
	r->verdict = verdict_name(m->verdict);
	xasprintf(&r->reply, "%d %s %s", m->reply.code, m->reply.status,
	    m->reply.text);
	r->rule = dup_or_null(m->decided_by);
	for (i = n = 0; i < m->nsteps; i++)
		if (m->steps[i].kind == STEP_RULE && m->steps[i].matched == 1)
			n++;
	r->runs = xcalloc(n + 1, sizeof(*r->runs));
	for (i = 0; i < m->nsteps; i++) {
		st = &m->steps[i];
		if (st->kind != STEP_RULE || st->matched != 1)
			continue;
		r->runs[r->nruns].rule = dup_or_null(st->rule);
		r->runs[r->nruns].filter = dup_or_null(st->filter);
		r->runs[r->nruns].outcome = st->outcome[0] ?
		    xstrdup(st->outcome) : NULL;
		r->runs[r->nruns].error = st->error[0] ?
		    xstrdup(st->error) : NULL;
		r->runs[r->nruns].ms = (double)st->elapsed_us / 1000.0;
		r->runs[r->nruns].verdict = verdict_name(st->result);
		r->nruns++;
	}
	pthread_mutex_lock(&mu);
	*tail = r;
	tail = &r->next;
	queued++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

/* db_open - the database, made with its schema when new */
static sqlite3 *
db_open(char *why, size_t whylen)
{
	sqlite3	*db = NULL;
	char	*err = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		why_set(why, whylen, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_exec(db, schema, NULL, NULL, &err) != SQLITE_OK) {
		why_set(why, whylen, "%s: %s", path, err != NULL ? err :
		    sqlite3_errmsg(db));
		sqlite3_free(err);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* write_batch - the records in one transaction; 0, or -1 with why */
static int
write_batch(sqlite3 *db, struct rec *list, char *why, size_t whylen)
{
	static const char	 ins_m[] = "INSERT INTO messages (time, "
	    "queue_id, client_addr, client_name, helo, sender, recipients, "
	    "size, subject, verdict, reply, rule) VALUES "
	    "(?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char	 ins_r[] = "INSERT INTO runs (message_id, seq, "
	    "rule, filter, outcome, ms, verdict, error) VALUES "
	    "(?,?,?,?,?,?,?,?)";
	sqlite3_stmt		*sm = NULL, *sr = NULL;
	struct rec		*r;
	sqlite3_int64		 id;
	size_t			 i;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, ins_m, -1, &sm, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, ins_r, -1, &sr, NULL) != SQLITE_OK)
		goto bad;
	for (r = list; r != NULL; r = r->next) {
		sqlite3_reset(sm);
		sqlite3_bind_double(sm, 1, r->time);
		bind_text(sm, 2, r->queue_id);
		bind_text(sm, 3, r->client_addr);
		bind_text(sm, 4, r->client_name);
		bind_text(sm, 5, r->helo);
		bind_text(sm, 6, r->sender);
		bind_text(sm, 7, r->recipients);
		sqlite3_bind_int64(sm, 8, (sqlite3_int64)r->size);
		bind_text(sm, 9, r->subject);
		bind_text(sm, 10, r->verdict);
		bind_text(sm, 11, r->reply);
		bind_text(sm, 12, r->rule);
		if (sqlite3_step(sm) != SQLITE_DONE)
			goto bad;
		id = sqlite3_last_insert_rowid(db);
		for (i = 0; i < r->nruns; i++) {
			sqlite3_reset(sr);
			sqlite3_bind_int64(sr, 1, id);
			sqlite3_bind_int(sr, 2, (int)i + 1);
			bind_text(sr, 3, r->runs[i].rule);
			bind_text(sr, 4, r->runs[i].filter);
			bind_text(sr, 5, r->runs[i].outcome);
			sqlite3_bind_double(sr, 6, r->runs[i].ms);
			bind_text(sr, 7, r->runs[i].verdict);
			bind_text(sr, 8, r->runs[i].error);
			if (sqlite3_step(sr) != SQLITE_DONE)
				goto bad;
		}
	}
	sqlite3_finalize(sm);
	sqlite3_finalize(sr);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto bad_done;
	return 0;
bad:
	sqlite3_finalize(sm);
	sqlite3_finalize(sr);
bad_done:
	why_set(why, whylen, "%s", sqlite3_errmsg(db));
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* clean - the rows older than log_keep */
static void
clean(sqlite3 *db)
{
	struct config	*c = config_holder_get(holder);
	sqlite3_stmt	*s = NULL;
	double		 before = (double)clock_wall_s() - c->log_keep;

	config_unref(&c);
	if (sqlite3_prepare_v2(db, "DELETE FROM messages WHERE time < ?", -1,
	    &s, NULL) != SQLITE_OK) {
		log_warnx("msglog: %s: cleaning: %s", path, sqlite3_errmsg(db));
		return;
	}
	sqlite3_bind_double(s, 1, before);
	if (sqlite3_step(s) != SQLITE_DONE)
		log_warnx("msglog: %s: cleaning: %s", path, sqlite3_errmsg(db));
	else if (sqlite3_changes(db) > 0)
		log_info("msglog: removed %d rows older than log_keep",
		    sqlite3_changes(db));
	sqlite3_finalize(s);
}

/* writer - the thread that writes the queue */
static void *
writer(void *arg)
{
	struct timespec	 ts;
	struct rec	*list, *r;
	sqlite3		*db = NULL;
	long long	 next_clean = 0, retry = 0, reported = 0, now;
	unsigned long long n, miss;
	char		 why[400];
	int		 down = 0;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (head == NULL && !stopping) {
			clock_mono_deadline(&ts, 1000);
			(void)pthread_cond_timedwait(&cv, &mu, &ts);
			if (head == NULL)
				break;
		}
		/* up to BATCH_MAX of them */
		list = head;
		for (n = 0, r = head; r != NULL && n < BATCH_MAX - 1; n++)
			r = r->next;
		if (r != NULL) {
			head = r->next;
			r->next = NULL;
			n++;
			if (head == NULL)
				tail = &head;
		} else {
			head = NULL;
			tail = &head;
		}
		queued -= n;
		pthread_mutex_unlock(&mu);

		now = clock_mono_ms();
		if (db == NULL && now >= retry) {
			if ((db = db_open(why, sizeof(why))) == NULL) {
				retry = now + REOPEN_S * 1000;
				if (!down++)
					log_warnx("msglog: %s; retrying every "
					    "%d s, rows are lost meanwhile", why,
					    REOPEN_S);
			} else if (down) {
				log_info("msglog: %s usable again", path);
				down = 0;
			}
		}
		if (list != NULL) {
			if (db == NULL || write_batch(db, list, why,
			    sizeof(why)) != 0) {
				pthread_mutex_lock(&mu);
				lost += n;
				pthread_mutex_unlock(&mu);
				if (db != NULL) {
					log_warnx("msglog: %s: %s; %llu rows "
					    "lost", path, why, n);
					reported = now;
					sqlite3_close(db);
					db = NULL;
					retry = now + REOPEN_S * 1000;
				}
			} else {
				pthread_mutex_lock(&mu);
				written += n;
				pthread_mutex_unlock(&mu);
			}
			while ((r = list) != NULL) {
				list = r->next;
				rec_free(r);
			}
		}
		pthread_mutex_lock(&mu);
		miss = lost - lost_reported;
		if (miss > 0 && now - reported >= REPORT_S * 1000) {
			lost_reported = lost;
			reported = now;
			pthread_mutex_unlock(&mu);
			log_warnx("msglog: %llu rows could not be written (%llu "
			    "since the start)", miss, lost_reported);
			pthread_mutex_lock(&mu);
		}
		if (stopping && head == NULL) {
			stopped = 1;
			pthread_cond_broadcast(&done_cv);
			pthread_mutex_unlock(&mu);
			break;
		}
		pthread_mutex_unlock(&mu);
		if (db != NULL && now >= next_clean) {
			clean(db);
			next_clean = now + CLEAN_EVERY_S * 1000;
		}
	}
	if (db != NULL)
		sqlite3_close(db);
	return NULL;
}

int
msglog_start(struct config_holder *cur, char *why, size_t whylen)
{
	struct config		*c = config_holder_get(cur);
	pthread_condattr_t	 ca;
	sqlite3			*db;

	holder = cur;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_cond_init(&done_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (c->log_db == NULL) {
		config_unref(&c);
		return 0;
	}
	path = xstrdup(c->log_db);
	config_unref(&c);
	/* a database that cannot be used is logged and tried again by
	 * the writer; mail goes on without its rows */
	if ((db = db_open(why, whylen)) == NULL)
		log_warnx("msglog: %s; retrying every %d s, rows are lost "
		    "meanwhile", why, REOPEN_S);
	else
		sqlite3_close(db);
	if (pthread_create(&writer_t, NULL, writer, NULL) != 0)
		return why_set(why, whylen, "msglog: cannot start a thread");
	running = 1;
	engine_judged = judged;
	return 0;
}

void
msglog_stop(void)
{
	struct timespec	ts;

	if (!running)
		return;
	clock_mono_deadline(&ts, STOP_WAIT_MS);
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_signal(&cv);
	while (!stopped)
		if (pthread_cond_timedwait(&done_cv, &mu, &ts) == ETIMEDOUT)
			break;
	if (!stopped)
		log_warnx("msglog: %zu rows not written at stop", queued);
	pthread_mutex_unlock(&mu);
}

void
msglog_stats(unsigned long long *w, unsigned long long *l)
{
	pthread_mutex_lock(&mu);
	*w = written;
	*l = lost;
	pthread_mutex_unlock(&mu);
}

/* any_line - re matches one of the lines of s */
static int
any_line(const struct regex *re, const char *s)
{
	const char	*nl;
	size_t		 len;

	for (;;) {
		nl = strchr(s, '\n');
		len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		if (regex_match(re, s, len) > 0)
			return 1;
		if (nl == NULL)
			return 0;
		s = nl + 1;
	}
}

static void
col_text(struct json *j, const char *key, sqlite3_stmt *s, int i)
{
	const unsigned char	*t = sqlite3_column_text(s, i);

	if (t == NULL)
		json_null(j, key);
	else
		json_strn(j, key, (const char *)t,
		    (size_t)sqlite3_column_bytes(s, i));
}

/* row_runs - the runs of message id */
static void
row_runs(sqlite3 *db, sqlite3_int64 id, struct json *j)
{
	sqlite3_stmt	*s = NULL;

	json_array(j, "runs");
	if (sqlite3_prepare_v2(db, "SELECT rule, filter, outcome, ms, "
	    "verdict, error FROM runs WHERE message_id = ? ORDER BY seq", -1,
	    &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			json_object(j, NULL);
			col_text(j, "rule", s, 0);
			col_text(j, "filter", s, 1);
			col_text(j, "outcome", s, 2);
			json_double(j, "ms", sqlite3_column_double(s, 3));
			col_text(j, "verdict", s, 4);
			col_text(j, "error", s, 5);
			json_end(j);
		}
	}
	sqlite3_finalize(s);
	json_end(j);
}

int
msglog_rows(const struct msglog_query *q, struct json *j, char *why,
    size_t whylen)
{
	struct regex	*rs = NULL, *rr = NULL;
	sqlite3_stmt	*s = NULL;
	sqlite3		*db = NULL;
	sqlite3_int64	*ids;
	const char	*snd, *rcp;
	long		 n = 0, i;
	int		 rc = -1;
	char		 w[200];

	if (path == NULL)
		return why_set(why, whylen, "there is no message log: log_db "
		    "is not set");
	if (q->sender != NULL &&
	    (rs = regex_compile(q->sender, "i", w, sizeof(w))) == NULL)
		return why_set(why, whylen, "sender: %s", w);
	if (q->recipient != NULL &&
	    (rr = regex_compile(q->recipient, "i", w, sizeof(w))) == NULL) {
		regex_free(&rs);
		return why_set(why, whylen, "recipient: %s", w);
	}
	ids = xcalloc((size_t)q->limit + 1, sizeof(*ids));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, "SELECT id, sender, "
	    "recipients FROM messages WHERE time >= ? AND (? IS NULL OR "
	    "verdict = ?) ORDER BY id DESC", -1, &s, NULL) != SQLITE_OK) {
		why_set(why, whylen, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(db, 2000);
	sqlite3_bind_double(s, 1, (double)q->since);
	bind_text(s, 2, q->verdict);
	bind_text(s, 3, q->verdict);
	/* the newest that match, newest first; regexes in C */
	while (n < q->limit && sqlite3_step(s) == SQLITE_ROW) {
		snd = (const char *)sqlite3_column_text(s, 1);
		rcp = (const char *)sqlite3_column_text(s, 2);
		if (rs != NULL && (snd == NULL ||
		    regex_match(rs, snd, strlen(snd)) <= 0))
			continue;
		if (rr != NULL && (rcp == NULL || !any_line(rr, rcp)))
			continue;
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT time, queue_id, client_addr, "
	    "client_name, helo, sender, recipients, size, subject, verdict, "
	    "reply, rule FROM messages WHERE id = ?", -1, &s, NULL) !=
	    SQLITE_OK) {
		why_set(why, whylen, "%s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	/* oldest first, as a log reads */
	json_array(j, "messages");
	for (i = n - 1; i >= 0; i--) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, ids[i]);
		if (sqlite3_step(s) != SQLITE_ROW)
			continue;
		json_object(j, NULL);
		json_int(j, "id", (long long)ids[i]);
		json_double(j, "time", sqlite3_column_double(s, 0));
		col_text(j, "queue_id", s, 1);
		col_text(j, "client_addr", s, 2);
		col_text(j, "client_name", s, 3);
		col_text(j, "helo", s, 4);
		col_text(j, "sender", s, 5);
		col_text(j, "recipients", s, 6);
		json_int(j, "size", sqlite3_column_int64(s, 7));
		col_text(j, "subject", s, 8);
		col_text(j, "verdict", s, 9);
		col_text(j, "reply", s, 10);
		col_text(j, "rule", s, 11);
		row_runs(db, ids[i], j);
		json_end(j);
	}
	json_end(j);
	rc = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(ids);
	regex_free(&rs);
	regex_free(&rr);
	return rc;
}
