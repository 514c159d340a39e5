/*
 * fuzz_message.c - libFuzzer target for message_check in message.c
 *
 * SECURITY: the input stands for a filter's replacement message (%n),
 * which the engine checks as it copies it, chunk after chunk.  Besides
 * crashes and leaks it checks what the streaming promises: whether the
 * message is taken does not depend on where the chunks end, and a
 * refusal always says why.  (Which reason comes first may: a message
 * with two faults is refused for the one its chunk shows first.)  The
 * first input byte chooses the chunk size (1 to 256); the rest is the
 * message.
 * ERRORS: a broken promise aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/message.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - the whole message in chunks of step bytes; rc, why filled */
static int
check(const char *p, size_t len, size_t step, char *why, size_t whylen)
{
	struct message_check	mc;
	size_t			off, n;
	int			rc = 0;

	why[0] = '\0';
	message_check_init(&mc);
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < step ? len - off : step;
		rc = message_check_feed(&mc, p + off, n, why, whylen);
	}
	if (rc == 0)
		rc = message_check_end(&mc, why, whylen);
	message_check_free(&mc);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	why1[512], why2[512];
	size_t	step;
	int	rc1, rc2;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 256 + 1;
	rc1 = check((const char *)data + 1, size - 1, size, why1,
	    sizeof(why1));
	rc2 = check((const char *)data + 1, size - 1, step, why2,
	    sizeof(why2));
	if (rc1 != rc2 || (rc1 != 0 && (why1[0] == '\0' ||
	    why2[0] == '\0')))
		abort();
	return 0;
}
