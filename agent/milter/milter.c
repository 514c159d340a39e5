/*
 * milter.c - the milter front end: libmilter callbacks to the engine
 *
 * The only file that includes libmilter's mfapi.h.  Each MTA connection
 * has a struct mconn (client facts, HELO, negotiated options); each
 * message a struct mmsg with its work directory, open spool writer and
 * envelope.  Headers and body go straight into <workdir>/message (LF
 * line endings), so memory does not grow with the message.  At end of
 * message the engine runs, and its verdict and every modification go
 * back through smfi_* calls.  A message ends in one place, msg_end(),
 * on every path: eom, abort, close, a reject or tempfail answered early.
 * Where the MTA offers it, DATA, header fields, end of header and body
 * chunks get no answer (SMFIP_NR_*): a message that fails there keeps
 * its answer in the mconn for its end of message.
 *
 * In milter mode the MTA keeps the message until it has our answer, so
 * the spool file is not fsynced: a crash loses nothing but the answer,
 * and the MTA then applies milter_default_action (tempfail).
 *
 * SECURITY: everything in the callbacks comes from the MTA, which relays
 * it from the network: envelope values are checked by the engine
 * (envelope_check) before any filter sees them; headers and body are
 * written to the spool as bytes and parsed by the engine's strict
 * parsers.  Runs as the unprivileged sluice user.
 * ERRORS: any failure while a message is in flight (spool write error,
 * disk full, launcher unreachable) answers tempfail with the configured
 * tempfail reply; a message over message_max is rejected with 552 5.3.4.
 * A connection whose MTA does not allow the modifications the config may
 * need is refused at negotiation, with a log line naming them.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "engine/engine.h"
#include "engine/spool.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "milter/milter.h"
#include "rules/filter_state.h"

#define MAX_REPLY_LINES		32	/* smfi_setmlreply's limit */
#define BODY_CHUNK		65536

struct mmsg {
	char			 qid[64];	/* the MTA's queue id, for logs,
						   else the work directory's */
	struct config		*cfg;
	struct spool_msg	 sm;
	struct envelope		 env;		/* sender, recipients, MAIL
						   FROM's parameters */
};

struct mconn {
	char		*client_addr;
	char		*client_name;
	char		*helo;
	int		 leadspc;	/* values keep their leading space */
	unsigned long	 noreply;	/* SMFIP_NR_*: steps not answered */
	struct mmsg	*msg;
	/* a message that failed at a step without an answer (its spool
	 * file full or broken): the answer for its end of message */
	sfsistat	 late_r;	/* 0: none */
	struct reply	 late;
};

static pthread_mutex_t		 sess_lock = PTHREAD_MUTEX_INITIALIZER;
static int			 sessions;
static struct config_holder	*holder;	/* the agent's */

/* needed_actions - the modifications this config may ask of the MTA */
static unsigned long
needed_actions(const struct config *cfg)
{
	unsigned long	a = 0;
	size_t		i, k;

	if (cfg->narules > 0)
		a |= SMFIF_ADDHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT;
	/* a filter may write any directive or a whole new message */
	if (cfg->nrules > 0)
		a |= SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY |
		    SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_CHGFROM;
	for (i = 0; i < cfg->nfilters; i++)
		for (k = 0; k < 256; k++)
			if (cfg->filters[i].exitmap[k] == V_QUARANTINE)
				a |= SMFIF_QUARANTINE;
	return a;
}

/* action_names - "add header, change body, ..." for a log line */
static void
action_names(unsigned long a, char *buf, size_t len)
{
	static const struct {
		unsigned long	 flag;
		const char	*name;
	} names[] = {
		{ SMFIF_ADDHDRS, "add header" },
		{ SMFIF_CHGHDRS, "change header" },
		{ SMFIF_CHGBODY, "replace body" },
		{ SMFIF_ADDRCPT, "add recipient" },
		{ SMFIF_DELRCPT, "delete recipient" },
		{ SMFIF_CHGFROM, "change sender" },
		{ SMFIF_QUARANTINE, "quarantine" },
	};
	size_t	i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (a & names[i].flag)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			    buf[0] ? ", " : "", names[i].name);
}

