/*
 * NAME
 *	smtp_relay.c - the SMTP/LMTP client that hands filtered mail on
 *
 * DESCRIPTION
 *	relay_open() connects to the next hop (inet or unix socket), reads
 *	its greeting and says EHLO (LHLO for LMTP), noting PIPELINING,
 *	SIZE, 8BITMIME, SMTPUTF8 and XFORWARD.  relay_send() runs one
 *	transaction: XFORWARD with the original client's facts, MAIL,
 *	every RCPT, DATA (pipelined when the next hop offers it), the
 *	content with CR LF line ends and exact dot-stuffing (smtp_stuff),
 *	and the reply to the final dot: one for SMTP, one per accepted
 *	recipient for LMTP.  Every recipient ends with a result of its own.
 *
 *	The caller (smtp_deliver.c) answers its client only after this, so
 *	the message is either with the next hop or still with the upstream
 *	MTA; sluice never holds it alone.
 *
 *	The next hop is believed only while its replies line up with the
 *	commands: the relay counts the replies owed, and a reply whose code
 *	cannot answer its command (smtp_resp_answers: a 250 to DATA, a 354
 *	to MAIL), a malformed or over-long reply, any byte while no reply
 *	is owed (before the end of the data, after the greeting, after the
 *	last reply of a transaction) is a confused next hop: the
 *	transaction fails and the connection is dropped, never reused, so
 *	a stray reply cannot answer a later command (the client side of
 *	CVE-2020-8794).  relay_reusable() checks a cached connection the
 *	same way before the next transaction.
 *
 * SECURITY
 *	Runs in the agent as the sluice user.  The next hop's replies are
 *	parsed by smtp_resp_line(), which keeps only printable bytes of
 *	their text.  Envelope values were checked before; a value with a
 *	control character is refused here once more rather than sent.
 *
 * ERRORS
 *	A connection failure, a timeout (relay_timeout per reply) or a
 *	confused next hop returns -1 with why; the caller tempfails.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/spool.h"
#include "lib/io.h"
#include "lib/listen.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "smtp/smtp_relay.h"

#define RELAY_LINE_MAX	4096
#define CHUNK		32768
#define CONFUSED	(-2)	/* the next hop's replies make no sense */

