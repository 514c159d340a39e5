/*
 * fuzz_smtp.c - libFuzzer target for smtp_cmd.c and smtp_data.c
 *
 * SECURITY: the input stands for what an SMTP client sends (command
 * lines, DATA) and for what a filter or the next hop writes (content to
 * relay, replies).  Besides crashes and leaks it checks what the parsers
 * promise:
 *   - the line reader gives the same lines fed whole or byte by byte;
 *   - an accepted command holds only what its grammar allows (paths
 *     within the RFC 5321 limits, UTF-8 flagged and well-formed, no
 *     control bytes anywhere; XFORWARD values each what its attribute
 *     may be, none with "/", "..", a blank or a shell character, an
 *     IDENT only letters and digits), a refused one a 5xx reply of
 *     plain text;
 *   - smtp_xfwd_check() on the raw bytes accepts nothing else either;
 *   - the DATA deadline stays between smtp_timeout after the start and
 *     smtp_timeout after the last bytes, and never comes sooner for
 *     more data;
 *   - the DATA reader stops exactly at the first CR LF "." CR LF (the
 *     DATA command's CR LF counting), never elsewhere, and gives the
 *     same content, end and flags whole, byte by byte and split;
 *   - dot-stuffed content read back ends exactly where we ended it and
 *     is the content again, line ends made LF;
 *   - a reply's text stays printable and within its buffer.
 * ERRORS: a broken promise aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "mail/smtp_proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define LINE_MAX_FUZZ	200	/* small, so over-long lines happen */

/* printable - every byte is 32..126 */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s > 126)
			return 0;
	return 1;
}

/* clean - no control byte (non-ASCII is allowed) */
static int
clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s == 127)
			return 0;
	return 1;
}

/* has_8bit - a byte over 127 */
static int
has_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* is_alnum - an ASCII letter or digit */
static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* check_cmd - one command line: the reply or the struct is sane */
static void
check_cmd(const char *line, size_t len)
{
	struct smtp_cmd		cmd;
	struct reply	r;
	size_t			i, k;

	memset(&r, 0, sizeof(r));
	if (smtp_cmd_parse(line, len, &cmd, &r) != 0) {
		if ((r.code != 500 && r.code != 501 && r.code != 502) ||
		    strncmp(r.status, "5.", 2) != 0 || !printable(r.text) ||
		    r.text[0] == '\0')
			abort();
		smtp_cmd_free(&cmd);
		return;
	}
	if (cmd.verb == SMTP_UNKNOWN || cmd.verb == SMTP_NOT_OFFERED ||
	    cmd.verb_text == NULL || strlen(cmd.verb_text) > 16)
		abort();
	switch (cmd.verb) {
	case SMTP_HELO:
	case SMTP_EHLO:
	case SMTP_LHLO:
		if (cmd.arg == NULL || cmd.arg[0] == '\0' ||
		    strchr(cmd.arg, ' ') != NULL || !clean(cmd.arg) ||
		    !smtp_utf8_valid(cmd.arg, strlen(cmd.arg)))
			abort();
		break;
	case SMTP_MAIL:
	case SMTP_RCPT:
		if (cmd.addr == NULL || strlen(cmd.addr) + 2 > 256 ||
		    !clean(cmd.addr) || cmd.utf8 != has_8bit(cmd.addr) ||
		    !smtp_utf8_valid(cmd.addr, strlen(cmd.addr)) ||
		    (cmd.verb == SMTP_RCPT && cmd.addr[0] == '\0'))
			abort();
		if (cmd.nparam > SMTP_PARAMS_MAX)
			abort();
		for (i = 0; i < cmd.nparam; i++) {
			if (cmd.param[i].key[0] == '\0' ||
			    cmd.param[i].key[0] == '-')
				abort();
			for (k = 0; cmd.param[i].key[k] != '\0'; k++)
				if (!((cmd.param[i].key[k] >= 'A' &&
				    cmd.param[i].key[k] <= 'Z') ||
				    (cmd.param[i].key[k] >= '0' &&
				    cmd.param[i].key[k] <= '9') ||
				    cmd.param[i].key[k] == '-'))
					abort();
			for (k = 0; k < i; k++)
				if (strcmp(cmd.param[k].key,
				    cmd.param[i].key) == 0)
					abort();
			if (cmd.param[i].value != NULL &&
			    (cmd.param[i].value[0] == '\0' ||
			    strpbrk(cmd.param[i].value, " =") != NULL ||
			    !clean(cmd.param[i].value)))
				abort();
		}
		break;
	case SMTP_XFORWARD:
		for (i = 0; i < XF_COUNT; i++) {
			if (cmd.xfwd[i] == NULL)
				continue;
			if (strlen(cmd.xfwd[i]) > SMTP_XFWD_VALUE_MAX ||
			    strchr(cmd.xfwd[i], ' ') != NULL ||
			    !clean(cmd.xfwd[i]) ||
			    !smtp_utf8_valid(cmd.xfwd[i], strlen(cmd.xfwd[i])))
				abort();
			/* "" is "unavailable"; anything else passed its
			 * attribute's check, and holds nothing a file name,
			 * a log line or a shell could trip over */
			if (cmd.xfwd[i][0] != '\0' &&
			    (smtp_xfwd_check((enum xfwd_attr)i,
			    cmd.xfwd[i]) != NULL ||
			    strpbrk(cmd.xfwd[i], "/\\;$`'\"<>|&*?()") != NULL ||
			    strstr(cmd.xfwd[i], "..") != NULL || has_8bit(
			    cmd.xfwd[i])))
				abort();
		}
		if (cmd.xfwd[XF_IDENT] != NULL)
			for (k = 0; cmd.xfwd[XF_IDENT][k] != '\0'; k++)
				if (!is_alnum(cmd.xfwd[XF_IDENT][k]) ||
				    k >= SMTP_XFWD_IDENT_MAX)
					abort();
		break;
	case SMTP_DATA:
	case SMTP_RSET:
	case SMTP_QUIT:
		if (cmd.arg != NULL || cmd.addr != NULL)
			abort();
		break;
	default:
		if (cmd.arg == NULL || !clean(cmd.arg))
			abort();
		break;
	}
	smtp_cmd_free(&cmd);
}

