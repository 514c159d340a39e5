/*
 * NAME
 *	smtp_data.c - the DATA reader, the relay's dot-stuffing writer and
 *	the relay's reply reader
 *
 * DESCRIPTION
 *	smtp_data_feed() finds the end of the message data the one way
 *	RFC 5321 defines it, CR LF "." CR LF, where the CR LF before the
 *	dot is a real one too.  Every other line end (a bare LF, a bare
 *	CR) ends a content line but can never end the data: the "." line
 *	of "\n.\n", "\r.\r", "\n.\r\n" or "\r\n.\n" is content.  So no byte
 *	sequence inside DATA starts a second transaction, whatever the
 *	client pipelines after it (the 2023 SMTP smuggling attacks).  The
 *	reader flags bare line ends, NUL bytes, over-long lines and an
 *	over-size message; smtp_session.c turns the flags into its policy.
 *
 *	smtp_stuff_feed() writes content for the next hop: every line end
 *	in the input (LF, CR LF, a lone CR) becomes CR LF and a line that
 *	starts with "." gets a second one, so the next hop, however it
 *	reads line ends, sees exactly one end of data, the one we send.
 *
 *	smtp_resp_line() collects one (multi-line) reply of the next hop;
 *	smtp_resp_answers() says whether its code can answer the command
 *	it follows, so that a 250 to DATA or a 354 to MAIL is seen for the
 *	confusion it is rather than taken as an answer.
 *
 * SECURITY
 *	Input is the network (DATA) or a filter's output (the relay).
 *	Output never exceeds the documented bound for a given input length.
 *
 * ERRORS
 *	None: malformed input is flagged, not refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mail/smtp_proto.h"

/* smtp_data_init - a reader at the start of the data */
void
smtp_data_init(struct smtp_data *d, size_t line_max,
    unsigned long long size_max)
{
	memset(d, 0, sizeof(*d));
	d->bol = 1;		/* the DATA command's CR LF */
	d->line_max = line_max;
	d->size_max = size_max;
}

/* emit - one content byte, unless the message is already too big */
static void
emit(struct smtp_data *d, char c, char *out, size_t *o)
{
	if (c == '\n')
		d->linelen = 0;
	else if (d->line_max != 0 && ++d->linelen > d->line_max)
		d->too_long = 1;
	d->size++;
	if (d->size_max != 0 && d->size > d->size_max)
		d->too_big = 1;
	if (!d->too_big)
		out[(*o)++] = c;
}

/* smtp_data_feed - read DATA bytes until the end of the data */
int
smtp_data_feed(struct smtp_data *d, const char *in, size_t len,
    size_t *used, char *out, size_t *outlen)
{
	size_t	i, o = 0;
	char	c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (d->cr) {
			d->cr = 0;
			if (c == '\n') {
				if (d->dot) {
					*used = i + 1;
					*outlen = o;
					return 1;
				}
				emit(d, '\n', out, &o);
				d->bol = 1;
				continue;
			}
			/* a bare CR ends the line; c starts the next one */
			d->bare_cr = 1;
			if (d->dot)
				emit(d, '.', out, &o);
			d->dot = 0;
			emit(d, '\n', out, &o);
			d->bol = 2;
		}
		if (c == '\r') {
			d->cr = 1;
			continue;
		}
		if (c == '\n') {
			d->bare_lf = 1;
			if (d->dot)
				emit(d, '.', out, &o);
			d->dot = 0;
			emit(d, '\n', out, &o);
			d->bol = 2;
			continue;
		}
		if (d->bol == 1 && c == '.') {
			/* the end, or a stuffed dot: the next byte tells */
			d->dot = 1;
			d->bol = 0;
			continue;
		}
		d->dot = 0;	/* a stuffed dot is dropped */
		d->bol = 0;
		if (c == '\0')
			d->nul = 1;
		emit(d, c, out, &o);
	}
	*used = len;
	*outlen = o;
	return 0;
}

/* smtp_stuff_init - a writer at the start of the data */
void
smtp_stuff_init(struct smtp_stuff *s)
{
	s->bol = 1;
	s->cr = 0;
}

/* smtp_stuff_feed - CR LF line ends and dot-stuffing */
size_t
smtp_stuff_feed(struct smtp_stuff *s, const char *in, size_t len, char *out)
{
	size_t	i, o = 0;
	char	c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (s->cr) {
			s->cr = 0;
			out[o++] = '\r';
			out[o++] = '\n';
			s->bol = 1;
			if (c == '\n')
				continue;
		}
		if (c == '\r') {
			s->cr = 1;
			continue;
		}
		if (c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			s->bol = 1;
			continue;
		}
		if (s->bol && c == '.')
			out[o++] = '.';
		s->bol = 0;
		out[o++] = c;
	}
	return o;
}

/* smtp_stuff_end - finish the last line, then the end of data */
size_t
smtp_stuff_end(struct smtp_stuff *s, char *out)
{
	size_t	o = 0;

	if (s->cr || !s->bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	s->cr = 0;
	s->bol = 1;
	return o + 3;
}

/* smtp_resp_init - an empty reply */
void
smtp_resp_init(struct smtp_resp *r)
{
	memset(r, 0, sizeof(*r));
}

/* smtp_resp_line - "250-text" (more follow) or "250 text" (the last) */
int
smtp_resp_line(struct smtp_resp *r, const char *line, size_t len)
{
	int	code, last;
	size_t	i, n;

	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) || line[0] < '2' ||
	    line[0] > '5' || (len > 3 && line[3] != ' ' && line[3] != '-')) {
		r->bad = 1;
		return 1;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + line[2] - '0';
	if (r->lines > 0 && code != r->code) {
		r->bad = 1;
		return 1;
	}
	r->code = code;
	last = len == 3 || line[3] == ' ';
	if (r->lines > 0 && r->textlen + 1 < sizeof(r->text))
		r->text[r->textlen++] = '\n';
	for (i = 4; i < len && r->textlen + 1 < sizeof(r->text); i++) {
		n = (unsigned char)line[i];
		/* the next hop's text may reach our client: printable only */
		r->text[r->textlen++] = (n < 32 || n == 127) ? '?' : line[i];
	}
	r->text[r->textlen] = '\0';
	r->lines++;
	if (!last && r->lines >= 100) {	/* a next hop that never stops */
		r->bad = 1;
		return 1;
	}
	if (!last) {
		r->code = code;
		return 0;
	}
	return 1;
}

/* smtp_resp_answers - whether code can answer the command to */
int
smtp_resp_answers(enum smtp_resp_to to, int code)
{
	if (code < 200 || code > 599 || (int)to < 0 || to >= RESP_COUNT)
		return 0;
	/* a refusal or a temporary failure can answer anything */
	if (code >= 400)
		return 1;
	switch (to) {
	case RESP_GREETING:
		return code == 220;
	case RESP_EHLO:
		return code == 250;
	case RESP_DATA:
		/* a 2xx here is what a confused next hop says when it
		 * takes the message for delivered before it was sent */
		return code == 354;
	default:
		return code / 100 == 2;
	}
}

/* smtp_resp_to_name - the command a reply answers, for messages */
const char *
smtp_resp_to_name(enum smtp_resp_to to)
{
	static const char *const names[RESP_COUNT] = {
		"the greeting", "EHLO", "XFORWARD", "MAIL", "RCPT", "DATA",
		"the end of data", "RSET"
	};

	return (int)to >= 0 && to < RESP_COUNT ? names[to] : "a command";
}
