/*
 * NAME
 *	smtp_cmd.c - SMTP/LMTP command lines, commands and envelope paths
 *
 * DESCRIPTION
 *	smtp_line_feed() cuts the client's byte stream into command lines;
 *	smtp_cmd_parse() turns one line into a struct smtp_cmd: the verb,
 *	the HELO name, the MAIL or RCPT path parsed by the RFC 5321 grammar
 *	(quoted local parts, "<>", source routes dropped, address literals,
 *	SMTPUTF8 addresses as well-formed UTF-8), ESMTP parameters, and
 *	XFORWARD attributes (xtext-decoded, each checked against what it
 *	may be: smtp_xfwd_check()).  What a command means in the session
 *	is smtp_session.c's business; here only syntax.  The DATA phase's
 *	deadline (smtp_deadline_*) is here too: arithmetic, no clock.
 *
 * SECURITY
 *	Every byte comes from the network.  No function here assumes NUL
 *	termination of its input or writes past a fixed limit; a control
 *	character in a command, a path over the RFC 5321 length limits or
 *	malformed UTF-8 is refused with a reply that never echoes the bytes.
 *	XFORWARD values end up in log lines and in filters' arguments and
 *	file names (%q %h %i %H): each must be the host name, address,
 *	number, word or queue id it claims to be, so none carries "/",
 *	"..", a blank or a shell character.
 *
 * ERRORS
 *	Parsers return -1 with the reply (or a reason) to send; nothing is
 *	fatal but allocation failure (xmalloc).
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "mail/smtp_proto.h"

/* smtp_line_init - a line reader for lines of at most max bytes */
void
smtp_line_init(struct smtp_line *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
	l->buf = xmalloc(max + 1);
}

/* smtp_line_free - release the line buffer */
void
smtp_line_free(struct smtp_line *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

/* line_keep - one byte of the line, or only counted once it is too long */
static void
line_keep(struct smtp_line *l, char c)
{
	if (l->len < l->max)
		l->buf[l->len++] = c;
	else
		l->too_long = 1;
	l->total++;
}

/* smtp_line_feed - take bytes up to the end of the next line */
int
smtp_line_feed(struct smtp_line *l, const char *in, size_t len,
    size_t *used)
{
	size_t	i;
	char	c;

	if (l->ready) {
		l->ready = 0;
		l->len = 0;
		l->bare_lf = l->bare_cr = l->too_long = 0;
	}
	for (i = 0; i < len; i++) {
		c = in[i];
		if (l->cr) {
			l->cr = 0;
			if (c == '\n')
				goto done;
			/* a CR inside the line: kept, flagged */
			l->bare_cr = 1;
			line_keep(l, '\r');
		}
		if (c == '\r') {
			l->cr = 1;
			continue;
		}
		if (c == '\n') {
			l->bare_lf = 1;
			goto done;
		}
		line_keep(l, c);
	}
	*used = len;
	return 0;
done:
	*used = i + 1;
	l->buf[l->len] = '\0';
	/* the next call starts afresh; the flags stay readable until then */
	l->total = 0;
	l->ready = 1;
	return 1;
}

/* smtp_line_idle - between lines */
int
smtp_line_idle(const struct smtp_line *l)
{
	return l->ready || (l->len == 0 && l->total == 0 && !l->cr);
}

/* set_reply - a parser's refusal; -1 */
#define set_reply(r, code, status, text) reply_set((r), (code), (status), \
	"%s", (text))

/* smtp_utf8_valid - well-formed UTF-8, RFC 3629 */
int
smtp_utf8_valid(const char *buf, size_t len)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i = 0, n, k;
	unsigned long		 cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			n = 1;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			n = 2;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			n = 3;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* is_atext - RFC 5322 atext, and any byte of a UTF-8 sequence */
static int
is_atext(unsigned char c)
{
	/* c != 0: strchr() would find the terminator */
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) !=
	    NULL) || c >= 0x80;
}