/* macro - an MTA macro, or NULL when it is not set or empty */
static const char *
macro(SMFICTX *ctx, const char *name)
{
	const char	*v = smfi_getsymval(ctx, (char *)name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* msg_end - every message ends here: work directory gone, memory freed */
static void
msg_end(struct mconn *c)
{
	struct mmsg	*m = c->msg;

	if (m == NULL)
		return;
	if (m->sm.dir != NULL && spool_msg_discard(&m->sm) != 0)
		log_warn("%s: cannot remove its work directory", m->qid);
	envelope_free(&m->env);
	config_unref(&m->cfg);
	free(m);
	c->msg = NULL;
}

/* escape_percent - libmilter drops reply text with a single '%' */
static char *
escape_percent(const char *s, size_t len)
{
	char	*out = xmalloc(2 * len + 1), *o = out;
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (s[i] == '%')
			*o++ = '%';
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* set_reply - code, enhanced status and text; text lines split on '\n'
 * become a multi-line reply */
static int
set_reply(SMFICTX *ctx, int code, const char *status, const char *text)
{
	char		 rc[8], *line[MAX_REPLY_LINES + 1];
	const char	*p, *nl;
	size_t		 n = 0, i;
	int		 r;

	snprintf(rc, sizeof(rc), "%d", code);
	memset(line, 0, sizeof(line));
	for (p = text; n < MAX_REPLY_LINES; p = nl + 1) {
		nl = strchr(p, '\n');
		line[n++] = escape_percent(p, nl ? (size_t)(nl - p) :
		    strlen(p));
		if (nl == NULL)
			break;
	}
	if (n == 1)
		r = smfi_setreply(ctx, rc, (char *)status, line[0]);
	else
		r = smfi_setmlreply(ctx, rc, status, line[0], line[1],
		    line[2], line[3], line[4], line[5], line[6], line[7],
		    line[8], line[9], line[10], line[11], line[12], line[13],
		    line[14], line[15], line[16], line[17], line[18],
		    line[19], line[20], line[21], line[22], line[23],
		    line[24], line[25], line[26], line[27], line[28],
		    line[29], line[30], line[31], (char *)NULL);
	for (i = 0; i < n; i++)
		free(line[i]);
	return r == MI_SUCCESS ? 0 : -1;
}

/* input - what the engine gets of the message and its connection */
static void
input(struct engine_input *in, const struct mconn *c, struct mmsg *m)
{
	memset(in, 0, sizeof(*in));
	in->cfg = m->cfg;
	in->workdir = m->sm.dir;
	in->queue_id = m->qid;
	in->sender = m->env.sender;
	in->rcpt = m->env.rcpt;
	in->nrcpt = m->env.nrcpt;
	in->mail_args = m->env.mail_args;
	in->client_addr = c->client_addr;
	in->client_name = c->client_name;
	in->helo = c->helo;
}

/*
 * msg_fail - the message could not be spooled (errno, why): the
 * engine's answer (too big, or tempfail) goes out at once, or, at a
 * step the MTA does not wait for (step: its SMFIP_NR_* flag, if the MTA
 * agreed to it), at the end of the message
 */
static sfsistat
msg_fail(SMFICTX *ctx, struct mconn *c, const char *why, unsigned long step)
{
	struct engine_input	 in;
	struct engine_msg	 em;
	int			 err = errno != 0 ? errno : EIO;
	sfsistat		 r;

	input(&in, c, c->msg);
	in.spool_error = err;
	in.spool_why = why;
	engine_judge(&em, &in);
	r = em.verdict == V_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	if ((c->noreply & step) != 0) {
		c->late_r = r;
		c->late = em.reply;
		r = SMFIS_NOREPLY;
	} else
		(void)set_reply(ctx, em.reply.code, em.reply.status,
		    em.reply.text);
	engine_msg_free(&em);
	msg_end(c);
	return r;
}

/* step_ok - the answer to a step that went well: none if the MTA
 * agreed not to wait for one */
static sfsistat
step_ok(const struct mconn *c, unsigned long step)
{
	return (c->noreply & step) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* conn_get - the connection's state, made on first use */
static struct mconn *
conn_get(SMFICTX *ctx)
{
	struct mconn	*c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		smfi_setpriv(ctx, c);
		pthread_mutex_lock(&sess_lock);
		sessions++;
		pthread_mutex_unlock(&sess_lock);
	}
	return c;
}

/* mlfi_negotiate - ask for the modifications the config may need */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct mconn	*c = conn_get(ctx);
	struct config	*cfg = config_holder_get(holder);
	unsigned long	 need = needed_actions(cfg);
	char		 names[200];

	config_unref(&cfg);
	if ((f0 & need) != need) {
		action_names(need & ~f0, names, sizeof(names));
		log_warnx("milter: the MTA does not allow %s, which the "
		    "configuration may need; refusing the connection "
		    "(the MTA applies its default action)", names);
		return SMFIS_REJECT;
	}
	*pf0 = need;
	/* no answer to DATA, the header fields, their end and body
	 * chunks, where the MTA offers that: a round trip less for each;
	 * a spool failure there is answered at the end of the message
	 * (the MTA has to read the whole DATA before it can answer the
	 * client in any case) */
	c->noreply = f1 & (SMFIP_NR_DATA | SMFIP_NR_HDR | SMFIP_NR_EOH |
	    SMFIP_NR_BODY);
	*pf1 = (f1 & SMFIP_HDR_LEADSPC) | c->noreply;
	c->leadspc = (f1 & SMFIP_HDR_LEADSPC) != 0;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* mlfi_connect - the client's address and name */
static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct mconn	*c = conn_get(ctx);
	char		 a[INET6_ADDRSTRLEN];
	const char	*v;

	/* a negotiated option survives; anything else starts over */
	free(c->client_addr);
	free(c->client_name);
	c->client_addr = c->client_name = NULL;
	if ((v = macro(ctx, "{client_addr}")) != NULL)
		c->client_addr = xstrdup(v);
	else if (sa != NULL && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, a,
	    sizeof(a)) != NULL)
		c->client_addr = xstrdup(a);
	else if (sa != NULL && sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, a,
	    sizeof(a)) != NULL)
		c->client_addr = xstrdup(a);
	if ((v = macro(ctx, "{client_name}")) != NULL)
		c->client_name = xstrdup(v);
	else if (hostname != NULL && hostname[0] != '\0')
		c->client_name = xstrdup(hostname);
	return SMFIS_CONTINUE;
}

