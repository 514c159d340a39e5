/*
 * envelope.h - the SMTP envelope and connection facts of one message
 *
 * Every value here may come from the network.  envelope_check() is the
 * gate in front of every filter: a value with CR, LF or NUL, or over the
 * RFC 5321 limits (local part 64, domain 255, path 256 octets) never
 * reaches a filter; the message is rejected with the reply it returns.
 */
#ifndef SLUICE_ENVELOPE_H
#define SLUICE_ENVELOPE_H

#include <stddef.h>

#include "mail/reply.h"

#define ENV_LOCAL_MAX	64
#define ENV_DOMAIN_MAX	255
#define ENV_PATH_MAX	256	/* including the angle brackets */
#define ENV_TEXT_MAX	512	/* client name, HELO, auth user, queue id */

struct envelope {
	char	*sender;	/* without angle brackets; "" = null sender */
	char	**rcpt;		/* without angle brackets */
	size_t	 nrcpt;
	char	*queue_id;
	char	*client_addr;	/* may be NULL: unknown */
	char	*client_name;
	char	*helo;
	char	*auth_user;
	char	*mail_args;	/* ESMTP parameters of MAIL FROM, or NULL */
};

/*
 * envelope_check_value - check one value from the wire (buf, len): no CR,
 * LF or NUL; for addresses (is_addr) the RFC 5321 length limits and no
 * leading '-' (unless is_addr is ENV_ADDR_DASH_OK).  what names it in
 * the message ("sender", "recipient", "HELO name", ...).
 */
#define ENV_ADDR_DASH_OK	2
int	envelope_check_value(const char *what, const char *buf, size_t len,
	    int is_addr, struct reply *err);
/*
 * envelope_address_check - the grammar of an address (without angle
 * brackets) sluice may hand to an MTA: NULL when it is one, else what
 * is wrong with it.  Blanks only in a quoted local part, which must be
 * the whole local part (RFC 5321 4.1.2); the RFC 5321 4.5.3.1 lengths.
 */
const char *envelope_address_check(const char *a, size_t len);
/* envelope_check - check every value of env; a client name or HELO name
 * may not start with '-' either */
int	envelope_check(const struct envelope *env, struct reply *err);
/* envelope_check_opts - the same; allow_dash lets addresses start with
 * '-' */
int	envelope_check_opts(const struct envelope *env, int allow_dash,
	    struct reply *err);
void	envelope_add_rcpt(struct envelope *, const char *);
/* envelope_del_rcpt - remove all case-insensitively equal; returns count */
int	envelope_del_rcpt(struct envelope *, const char *);
void	envelope_set_sender(struct envelope *, const char *);
/* envelope_unbracket - a copy of addr without one pair of angle
 * brackets: "<a@b>" -> "a@b" (as MTAs and command lines give them) */
char	*envelope_unbracket(const char *addr);
void	envelope_copy(struct envelope *dst, const struct envelope *src);
void	envelope_free(struct envelope *);

#endif
