/*
 * NAME
 *	smtp_server.c - the SMTP/LMTP content-filter front end
 *
 * DESCRIPTION
 *	An after-queue content filter in the manner of Postfix's
 *	FILTER_README: the MTA delivers each message to sluice over SMTP or
 *	LMTP, sluice spools it, runs the engine, and hands the result to the
 *	socket's next hop (smtp_relay.c).  The client's DATA is answered
 *	only after the next hop has answered, with the next hop's reply, so
 *	a message is always with the upstream MTA or with the next hop,
 *	never with sluice alone: a crash or kill at any moment makes the
 *	upstream MTA retry.  discard answers 250 without relaying; reject
 *	and tempfail answer with their configured replies; quarantine moves
 *	the work directory to <spool_dir>/quarantine/ (synced) and answers
 *	250.
 *
 *	Offered: PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES
 *	and XFORWARD (the original client's name, address and HELO feed %h,
 *	%i and %H; its IDENT, the upstream queue id, names the message in
 *	the logs).  With LMTP the recipients are grouped by the rules that
 *	select them (engine_rcpt_classes), each group gets its own engine
 *	run and relay transaction, and each recipient its own reply.
 *
 *	One thread accepts on every content-filter socket; each connection
 *	has a thread of its own.  Limits: smtp_connections (421 beyond),
 *	smtp_line_max per command line (500), smtp_text_line_max per text
 *	line (554), message_max (SIZE= and the data: 552),
 *	smtp_recipients_max (452), smtp_timeout per command line and per
 *	read in DATA, smtp_session_timeout per connection (421), and 20
 *	refused commands (5xx) per connection (421).
 *
 * SECURITY
 *	Everything a client sends is hostile.  Commands go through the
 *	pure parsers of smtp_cmd.c, the data through smtp_data.c's reader,
 *	which ends the data only at CR LF "." CR LF: no byte sequence inside
 *	DATA starts a second transaction.  Bare CR and LF are one policy,
 *	smtp_bare_newline: "normalize" takes them as line ends, "reject"
 *	refuses the message; NUL bytes are refused either way.  Envelope
 *	values pass envelope_check_value() as they arrive and again in the
 *	engine.  Runs as the sluice user.
 *
 * ERRORS
 *	Any failure while a message is in flight (spool full or
 *	unwritable, next hop down, slow or confused, launcher gone) answers
 *	the configured tempfail reply or a 4xx naming the cause: never 250.
 *	A session that times out gets 421 and is closed; the upstream MTA
 *	keeps its message.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/spool.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "mail/smtp_proto.h"
#include "milter/milter.h"
#include "smtp/smtp_relay.h"
#include "smtp/smtp_server.h"

#define ERRORS_MAX	20	/* bad commands before 421 */
#define IN_SIZE		65536
#define QUIESCE_POLL_MS	500

struct sess {
	int			 fd;
	struct config		*cfg;		/* a reference */
	const struct smtp_listen *lc;
	char			 peer[64];	/* the connecting address, or
						   "unix" */
	char			*helo;
	int			 esmtp;
	char			*xfwd[XF_COUNT];
	/* the transaction */
	int			 in_mail;
	char			*sender;
	char			*mail_args;
	char			**rcpt;
	size_t			 nrcpt;
	int			 body8;
	int			 smtputf8;
	/* I/O */
	char			 in[IN_SIZE];
	size_t			 off, len;
	char			 dout[IN_SIZE + 2];	/* DATA, LF line ends */
	struct smtp_line	 line;
	struct buf		 out;
	long long		 end_ms;	/* smtp_session_timeout */
	int			 errors;
	int			 closing;
	struct relay		 relay;
};

static struct {
	pthread_mutex_t		 lock;
	const struct listener	*ls;
	size_t			 n;
	int			 wake[2];
	int			 quiesce;
	int			 sessions;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = { -1, -1 } };

/* quiescing - whether the agent is stopping */
static int
quiescing(void)
{
	int	q;

	pthread_mutex_lock(&srv.lock);
	q = srv.quiesce;
	pthread_mutex_unlock(&srv.lock);
	return q;
}

/* flush - send the buffered replies; 0, or -1 (the session ends) */
static int
flush(struct sess *s)
{
	struct pollfd	pfd;
	size_t		off = 0;
	ssize_t		n;
	int		r;

	while (off < s->out.len) {
		n = send(s->fd, s->out.data + off, s->out.len - off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			pfd.fd = s->fd;
			pfd.events = POLLOUT;
			r = poll(&pfd, 1, s->cfg->smtp_timeout * 1000);
			if (r == 0 || (r < 0 && errno != EINTR)) {
				s->closing = 1;
				return -1;
			}
			continue;
		}
		if (n <= 0) {
			s->closing = 1;
			return -1;
		}
		off += (size_t)n;
	}
	buf_reset(&s->out);
	return 0;
}

