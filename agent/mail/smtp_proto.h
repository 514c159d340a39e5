/*
 * smtp_proto.h - SMTP/LMTP wire parsing: command lines, commands,
 * envelope paths, the DATA reader and the dot-stuffing writer
 *
 * Everything here is a pure function or a small state machine over
 * (const char *, size_t): no I/O, no allocation that outlives a call
 * except where said, so each piece is unit-tested, fed one byte at a
 * time, and fuzzed (fuzz_smtp.c).
 */
#ifndef SLUICE_SMTP_PROTO_H
#define SLUICE_SMTP_PROTO_H

#include <stddef.h>

#include "lib/buf.h"
#include "mail/reply.h"

#define SMTP_PARAMS_MAX		16	/* ESMTP parameters per command */
#define SMTP_XFWD_VALUE_MAX	255	/* an XFORWARD value, decoded */

/*
 * The command line reader.  Lines end in CR LF; a bare LF also ends a
 * line, and is flagged, so the caller can apply its bare-newline policy.
 * A line longer than max bytes (without its line end) is reported once
 * complete, with too_long set; only its first max bytes are kept.
 */
struct smtp_line {
	char	*buf;		/* max + 1 bytes, owned */
	size_t	 max;
	size_t	 len;		/* bytes of the line so far */
	size_t	 total;		/* bytes of the line, kept or not */
	int	 cr;		/* the previous byte was CR */
	int	 bare_lf;	/* the line ended in a bare LF */
	int	 bare_cr;	/* the line holds a CR not before LF */
	int	 too_long;
	int	 ready;		/* a line was returned: start afresh */
};

void	smtp_line_init(struct smtp_line *, size_t max);
void	smtp_line_free(struct smtp_line *);
/*
 * smtp_line_feed - take bytes from in[0..len) up to and including the
 * next line end.  *used gets the bytes taken.  Returns 1 when a line is
 * complete (l->buf[0..l->len), NUL-terminated, without its line end;
 * flags set), 0 when more input is needed.  The next call starts a new
 * line.
 */
int	smtp_line_feed(struct smtp_line *, const char *in, size_t len,
	    size_t *used);
/* smtp_line_idle - no part of a line is waiting for its end */
int	smtp_line_idle(const struct smtp_line *);

enum smtp_verb {
	SMTP_UNKNOWN = 0,
	SMTP_HELO,
	SMTP_EHLO,
	SMTP_LHLO,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_RSET,
	SMTP_NOOP,
	SMTP_QUIT,
	SMTP_VRFY,
	SMTP_HELP,
	SMTP_XFORWARD,
	SMTP_NOT_OFFERED	/* a known verb sluice does not offer:
				   STARTTLS, AUTH, BDAT, ETRN, EXPN, TURN */
};

struct smtp_param {
	char	*key;		/* upper-cased */
	char	*value;		/* NULL when the keyword has none */
};

enum xfwd_attr {
	XF_NAME,
	XF_ADDR,
	XF_PORT,
	XF_PROTO,
	XF_HELO,
	XF_IDENT,
	XF_SOURCE,
	XF_COUNT
};

struct smtp_cmd {
	enum smtp_verb		 verb;
	char			*verb_text;	/* as sent, for replies */
	char			*arg;		/* HELO/EHLO/LHLO domain, VRFY
						   and NOOP argument */
	/* MAIL and RCPT */
	char			*addr;		/* the mailbox, no brackets and
						   no source route; "" = <> */
	int			 utf8;		/* addr has non-ASCII bytes */
	struct smtp_param	 param[SMTP_PARAMS_MAX];
	size_t			 nparam;
	/* XFORWARD: decoded values; NULL = not sent, "" = unavailable */
	char			*xfwd[XF_COUNT];
};