/* relay_init - an unconnected relay */
void
relay_init(struct relay *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/* wait_fd - poll fd for events within timeout_s; 0, or -1 with errno */
static int
wait_fd(int fd, short events, int timeout_s)
{
	struct pollfd	pfd;
	int		n;

	pfd.fd = fd;
	pfd.events = events;
	do
		n = poll(&pfd, 1, timeout_s * 1000);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* peek - 1 when the next hop sent bytes not yet parsed, -1 when it
 * closed the connection (or it failed), 0 when it is quiet */
static int
peek(struct relay *r)
{
	char	c;
	ssize_t	n;

	if (r->off < r->len)
		return 1;
	do
		n = recv(r->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return 1;
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
}

/* flush - write the output buffer, after making sure that the next hop
 * did not speak while it owed nothing; 0, -1 with why, or CONFUSED */
static int
flush(struct relay *r, char *why, size_t whylen)
{
	int	p;

	if (r->owed == 0 && (p = peek(r)) != 0) {
		/* a reply now would be taken for the answer to what we are
		 * about to send: a reply before the end of the data, or one
		 * more than the last command had */
		if (p < 0) {
			r->lost = 1;
			return why_set(why, whylen, "the next hop closed the "
			    "connection");
		}
		why_set(why, whylen, "the next hop replied out of turn%s",
		    r->in_data ? ", before the end of the data" : "");
		return CONFUSED;
	}
	if (r->out.len > 0 && io_send_all(r->fd, r->out.data, r->out.len,
	    r->timeout_s * 1000) != 0) {
		r->lost = errno == EPIPE || errno == ECONNRESET;
		return why_set(why, whylen, "writing to the next hop: %s",
		    errno == EPIPE ? "connection closed" : strerror(errno));
	}
	buf_reset(&r->out);
	r->owed += r->queued;
	r->queued = 0;
	return 0;
}

/* read_resp - one whole reply of the next hop; 0, -1 with why, or
 * CONFUSED */
static int
read_resp(struct relay *r, struct smtp_resp *resp, char *why, size_t whylen)
{
	size_t	used;
	ssize_t	n;

	smtp_resp_init(resp);
	if (r->owed == 0) {
		/* a caller's bug: it would read a reply nobody asked for */
		why_set(why, whylen, "no reply is due from the next hop");
		return CONFUSED;
	}
	for (;;) {
		while (r->off < r->len) {
			if (!smtp_line_feed(&r->line, r->in + r->off,
			    r->len - r->off, &used)) {
				r->off += used;
				break;
			}
			r->off += used;
			if (r->line.too_long) {
				why_set(why, whylen, "the next hop sent a "
				    "reply line over %d bytes",
				    RELAY_LINE_MAX);
				return CONFUSED;
			}
			if (!smtp_resp_line(resp, r->line.buf, r->line.len))
				continue;
			if (resp->bad) {
				why_set(why, whylen, "the next hop sent a "
				    "malformed reply");
				return CONFUSED;
			}
			r->replies++;
			if (--r->owed == 0 && r->off < r->len) {
				/* in the same packet as the last reply due */
				why_set(why, whylen, "the next hop sent more "
				    "replies than were due");
				return CONFUSED;
			}
			return 0;
		}
		r->off = r->len = 0;
		if (wait_fd(r->fd, POLLIN, r->timeout_s) != 0) {
			why_set(why, whylen, "no reply from the next hop "
			    "within %d s", r->timeout_s);
			return -1;
		}
		n = recv(r->fd, r->in, sizeof(r->in), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			r->lost = n == 0 || errno == ECONNRESET;
			why_set(why, whylen, "the next hop %s",
			    n < 0 ? strerror(errno) : "closed the connection");
			return -1;
		}
		r->len = (size_t)n;
	}
}

/* answer - the reply to a command, which must be one that can answer
 * it; 0, -1 with why, or CONFUSED */
static int
answer(struct relay *r, enum smtp_resp_to to, struct smtp_resp *resp,
    char *why, size_t whylen)
{
	int	rc;

	if ((rc = read_resp(r, resp, why, whylen)) != 0)
		return rc;
	if (!smtp_resp_answers(to, resp->code)) {
		why_set(why, whylen, "the next hop answered %s with %d, "
		    "a protocol error", smtp_resp_to_name(to), resp->code);
		return CONFUSED;
	}
	return 0;
}

/* ehlo_keywords - note the extensions of an EHLO/LHLO reply */
static void
ehlo_keywords(struct relay *r, const struct smtp_resp *resp)
{
	static const char *const xnames[XF_COUNT] = {
		"NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"
	};
	const char	*p = resp->text, *e, *w;
	size_t		 len, k;

	r->ext = 0;
	r->xfwd_attrs = 0;
	/* the first line is the greeting name; keywords follow */
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		e = strchr(p, '\n');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len >= 10 && strncasecmp(p, "PIPELINING", 10) == 0)
			r->ext |= RX_PIPELINING;
		else if (len >= 4 && strncasecmp(p, "SIZE", 4) == 0)
			r->ext |= RX_SIZE;
		else if (len >= 8 && strncasecmp(p, "8BITMIME", 8) == 0)
			r->ext |= RX_8BITMIME;
		else if (len >= 8 && strncasecmp(p, "SMTPUTF8", 8) == 0)
			r->ext |= RX_SMTPUTF8;
		else if (len >= 8 && strncasecmp(p, "XFORWARD", 8) == 0) {
			r->ext |= RX_XFORWARD;
			for (w = p + 8; w < p + len;) {
				while (w < p + len && *w == ' ')
					w++;
				for (k = 0; k < XF_COUNT; k++)
					if (strncasecmp(w, xnames[k],
					    strlen(xnames[k])) == 0 &&
					    (w + strlen(xnames[k]) == p + len ||
					    w[strlen(xnames[k])] == ' '))
						r->xfwd_attrs |= 1u << k;
				while (w < p + len && *w != ' ')
					w++;
			}
		}
	}
}

/* relay_open - connect, greeting, EHLO or LHLO */
int
relay_open(struct relay *r, const char *spec, const char *run_dir, int lmtp,
    const char *helo, int connect_timeout, int timeout, char *why,
    size_t whylen)
{
	struct listener		l;
	struct smtp_resp	resp;
	socklen_t		elen = sizeof(int);
	char			w[300];
	int			err = 0;

	relay_init(r);
	r->lmtp = lmtp;
	r->timeout_s = timeout;
	if (listen_parse(spec, run_dir, &l, w, sizeof(w)) != 0) {
		why_set(why, whylen, "next hop %s: %s", spec, w);
		return -1;
	}
	r->fd = socket(l.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (r->fd < 0) {
		why_set(why, whylen, "socket: %s", strerror(errno));
		listen_close(&l, 0);
		return -1;
	}
	if (connect(r->fd, (struct sockaddr *)&l.ss, l.sslen) != 0 &&
	    (errno != EINPROGRESS ||
	    wait_fd(r->fd, POLLOUT, connect_timeout) != 0 ||
	    getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 ||
	    err != 0)) {
		why_set(why, whylen, "cannot connect to the next hop %s: %s",
		    spec, strerror(err != 0 ? err : errno));
		listen_close(&l, 0);
		relay_close(r, 0);
		return -1;
	}
	(void)listen_tune(r->fd, l.family);
	listen_close(&l, 0);
	smtp_line_init(&r->line, RELAY_LINE_MAX);
	buf_init(&r->out, 0);
	r->owed = 1;		/* the greeting */
	if (answer(r, RESP_GREETING, &resp, why, whylen) != 0)
		goto fail;
	if (resp.code != 220) {
		why_set(why, whylen, "the next hop %s greeted with %d %s",
		    spec, resp.code, resp.text);
		goto fail;
	}
	buf_appendf(&r->out, "%s %s\r\n", lmtp ? "LHLO" : "EHLO", helo);
	r->queued++;
	if (flush(r, why, whylen) != 0 || answer(r, RESP_EHLO, &resp, why,
	    whylen) != 0)
		goto fail;
	if (resp.code != 250) {
		why_set(why, whylen, "the next hop %s answered %s with %d "
		    "%s", spec, lmtp ? "LHLO" : "EHLO", resp.code, resp.text);
		goto fail;
	}
	ehlo_keywords(r, &resp);
	return 0;
fail:
	relay_close(r, 0);
	return -1;
}

/* relay_close - end the session */
void
relay_close(struct relay *r, int quit)
{
	struct smtp_resp	resp;
	char			why[200];

	if (r->fd >= 0 && quit) {
		buf_reset(&r->out);
		r->queued = 0;
		buf_appendf(&r->out, "QUIT\r\n");
		r->queued++;
		if (flush(r, why, sizeof(why)) == 0)
			(void)read_resp(r, &resp, why, sizeof(why));
	}
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->line.buf != NULL)
		smtp_line_free(&r->line);
	buf_free(&r->out);
	r->off = r->len = 0;
	r->owed = r->queued = r->in_data = 0;
}

/* relay_unanswered - closed or reset before any reply of the
 * transaction */
int
relay_unanswered(const struct relay *r)
{
	return r->lost && r->replies == 0;
}

/* relay_reusable - open, owing nothing, nothing waiting from the hop */
int
relay_reusable(struct relay *r)
{
	return r->fd >= 0 && r->owed == 0 && r->queued == 0 &&
	    smtp_line_idle(&r->line) && peek(r) == 0;
}

/* xtext - append v as RFC 3461 xtext */
static void
xtext(struct buf *b, const char *v)
{
	const unsigned char	*p = (const unsigned char *)v;

	for (; *p != '\0'; p++)
		if (*p < 33 || *p > 126 || *p == '+' || *p == '=')
			buf_appendf(b, "+%02X", *p);
		else
			buf_appendc(b, (char)*p);
}

/* xforward_reply - read the answer to one XFORWARD; 0 or -1 with why */
static int
xforward_reply(struct relay *r, char *why, size_t whylen)
{
	struct smtp_resp	resp;

	if (answer(r, RESP_XFORWARD, &resp, why, whylen) != 0)
		return -1;
	if (resp.code / 100 != 2) {
		why_set(why, whylen, "the next hop refused XFORWARD: %d %s",
		    resp.code, resp.text);
		return -1;
	}
	return 0;
}

/* xforward_line - one XFORWARD command: queued behind the rest with
 * PIPELINING (*pending counts its reply), else sent and answered now */
static int
xforward_line(struct relay *r, struct buf *line, int pipe, int *pending,
    char *why, size_t whylen)
{
	buf_append(&r->out, line->data, line->len);
	buf_appendf(&r->out, "\r\n");
	r->queued++;
	buf_reset(line);
	if (pipe) {
		(*pending)++;
		return 0;
	}
	if (flush(r, why, whylen) != 0)
		return -1;
	return xforward_reply(r, why, whylen);
}

/* add_xforward - the original client's facts the next hop takes, in
 * command lines under 512 bytes; 0, or -1 with why */
static int
add_xforward(struct relay *r, char *const *xfwd, int pipe, int *pending,
    char *why, size_t whylen)
{
	static const char *const names[XF_COUNT] = {
		"NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"
	};
	struct buf	one, line;
	size_t		k;
	int		rc = 0;

	*pending = 0;
	if (!(r->ext & RX_XFORWARD) || xfwd == NULL)
		return 0;
	buf_init(&one, 0);
	buf_init(&line, 0);
	for (k = 0; k < XF_COUNT && rc == 0; k++) {
		if (!(r->xfwd_attrs & (1u << k)) || xfwd[k] == NULL)
			continue;
		buf_reset(&one);
		buf_appendf(&one, " %s=", names[k]);
		if (xfwd[k][0] == '\0')
			buf_appendf(&one, "[UNAVAILABLE]");
		else
			xtext(&one, xfwd[k]);
		if (line.len > 0 && line.len + one.len + 2 > 500)
			rc = xforward_line(r, &line, pipe, pending, why,
			    whylen);
		if (line.len == 0)
			buf_appendf(&line, "XFORWARD");
		buf_append(&line, one.data, one.len);
	}
	if (rc == 0 && line.len > 0)
		rc = xforward_line(r, &line, pipe, pending, why, whylen);
	buf_free(&one);
	buf_free(&line);
	return rc;
}

/* clean_value - no control characters in a value we send */
static int
clean_value(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 32 || *v == 127)
			return 0;
	return 1;
}