/* reply - queue a reply; text may hold several lines ("\n") */
static void
reply(struct sess *s, int code, const char *status, const char *text)
{
	const char	*p = text, *e;
	size_t		 len;

	for (;;) {
		e = strchr(p, '\n');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		buf_appendf(&s->out, "%d%c%s%s%.*s\r\n", code,
		    e != NULL ? '-' : ' ', status != NULL ? status : "",
		    status != NULL && *status != '\0' ? " " : "", (int)len, p);
		if (e == NULL)
			break;
		p = e + 1;
	}
}

/* reply_resp - queue a reply kept as code + text ("d.d.d text") */
static void
reply_resp(struct sess *s, const struct smtp_resp *r)
{
	reply(s, r->code, NULL, r->text);
}

/* refuse - a 5xx reply to a command: it counts toward ERRORS_MAX */
static void
refuse(struct sess *s, int code, const char *status, const char *text)
{
	s->errors++;
	reply(s, code, status, text);
}

/* resp_set - make a reply into a struct smtp_resp */
static void
resp_set(struct smtp_resp *r, int code, const char *status,
    const char *text)
{
	smtp_resp_init(r);
	r->code = code;
	snprintf(r->text, sizeof(r->text), "%s%s%s", status,
	    *status != '\0' ? " " : "", text);
	r->textlen = strlen(r->text);
}

/* fill - read more input, waiting at most until deadline (ms); 1 read,
 * 0 timeout, -1 connection gone, -2 stop (idle while quiescing) */
static int
fill(struct sess *s, long long deadline, int idle)
{
	struct pollfd	pfd;
	long long	left;
	ssize_t		n;
	int		r;

	/* the line and DATA readers take all they are given, so the
	 * buffer is empty whenever more is read */
	s->off = s->len = 0;
	if (s->out.len > 0 && flush(s) != 0)
		return -1;
	for (;;) {
		if (idle && quiescing())
			return -2;
		left = (deadline < s->end_ms ? deadline : s->end_ms) -
		    engine_clock_ms();
		if (left <= 0)
			return 0;
		pfd.fd = s->fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, (int)(left > QUIESCE_POLL_MS ?
		    QUIESCE_POLL_MS : left));
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		n = recv(s->fd, s->in + s->len, sizeof(s->in) - s->len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		s->len += (size_t)n;
		return 1;
	}
}

/* say_timeout - 421 and close */
static void
say_timeout(struct sess *s)
{
	reply(s, 421, "4.4.2", "Error: timeout exceeded");
	(void)flush(s);
	s->closing = 1;
}

/* next_line - the next command line; 0, or -1 when the session ends */
static int
next_line(struct sess *s)
{
	long long	deadline = engine_clock_ms() + s->cfg->smtp_timeout * 1000LL;
	size_t		used;
	int		r;

	for (;;) {
		if (s->off < s->len) {
			r = smtp_line_feed(&s->line, s->in + s->off,
			    s->len - s->off, &used);
			s->off += used;
			if (r)
				return 0;
		}
		switch (fill(s, deadline, !s->in_mail &&
		    smtp_line_idle(&s->line))) {
		case 1:
			continue;
		case 0:
			log_info("smtp: %s: timeout waiting for a command",
			    s->peer);
			say_timeout(s);
			return -1;
		case -2:
			reply(s, 421, "4.3.2", "Service shutting down, try "
			    "again later");
			(void)flush(s);
			s->closing = 1;
			return -1;
		default:
			s->closing = 1;
			return -1;
		}
	}
}

/* xact_reset - forget the transaction (and the XFORWARD facts) */
static void
xact_reset(struct sess *s)
{
	size_t	i;

	s->in_mail = 0;
	free(s->sender);
	s->sender = NULL;
	free(s->mail_args);
	s->mail_args = NULL;
	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	s->rcpt = NULL;
	s->nrcpt = 0;
	s->body8 = s->smtputf8 = 0;
}

/* xfwd_reset - XFORWARD facts hold for one transaction */
static void
xfwd_reset(struct sess *s)
{
	size_t	i;

	for (i = 0; i < XF_COUNT; i++) {
		free(s->xfwd[i]);
		s->xfwd[i] = NULL;
	}
}