/*
 * XFORWARD values, as Postfix's smtp client sends them, each after
 * xtext decoding, and not one of Postfix's "[UNAVAILABLE]" and
 * "[TEMPUNAVAIL]" (which mean "not known" and come out as ""):
 *   NAME, HELO  a host name (labels of letters, digits, "-" and "_",
 *               none empty, none longer than 63, "-" at neither end;
 *               255 bytes in all) or an address literal ("[192.0.2.1]",
 *               "[IPv6:2001:db8::1]")
 *   ADDR        an IPv4 or IPv6 address, the latter with or without
 *               "IPv6:" before it
 *   PORT        0 to 65535
 *   PROTO       a protocol name: 1 to 64 letters and digits (SMTP,
 *               ESMTP, and the others Postfix may pass on)
 *   IDENT       a queue id: 1 to 32 letters and digits
 *   SOURCE      LOCAL or REMOTE
 * These values name the message in logs and reach filters (%h %i %H
 * %q): no "/", "..", blank, quote or shell character gets through.
 */
#define SMTP_XFWD_IDENT_MAX	32
#define SMTP_XFWD_PROTO_MAX	64

/* smtp_xfwd_name - the attribute's name on the wire ("NAME") */
const char	*smtp_xfwd_name(enum xfwd_attr);
/*
 * smtp_xfwd_check - NULL when v (NUL-terminated) is a value attribute a
 * may carry, else what is wrong with it (text for a reply, which never
 * repeats the value)
 */
const char	*smtp_xfwd_check(enum xfwd_attr a, const char *v);

/*
 * The deadline of the DATA phase, as Postfix's smtpd_per_request_deadline
 * with smtpd_min_data_rate has it: the data must come within timeout of
 * its start, and every byte received buys 1/rate seconds more, so a
 * client that trickles cannot keep the connection for longer than its
 * data is worth; and it may never fall silent for longer than timeout.
 * Pure arithmetic on milliseconds the caller reads from its clock.
 */
struct smtp_deadline {
	long long		start;		/* ms */
	long long		last;		/* ms of the last bytes */
	long long		timeout;	/* ms */
	unsigned long long	bytes;
	unsigned		rate;		/* bytes a second, >= 1 */
};

void	smtp_deadline_init(struct smtp_deadline *, long long now,
	    long long timeout_ms, unsigned rate);
/* smtp_deadline_got - n more bytes arrived at now */
void	smtp_deadline_got(struct smtp_deadline *, long long now, size_t n);
/* smtp_deadline_at - when the phase times out; *by_rate (if not NULL)
 * says whether the rate, not the silence, sets that time */
long long smtp_deadline_at(const struct smtp_deadline *, int *by_rate);

/*
 * smtp_cmd_parse - one command line (without its line end) into cmd.
 * 0, or -1 with the reply to send in r.  cmd must be freed with
 * smtp_cmd_free() either way.
 */
int	smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd,
	    struct reply *r);
void	smtp_cmd_free(struct smtp_cmd *);
/*
 * smtp_path_parse - an RFC 5321 Path or "<>" (is_rcpt: "<Postmaster>"
 * is allowed too) from buf[0..len).  *addr gets the mailbox without
 * brackets or source route, as sent (malloc'd); *end the offset after
 * the closing bracket; *utf8 whether it has non-ASCII (valid UTF-8)
 * bytes.  0, or -1 with a reason in why.
 */
int	smtp_path_parse(const char *buf, size_t len, int is_rcpt, char **addr,
	    size_t *end, int *utf8, const char **why);
/* smtp_xtext_decode - RFC 3461 xtext to bytes; NULL when malformed or
 * when it decodes to a control character */
char	*smtp_xtext_decode(const char *, size_t);
/* smtp_utf8_valid - buf is well-formed UTF-8 (no overlongs, no
 * surrogates) */
int	smtp_utf8_valid(const char *buf, size_t len);

/*
 * The DATA reader.  The end of the data is CR LF "." CR LF and nothing
 * else: the CR LF before the dot, too, must be a real one (the DATA
 * command's line end counts).  A lone LF or lone CR ends a content
 * line (flagged: the caller's policy rejects or normalizes); a "." line
 * after such a bare line end is content, and so is a leading dot there
 * (not unstuffed).  After a real CR LF a leading dot is removed
 * (RFC 5321 4.5.2).  Output is the content with LF line ends.
 */