/* parse_domain - a Domain or address literal at buf[*i]; 0 or -1 */
static int
parse_domain(const char *buf, size_t len, size_t *i, const char **why)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 start = *i, lab;

	if (*i < len && p[*i] == '[') {
		for ((*i)++; *i < len && p[*i] != ']'; (*i)++)
			if (p[*i] < 33 || p[*i] > 126 || p[*i] == '[' ||
			    p[*i] == '\\') {
				*why = "bad address literal";
				return -1;
			}
		if (*i >= len || *i == start + 1) {
			*why = "bad address literal";
			return -1;
		}
		(*i)++;
		return 0;
	}
	for (;;) {
		lab = *i;
		while (*i < len && (isalnum(p[*i]) || p[*i] == '-' ||
		    p[*i] >= 0x80))
			(*i)++;
		if (*i == lab || p[lab] == '-' || p[*i - 1] == '-') {
			*why = "bad domain";
			return -1;
		}
		if (*i - lab > 63) {
			*why = "domain label longer than 63 bytes";
			return -1;
		}
		if (*i < len && p[*i] == '.') {
			(*i)++;
			continue;
		}
		break;
	}
	if (*i - start > ENV_DOMAIN_MAX) {
		*why = "domain longer than 255 bytes";
		return -1;
	}
	return 0;
}

/* smtp_path_parse - "<>", "<local@domain>", "<@route:local@domain>" */
int
smtp_path_parse(const char *buf, size_t len, int is_rcpt, char **addr,
    size_t *end, int *utf8, const char **why)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i = 0, mb, lstart, llen, k;

	*addr = NULL;
	*utf8 = 0;
	if (len == 0 || p[0] != '<') {
		*why = "the address must be in angle brackets";
		return -1;
	}
	i = 1;
	if (i < len && p[i] == '>') {
		if (is_rcpt) {
			*why = "the null address is not a recipient";
			return -1;
		}
		*addr = xstrdup("");
		*end = 2;
		return 0;
	}
	/* A-d-l: "@one,@two:" is dropped, as RFC 5321 says */
	if (i < len && p[i] == '@') {
		for (;;) {
			if (i >= len || p[i] != '@') {
				*why = "bad source route";
				return -1;
			}
			i++;
			if (parse_domain(buf, len, &i, why) != 0)
				return -1;
			if (i < len && p[i] == ',') {
				i++;
				continue;
			}
			if (i < len && p[i] == ':') {
				i++;
				break;
			}
			*why = "bad source route";
			return -1;
		}
	}
	mb = lstart = i;
	if (i < len && p[i] == '"') {
		for (i++; i < len && p[i] != '"'; i++) {
			if (p[i] == '\\') {
				i++;
				if (i >= len || p[i] < 32 || p[i] == 127) {
					*why = "bad quoted local part";
					return -1;
				}
			} else if (p[i] < 32 || p[i] == 127) {
				*why = "bad quoted local part";
				return -1;
			}
		}
		if (i >= len) {
			*why = "unterminated quoted local part";
			return -1;
		}
		i++;
	} else {
		for (;;) {
			k = i;
			while (i < len && is_atext(p[i]))
				i++;
			if (i == k) {
				*why = "bad local part";
				return -1;
			}
			if (i < len && p[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	llen = i - lstart;
	if (llen > ENV_LOCAL_MAX) {
		*why = "local part longer than 64 bytes";
		return -1;
	}
	if (i < len && p[i] == '@') {
		i++;
		if (parse_domain(buf, len, &i, why) != 0)
			return -1;
	} else if (!(is_rcpt && llen == 10 &&
	    strncasecmp(buf + lstart, "postmaster", 10) == 0)) {
		*why = "the address needs a domain";
		return -1;
	}
	if (i >= len || p[i] != '>') {
		*why = "bad address";
		return -1;
	}
	if (i - mb + 2 > ENV_PATH_MAX) {
		*why = "address longer than 256 bytes";
		return -1;
	}
	for (k = mb; k < i; k++)
		if (p[k] >= 0x80)
			*utf8 = 1;
	if (*utf8 && !smtp_utf8_valid(buf + mb, i - mb)) {
		*why = "address is not valid UTF-8";
		return -1;
	}
	*addr = xstrndup(buf + mb, i - mb);
	*end = i + 1;
	return 0;
}

/* smtp_xtext_decode - "+2B" escapes to bytes */
char *
smtp_xtext_decode(const char *s, size_t len)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo, c;

	o = out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '+') {
			if (len - i < 3 || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]))
				goto bad;
			hi = isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0' :
			    (tolower((unsigned char)s[i + 1]) - 'a' + 10);
			lo = isdigit((unsigned char)s[i + 2]) ? s[i + 2] - '0' :
			    (tolower((unsigned char)s[i + 2]) - 'a' + 10);
			c = hi * 16 + lo;
			i += 2;
			if (c < 32 || c == 127)
				goto bad;
		} else if (c < 33 || c > 126 || c == '=')
			goto bad;
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static const char *const xfwd_names[XF_COUNT] = {
	"NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"
};