/* do_ehlo - HELO, EHLO, LHLO */
static void
do_ehlo(struct sess *s, const struct smtp_cmd *c)
{
	const struct config	*cfg = s->cfg;
	enum smtp_verb		 want = s->lc->lmtp ? SMTP_LHLO : SMTP_EHLO;

	if (s->lc->lmtp != (c->verb == SMTP_LHLO)) {
		refuse(s, 500, "5.5.1", s->lc->lmtp ? "Error: this is an LMTP "
		    "service, say LHLO" : "Error: this is an SMTP service, "
		    "say EHLO or HELO");
		return;
	}
	xact_reset(s);
	free(s->helo);
	s->helo = xstrdup(c->arg);
	s->esmtp = c->verb == want;
	if (!s->esmtp) {
		buf_appendf(&s->out, "250 %s\r\n", cfg->smtp_hostname);
		return;
	}
	buf_appendf(&s->out, "250-%s\r\n250-PIPELINING\r\n250-SIZE %zu\r\n"
	    "250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n"
	    "250 XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE\r\n",
	    cfg->smtp_hostname, cfg->message_max);
}

/* do_mail - MAIL FROM */
static void
do_mail(struct sess *s, struct smtp_cmd *c)
{
	struct envelope_error	 ee;
	struct buf		 args;
	unsigned long long	 size;
	char			*end;
	size_t			 i;
	int			 body8 = 0, utf8 = 0;

	if (s->helo == NULL) {
		refuse(s, 503, "5.5.1", s->lc->lmtp ? "Error: send LHLO first" :
		    "Error: send HELO/EHLO first");
		return;
	}
	if (s->in_mail) {
		refuse(s, 503, "5.5.1", "Error: nested MAIL command");
		return;
	}
	if (c->nparam > 0 && !s->esmtp) {
		refuse(s, 555, "5.5.4", "Error: parameters need EHLO");
		return;
	}
	buf_init(&args, 0);
	for (i = 0; i < c->nparam; i++) {
		const struct smtp_param *p = &c->param[i];

		buf_appendf(&args, "%s%s%s%s", i > 0 ? " " : "", p->key,
		    p->value ? "=" : "", p->value ? p->value : "");
		if (strcmp(p->key, "SIZE") == 0 && p->value != NULL) {
			errno = 0;
			size = strtoull(p->value, &end, 10);
			if (*end != '\0' || errno != 0 ||
			    p->value[0] < '0' || p->value[0] > '9') {
				refuse(s, 501, "5.5.4", "Bad SIZE value");
				goto out;
			}
			if (size > s->cfg->message_max) {
				refuse(s, 552, "5.3.4", "Message size exceeds "
				    "fixed limit");
				goto out;
			}
		} else if (strcmp(p->key, "BODY") == 0 && p->value != NULL) {
			if (strcasecmp(p->value, "8BITMIME") == 0)
				body8 = 1;
			else if (strcasecmp(p->value, "7BIT") != 0) {
				refuse(s, 501, "5.5.4", "Unsupported BODY "
				    "value");
				goto out;
			}
		} else if (strcmp(p->key, "SMTPUTF8") == 0 &&
		    p->value == NULL)
			utf8 = 1;
		else {
			refuse(s, 555, "5.5.4", "Unsupported option");
			goto out;
		}
	}
	if (c->utf8 && !utf8) {
		refuse(s, 553, "5.6.7", "Error: non-ASCII sender needs "
		    "SMTPUTF8");
		goto out;
	}
	if (envelope_check_value("sender", c->addr, strlen(c->addr), 1,
	    &ee) != 0) {
		reply(s, ee.code, ee.status, ee.text);
		goto out;
	}
	s->in_mail = 1;
	s->sender = c->addr;
	c->addr = NULL;
	s->body8 = body8;
	s->smtputf8 = utf8;
	if (args.len > 0)
		s->mail_args = buf_steal(&args, NULL);
	reply(s, 250, "2.1.0", "Ok");
out:
	buf_free(&args);
}