/*
 * read_lines - all complete lines of in[0..len), fed in pieces of step
 * bytes (0: whole), recorded as length, flags and bytes; each line that
 * is not too long goes to check_cmd when cmds is set
 */
static char *
read_lines(const char *in, size_t len, size_t step, int cmds, size_t *rlen)
{
	struct smtp_line	l;
	char			*rec;
	size_t			 off = 0, o = 0, used, chunk;

	/* a line keeps at most the bytes it took, each takes at least one */
	rec = xmalloc(len * (sizeof(size_t) + 4) + 1);
	smtp_line_init(&l, LINE_MAX_FUZZ);
	while (off < len) {
		chunk = len - off;
		if (step != 0 && chunk > step)
			chunk = step;
		if (smtp_line_feed(&l, in + off, chunk, &used)) {
			if (used == 0 || used > chunk || l.len > l.max ||
			    l.buf[l.len] != '\0' ||
			    memchr(l.buf, '\n', l.len) != NULL)
				abort();
			memcpy(rec + o, &l.len, sizeof(l.len));
			o += sizeof(l.len);
			rec[o++] = (char)l.bare_lf;
			rec[o++] = (char)l.bare_cr;
			rec[o++] = (char)l.too_long;
			memcpy(rec + o, l.buf, l.len);
			o += l.len;
			if (cmds && !l.too_long)
				check_cmd(l.buf, l.len);
		} else if (used != chunk)
			abort();
		off += used;
	}
	smtp_line_free(&l);
	*rlen = o;
	return rec;
}