/* smtp_xfwd_name - "NAME", "ADDR", ... */
const char *
smtp_xfwd_name(enum xfwd_attr a)
{
	return a < XF_COUNT ? xfwd_names[a] : "?";
}

/* is_alnum - an ASCII letter or digit, whatever the locale */
static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* ip_ok - v[0..len) is a numeric address of the family (AF_UNSPEC:
 * either) */
static int
ip_ok(const char *v, size_t len, int family)
{
	char		buf[INET6_ADDRSTRLEN + 1];
	unsigned char	a[sizeof(struct in6_addr)];

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return ((family == AF_INET || family == AF_UNSPEC) &&
	    inet_pton(AF_INET, buf, a) == 1) ||
	    ((family == AF_INET6 || family == AF_UNSPEC) &&
	    inet_pton(AF_INET6, buf, a) == 1);
}

/* host_ok - a host name or an address literal */
static int
host_ok(const char *v)
{
	size_t	len = strlen(v), i, lab = 0;

	if (len >= 2 && v[0] == '[' && v[len - 1] == ']') {
		if (len > 7 && strncasecmp(v + 1, "IPv6:", 5) == 0)
			return ip_ok(v + 6, len - 7, AF_INET6);
		return ip_ok(v + 1, len - 2, AF_INET);
	}
	if (len == 0 || len > ENV_DOMAIN_MAX)
		return 0;
	/* labels of letters, digits, "-" and "_" (Postfix's
	 * valid_hostname() takes "_" too: real names have it) */
	for (i = 0; i <= len; i++) {
		if (v[i] == '.' || v[i] == '\0') {
			if (lab == 0 || lab > 63 || v[i - 1] == '-' ||
			    v[i - lab] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!is_alnum((unsigned char)v[i]) && v[i] != '-' &&
		    v[i] != '_')
			return 0;
		lab++;
	}
	return 1;
}

/* word_ok - 1 to max letters and digits */
static int
word_ok(const char *v, size_t max)
{
	size_t	i;

	for (i = 0; v[i] != '\0'; i++)
		if (!is_alnum((unsigned char)v[i]) || i >= max)
			return 0;
	return i > 0;
}

/* smtp_xfwd_check - what attribute a may carry */
const char *
smtp_xfwd_check(enum xfwd_attr a, const char *v)
{
	size_t		i, len = strlen(v);
	unsigned long	port = 0;

	switch (a) {
	case XF_NAME:
	case XF_HELO:
		return host_ok(v) ? NULL : "not a host name or address literal";
	case XF_ADDR:
		if (len > 5 && strncasecmp(v, "IPv6:", 5) == 0 ?
		    ip_ok(v + 5, len - 5, AF_INET6) :
		    ip_ok(v, len, AF_UNSPEC))
			return NULL;
		return "not an IPv4 or IPv6 address";
	case XF_PORT:
		for (i = 0; v[i] >= '0' && v[i] <= '9' && i < 5; i++)
			port = port * 10 + (unsigned long)(v[i] - '0');
		if (i == 0 || v[i] != '\0' || port > 65535)
			return "not a port number";
		return NULL;
	case XF_PROTO:
		return word_ok(v, SMTP_XFWD_PROTO_MAX) ? NULL :
		    "not a protocol name";
	case XF_IDENT:
		return word_ok(v, SMTP_XFWD_IDENT_MAX) ? NULL :
		    "a queue id is 1 to 32 letters and digits";
	case XF_SOURCE:
		return strcasecmp(v, "LOCAL") == 0 ||
		    strcasecmp(v, "REMOTE") == 0 ? NULL :
		    "not LOCAL or REMOTE";
	case XF_COUNT:
		break;
	}
	return "not a known attribute";
}

/* smtp_deadline_init - the phase starts at now */
void
smtp_deadline_init(struct smtp_deadline *d, long long now,
    long long timeout_ms, unsigned rate)
{
	d->start = d->last = now;
	d->timeout = timeout_ms;
	d->bytes = 0;
	d->rate = rate > 0 ? rate : 1;
}

/* smtp_deadline_got - n bytes came at now */
void
smtp_deadline_got(struct smtp_deadline *d, long long now, size_t n)
{
	if (n == 0)
		return;
	d->bytes += n;
	d->last = now;
}

/* smtp_deadline_at - the earlier of the rate's and the silence's end */
long long
smtp_deadline_at(const struct smtp_deadline *d, int *by_rate)
{
	long long	rate_end, quiet_end;

	/* bytes * 1000 cannot overflow: message_max is at most 4 GiB */
	rate_end = d->start + d->timeout +
	    (long long)(d->bytes * 1000 / d->rate);
	quiet_end = d->last + d->timeout;
	if (by_rate != NULL)
		*by_rate = rate_end < quiet_end;
	return rate_end < quiet_end ? rate_end : quiet_end;
}

/* verb table: name and verb; longest names are four letters */
static const struct {
	const char	*name;
	enum smtp_verb	 verb;
} verbs[] = {
	{ "HELO", SMTP_HELO }, { "EHLO", SMTP_EHLO }, { "LHLO", SMTP_LHLO },
	{ "MAIL", SMTP_MAIL }, { "RCPT", SMTP_RCPT }, { "DATA", SMTP_DATA },
	{ "RSET", SMTP_RSET }, { "NOOP", SMTP_NOOP }, { "QUIT", SMTP_QUIT },
	{ "VRFY", SMTP_VRFY }, { "HELP", SMTP_HELP },
	{ "XFORWARD", SMTP_XFORWARD },
	{ "STARTTLS", SMTP_NOT_OFFERED }, { "AUTH", SMTP_NOT_OFFERED },
	{ "BDAT", SMTP_NOT_OFFERED }, { "ETRN", SMTP_NOT_OFFERED },
	{ "EXPN", SMTP_NOT_OFFERED }, { "TURN", SMTP_NOT_OFFERED },
	{ "ATRN", SMTP_NOT_OFFERED }, { "XCLIENT", SMTP_NOT_OFFERED },
};

/* parse_params - " KEY=value KEY" after a path */
static int
parse_params(const char *buf, size_t len, struct smtp_cmd *cmd,
    struct reply *r)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i = 0, k, ks, ke, j;

	for (;;) {
		while (i < len && p[i] == ' ')
			i++;
		if (i >= len)
			return 0;
		ks = i;
		while (i < len && (isalnum(p[i]) || (i > ks && p[i] == '-')))
			i++;
		ke = i;
		if (ke == ks)
			return set_reply(r, 501, "5.5.4",
			    "Syntax error in parameters");
		if (cmd->nparam == SMTP_PARAMS_MAX)
			return set_reply(r, 501, "5.5.4",
			    "Too many parameters");
		if (i < len && p[i] == '=') {
			k = ++i;
			while (i < len && p[i] != ' ') {
				if (p[i] < 33 || p[i] == '=' || p[i] == 127)
					return set_reply(r, 501, "5.5.4",
					    "Syntax error in parameters");
				i++;
			}
			if (i == k)
				return set_reply(r, 501, "5.5.4",
				    "Syntax error in parameters");
			if (!smtp_utf8_valid(buf + k, i - k))
				return set_reply(r, 501, "5.5.4",
				    "Parameter value is not valid UTF-8");
			cmd->param[cmd->nparam].value = xstrndup(buf + k,
			    i - k);
		} else if (i < len && p[i] != ' ')
			return set_reply(r, 501, "5.5.4",
			    "Syntax error in parameters");
		cmd->param[cmd->nparam].key = xstrndup(buf + ks, ke - ks);
		for (j = 0; cmd->param[cmd->nparam].key[j] != '\0'; j++)
			cmd->param[cmd->nparam].key[j] = (char)toupper(
			    (unsigned char)cmd->param[cmd->nparam].key[j]);
		for (j = 0; j < cmd->nparam; j++)
			if (strcmp(cmd->param[j].key,
			    cmd->param[cmd->nparam].key) == 0) {
				cmd->nparam++;
				return set_reply(r, 501, "5.5.4",
				    "Duplicate parameter");
			}
		cmd->nparam++;
	}
}