/* mlfi_helo - the HELO/EHLO name */
static sfsistat
mlfi_helo(SMFICTX *ctx, char *helo)
{
	struct mconn	*c = conn_get(ctx);

	free(c->helo);
	c->helo = helo != NULL ? xstrdup(helo) : NULL;
	return SMFIS_CONTINUE;
}

/* set_qid - the MTA's queue id ("i": Postfix and Sendmail send it
 * with MAIL FROM, or at the latest at end of message), else ours */
static void
set_qid(SMFICTX *ctx, struct mmsg *m)
{
	const char	*v = macro(ctx, "i");

	snprintf(m->qid, sizeof(m->qid), "%s", v != NULL ? v :
	    m->sm.dir != NULL ? m->sm.id : "-");
}

/* join_args - the ESMTP parameters, one space between them */
static char *
join_args(char **argv)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 0);
	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			buf_appendc(&b, ' ');
		buf_append(&b, argv[i], strlen(argv[i]));
	}
	return buf_steal(&b, NULL);
}

/* mlfi_envfrom - a new message: work directory, spool file, sender */
static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct mconn	*c = conn_get(ctx);
	struct mmsg	*m;
	char		 why[300];
	int		 rc;

	msg_end(c);
	c->late_r = 0;
	m = c->msg = xcalloc(1, sizeof(*m));
	m->cfg = config_holder_get(holder);
	m->env.sender = envelope_unbracket(argv[0] != NULL ? argv[0] : "");
	m->env.mail_args = join_args(argv[0] != NULL ? argv + 1 : argv);
	errno = 0;
	rc = spool_msg_create(&m->sm, m->cfg->spool_dir, m->cfg->message_max,
	    why, sizeof(why));
	set_qid(ctx, m);
	return rc == 0 ? SMFIS_CONTINUE : msg_fail(ctx, c, why, 0);
}

/* mlfi_envrcpt - one more recipient */
static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mconn	*c = conn_get(ctx);
	char		*r;

	if (c->msg == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	r = envelope_unbracket(argv[0]);
	envelope_add_rcpt(&c->msg->env, r);
	free(r);
	return SMFIS_CONTINUE;
}

/* mlfi_data - nothing to do, but registered: see DESIGN.md */
static sfsistat
mlfi_data(SMFICTX *ctx)
{
	return step_ok(conn_get(ctx), SMFIP_NR_DATA);
}

/* mlfi_unknown - nothing to do, but registered like every callback */
static sfsistat
mlfi_unknown(SMFICTX *ctx, const char *cmd)
{
	return SMFIS_CONTINUE;
}

/* mlfi_header - "Name:" and the value, as they were in the message */
static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct mconn	*c = conn_get(ctx);
	struct mmsg	*m = c->msg;

	if (m == NULL || !m->sm.open)
		return step_ok(c, SMFIP_NR_HDR);
	if (spool_msg_write(&m->sm, name, strlen(name)) != 0 ||
	    spool_msg_write(&m->sm, c->leadspc ? ":" : ": ",
	    c->leadspc ? 1 : 2) != 0 ||
	    spool_msg_write(&m->sm, value, strlen(value)) != 0 ||
	    spool_msg_write(&m->sm, "\n", 1) != 0)
		return msg_fail(ctx, c, NULL, SMFIP_NR_HDR);
	return step_ok(c, SMFIP_NR_HDR);
}