struct smtp_data {
	int			 bol;		/* 1 after CR LF, 2 after a bare
						   line end, 0 inside a line */
	int			 cr;		/* CR seen, not yet resolved */
	int			 dot;		/* a "." held at a real bol */
	size_t			 line_max;	/* text line limit (0: none) */
	size_t			 linelen;
	unsigned long long	 size_max;	/* 0: none */
	unsigned long long	 size;		/* bytes of content read */
	int			 bare_lf;
	int			 bare_cr;
	int			 nul;
	int			 too_long;	/* a line over line_max */
	int			 too_big;	/* over size_max: output stops */
};

void	smtp_data_init(struct smtp_data *, size_t line_max,
	    unsigned long long size_max);
/*
 * smtp_data_feed - read in[0..len).  Content goes to out (LF line
 * ends), which needs room for len + 2 more bytes.  *used gets the bytes
 * taken; *outlen the bytes written.  Returns 1 at the end of the data
 * (the bytes after *used are the client's next commands), 0 otherwise.
 */
int	smtp_data_feed(struct smtp_data *, const char *in, size_t len,
	    size_t *used, char *out, size_t *outlen);

/*
 * The dot-stuffing writer for the relay: content with LF, CR LF or lone
 * CR line ends in, CR LF and dot-stuffed out, so that whatever a filter
 * wrote, the next hop sees exactly one end of data.  out needs room for
 * 2 * len + 5 bytes.
 */
struct smtp_stuff {
	int	bol;
	int	cr;
};

void	smtp_stuff_init(struct smtp_stuff *);
size_t	smtp_stuff_feed(struct smtp_stuff *, const char *in, size_t len,
	    char *out);
/* smtp_stuff_end - end the last line if needed and add "." CR LF */
size_t	smtp_stuff_end(struct smtp_stuff *, char *out);

/*
 * The reply reader for the relay client: one reply, possibly multi-line
 * ("250-..." lines and then "250 ..."), from a line reader's lines, and
 * whether its code can answer the command it follows.
 */
struct smtp_resp {
	int	code;		/* of the lines so far; the reply is
				   complete when smtp_resp_line() says so */
	char	text[1024];	/* the lines' texts joined with "\n",
				   enhanced status code included */
	size_t	textlen;
	int	lines;
	int	bad;		/* not a well-formed reply */
};

void	smtp_resp_init(struct smtp_resp *);
/* smtp_resp_line - add one reply line; 1 when the reply is complete
 * (r->code set, or r->bad), 0 when more lines follow */
int	smtp_resp_line(struct smtp_resp *, const char *line, size_t len);

/* what a reply of the next hop answers */
enum smtp_resp_to {
	RESP_GREETING,		/* 220, or 4xx/5xx: no service */
	RESP_EHLO,		/* EHLO or LHLO: 250, 4xx, 5xx */
	RESP_XFORWARD,		/* 2xx, 4xx, 5xx */
	RESP_MAIL,		/* 2xx, 4xx, 5xx */
	RESP_RCPT,		/* 2xx, 4xx, 5xx */
	RESP_DATA,		/* 354, 4xx, 5xx */
	RESP_DOT,		/* the end of data (for LMTP each
				   recipient's): 2xx, 4xx, 5xx */
	RESP_RSET,		/* 2xx, 4xx, 5xx */
	RESP_COUNT
};

/*
 * smtp_resp_answers - code (200..599, as smtp_resp_line() lets
 * through) is a reply the command can get (RFC 5321 4.3.2, by class);
 * 0 when the next hop is confused: a 354 to anything but DATA, a 2xx
 * to DATA, another 2xx than 220 or 250 to the greeting or EHLO, any
 * other 3xx.
 */
int	smtp_resp_answers(enum smtp_resp_to, int code);
/* smtp_resp_to_name - "DATA", "the end of data", ... for messages */
const char *smtp_resp_to_name(enum smtp_resp_to);

#endif