/* parse_path_cmd - "FROM:<path> params" or "TO:<path> params" */
static int
parse_path_cmd(const char *a, size_t len, struct smtp_cmd *cmd,
    struct reply *r)
{
	const char	*kw = cmd->verb == SMTP_MAIL ? "FROM:" : "TO:";
	const char	*why;
	size_t		 kwlen = strlen(kw), i, end;
	int		 rcpt = cmd->verb == SMTP_RCPT;

	if (len < kwlen || strncasecmp(a, kw, kwlen) != 0)
		return set_reply(r, 501, "5.5.4", rcpt ?
		    "Syntax: RCPT TO:<address>" : "Syntax: MAIL FROM:<address>");
	i = kwlen;
	while (i < len && a[i] == ' ')	/* "MAIL FROM: <a@b>" is common */
		i++;
	if (smtp_path_parse(a + i, len - i, rcpt, &cmd->addr, &end,
	    &cmd->utf8, &why) != 0) {
		char	text[200];

		snprintf(text, sizeof(text), "Bad %s address syntax: %s",
		    rcpt ? "recipient" : "sender", why);
		return set_reply(r, 501, rcpt ? "5.1.3" : "5.1.7", text);
	}
	i += end;
	if (i < len && a[i] != ' ')
		return set_reply(r, 501, "5.5.4", "Syntax error after address");
	return parse_params(a + i, len - i, cmd, r);
}

