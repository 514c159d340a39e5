/*
 * NAME
 *	envelope.c - the SMTP envelope of one message and its gate
 *
 * DESCRIPTION
 *	Holds the sender, the recipients and the connection facts of one
 *	message, and checks them before any filter sees them.
 *
 *	The reply chosen for a bad value depends on what the value is:
 *	the sender gets 553 5.1.7 (bad sender address), a recipient
 *	553 5.1.3 (bad destination address), anything else (HELO name,
 *	client name, authenticated user, queue id) 554 5.5.2 (syntax
 *	error).  envelope_check_value() tells an address apart by is_addr
 *	and a sender from a recipient by its name starting with "sender".
 *
 * SECURITY
 *	Every value comes from the network and is hostile.  A value that
 *	passes envelope_check() has no CR, LF or NUL; an address also has
 *	no other C0 control character and no DEL, and keeps to the RFC 5321
 *	length limits (4.5.3.1).  The reply text names the value ("recipient
 *	3") and never copies its bytes, so nothing hostile reaches the MTA's
 *	reply or the log through it.
 *
 * ERRORS
 *	The checks return -1 with the reply in err.  Allocation failure is
 *	fatal (xmalloc).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "mail/envelope.h"

/* the reply envelope_check() chooses goes into err, which may be NULL */
#define set_error(err, ...) \
	do { if ((err) != NULL) (void)reply_set((err), __VA_ARGS__); } while (0)

/*
 * bad_char - the first byte in buf that may not appear, or -1.  Every
 * value refuses CR, LF and NUL, which would end or split an SMTP reply, a
 * log line or a filter's SLUICE_RECIPIENTS.  Addresses refuse every C0
 * control and DEL as well: RFC 5321 allows none of them, not even in a
 * quoted local part.  Bytes from 0x80 up stay: SMTPUTF8 addresses.
 * Other values may keep a TAB or ESC: they reach a filter as one argument
 * or one variable, where such a byte is inert, and a sloppy HELO is not
 * worth refusing mail for.
 */
static int
bad_char(const char *buf, size_t len, int is_addr)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)buf[i];
		if (c == '\r' || c == '\n' || c == '\0')
			return c;
		if (is_addr && (c < 0x20 || c == 0x7f))
			return c;
	}
	return -1;
}

/* envelope_check_value - check one value from the wire */
int
envelope_check_value(const char *what, const char *buf, size_t len,
    int is_addr, struct reply *err)
{
	const char	*status, *at;
	size_t		 local, domain;
	int		 code, c, sender = 0;

	if (what == NULL)
		what = "value";
	if (buf == NULL)
		len = 0;
	if (!is_addr) {
		code = 554;
		status = "5.5.2";
	} else if (strncmp(what, "sender", 6) == 0) {
		sender = 1;
		code = 553;
		status = "5.1.7";
	} else {
		code = 553;
		status = "5.1.3";
	}

	if ((c = bad_char(buf, len, is_addr)) != -1) {
		/* The byte's code, not the byte: it is a control. */
		set_error(err, code, status,
		    "%s contains a control character (0x%02x)", what, c);
		return -1;
	}

	if (!is_addr) {
		if (len > ENV_TEXT_MAX) {
			set_error(err, code, status,
			    "%s is longer than %d octets", what,
			    ENV_TEXT_MAX);
			return -1;
		}
		return 0;
	}

	if (len == 0) {
		/* "<>" is the null sender; a null recipient is nobody. */
		if (sender)
			return 0;
		set_error(err, code, status, "%s is empty", what);
		return -1;
	}

	/*
	 * A filter's command line has addresses as words of their own
	 * ("%s", "%r"): one that starts with '-' would be an option to the
	 * program (sendmail -oQ/tmp/x).  Quoted ("-x"@y) it is harmless.
	 * ENV_ADDR_DASH_OK (allow_min_user) lets it through all the same.
	 */
	if (buf[0] == '-' && is_addr != ENV_ADDR_DASH_OK) {
		set_error(err, code, status, "%s starts with '-', which a "
		    "program would take for an option", what);
		return -1;
	}

	/*
	 * The local part ends at the last '@': a quoted local part may
	 * hold '@' itself, a domain never does.  Without '@' the whole
	 * value is a local part ("postmaster").
	 */
	at = memrchr(buf, '@', len);
	if (at != NULL) {
		local = (size_t)(at - buf);
		domain = len - local - 1;
	} else {
		local = len;
		domain = 0;
	}
	if (local > ENV_LOCAL_MAX) {
		set_error(err, code, status, "%s local part is longer than "
		    "%d octets (RFC 5321 4.5.3.1.1)", what,
		    ENV_LOCAL_MAX);
		return -1;
	}
	if (domain > ENV_DOMAIN_MAX) {
		set_error(err, code, status, "%s domain is longer than "
		    "%d octets (RFC 5321 4.5.3.1.2)", what,
		    ENV_DOMAIN_MAX);
		return -1;
	}
	/* The limit counts the angle brackets the value was sent in. */
	if (len > ENV_PATH_MAX - 2) {
		set_error(err, code, status, "%s path is longer than "
		    "%d octets (RFC 5321 4.5.3.1.3)", what,
		    ENV_PATH_MAX);
		return -1;
	}
	return 0;
}