/* the dot-stuffing sink engine_write_message() writes into */
struct stuffer {
	struct relay		*r;
	struct smtp_stuff	 st;
	char			*o;		/* 2 * CHUNK + 8 bytes */
	char			*why;
	size_t			 whylen;
	int			 net;		/* the next hop failed */
};

/* stuff_sink - content in, CR LF and dot-stuffed into the output
 * buffer, which goes out whenever it holds a chunk */
static int
stuff_sink(void *arg, const char *p, size_t len)
{
	struct stuffer	*sf = arg;
	size_t		 n;

	for (; len > 0; p += n, len -= n) {
		n = len > CHUNK ? CHUNK : len;
		buf_append(&sf->r->out, sf->o, smtp_stuff_feed(&sf->st, p, n,
		    sf->o));
		if (sf->r->out.len >= CHUNK &&
		    flush(sf->r, sf->why, sf->whylen) != 0) {
			sf->net = 1;
			errno = EPIPE;
			return -1;
		}
	}
	return 0;
}

/* send_content - the message, CR LF and dot-stuffed, then ".", whose
 * answer is ndot replies; -2 when our own file failed.  Each chunk goes
 * out only while the next hop is quiet (flush), so the end of data is
 * never sent after a reply that came before it. */
static int
send_content(struct relay *r, const struct relay_job *job, int ndot,
    char *why, size_t whylen)
{
	struct stuffer	sf;
	int		rc;

	memset(&sf, 0, sizeof(sf));
	sf.r = r;
	sf.why = why;
	sf.whylen = whylen;
	smtp_stuff_init(&sf.st);
	sf.o = xmalloc(2 * CHUNK + 8);
	r->in_data = 1;
	if (engine_write_message(job->msg, stuff_sink, &sf) != 0) {
		if (!sf.net)
			why_set(why, whylen, "%s: %s", job->msg->msgfile,
			    strerror(errno));
		free(sf.o);
		r->in_data = 0;
		return sf.net ? -1 : -2;
	}
	buf_append(&r->out, sf.o, smtp_stuff_end(&sf.st, sf.o));
	free(sf.o);
	r->queued += ndot;
	rc = flush(r, why, whylen);
	r->in_data = 0;
	return rc == 0 ? 0 : -1;
}