/* parse_xforward - "NAME=x ADDR=y ...", each value checked */
static int
parse_xforward(const char *a, size_t len, struct smtp_cmd *cmd,
    struct reply *r)
{
	const char	*why;
	char		*v;
	size_t		 i, n, ks, ke, vs;

	if (len == 0)
		return set_reply(r, 501, "5.5.4",
		    "Syntax: XFORWARD attribute=value...");
	for (i = 0;;) {
		while (i < len && a[i] == ' ')
			i++;
		if (i >= len)
			return 0;
		ks = i;
		while (i < len && a[i] != '=' && a[i] != ' ')
			i++;
		ke = i;
		if (i >= len || a[i] != '=')
			return set_reply(r, 501, "5.5.4",
			    "Syntax: XFORWARD attribute=value...");
		vs = ++i;
		while (i < len && a[i] != ' ')
			i++;
		for (n = 0; n < XF_COUNT; n++)
			if (strlen(xfwd_names[n]) == ke - ks &&
			    strncasecmp(xfwd_names[n], a + ks, ke - ks) == 0)
				break;
		if (n == XF_COUNT)
			return set_reply(r, 501, "5.5.4",
			    "Bad XFORWARD attribute name");
		if (i - vs > SMTP_XFWD_VALUE_MAX * 3)
			return set_reply(r, 501, "5.5.4",
			    "XFORWARD attribute value too long");
		if ((v = smtp_xtext_decode(a + vs, i - vs)) == NULL ||
		    strlen(v) > SMTP_XFWD_VALUE_MAX ||
		    !smtp_utf8_valid(v, strlen(v))) {
			free(v);
			return set_reply(r, 501, "5.5.4",
			    "Bad XFORWARD attribute value");
		}
		/* Postfix's words for "not known" */
		if (strcmp(v, "[UNAVAILABLE]") == 0 ||
		    strcmp(v, "[TEMPUNAVAIL]") == 0)
			v[0] = '\0';
		else if ((why = smtp_xfwd_check((enum xfwd_attr)n, v)) !=
		    NULL) {
			free(v);
			return reply_set(r, 501, "5.5.4", "Bad XFORWARD %s "
			    "value: %s", xfwd_names[n], why);
		}
		free(cmd->xfwd[n]);
		cmd->xfwd[n] = v;
	}
}