/*
 * envelope_address_check - NULL if a (without angle brackets) is an address we
 * may hand to the MTA, else what is wrong with it.  Blanks are allowed
 * only in a quoted local part, which must be the whole local part as in
 * RFC 5321 4.1.2; the lengths are those of RFC 5321 4.5.3.1.  An '@'
 * inside the quotes does not separate local part and domain.
 */
const char *
envelope_address_check(const char *a, size_t len)
{
	size_t		i, at, local, domain;
	unsigned char	c;
	int		inq = 0, esc = 0, seen_at = 0;

	if (len > ENV_PATH_MAX - 2)
		return "longer than 254 bytes";
	if (len > 0 && a[0] == '-')
		return "starts with '-', which a program would take for an "
		    "option";
	at = 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)a[i];
		if (c < 0x20 || c == 0x7f)
			return "control character";
		if (inq) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"') {
				inq = 0;
				if (i + 1 < len && a[i + 1] != '@')
					return "quoted string is not the "
					    "whole local part";
			}
			continue;
		}
		if (c == '"') {
			if (i != 0)
				return "quoted string is not the whole "
				    "local part";
			inq = 1;
		} else if (c == ' ')
			return "blank outside a quoted local part";
		else if (c == '@') {
			at = i;
			seen_at = 1;
		}
	}
	if (inq)
		return "unterminated quoted string";
	local = seen_at ? at : len;
	domain = seen_at ? len - at - 1 : 0;
	if (local > ENV_LOCAL_MAX)
		return "local part longer than 64 bytes";
	/* The 254-byte total already implies this; kept as the RFC says. */
	if (domain > ENV_DOMAIN_MAX)
		return "domain longer than 255 bytes";
	return NULL;
}

/* check_text - check an optional string; NULL means unknown and passes */
static int
check_text(const char *what, const char *s, int is_addr,
    struct reply *err)
{
	if (s == NULL)
		return 0;
	return envelope_check_value(what, s, strlen(s), is_addr, err);
}

/* check_host - a host name: as check_text, and no leading '-' (no host
 * name has one, and an option of a program would) */
static int
check_host(const char *what, const char *s, struct reply *err)
{
	if (check_text(what, s, 0, err) == -1)
		return -1;
	if (s != NULL && s[0] == '-') {
		set_error(err, 554, "5.5.2", "%s starts with '-', which is no "
		    "host name and which a program would take for an option",
		    what);
		return -1;
	}
	return 0;
}

/* envelope_check - check every value of env, stop at the first bad one */
int
envelope_check(const struct envelope *env, struct reply *err)
{
	return envelope_check_opts(env, 0, err);
}

/* envelope_check_opts - the same; allow_dash: addresses may start with
 * '-' (allow_min_user) */
int
envelope_check_opts(const struct envelope *env, int allow_dash,
    struct reply *err)
{
	char	 what[32];
	size_t	 i;
	int	 a = allow_dash ? ENV_ADDR_DASH_OK : 1;