/* read_reply - the reply to a command, as a struct reply; 0, -1 with
 * why, or CONFUSED */
static int
read_reply(struct relay *r, enum smtp_resp_to to, struct reply *out,
    char *why, size_t whylen)
{
	struct smtp_resp	resp;
	int			rc;

	if ((rc = answer(r, to, &resp, why, whylen)) != 0)
		return rc;
	reply_set_wire(out, resp.code, resp.text, resp.textlen);
	return 0;
}

/* settled - after the last reply of a transaction: a byte more is a
 * reply too many (CONFUSED), an end of file a next hop that is done
 * with us (closed here, the transaction stands) */
static int
settled(struct relay *r, char *why, size_t whylen)
{
	switch (peek(r)) {
	case 0:
		return 0;
	case 1:
		why_set(why, whylen, "the next hop sent more replies than "
		    "were due");
		return CONFUSED;
	default:
		relay_close(r, 0);
		return 0;
	}
}

/* set_all - the same result for every recipient still without one */
static void
set_all(struct relay_job *job, const struct reply *resp, int only_ok)
{
	size_t	i;

	for (i = 0; i < job->nrcpt; i++)
		if (!only_ok || job->res[i].code / 100 == 2)
			job->res[i] = *resp;
}

/* relay_send - one transaction with per-recipient results */
int
relay_send(struct relay *r, struct relay_job *job, char *why, size_t whylen)
{
	struct reply	 resp, mail, data;
	size_t		 i, ok = 0;
	int		 nx, k, rc, pipe = (r->ext & RX_PIPELINING) != 0;
	int		 refused = 0;

	if (!clean_value(job->sender)) {
		why_set(why, whylen, "sender has a control character");
		return -1;
	}
	for (i = 0; i < job->nrcpt; i++)
		if (!clean_value(job->rcpt[i])) {
			why_set(why, whylen, "recipient has a control "
			    "character");
			return -1;
		}
	if (job->smtputf8 && !(r->ext & RX_SMTPUTF8)) {
		(void)reply_set(&resp, 553, "5.6.7", "The next hop does not "
		    "support SMTPUTF8");
		set_all(job, &resp, 0);
		return 0;
	}
	buf_reset(&r->out);
	r->queued = 0;
	r->replies = r->lost = 0;
	if (add_xforward(r, job->xfwd, pipe, &nx, why, whylen) != 0)
		return -1;
	buf_appendf(&r->out, "MAIL FROM:<%s>", job->sender);
	if (r->ext & RX_SIZE)
		buf_appendf(&r->out, " SIZE=%llu", job->msg->size);
	if (job->body8 && (r->ext & RX_8BITMIME))
		buf_appendf(&r->out, " BODY=8BITMIME");
	if (job->smtputf8)
		buf_appendf(&r->out, " SMTPUTF8");
	buf_appendf(&r->out, "\r\n");
	r->queued++;
	if (!pipe && (flush(r, why, whylen) != 0 ||
	    read_reply(r, RESP_MAIL, &mail, why, whylen) != 0))
		return -1;
	for (i = 0; i < job->nrcpt; i++) {
		buf_appendf(&r->out, "RCPT TO:<%s>\r\n", job->rcpt[i]);
		r->queued++;
		if (!pipe && (flush(r, why, whylen) != 0 ||
		    read_reply(r, RESP_RCPT, &job->res[i], why, whylen) != 0))
			return -1;
	}
	if (pipe) {
		buf_appendf(&r->out, "DATA\r\n");
		r->queued++;
		if (flush(r, why, whylen) != 0)
			return -1;
		for (k = 0; k < nx; k++)
			if (xforward_reply(r, why, whylen) != 0)
				return -1;
		if (read_reply(r, RESP_MAIL, &mail, why, whylen) != 0)
			return -1;
		for (i = 0; i < job->nrcpt; i++)
			if (read_reply(r, RESP_RCPT, &job->res[i], why,
			    whylen) != 0)
				return -1;
	}
	if (mail.code / 100 != 2)
		set_all(job, &mail, 0);
	for (i = 0; i < job->nrcpt; i++) {
		if (job->res[i].code / 100 == 2)
			ok++;
		else
			refused = 1;
	}
	if (job->all_or_nothing && refused && ok > 0) {
		/* deliver to none: the one answer upstream is the refusal */
		for (i = 0; i < job->nrcpt && job->res[i].code / 100 == 2; i++)
			;
		resp = job->res[i];
		for (i = 0; i < job->nrcpt; i++)
			if (job->res[i].code / 100 == 4)
				resp = job->res[i];
		set_all(job, &resp, 1);
		ok = 0;
	}
	/* a reply to DATA is 354, 4xx or 5xx (read_reply): a 250 here
	 * would be taken for the end of a message never sent */
	if (pipe) {
		if (read_reply(r, RESP_DATA, &data, why, whylen) != 0)
			return -1;
	} else if (ok > 0) {
		buf_appendf(&r->out, "DATA\r\n");
		r->queued++;
		if (flush(r, why, whylen) != 0 ||
		    read_reply(r, RESP_DATA, &data, why, whylen) != 0)
			return -1;
	} else
		data.code = 0;
	if (ok == 0) {
		if (data.code == 354) {
			/* the only safe way out of DATA without a message */
			relay_close(r, 0);
			return 0;
		}
		buf_appendf(&r->out, "RSET\r\n");
		r->queued++;
		if ((rc = flush(r, why, whylen)) == 0)
			rc = read_reply(r, RESP_RSET, &resp, why, whylen);
		/* confused now, then its refusals are no answer either */
		if (rc == CONFUSED)
			return -1;
		if (rc != 0 || resp.code / 100 != 2)
			relay_close(r, 0);
		return 0;
	}
	if (data.code != 354) {
		set_all(job, &data, 1);
		return 0;
	}
	switch (send_content(r, job, r->lmtp ? (int)ok : 1, why, whylen)) {
	case 0:
		break;
	case -2:
		/* our own file failed: close so nothing half is delivered */
		relay_close(r, 0);
		return -1;
	default:
		return -1;
	}
	if (!r->lmtp) {
		if (read_reply(r, RESP_DOT, &data, why, whylen) != 0)
			return -1;
		set_all(job, &data, 1);
	} else
		for (i = 0; i < job->nrcpt; i++) {
			if (job->res[i].code / 100 != 2)
				continue;
			if (read_reply(r, RESP_DOT, &job->res[i], why,
			    whylen) != 0)
				return -1;
		}
	/* one reply too many would answer the next transaction's MAIL */
	return settled(r, why, whylen) == 0 ? 0 : -1;
}
