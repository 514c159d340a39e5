/*
 * NAME
 *	smtp_session.c - one SMTP/LMTP content-filter connection
 *
 * DESCRIPTION
 *	The session of an after-queue content filter in the manner of
 *	Postfix's FILTER_README: greeting, commands and their replies, the
 *	DATA reader into the spool; what follows DATA is smtp_deliver.c's.
 *	Offered: PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES
 *	and, to the clients smtp_xforward_hosts names, XFORWARD (the
 *	original client's name, address and HELO feed %h, %i and %H; its
 *	IDENT, the upstream queue id, names the message in the logs and is
 *	%q).  Other clients are not offered XFORWARD and get Postfix's
 *	"550 5.7.0 Error: insufficient authorization" for it.
 *
 *	Limits: smtp_line_max per command line (500), smtp_text_line_max
 *	per text line (554), message_max (SIZE= and the data: 552),
 *	smtp_recipients_max (452), smtp_session_timeout per connection
 *	(421), and 20 refused commands (5xx) per connection (421).  Time
 *	(421 4.4.2): a command line must be complete within smtp_timeout
 *	of the moment its wait began, however its bytes trickle in; the
 *	data of DATA within smtp_timeout of its start plus one second per
 *	smtp_min_data_rate bytes received (Postfix's per-request deadline
 *	with smtpd_min_data_rate), and never silent for smtp_timeout.
 *
 * SECURITY
 *	Everything a client sends is hostile.  Commands go through the
 *	pure parsers of smtp_cmd.c, the data through smtp_data.c's reader,
 *	which ends the data only at CR LF "." CR LF: no byte sequence inside
 *	DATA starts a second transaction.  Bare CR and LF are one policy,
 *	smtp_bare_newline: "normalize" takes them as line ends, "reject"
 *	refuses the message; NUL bytes are refused either way.  Envelope
 *	values pass envelope_check_value() as they arrive and again in the
 *	engine; XFORWARD is taken only from the clients smtp_xforward_hosts
 *	trusts, and only values smtp_xfwd_check() passes.  A client that
 *	sends slowly holds a connection slot no longer than its data is
 *	worth.  Runs as the sluice user.
 *
 * ERRORS
 *	A session that times out gets 421 and is closed; the upstream MTA
 *	keeps its message.  A spool failure answers as smtp_deliver() does:
 *	tempfail, never 250.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/spool.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/io.h"
#include "lib/listen.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "mail/smtp_proto.h"
#include "smtp/smtp_int.h"

#define ERRORS_MAX	20	/* bad commands before 421 */
#define QUIESCE_POLL_MS	500