/* do_rcpt - RCPT TO */
static void
do_rcpt(struct sess *s, struct smtp_cmd *c)
{
	struct envelope_error	ee;

	if (!s->in_mail) {
		refuse(s, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	if (c->nparam > 0) {
		refuse(s, 555, "5.5.4", "Unsupported option");
		return;
	}
	if (s->nrcpt >= (size_t)s->cfg->smtp_recipients_max) {
		reply(s, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	if (c->utf8 && !s->smtputf8) {
		refuse(s, 553, "5.6.7", "Error: non-ASCII recipient needs "
		    "SMTPUTF8");
		return;
	}
	if (envelope_check_value("recipient", c->addr, strlen(c->addr), 1,
	    &ee) != 0) {
		reply(s, ee.code, ee.status, ee.text);
		return;
	}
	s->rcpt = xreallocarray(s->rcpt, s->nrcpt + 1, sizeof(*s->rcpt));
	s->rcpt[s->nrcpt++] = c->addr;
	c->addr = NULL;
	reply(s, 250, "2.1.5", "Ok");
}

/* do_xforward - remember the original client's facts */
static void
do_xforward(struct sess *s, struct smtp_cmd *c)
{
	size_t	i;

	if (s->in_mail) {
		refuse(s, 503, "5.5.1", "Error: MAIL transaction in progress");
		return;
	}
	for (i = 0; i < XF_COUNT; i++)
		if (c->xfwd[i] != NULL) {
			free(s->xfwd[i]);
			s->xfwd[i] = c->xfwd[i];
			c->xfwd[i] = NULL;
		}
	reply(s, 250, "2.0.0", "Ok");
}

/* worst - the reply that speaks for several: a 4xx, else a 5xx, else
 * the first */
static const struct smtp_resp *
worst(const struct smtp_resp *r, size_t n)
{
	const struct smtp_resp	*w = n > 0 ? &r[0] : NULL;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (r[i].code / 100 == 5 && w->code / 100 == 2)
			w = &r[i];
	for (i = 0; i < n; i++)
		if (r[i].code / 100 == 4)
			return &r[i];
	return w;
}

/* copy_workdir - a fresh work directory with a copy of the message:
 * each group's filters may write beside it and change it */
static int
copy_workdir(const struct config *cfg, const char *src, char **dst,
    char *why, size_t whylen)
{
	char	 id[32], *from, *to;
	ssize_t	 n;
	int	 in = -1, out = -1, rc = -1;

	spool_new_id(id, sizeof(id));
	if (spool_workdir_create(cfg->spool_dir, id, dst, why, whylen) != 0)
		return -1;
	xasprintf(&from, "%s/message", src);
	xasprintf(&to, "%s/message", *dst);
	if ((in = spool_open_regular(from)) >= 0 &&
	    (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) >= 0) {
		while ((n = copy_file_range(in, NULL, out, NULL, 1 << 20,
		    0)) > 0)
			;
		rc = n == 0 ? 0 : -1;
		if (close(out) != 0)
			rc = -1;
	}
	if (rc != 0)
		snprintf(why, whylen, "copying %s: %s", from, strerror(errno));
	if (in >= 0)
		close(in);
	free(from);
	free(to);
	return rc;
}

/* sync_path - fsync a file or directory; 0 or -1 */
static int
sync_path(const char *path, int dir)
{
	int	fd, rc;

	fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) |
	    O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* quarantine - keep the message: <spool_dir>/quarantine/<id>/ with the
 * message as it now is and its envelope, synced; 0 or -1 with why */
static int
quarantine(struct engine_msg *em, const char *id, char *why, size_t whylen)
{
	char	*qdir, *dst, *path;
	FILE	*f;
	size_t	 i;
	int	 fd, rc = -1;

	xasprintf(&qdir, "%s/quarantine", em->cfg->spool_dir);
	xasprintf(&dst, "%s/%s", qdir, id);
	xasprintf(&path, "%s/envelope", em->workdir);
	if (mkdir(qdir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "%s: %s", qdir, strerror(errno));
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		goto out;
	}
	fprintf(f, "queue_id %s\nreason %s\nsender %s\n", em->env.queue_id,
	    em->reason != NULL ? em->reason : "", em->env.sender);
	for (i = 0; i < em->env.nrcpt; i++)
		fprintf(f, "recipient %s\n", em->env.rcpt[i]);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		fclose(f);
		goto out;
	}
	fclose(f);
	free(path);
	xasprintf(&path, "%s/message", em->workdir);
	if (strcmp(em->msgfile, path) != 0 && rename(em->msgfile, path) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (sync_path(path, 0) != 0 || rename(em->workdir, dst) != 0 ||
	    sync_path(qdir, 1) != 0) {
		snprintf(why, whylen, "%s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(qdir);
	free(dst);
	free(path);
	return rc;
}

/* relay_ready - a usable connection to the next hop; 0 or -1 with why */
static int
relay_ready(struct sess *s, char *why, size_t whylen)
{
	struct pollfd	pfd;

	if (s->relay.fd >= 0) {
		/* a cached connection the next hop closed (or said 421 on)
		 * is readable while idle: start afresh */
		pfd.fd = s->relay.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 0)
			return 0;
		relay_close(&s->relay, 0);
	}
	return relay_open(&s->relay, s->lc->next_hop, s->cfg->run_dir,
	    s->lc->next_lmtp, s->cfg->smtp_hostname,
	    s->cfg->relay_connect_timeout, s->cfg->relay_timeout, why, whylen);
}

/*
 * run_group - the engine and the next hop for the recipients ids[] of
 * the transaction, with the message in workdir; res[k] gets the answer
 * for recipient ids[k]
 */
static void
run_group(struct sess *s, const char *workdir, const size_t *ids, size_t n,
    const char *qid, struct smtp_resp *res)
{
	struct engine_msg	 em;
	struct envelope		 env;
	struct relay_job	 job;
	struct smtp_resp	*rr = NULL, extra;
	const struct smtp_resp	*w;
	char			 why[400], *slash;
	size_t			 i, j, nextra;
	int			 rc;

	memset(&env, 0, sizeof(env));
	env.sender = xstrdup(s->sender);
	for (i = 0; i < n; i++)
		envelope_add_rcpt(&env, s->rcpt[ids[i]]);
	env.queue_id = xstrdup(qid);
	if (s->xfwd[XF_ADDR] != NULL)
		env.client_addr = xstrdup(s->xfwd[XF_ADDR]);
	else if (strcmp(s->peer, "unix") != 0)
		env.client_addr = xstrdup(s->peer);
	if (s->xfwd[XF_NAME] != NULL)
		env.client_name = xstrdup(s->xfwd[XF_NAME]);
	env.helo = xstrdup(s->xfwd[XF_HELO] != NULL ? s->xfwd[XF_HELO] :
	    s->helo);
	if (s->mail_args != NULL)
		env.mail_args = xstrdup(s->mail_args);

	if (engine_msg_init(&em, s->cfg, workdir, &env, why,
	    sizeof(why)) != 0) {
		log_warnx("%s: %s: answering tempfail", qid, why);
		envelope_free(&env);
		for (i = 0; i < n; i++)
			resp_set(&res[i], s->cfg->tempfail.code,
			    s->cfg->tempfail.status, s->cfg->tempfail.text);
		engine_msg_free(&em);
		return;
	}
	engine_run(&em);
	switch (em.verdict) {
	case V_REJECT:
	case V_TEMPFAIL:
	case V_DISCARD:
		for (i = 0; i < n; i++)
			resp_set(&res[i], em.reply.code, em.reply.status,
			    em.reply.text);
		goto out;
	case V_QUARANTINE:
		slash = strrchr(em.workdir, '/');
		if (quarantine(&em, slash != NULL ? slash + 1 : em.workdir,
		    why, sizeof(why)) != 0) {
			log_warnx("%s: quarantine: %s: answering tempfail",
			    qid, why);
			for (i = 0; i < n; i++)
				resp_set(&res[i], s->cfg->tempfail.code,
				    s->cfg->tempfail.status,
				    s->cfg->tempfail.text);
			goto out;
		}
		log_info("%s: quarantined in %s/quarantine/%s", qid,
		    s->cfg->spool_dir, slash != NULL ? slash + 1 : em.workdir);
		for (i = 0; i < n; i++)
			resp_set(&res[i], em.reply.code, em.reply.status,
			    em.reply.text);
		goto out;
	default:
		break;
	}

	/* accept: the next hop answers for us */
	if (em.env.nrcpt == 0) {
		for (i = 0; i < n; i++)
			resp_set(&res[i], 250, "2.0.0", "Ok: no recipients "
			    "left after filtering");
		goto out;
	}
	rr = xcalloc(em.env.nrcpt, sizeof(*rr));
	memset(&job, 0, sizeof(job));
	job.sender = em.env.sender;
	job.rcpt = em.env.rcpt;
	job.nrcpt = em.env.nrcpt;
	job.xfwd = s->xfwd;
	job.body8 = s->body8;
	job.smtputf8 = s->smtputf8;
	job.size = em.size;
	job.hdr = &em.hdr;
	job.msgfile = em.msgfile;
	job.body_off = em.body_off;
	job.all_or_nothing = !s->lc->lmtp;
	job.res = rr;
	if ((rc = relay_ready(s, why, sizeof(why))) == 0 &&
	    (rc = relay_send(&s->relay, &job, why, sizeof(why))) != 0)
		relay_close(&s->relay, 0);
	if (rc != 0) {
		log_warnx("%s: relay to %s: %s: answering tempfail", qid,
		    s->lc->next_hop, why);
		for (j = 0; j < em.env.nrcpt; j++)
			resp_set(&rr[j], 451, "4.4.1", "Error: next hop "
			    "not available, try again later");
	}
	for (j = 0; j < em.env.nrcpt; j++)
		log_info("%s: to=<%s> relay=%s reply=\"%d %s\"", qid,
		    em.env.rcpt[j], s->lc->next_hop, rr[j].code, rr[j].text);
	/* recipients a filter added speak for those it removed */
	nextra = 0;
	for (j = 0; j < em.env.nrcpt; j++) {
		for (i = 0; i < n; i++)
			if (strcasecmp(em.env.rcpt[j], s->rcpt[ids[i]]) == 0)
				break;
		if (i < n)
			continue;
		if (nextra == 0 || rr[j].code / 100 == 4 ||
		    (rr[j].code / 100 == 5 && extra.code / 100 == 2))
			extra = rr[j];
		nextra = 1;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < em.env.nrcpt; j++)
			if (strcasecmp(em.env.rcpt[j], s->rcpt[ids[i]]) == 0)
				break;
		if (j < em.env.nrcpt)
			res[i] = rr[j];
		else if (nextra > 0)
			res[i] = extra;
		else
			resp_set(&res[i], 250, "2.0.0", "Ok");
	}
	if (!s->lc->lmtp) {
		/* one answer for all: the worst of every final recipient */
		w = worst(rr, em.env.nrcpt);
		for (i = 0; i < n; i++)
			res[i] = *w;
	}
out:
	free(rr);
	engine_msg_free(&em);
}

/* data_reject - the policy's reply for what the reader flagged, or 0 */
static int
data_reject(struct sess *s, const struct smtp_data *d, int werr,
    struct smtp_resp *r)
{
	char	text[200];

	if (d->too_big)
		resp_set(r, 552, "5.3.4", "Error: message size exceeds "
		    "fixed limit");
	else if (werr != 0) {
		log_warnx("smtp: %s: writing the spool: %s: answering "
		    "tempfail", s->peer, strerror(werr));
		resp_set(r, s->cfg->tempfail.code, s->cfg->tempfail.status,
		    s->cfg->tempfail.text);
	} else if (d->nul)
		resp_set(r, 554, "5.6.0", "Error: message contains NUL "
		    "bytes");
	else if (d->too_long) {
		snprintf(text, sizeof(text), "Error: message has a line "
		    "longer than %zu bytes", s->cfg->smtp_text_line_max);
		resp_set(r, 554, "5.6.0", text);
	} else if ((d->bare_lf || d->bare_cr) && s->cfg->smtp_bare_reject)
		resp_set(r, 550, "5.5.2", "Error: bare <CR> or <LF> in "
		    "message content");
	else
		return 0;
	return 1;
}

/* do_data - DATA: spool, filter, relay, answer; -1 ends the session */
static int
do_data(struct sess *s)
{
	struct spool_writer	*w = NULL;
	struct smtp_data	 d;
	struct smtp_resp	*res, one;
	char			 id[32], *workdir = NULL, *path, why[300];
	char			**dirs = NULL;
	const char		*qid;
	size_t			 used, olen, i, k, ncls, *cls = NULL, *ids;
	long long		 deadline;
	int			 werr = 0, r, rc = 0;

	if (!s->in_mail) {
		refuse(s, 503, "5.5.1", "Error: need MAIL command");
		return 0;
	}
	if (s->nrcpt == 0) {
		refuse(s, 554, "5.5.1", "Error: no valid recipients");
		return 0;
	}
	spool_new_id(id, sizeof(id));
	qid = s->xfwd[XF_IDENT] != NULL && s->xfwd[XF_IDENT][0] != '\0' ?
	    s->xfwd[XF_IDENT] : id;
	w = xmalloc(sizeof(*w));
	if (spool_workdir_create(s->cfg->spool_dir, id, &workdir, why,
	    sizeof(why)) != 0) {
		log_warnx("%s: %s: answering tempfail", qid, why);
		reply(s, s->cfg->tempfail.code, s->cfg->tempfail.status,
		    s->cfg->tempfail.text);
		free(w);
		return 0;
	}
	xasprintf(&path, "%s/message", workdir);
	r = spool_writer_open(w, path, 0, why, sizeof(why));
	free(path);
	if (r != 0) {
		log_warnx("%s: %s: answering tempfail", qid, why);
		reply(s, s->cfg->tempfail.code, s->cfg->tempfail.status,
		    s->cfg->tempfail.text);
		(void)spool_remove(workdir);
		free(workdir);
		free(w);
		return 0;
	}
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	smtp_data_init(&d, s->cfg->smtp_text_line_max,
	    s->cfg->message_max);
	for (;;) {
		if (s->off < s->len) {
			r = smtp_data_feed(&d, s->in + s->off,
			    s->len - s->off, &used, s->dout, &olen);
			s->off += used;
			if (olen > 0 && werr == 0 &&
			    spool_writer_write(w, s->dout, olen) != 0)
				werr = errno;
			if (r)
				break;
		}
		deadline = engine_clock_ms() + s->cfg->smtp_timeout * 1000LL;
		switch (fill(s, deadline, 0)) {
		case 1:
			continue;
		case 0:
			log_info("%s: timeout in DATA from %s", qid, s->peer);
			say_timeout(s);
			rc = -1;
			goto done;
		default:
			log_info("%s: %s disconnected in DATA", qid, s->peer);
			s->closing = 1;
			rc = -1;
			goto done;
		}
	}
	if (spool_writer_close(w, 0) != 0 && werr == 0)
		werr = errno;
	w->fd = -1;
	if (data_reject(s, &d, werr, &one)) {
		log_info("%s: from=<%s> nrcpt=%zu: %d %s", qid, s->sender,
		    s->nrcpt, one.code, one.text);
		if (s->lc->lmtp)
			for (i = 0; i < s->nrcpt; i++)
				reply_resp(s, &one);
		else
			reply_resp(s, &one);
		goto done;
	}
	log_info("%s: from=<%s> nrcpt=%zu size=%llu client=%s", qid,
	    s->sender, s->nrcpt, d.size, s->xfwd[XF_ADDR] != NULL ?
	    s->xfwd[XF_ADDR] : s->peer);

	/* the groups: one for SMTP, by the rules that select them for LMTP */
	res = xcalloc(s->nrcpt, sizeof(*res));
	cls = xcalloc(s->nrcpt, sizeof(*cls));
	ids = xcalloc(s->nrcpt, sizeof(*ids));
	if (s->lc->lmtp) {
		struct envelope	env;

		memset(&env, 0, sizeof(env));
		env.sender = s->sender;
		env.rcpt = s->rcpt;
		env.nrcpt = s->nrcpt;
		ncls = engine_rcpt_classes(s->cfg, &env, workdir, cls);
	} else
		ncls = 1;
	dirs = xcalloc(ncls, sizeof(*dirs));
	for (k = 0; k < ncls; k++) {
		struct smtp_resp	*gres;
		size_t			 n = 0;

		for (i = 0; i < s->nrcpt; i++)
			if (cls[i] == k)
				ids[n++] = i;
		gres = xcalloc(n, sizeof(*gres));
		if (k > 0 && copy_workdir(s->cfg, workdir, &dirs[k], why,
		    sizeof(why)) != 0) {
			log_warnx("%s: %s: answering tempfail", qid, why);
			for (i = 0; i < n; i++)
				resp_set(&gres[i], s->cfg->tempfail.code,
				    s->cfg->tempfail.status,
				    s->cfg->tempfail.text);
		} else
			run_group(s, k > 0 ? dirs[k] : workdir, ids, n, qid,
			    gres);
		for (i = 0; i < n; i++)
			res[ids[i]] = gres[i];
		free(gres);
	}
	if (s->lc->lmtp)
		for (i = 0; i < s->nrcpt; i++)
			reply_resp(s, &res[i]);
	else
		reply_resp(s, &res[0]);
	for (k = 1; k < ncls; k++)
		if (dirs[k] != NULL) {
			(void)spool_remove(dirs[k]);
			free(dirs[k]);
		}
	free(dirs);
	free(res);
	free(ids);
done:
	free(cls);
	if (w->fd >= 0)
		(void)spool_writer_close(w, 0);
	free(w);
	(void)spool_remove(workdir);
	free(workdir);
	xact_reset(s);
	xfwd_reset(s);
	return rc;
}

/* session - one client connection */
static void
session(struct sess *s)
{
	struct smtp_cmd		 c;
	struct smtp_reply	 err;

	s->end_ms = engine_clock_ms() + s->cfg->smtp_session_timeout * 1000LL;
	smtp_line_init(&s->line, s->cfg->smtp_line_max);
	buf_init(&s->out, 0);
	relay_init(&s->relay);
	buf_appendf(&s->out, "220 %s %s sluice\r\n", s->cfg->smtp_hostname,
	    s->lc->lmtp ? "LMTP" : "ESMTP");
	while (!s->closing) {
		if (s->errors >= ERRORS_MAX) {
			reply(s, 421, "4.7.0", "Error: too many errors");
			break;
		}
		if (next_line(s) != 0)
			break;
		if (s->line.too_long) {
			refuse(s, 500, "5.5.2", "Error: line too long");
			continue;
		}
		if (s->line.bare_lf && s->cfg->smtp_bare_reject) {
			refuse(s, 500, "5.5.2", "Error: bare <LF> received");
			continue;
		}
		if (smtp_cmd_parse(s->line.buf, s->line.len, &c, &err) != 0) {
			refuse(s, err.code, err.status, err.text);
			smtp_cmd_free(&c);
			continue;
		}
		switch (c.verb) {
		case SMTP_HELO:
		case SMTP_EHLO:
		case SMTP_LHLO:
			do_ehlo(s, &c);
			break;
		case SMTP_MAIL:
			do_mail(s, &c);
			break;
		case SMTP_RCPT:
			do_rcpt(s, &c);
			break;
		case SMTP_DATA:
			if (do_data(s) != 0)
				s->closing = 1;
			break;
		case SMTP_RSET:
			xact_reset(s);
			xfwd_reset(s);
			reply(s, 250, "2.0.0", "Ok");
			break;
		case SMTP_NOOP:
			reply(s, 250, "2.0.0", "Ok");
			break;
		case SMTP_VRFY:
			reply(s, 252, "2.0.0", "Cannot VRFY, send mail");
			break;
		case SMTP_HELP:
			reply(s, 214, "2.0.0", "Commands: HELO EHLO LHLO MAIL "
			    "RCPT DATA RSET NOOP QUIT VRFY XFORWARD");
			break;
		case SMTP_XFORWARD:
			do_xforward(s, &c);
			break;
		case SMTP_QUIT:
			reply(s, 221, "2.0.0", "Bye");
			s->closing = 1;
			break;
		default:
			refuse(s, 500, "5.5.2", "Command not recognized");
			break;
		}
		smtp_cmd_free(&c);
	}
	(void)flush(s);
	relay_close(&s->relay, 1);
	xact_reset(s);
	xfwd_reset(s);
	free(s->helo);
	smtp_line_free(&s->line);
	buf_free(&s->out);
}

/* session_main - a connection's thread */
static void *
session_main(void *arg)
{
	struct sess	*s = arg;

	session(s);
	close(s->fd);
	config_unref(&s->cfg);
	free(s);
	pthread_mutex_lock(&srv.lock);
	srv.sessions--;
	pthread_mutex_unlock(&srv.lock);
	return NULL;
}

/* peer_name - the client's address as text */
static void
peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in	*in4 = (const void *)ss;
	const struct sockaddr_in6	*in6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &in4->sin_addr, buf, (socklen_t)len);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)len);
	else
		snprintf(buf, len, "unix");	/* a unix socket: no address */
}