/* mlfi_eoh - the empty line between header and body */
static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct mconn	*c = conn_get(ctx);
	struct mmsg	*m = c->msg;

	if (m != NULL && m->sm.open && spool_msg_write(&m->sm, "\n", 1) != 0)
		return msg_fail(ctx, c, NULL, SMFIP_NR_EOH);
	return step_ok(c, SMFIP_NR_EOH);
}

/* mlfi_body - a chunk of the body, CRLF turned into LF */
static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct mconn	*c = conn_get(ctx);
	struct mmsg	*m = c->msg;

	if (m != NULL && m->sm.open &&
	    spool_msg_write(&m->sm, (const char *)p, len) != 0)
		return msg_fail(ctx, c, NULL, SMFIP_NR_BODY);
	return step_ok(c, SMFIP_NR_BODY);
}

/* header_value - engine values keep their leading space; without
 * SMFIP_HDR_LEADSPC the MTA adds one itself */
static char *
header_value(const struct mconn *c, const char *v)
{
	if (!c->leadspc && v[0] == ' ')
		v++;
	return (char *)v;
}

/* bracket - "<addr>" for the MTA */
static char *
bracket(const char *a)
{
	char	*s;

	xasprintf(&s, "<%s>", a);
	return s;
}

/* replace_body - the body of the current message file, CRLF again */
static int
replace_body(SMFICTX *ctx, const struct engine_msg *em)
{
	unsigned char	 in[BODY_CHUNK / 2], out[BODY_CHUNK];
	size_t		 o;
	ssize_t		 n, i;
	int		 fd, rc = 0;

	if ((fd = open(em->msgfile, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (lseek(fd, (off_t)em->body_off, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		n = read(fd, in, sizeof(in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		for (i = 0, o = 0; i < n; i++) {
			if (in[i] == '\n')
				out[o++] = '\r';
			out[o++] = in[i];
		}
		if (smfi_replacebody(ctx, out, (int)o) != MI_SUCCESS) {
			rc = -1;
			break;
		}
	}
	close(fd);
	return rc;
}

/* apply_mods - every modification the engine recorded, in order */
static int
apply_mods(SMFICTX *ctx, const struct mconn *c, const struct engine_msg *em)
{
	const struct engine_mod	*md;
	char			*a;
	size_t			 i;
	int			 r = MI_SUCCESS;

	for (i = 0; i < em->nmods && r == MI_SUCCESS; i++) {
		md = &em->mods[i];
		switch (md->kind) {
		case MOD_ADD_HEADER:
			r = smfi_addheader(ctx, md->name,
			    header_value(c, md->value));
			break;
		case MOD_INSERT_HEADER:
			r = smfi_insheader(ctx, md->index, md->name,
			    header_value(c, md->value));
			break;
		case MOD_CHANGE_HEADER:
			r = smfi_chgheader(ctx, md->name, md->index,
			    header_value(c, md->value));
			break;
		case MOD_DELETE_HEADER:
			r = smfi_chgheader(ctx, md->name, md->index, NULL);
			break;
		case MOD_ADD_RCPT:
			a = bracket(md->value);
			r = smfi_addrcpt(ctx, a);
			free(a);
			break;
		case MOD_DELETE_RCPT:
			a = bracket(md->value);
			r = smfi_delrcpt(ctx, a);
			free(a);
			break;
		case MOD_CHANGE_SENDER:
			a = bracket(md->value);
			r = smfi_chgfrom(ctx, a, NULL);
			free(a);
			break;
		case MOD_REPLACE_BODY:
			r = replace_body(ctx, em) == 0 ? MI_SUCCESS :
			    MI_FAILURE;
			break;
		}
	}
	return r == MI_SUCCESS ? 0 : -1;
}

/* mlfi_eom - run the engine and answer */
static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct mconn		*c = conn_get(ctx);
	struct mmsg		*m = c->msg;
	struct engine_input	 in;
	struct engine_msg	 em;
	const char		*v;
	sfsistat		 r;

	if (m == NULL && c->late_r != 0) {
		r = c->late_r;
		c->late_r = 0;
		(void)set_reply(ctx, c->late.code, c->late.status,
		    c->late.text);
		return r;
	}
	if (m == NULL)
		return SMFIS_CONTINUE;
	set_qid(ctx, m);
	errno = 0;
	if (spool_msg_close(&m->sm, 0) != 0)
		return msg_fail(ctx, c, NULL, 0);
	input(&in, c, m);
	if ((v = macro(ctx, "{auth_authen}")) != NULL)
		in.auth_user = v;
	engine_judge(&em, &in);
	switch (em.verdict) {
	case V_REJECT:
		(void)set_reply(ctx, em.reply.code, em.reply.status,
		    em.reply.text);
		r = SMFIS_REJECT;
		break;
	case V_TEMPFAIL:
		(void)set_reply(ctx, em.reply.code, em.reply.status,
		    em.reply.text);
		r = SMFIS_TEMPFAIL;
		break;
	case V_DISCARD:
		r = SMFIS_DISCARD;
		break;
	case V_QUARANTINE:
	default:
		r = SMFIS_CONTINUE;
		if (apply_mods(ctx, c, &em) != 0 ||
		    (em.verdict == V_QUARANTINE &&
		    smfi_quarantine(ctx, em.reason != NULL ? em.reason :
		    (char *)"quarantined by sluice") != MI_SUCCESS)) {
			log_warnx("%s: the MTA refused a modification: "
			    "answering tempfail", em.env.queue_id);
			(void)set_reply(ctx, m->cfg->tempfail.code,
			    m->cfg->tempfail.status, m->cfg->tempfail.text);
			engine_msg_free(&em);
			msg_end(c);
			return SMFIS_TEMPFAIL;
		}
		break;
	}
	engine_msg_free(&em);
	msg_end(c);
	return r;
}

/* mlfi_abort - the MTA dropped the message; the connection goes on */
static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct mconn	*c = smfi_getpriv(ctx);

	if (c != NULL) {
		msg_end(c);
		c->late_r = 0;
	}
	return SMFIS_CONTINUE;
}

/* mlfi_close - the connection is over, at whatever point it was */
static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct mconn	*c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	msg_end(c);
	free(c->client_addr);
	free(c->client_name);
	free(c->helo);
	free(c);
	smfi_setpriv(ctx, NULL);
	pthread_mutex_lock(&sess_lock);
	sessions--;
	pthread_mutex_unlock(&sess_lock);
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = (char *)"sluice",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY |
	    SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_CHGFROM | SMFIF_QUARANTINE,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_unknown = mlfi_unknown,
	.xxfi_data = mlfi_data,
	.xxfi_negotiate = mlfi_negotiate,
};

/* milter_setup - register, then serve ls through libmilter's socket */
int
milter_setup(struct config_holder *h, const struct listener *ls, size_t n,
    char *why, size_t whylen)
{
	struct config		*cfg = config_holder_get(h);
	struct sockaddr_un	 sun;
	socklen_t		 len = sizeof(sun);
	char			*dummy, *conn;
	int			 fd, probe;

	holder = h;
	if (smfi_register(desc) != MI_SUCCESS) {
		config_unref(&cfg);
		return why_set(why, whylen, "smfi_register failed");
	}
	xasprintf(&dummy, "%s/.milter-%ld", cfg->run_dir, (long)getpid());
	xasprintf(&conn, "unix:%s", dummy);
	(void)smfi_settimeout(cfg->milter_timeout);
	if (smfi_setconn(conn) != MI_SUCCESS) {
		why_set(why, whylen, "smfi_setconn %s failed", conn);
		goto fail;
	}
	/* nothing else runs yet: libmilter's socket takes the lowest
	 * free descriptor, which is probe's after it is closed */
	if ((probe = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		why_set(why, whylen, "/dev/null: %s", strerror(errno));
		goto fail;
	}
	close(probe);
	if (smfi_opensocket(1) != MI_SUCCESS) {
		why_set(why, whylen, "libmilter cannot open %s", conn);
		goto fail;
	}
	fd = probe;
	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) != 0 ||
	    sun.sun_family != AF_UNIX || strcmp(sun.sun_path, dummy) != 0) {
		why_set(why, whylen, "cannot find libmilter's socket");
		goto fail;
	}
	(void)unlink(dummy);
	if (milter_mux_install(fd, ls, n, why, whylen) != 0)
		goto fail;
	free(dummy);
	free(conn);
	config_unref(&cfg);
	return 0;
fail:
	(void)unlink(dummy);
	free(dummy);
	free(conn);
	config_unref(&cfg);
	return -1;
}

/* milter_sessions - MTA connections still open */
int
milter_sessions(void)
{
	int	n;

	pthread_mutex_lock(&sess_lock);
	n = sessions;
	pthread_mutex_unlock(&sess_lock);
	return n;
}

/* milter_run - serve until the process ends */
int
milter_run(void)
{
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
