/*
 * smtp_relay.h - the SMTP/LMTP client that hands filtered mail on
 */
#ifndef SLUICE_SMTP_RELAY_H
#define SLUICE_SMTP_RELAY_H

#include <stddef.h>

#include "lib/buf.h"
#include "mail/reply.h"
#include "mail/smtp_proto.h"

struct engine_msg;

/* what the next hop said it can do (EHLO/LHLO keywords) */
#define RX_PIPELINING	0x01
#define RX_SIZE		0x02
#define RX_8BITMIME	0x04
#define RX_SMTPUTF8	0x08
#define RX_XFORWARD	0x10

struct relay {
	int			 fd;		/* -1: not connected */
	int			 lmtp;
	int			 timeout_s;	/* each reply */
	unsigned		 ext;
	unsigned		 xfwd_attrs;	/* 1 << enum xfwd_attr */
	/* replies the next hop owes for what was sent, and commands in
	 * out whose replies become owed when it goes: a byte from the
	 * next hop when it owes nothing is a confused next hop */
	int			 owed;
	int			 queued;
	int			 in_data;	/* sending the message */
	/* this transaction: replies read, and whether the next hop closed
	 * or reset the connection (relay_unanswered) */
	int			 replies;
	int			 lost;
	struct smtp_line	 line;
	char			 in[8192];
	size_t			 off, len;
	struct buf		 out;
};

/* one transaction: the envelope and content to send, results back */
struct relay_job {
	const char		*sender;	/* without brackets */
	char *const		*rcpt;
	size_t			 nrcpt;
	char *const		*xfwd;		/* XF_COUNT values (NULL or ""
						   = unavailable), or NULL */
	int			 body8;		/* BODY=8BITMIME */
	int			 smtputf8;
	const struct engine_msg	*msg;		/* what the filters left */
	/* SMTP upstream: one answer for all recipients, so when the next
	 * hop refuses any recipient nothing is delivered to the others */
	int			 all_or_nothing;
	struct reply		*res;		/* nrcpt results, filled in */
};

void	relay_init(struct relay *);
/*
 * relay_open - connect to spec (a socket spec as in smtp_listen), read
 * the greeting, EHLO (LHLO for LMTP) with helo.  0, or -1 with why.
 */
int	relay_open(struct relay *, const char *spec, const char *run_dir,
	    int lmtp, const char *helo, int connect_timeout, int timeout,
	    char *why, size_t whylen);
/*
 * relay_send - one transaction.  0 when every recipient has its result
 * in job->res (2xx, 4xx or 5xx, possibly the next hop's refusal of the
 * sender); -1 with why when the connection failed on the way or the
 * next hop was confused (a reply that cannot answer its command, a
 * malformed or over-long one, a reply out of turn or one too many):
 * nothing is known, the caller answers tempfail and closes the relay.
 */
int	relay_send(struct relay *, struct relay_job *, char *why,
	    size_t whylen);
/*
 * relay_reusable - the connection can take another transaction: open,
 * no reply owed, and nothing from the next hop waiting, read or unread
 * (a stale reply would answer the next command, an end of file says
 * it is gone)
 */
int	relay_reusable(struct relay *);
/*
 * relay_unanswered - after relay_send failed: the next hop closed or
 * reset the connection before it answered any command of the
 * transaction, so it cannot have taken the message (the end of the data
 * is sent only after a reply to DATA).  On a kept connection this is a
 * next hop that closed it while idle, the close not yet seen: the
 * transaction may be sent again on a new connection.
 */
int	relay_unanswered(const struct relay *);
/* relay_close - QUIT when asked and the connection is healthy, close */
void	relay_close(struct relay *, int quit);

#endif