/* flush - send the buffered replies; 0, or -1 (the session ends) */
static int
flush(struct sess *s)
{
	if (s->out.len > 0 && io_send_all(s->fd, s->out.data, s->out.len,
	    s->cfg->smtp_timeout * 1000) != 0) {
		s->closing = 1;
		return -1;
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

/* send_reply - queue a struct reply */
static void
send_reply(struct sess *s, const struct reply *r)
{
	reply(s, r->code, r->status, r->text);
}

/* refuse - a 5xx reply to a command: it counts toward ERRORS_MAX */
static void
refuse(struct sess *s, int code, const char *status, const char *text)
{
	s->errors++;
	reply(s, code, status, text);
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
		if (idle && atomic_load(s->quiesce))
			return -2;
		left = (deadline < s->end_ms ? deadline : s->end_ms) -
		    clock_ms();
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

/* say_timeout - 421 and close, in Postfix's words */
static void
say_timeout(struct sess *s)
{
	char	text[300];

	snprintf(text, sizeof(text), "%s Error: timeout exceeded",
	    s->cfg->smtp_hostname);
	reply(s, 421, "4.4.2", text);
	(void)flush(s);
	s->closing = 1;
}

/* next_line - the next command line; 0, or -1 when the session ends */
static int
next_line(struct sess *s)
{
	long long	deadline = clock_ms() + s->cfg->smtp_timeout * 1000LL;
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

/* xfwd_allowed - whether this client may send XFORWARD */
static int
xfwd_allowed(const struct sess *s)
{
	const struct config	*cfg = s->cfg;

	if (strcmp(s->peer, "unix") == 0)
		return cfg->smtp_xforward_unix;
	return listen_net_match(cfg->smtp_xforward_nets,
	    cfg->smtp_xforward_nnets, s->peer);
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
	    "250-8BITMIME\r\n250-SMTPUTF8\r\n250%sENHANCEDSTATUSCODES\r\n",
	    cfg->smtp_hostname, cfg->message_max, s->xfwd_ok ? "-" : " ");
	if (s->xfwd_ok)
		buf_appendf(&s->out, "250 XFORWARD NAME ADDR PORT PROTO HELO "
		    "IDENT SOURCE\r\n");
}

/* refresh - a new transaction judges with the newest snapshot (a
 * reload may have come since the last); the sockets are the same, as
 * they change only with a restart */
static void
refresh(struct sess *s)
{
	struct config	*c = config_holder_get(s->holder);

	if (c == s->cfg) {
		config_unref(&c);
		return;
	}
	config_unref(&s->cfg);
	s->cfg = c;
	s->lc = &c->smtp[s->li];
}

/* do_mail - MAIL FROM */
static void
do_mail(struct sess *s, struct smtp_cmd *c)
{
	struct reply	 ee;
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
	refresh(s);
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
				struct reply	big;

				reply_too_big(&big);
				refuse(s, big.code, big.status, big.text);
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
	if (envelope_check_value("sender", c->addr, strlen(c->addr),
	    s->cfg->allow_min_user ? ENV_ADDR_DASH_OK : 1, &ee) != 0) {
		send_reply(s, &ee);
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
	struct reply	ee;

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
	if (envelope_check_value("recipient", c->addr, strlen(c->addr),
	    s->cfg->allow_min_user ? ENV_ADDR_DASH_OK : 1,
	    &ee) != 0) {
		send_reply(s, &ee);
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

/* xfwd_refuse - XFORWARD from a client smtp_xforward_hosts does not
 * name: Postfix's reply, logged */
static void
xfwd_refuse(struct sess *s)
{
	log_info("smtp: %s: XFORWARD refused: not in smtp_xforward_hosts",
	    s->peer);
	refuse(s, 550, "5.7.0", "Error: insufficient authorization");
}

/* data_reject - the wire policy's reply for what the reader flagged,
 * or 0 */
static int
data_reject(struct sess *s, const struct smtp_data *d, struct reply *r)
{
	if (d->nul)
		(void)reply_set(r, 554, "5.6.0", "Error: message contains NUL "
		    "bytes");
	else if (d->too_long)
		(void)reply_set(r, 554, "5.6.0", "Error: message has a line "
		    "longer than %zu bytes", s->cfg->smtp_text_line_max);
	else if ((d->bare_lf || d->bare_cr) && s->cfg->smtp_bare_reject)
		(void)reply_set(r, 550, "5.5.2", "Error: bare <CR> or <LF> in "
		    "message content");
	else
		return 0;
	return 1;
}

/* read_data - the client's data into the spool; 0 when the data ended
 * (d and *werr say how it went), -1 when the session ends */
static int
read_data(struct sess *s, struct spool_msg *sm, struct smtp_data *d,
    const char *qid, int *werr)
{
	struct smtp_deadline	dl;
	long long		now;
	size_t			used, olen;
	int			r, by_rate;

	smtp_data_init(d, s->cfg->smtp_text_line_max, s->cfg->message_max);
	/* what came with the DATA command counts from now too */
	smtp_deadline_init(&dl, clock_ms(), s->cfg->smtp_timeout * 1000LL,
	    s->cfg->smtp_min_data_rate);
	smtp_deadline_got(&dl, dl.start, s->len - s->off);
	for (;;) {
		if (s->off < s->len) {
			r = smtp_data_feed(d, s->in + s->off,
			    s->len - s->off, &used, s->dout, &olen);
			s->off += used;
			if (olen > 0 && *werr == 0 &&
			    spool_msg_write(sm, s->dout, olen) != 0)
				*werr = errno;
			if (r)
				break;
		}
		switch (fill(s, smtp_deadline_at(&dl, NULL), 0)) {
		case 1:
			smtp_deadline_got(&dl, clock_ms(), s->len);
			continue;
		case 0:
			now = clock_ms();
			(void)smtp_deadline_at(&dl, &by_rate);
			if (now >= s->end_ms)
				log_info("%s: smtp_session_timeout in DATA "
				    "from %s", qid, s->peer);
			else if (by_rate)
				log_info("%s: data from %s slower than "
				    "smtp_min_data_rate (%u bytes a second): "
				    "%llu bytes in %lld ms", qid, s->peer,
				    s->cfg->smtp_min_data_rate, dl.bytes,
				    now - dl.start);
			else
				log_info("%s: timeout in DATA from %s", qid,
				    s->peer);
			say_timeout(s);
			return -1;
		default:
			log_info("%s: %s disconnected in DATA", qid, s->peer);
			s->closing = 1;
			return -1;
		}
	}
	if (spool_msg_close(sm, 0) != 0 && *werr == 0)
		*werr = errno;
	return 0;
}

/* do_data - DATA: spool, filter, relay, answer; -1 ends the session */
static int
do_data(struct sess *s)
{
	struct spool_msg	 sm;
	struct smtp_data	 d;
	struct reply		*res, one;
	char			 why[300];
	const char		*qid;
	size_t			 i;
	int			 werr = 0, rc = 0;

	if (!s->in_mail) {
		refuse(s, 503, "5.5.1", "Error: need MAIL command");
		return 0;
	}
	if (s->nrcpt == 0) {
		refuse(s, 554, "5.5.1", "Error: no valid recipients");
		return 0;
	}
	res = xcalloc(s->nrcpt, sizeof(*res));
	/* the data's size is checked by the reader, which says too_big */
	rc = spool_msg_create(&sm, s->cfg->spool_dir, 0, why, sizeof(why));
	qid = s->xfwd[XF_IDENT] != NULL && s->xfwd[XF_IDENT][0] != '\0' ?
	    s->xfwd[XF_IDENT] : rc == 0 ? sm.id : "-";
	if (rc != 0) {
		rc = 0;
		smtp_deliver(s, NULL, errno != 0 ? errno : EIO, why, qid, res);
		send_reply(s, &res[0]);
		goto done;
	}
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	if (read_data(s, &sm, &d, qid, &werr) != 0) {
		rc = -1;
		goto done;
	}
	if (d.too_big || werr != 0) {
		/* the engine's answer: 552 5.3.4, or tempfail */
		smtp_deliver(s, NULL, d.too_big ? EFBIG : werr, NULL, qid,
		    res);
		log_info("%s: from=<%s> nrcpt=%zu: %d %s %s", qid, s->sender,
		    s->nrcpt, res[0].code, res[0].status, res[0].text);
	} else if (data_reject(s, &d, &one)) {
		log_info("%s: from=<%s> nrcpt=%zu: %d %s %s", qid, s->sender,
		    s->nrcpt, one.code, one.status, one.text);
		for (i = 0; i < s->nrcpt; i++)
			res[i] = one;
	} else {
		log_info("%s: from=<%s> nrcpt=%zu size=%llu client=%s", qid,
		    s->sender, s->nrcpt, d.size, s->xfwd[XF_ADDR] != NULL ?
		    s->xfwd[XF_ADDR] : s->peer);
		smtp_deliver(s, sm.dir, 0, NULL, qid, res);
	}
	if (s->lc->lmtp)
		for (i = 0; i < s->nrcpt; i++)
			send_reply(s, &res[i]);
	else
		send_reply(s, &res[0]);
done:
	(void)spool_msg_discard(&sm);
	free(res);
	xact_reset(s);
	xfwd_reset(s);
	return rc;
}

/* smtp_session - one client connection */
void
smtp_session(struct sess *s)
{
	struct smtp_cmd		 c;
	struct reply	 err;

	s->end_ms = clock_ms() + s->cfg->smtp_session_timeout * 1000LL;
	s->xfwd_ok = xfwd_allowed(s);
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
			/* a client that may not use XFORWARD learns nothing
			 * about what it would have taken */
			if (c.verb == SMTP_XFORWARD && !s->xfwd_ok)
				xfwd_refuse(s);
			else
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
			reply(s, 214, "2.0.0", s->xfwd_ok ? "Commands: HELO "
			    "EHLO LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY "
			    "XFORWARD" : "Commands: HELO EHLO LHLO MAIL RCPT "
			    "DATA RSET NOOP QUIT VRFY");
			break;
		case SMTP_XFORWARD:
			if (s->xfwd_ok)
				do_xforward(s, &c);
			else
				xfwd_refuse(s);
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

