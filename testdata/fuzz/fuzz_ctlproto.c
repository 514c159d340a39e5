/*
 * NAME
 *	fuzz_ctlproto.c - libFuzzer target for the control socket's
 *	request parser and the JSON writer of its answers
 *
 * DESCRIPTION
 *	The input is parsed as a control request.  One that parses is
 *	written again with ctl_put_word() and ctl_put_opt() and parsed a
 *	second time: the command, the arguments and the options must come
 *	back the same (what sluicectl sends is what the daemon reads).  A
 *	refusal must come with a printable reason.  Then the raw input is
 *	written as a JSON string, which must be valid UTF-8 with no byte
 *	below 0x20, whatever the input held.
 *
 * SECURITY
 *	Test code only.  The input is copied into a buffer of exactly its
 *	length, so a read past its end is caught by ASan.
 *
 * ERRORS
 *	None are returned; a broken invariant aborts the run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/ctlproto.h"
#include "lib/json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ctl_request	r1, r2;

/* valid_utf8 - strict: no overlong form, surrogate or value past
 * U+10FFFF, and no control byte */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t		i = 0, len, k;
	unsigned	cp;

	while (i < n) {
		if (s[i] < 0x20)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json	 j;
	struct buf	 b;
	char		*in, why[200];
	size_t		 i;

	in = malloc(size ? size : 1);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	if (ctl_parse(in, size, &r1, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
		for (i = 0; why[i] != '\0'; i++)
			if ((unsigned char)why[i] < 0x20 ||
			    (unsigned char)why[i] > 0x7e)
				abort();
	} else {
		buf_init(&b, 0);
		ctl_put_word(&b, r1.cmd);
		for (i = 0; i < r1.narg; i++)
			ctl_put_word(&b, r1.arg[i]);
		for (i = 0; i < r1.nopt; i++)
			ctl_put_opt(&b, r1.opt[i].key, r1.opt[i].val);
		/* escaping may make it longer than the limit: then only
		 * the refusal is checked */
		if (ctl_parse(b.data, b.len, &r2, why, sizeof(why)) != 0) {
			if (b.len < CTL_REQUEST_MAX)
				abort();
		} else {
			if (strcmp(r1.cmd, r2.cmd) != 0 || r1.narg != r2.narg ||
			    r1.nopt != r2.nopt)
				abort();
			for (i = 0; i < r1.narg; i++)
				if (strcmp(r1.arg[i], r2.arg[i]) != 0)
					abort();
			for (i = 0; i < r1.nopt; i++)
				if (strcmp(r1.opt[i].key, r2.opt[i].key) != 0 ||
				    strcmp(r1.opt[i].val, r2.opt[i].val) != 0)
					abort();
		}
		buf_free(&b);
	}
	buf_init(&b, 0);
	json_init(&j, &b);
	json_object(&j, NULL);
	json_strn(&j, "raw", in, size);
	json_end(&j);
	if (json_done(&j) != 0 || !valid_utf8((unsigned char *)b.data, b.len))
		abort();
	buf_free(&b);
	free(in);
	return 0;
}