/* fuzz_lines - commands line by line; whole and byte by byte agree */
static void
fuzz_lines(const char *in, size_t len)
{
	char	*a, *b;
	size_t	 alen, blen;

	a = read_lines(in, len, 0, 1, &alen);
	b = read_lines(in, len, 1, 0, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
	free(a);
	free(b);
}

struct dres {
	int		 end;
	size_t		 used;
	char		*out;
	size_t		 outlen;
	int		 flags;
	unsigned long long size;
};

/* read_data - the DATA reader over in, in pieces of step bytes (0:
 * whole) after a first piece of split bytes (0: none) */
static void
read_data(const char *in, size_t len, size_t line_max,
    unsigned long long size_max, size_t split, size_t step,
    struct dres *res)
{
	struct smtp_data	d;
	char			*buf;
	size_t			 off = 0, used, o, chunk;

	smtp_data_init(&d, line_max, size_max);
	res->out = xmalloc(len + 3);
	res->outlen = 0;
	res->end = 0;
	buf = xmalloc(len + 3);
	while (off < len) {
		chunk = len - off;
		if (split != 0 && off < split)
			chunk = split - off;
		else if (step != 0 && chunk > step)
			chunk = step;
		res->end = smtp_data_feed(&d, in + off, chunk, &used, buf, &o);
		if (used > chunk || o > chunk + 2 ||
		    res->outlen + o > len + 2)
			abort();
		memcpy(res->out + res->outlen, buf, o);
		res->outlen += o;
		off += used;
		if (res->end)
			break;
		if (used != chunk)
			abort();
	}
	free(buf);
	res->used = off;
	res->size = d.size;
	res->flags = d.bare_lf | d.bare_cr << 1 | d.nul << 2 |
	    d.too_long << 3 | d.too_big << 4;
}

/* same_dres - two runs agree on everything */
static void
same_dres(const struct dres *a, const struct dres *b)
{
	if (a->end != b->end || a->used != b->used ||
	    a->outlen != b->outlen || a->flags != b->flags ||
	    memcmp(a->out, b->out, a->outlen) != 0)
		abort();
}

/* first_end - where the data must end: just past the first CR LF "."
 * CR LF, the DATA command's CR LF before in[0] counting; len + 1: none */
static size_t
first_end(const char *in, size_t len)
{
	size_t	i;

	if (len >= 3 && memcmp(in, ".\r\n", 3) == 0)
		return 3;
	for (i = 0; i + 5 <= len; i++)
		if (memcmp(in + i, "\r\n.\r\n", 5) == 0)
			return i + 5;
	return len + 1;
}

/* fuzz_data - one set of limits: whole, byte by byte and split agree,
 * and the end is the RFC 5321 one */
static void
fuzz_data(const char *in, size_t len, size_t line_max,
    unsigned long long size_max)
{
	struct dres	whole, bytes, half;
	size_t		want;

	read_data(in, len, line_max, size_max, 0, 0, &whole);
	want = first_end(in, len);
	if (want <= len) {
		if (!whole.end || whole.used != want)
			abort();
	} else if (whole.end || whole.used != len)
		abort();
	if (memchr(whole.out, '\r', whole.outlen) != NULL)
		abort();
	if (!(whole.flags & 16) && whole.outlen != whole.size)
		abort();
	if (size_max != 0 && whole.outlen > size_max)
		abort();
	read_data(in, len, line_max, size_max, 0, 1, &bytes);
	same_dres(&whole, &bytes);
	if (len > 1) {
		read_data(in, len, line_max, size_max, len / 2, 0, &half);
		same_dres(&whole, &half);
		free(half.out);
	}
	free(whole.out);
	free(bytes.out);
}

/* normalize - content with every line end LF and a last one added */
static char *
normalize(const char *in, size_t len, size_t *nlen)
{
	char	*out;
	size_t	 i, o = 0;

	out = xmalloc(len + 2);
	for (i = 0; i < len; i++) {
		if (in[i] == '\r') {
			if (i + 1 < len && in[i + 1] == '\n')
				i++;
			out[o++] = '\n';
		} else
			out[o++] = in[i];
	}
	if (o > 0 && out[o - 1] != '\n')
		out[o++] = '\n';
	*nlen = o;
	return out;
}

/* stuff - the relay's wire bytes for in, fed in pieces of step bytes */
static char *
stuff(const char *in, size_t len, size_t step, size_t *wlen)
{
	struct smtp_stuff	s;
	char			*w;
	size_t			 off = 0, o = 0, n, chunk;

	w = xmalloc(2 * len + 5);
	smtp_stuff_init(&s);
	while (off < len) {
		chunk = len - off;
		if (step != 0 && chunk > step)
			chunk = step;
		n = smtp_stuff_feed(&s, in + off, chunk, w + o);
		if (n > 2 * chunk + 2)
			abort();
		o += n;
		off += chunk;
	}
	o += smtp_stuff_end(&s, w + o);
	if (o > 2 * len + 5)
		abort();
	*wlen = o;
	return w;
}

/* fuzz_stuff - stuffed content reads back to itself, ending where we
 * ended it */
static void
fuzz_stuff(const char *in, size_t len)
{
	struct dres	 whole, bytes;
	char		*w, *w1, *norm;
	size_t		 wlen, w1len, nlen;

	w = stuff(in, len, 0, &wlen);
	w1 = stuff(in, len, 1, &w1len);
	if (wlen != w1len || memcmp(w, w1, wlen) != 0)
		abort();
	free(w1);
	read_data(w, wlen, 0, 0, 0, 0, &whole);
	norm = normalize(in, len, &nlen);
	if (!whole.end || whole.used != wlen || whole.outlen != nlen ||
	    memcmp(whole.out, norm, nlen) != 0 || (whole.flags & 3) != 0 ||
	    !(whole.flags & 4) != !memchr(in, '\0', len))
		abort();
	read_data(w, wlen, 0, 0, 0, 1, &bytes);
	same_dres(&whole, &bytes);
	free(whole.out);
	free(bytes.out);
	free(norm);
	free(w);
}

/* fuzz_resp - replies line by line */
static void
fuzz_resp(const char *in, size_t len)
{
	struct smtp_line	l;
	struct smtp_resp	r;
	size_t			off = 0, used, i;

	smtp_line_init(&l, 1100);
	smtp_resp_init(&r);
	while (off < len) {
		if (!smtp_line_feed(&l, in + off, len - off, &used))
			break;
		off += used;
		if (!smtp_resp_line(&r, l.buf, l.len)) {
			if (r.bad || r.lines >= 100)
				abort();
			continue;
		}
		if (r.textlen >= sizeof(r.text) || r.text[r.textlen] != '\0' ||
		    strlen(r.text) != r.textlen)
			abort();
		for (i = 0; i < r.textlen; i++)
			if (((unsigned char)r.text[i] < 32 &&
			    r.text[i] != '\n') || r.text[i] == 127)
				abort();
		if (!r.bad && (r.code < 200 || r.code > 599))
			abort();
		smtp_resp_init(&r);
	}
	smtp_line_free(&l);
}

/* fuzz_path - the path parser on the raw bytes, both ways */
static void
fuzz_path(const char *in, size_t len)
{
	const char	*why;
	char		*addr, *x;
	size_t		 end;
	int		 utf8, rcpt;

	for (rcpt = 0; rcpt <= 1; rcpt++) {
		addr = NULL;
		if (smtp_path_parse(in, len, rcpt, &addr, &end, &utf8,
		    &why) != 0) {
			if (addr != NULL || why == NULL)
				abort();
			continue;
		}
		/* the bytes up to *end are the path: none of them NUL */
		if (end < 2 || end > len || in[end - 1] != '>' ||
		    memchr(in, '\0', end) != NULL ||
		    strlen(addr) + 2 > 256 || utf8 != has_8bit(addr) ||
		    (rcpt && addr[0] == '\0'))
			abort();
		free(addr);
	}
	x = smtp_xtext_decode(in, len);
	if (x != NULL && (strlen(x) > len || !clean(x)))
		abort();
	free(x);
}

/*
 * fuzz_xfwd - the bytes as a value of each XFORWARD attribute: an
 * accepted one has nothing but what its attribute allows
 */
static void
fuzz_xfwd(const char *in, size_t len)
{
	char	*v = xmalloc(len + 1);
	size_t	 i;
	int	 a;

	memcpy(v, in, len);
	v[len] = '\0';
	for (a = 0; a < XF_COUNT; a++) {
		if (smtp_xfwd_check((enum xfwd_attr)a, v) != NULL)
			continue;
		if (v[0] == '\0' || strlen(v) > 255 || !printable(v) ||
		    strpbrk(v, " /\\;$`'\"<>|&*?()") != NULL ||
		    strstr(v, "..") != NULL)
			abort();
		if (a == XF_IDENT || a == XF_PROTO || a == XF_PORT)
			for (i = 0; v[i] != '\0'; i++)
				if (!is_alnum(v[i]))
					abort();
	}
	free(v);
}

/*
 * fuzz_deadline - the DATA deadline with times and sizes from the
 * bytes: never later than smtp_timeout after the last bytes, never
 * earlier than smtp_timeout after the start, and no sooner for more
 * data
 */
static void
fuzz_deadline(const uint8_t *in, size_t len)
{
	struct smtp_deadline	d;
	long long		now = 1000, before, at;
	size_t			i, n;
	unsigned		rate;

	if (len < 2)
		return;
	rate = 1 + in[0] * 7u;
	smtp_deadline_init(&d, now, 1000 * (1 + in[1] % 8), rate);
	for (i = 2; i + 1 < len; i += 2) {
		before = smtp_deadline_at(&d, NULL);
		now += in[i] * 10;
		n = (size_t)in[i + 1] << (in[i] % 16);
		smtp_deadline_got(&d, now, n);
		at = smtp_deadline_at(&d, NULL);
		if (at > d.last + d.timeout || at < d.start + d.timeout ||
		    at < before)
			abort();
	}
}

/* LLVMFuzzerTestOneInput - every parser over the same bytes */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data;

	fuzz_lines(in, size);
	fuzz_data(in, size, 0, 0);
	if (size >= 2)
		fuzz_data(in, size, 1 + data[0] % 32, 1 + data[1] % 128);
	fuzz_stuff(in, size);
	fuzz_resp(in, size);
	fuzz_path(in, size);
	fuzz_xfwd(in, size);
	fuzz_deadline(data, size);
	return 0;
}