	/* A NULL sender is one not yet given; "" is the null sender. */
	if (check_text("sender", env->sender, a, err) == -1)
		return -1;
	for (i = 0; i < env->nrcpt; i++) {
		/* Numbered from 1, as a person counts RCPT commands. */
		snprintf(what, sizeof(what), "recipient %zu", i + 1);
		if (env->rcpt[i] == NULL) {
			if (envelope_check_value(what, "", 0, 1, err) == -1)
				return -1;
			continue;
		}
		if (check_text(what, env->rcpt[i], a, err) == -1)
			return -1;
	}
	if (check_text("queue id", env->queue_id, 0, err) == -1 ||
	    check_text("client address", env->client_addr, 0, err) == -1 ||
	    check_host("client name", env->client_name, err) == -1 ||
	    check_host("HELO name", env->helo, err) == -1 ||
	    check_text("authenticated user", env->auth_user, 0, err) == -1 ||
	    check_text("MAIL FROM parameters", env->mail_args, 0, err) == -1)
		return -1;
	return 0;
}

/*
 * envelope_add_rcpt - append a copy of addr.  The vector keeps a NULL
 * after the last recipient, so it can also be walked like argv.
 */
void
envelope_add_rcpt(struct envelope *env, const char *addr)
{
	env->rcpt = xreallocarray(env->rcpt, env->nrcpt + 2,
	    sizeof(*env->rcpt));
	env->rcpt[env->nrcpt++] = xstrdup(addr);
	env->rcpt[env->nrcpt] = NULL;
}

/*
 * envelope_del_rcpt - remove every recipient equal to addr, ignoring case,
 * keeping the order of the others; returns how many went
 */
int
envelope_del_rcpt(struct envelope *env, const char *addr)
{
	size_t	i, j;
	int	n = 0;

	for (i = j = 0; i < env->nrcpt; i++) {
		if (env->rcpt[i] != NULL &&
		    strcasecmp(env->rcpt[i], addr) == 0) {
			free(env->rcpt[i]);
			n++;
			continue;
		}
		env->rcpt[j++] = env->rcpt[i];
	}
	env->nrcpt = j;
	if (env->rcpt != NULL)
		env->rcpt[j] = NULL;
	return n;
}

/* envelope_unbracket - a copy without one pair of angle brackets */
char *
envelope_unbracket(const char *s)
{
	size_t	len = strlen(s);

	if (len >= 2 && s[0] == '<' && s[len - 1] == '>')
		return xstrndup(s + 1, len - 2);
	return xstrdup(s);
}

/* envelope_set_sender - replace the sender with a copy of addr (or NULL) */
void
envelope_set_sender(struct envelope *env, const char *addr)
{
	char	*old = env->sender;

	/* Copy first: addr may be the current sender itself. */
	env->sender = addr != NULL ? xstrdup(addr) : NULL;
	free(old);
}

/* dup_opt - copy a string that may be NULL */
static char *
dup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * envelope_copy - make dst a deep copy of src.  dst is taken as empty
 * storage: whatever it held is overwritten, not freed.
 */
void
envelope_copy(struct envelope *dst, const struct envelope *src)
{
	size_t	i;

	memset(dst, 0, sizeof(*dst));
	dst->sender = dup_opt(src->sender);
	for (i = 0; i < src->nrcpt; i++)
		envelope_add_rcpt(dst, src->rcpt[i] != NULL ?
		    src->rcpt[i] : "");
	dst->queue_id = dup_opt(src->queue_id);
	dst->client_addr = dup_opt(src->client_addr);
	dst->client_name = dup_opt(src->client_name);
	dst->helo = dup_opt(src->helo);
	dst->auth_user = dup_opt(src->auth_user);
	dst->mail_args = dup_opt(src->mail_args);
}

/* envelope_free - release everything env holds and zero it */
void
envelope_free(struct envelope *env)
{
	size_t	i;

	if (env == NULL)
		return;
	free(env->sender);
	for (i = 0; i < env->nrcpt; i++)
		free(env->rcpt[i]);
	free(env->rcpt);
	free(env->queue_id);
	free(env->client_addr);
	free(env->client_name);
	free(env->helo);
	free(env->auth_user);
	free(env->mail_args);
	memset(env, 0, sizeof(*env));
}