/* turn_away - answer a connection we cannot serve, and close it */
static void
turn_away(int fd, const char *text)
{
	(void)send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* acceptor - take connections on every socket until told to stop */
static void *
acceptor(void *arg)
{
	struct pollfd		 pfd[LISTEN_MAX + 1];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct sess		*s;
	struct config		*cfg;
	pthread_attr_t		 attr;
	pthread_t		 t;
	size_t			 i;
	int			 fd, full;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < srv.n; i++) {
		pfd[i].fd = srv.ls[i].fd;
		pfd[i].events = POLLIN;
	}
	pfd[srv.n].fd = srv.wake[0];
	pfd[srv.n].events = POLLIN;
	for (;;) {
		if (poll(pfd, srv.n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("smtp: poll");
		}
		if (pfd[srv.n].revents != 0 || quiescing())
			break;
		for (i = 0; i < srv.n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			sslen = sizeof(ss);
			fd = accept4(srv.ls[i].fd, (struct sockaddr *)&ss,
			    &sslen, SOCK_CLOEXEC);
			if (fd < 0)
				continue;	/* gone already, or EMFILE */
			(void)listen_tune(fd, srv.ls[i].family);
			cfg = agent_config();
			pthread_mutex_lock(&srv.lock);
			full = srv.sessions >= cfg->smtp_connections;
			if (!full)
				srv.sessions++;
			pthread_mutex_unlock(&srv.lock);
			if (full) {
				log_warnx("smtp: %d connections: turning one "
				    "away (smtp_connections)",
				    cfg->smtp_connections);
				config_unref(&cfg);
				turn_away(fd, "421 4.7.0 Error: too many "
				    "connections, try again later\r\n");
				continue;
			}
			s = xcalloc(1, sizeof(*s));
			s->fd = fd;
			s->cfg = cfg;
			s->lc = &cfg->smtp[i];
			peer_name(&ss, s->peer, sizeof(s->peer));
			if (pthread_create(&t, &attr, session_main, s) != 0) {
				log_warnx("smtp: cannot start a thread");
				config_unref(&s->cfg);
				free(s);
				turn_away(fd, "421 4.3.2 Error: out of "
				    "resources, try again later\r\n");
				pthread_mutex_lock(&srv.lock);
				srv.sessions--;
				pthread_mutex_unlock(&srv.lock);
			}
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* smtp_server_start - the accepting thread */
int
smtp_server_start(const struct listener *ls, size_t n, char *why,
    size_t whylen)
{
	pthread_t	t;

	if (n == 0)
		return 0;
	srv.ls = ls;
	srv.n = n;
	if (pipe2(srv.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pthread_create(&t, NULL, acceptor, NULL) != 0) {
		snprintf(why, whylen, "cannot start the SMTP thread");
		return -1;
	}
	pthread_detach(t);
	return 0;
}

/* smtp_server_quiesce - stop accepting; idle sessions end */
void
smtp_server_quiesce(void)
{
	pthread_mutex_lock(&srv.lock);
	srv.quiesce = 1;
	pthread_mutex_unlock(&srv.lock);
	if (srv.wake[1] >= 0 && write(srv.wake[1], "x", 1) < 0)
		log_debug("smtp: waking the acceptor: %m");
}

/* smtp_server_sessions - open connections */
int
smtp_server_sessions(void)
{
	int	n;

	pthread_mutex_lock(&srv.lock);
	n = srv.sessions;
	pthread_mutex_unlock(&srv.lock);
	return n;
}
