/*
 * smtp_int.h - what the content filter's files share; not for others
 *
 * smtp_server.c accepts and starts a thread per connection (and tells
 * it, through sess.quiesce, when the agent stops);
 * smtp_session.c runs the connection (I/O, replies, the command loop,
 * the DATA reader); smtp_deliver.c does what follows DATA: the engine
 * per group of recipients, the next hop, the replies per recipient.
 */
#ifndef SLUICE_SMTP_INT_H
#define SLUICE_SMTP_INT_H

#include <stdatomic.h>
#include <stddef.h>

#include "config/config.h"
#include "lib/buf.h"
#include "mail/reply.h"
#include "mail/smtp_proto.h"
#include "smtp/smtp_relay.h"

#define SMTP_IN_SIZE	65536

/* one client connection */
struct sess {
	int			 fd;
	struct config		*cfg;		/* a reference; a new
						   transaction takes the
						   newest */
	struct config_holder	*holder;
	size_t			 li;		/* lc is cfg->smtp[li] */
	const struct smtp_listen *lc;
	char			 peer[64];	/* the connecting address, or
						   "unix" */
	char			*helo;
	int			 esmtp;
	int			 xfwd_ok;	/* may send XFORWARD */
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
	char			 in[SMTP_IN_SIZE];
	size_t			 off, len;
	char			 dout[SMTP_IN_SIZE + 2];  /* DATA, LF ends */
	struct smtp_line	 line;
	struct buf		 out;
	long long		 end_ms;	/* smtp_session_timeout */
	int			 errors;
	int			 closing;
	struct relay		 relay;
	const atomic_int	*quiesce;	/* the server's: set when the
						   agent stops */
};

/* smtp_session.c */
/* smtp_session - serve one connection until it ends */
void	smtp_session(struct sess *);

/* smtp_deliver.c */
/*
 * smtp_deliver - the transaction's message is in workdir (or could not
 * be spooled: spool_error, with spool_why): the engine for each group of
 * recipients, the next hop for what is accepted.  res[i] gets the reply
 * for recipient i of the transaction; for SMTP all are the same.
 */
void	smtp_deliver(struct sess *, const char *workdir, int spool_error,
	    const char *spool_why, const char *qid, struct reply *res);

#endif