/* smtp_cmd_parse - one command line */
int
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd,
    struct reply *r)
{
	const unsigned char	*p = (const unsigned char *)line;
	const char		*a;
	size_t			 i, vlen, alen;

	memset(cmd, 0, sizeof(*cmd));
	for (i = 0; i < len; i++)
		if (p[i] < 32 || p[i] == 127)
			return set_reply(r, 500, "5.5.2",
			    "Invalid character in command");
	for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++)
		;
	cmd->verb_text = xstrndup(line, vlen > 16 ? 16 : vlen);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].name) == vlen &&
		    strncasecmp(verbs[i].name, line, vlen) == 0) {
			cmd->verb = verbs[i].verb;
			break;
		}
	a = line + vlen;
	alen = len - vlen;
	if (alen > 0) {		/* one space after the verb */
		a++;
		alen--;
	}
	while (alen > 0 && a[alen - 1] == ' ')	/* trailing blanks */
		alen--;

	switch (cmd->verb) {
	case SMTP_UNKNOWN:
		return set_reply(r, 500, "5.5.2", "Command not recognized");
	case SMTP_NOT_OFFERED:
		return set_reply(r, 502, "5.5.1", "Command not implemented");
	case SMTP_HELO:
	case SMTP_EHLO:
	case SMTP_LHLO:
		while (alen > 0 && a[0] == ' ') {
			a++;
			alen--;
		}
		if (alen == 0)
			return set_reply(r, 501, "5.5.4", cmd->verb == SMTP_HELO ?
			    "Syntax: HELO hostname" : cmd->verb == SMTP_EHLO ?
			    "Syntax: EHLO hostname" : "Syntax: LHLO hostname");
		if (alen > ENV_TEXT_MAX || !smtp_utf8_valid(a, alen))
			return set_reply(r, 501, "5.5.4", "Bad hostname");
		/* "EHLO name trailing words": the name is the first word */
		for (i = 0; i < alen && a[i] != ' '; i++)
			;
		cmd->arg = xstrndup(a, i);
		return 0;
	case SMTP_MAIL:
	case SMTP_RCPT:
		return parse_path_cmd(a, alen, cmd, r);
	case SMTP_DATA:
	case SMTP_RSET:
	case SMTP_QUIT:
		if (alen != 0) {
			char	text[64];

			snprintf(text, sizeof(text), "Syntax: %s",
			    cmd->verb == SMTP_DATA ? "DATA" :
			    cmd->verb == SMTP_RSET ? "RSET" : "QUIT");
			return set_reply(r, 501, "5.5.4", text);
		}
		return 0;
	case SMTP_NOOP:
	case SMTP_VRFY:
	case SMTP_HELP:
		if (!smtp_utf8_valid(a, alen))
			return set_reply(r, 501, "5.5.4", "Bad argument");
		cmd->arg = xstrndup(a, alen);
		return 0;
	case SMTP_XFORWARD:
		return parse_xforward(a, alen, cmd, r);
	}
	return set_reply(r, 500, "5.5.2", "Command not recognized");
}

/* smtp_cmd_free - release what smtp_cmd_parse() allocated */
void
smtp_cmd_free(struct smtp_cmd *cmd)
{
	size_t	i;

	free(cmd->verb_text);
	free(cmd->arg);
	free(cmd->addr);
	for (i = 0; i < cmd->nparam; i++) {
		free(cmd->param[i].key);
		free(cmd->param[i].value);
	}
	for (i = 0; i < XF_COUNT; i++)
		free(cmd->xfwd[i]);
	memset(cmd, 0, sizeof(*cmd));
}
