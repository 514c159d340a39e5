/*
 * modhost.h - isolated modules: the host process that runs one, and the
 * frames it and the agent exchange
 */
#ifndef SLUICE_MODHOST_H
#define SLUICE_MODHOST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* a frame: this header, then len bytes; a message's descriptor comes
 * with the header (SCM_RIGHTS) */
struct mh_head {
	uint32_t	magic;
	uint32_t	type;
	uint32_t	len;
};

#define MH_MAGIC	0x534c4d48u	/* "SLMH" */
#define MH_FRAME_MAX	(16 * 1024 * 1024)

enum mh_type {
	MH_INIT = 1,	/* agent: u32 n, then n name, value strings */
	MH_READY,	/* host: init passed */
	MH_REFUSED,	/* host: init failed; the reason */
	MH_MSG,		/* agent, with the message's fd: u64 size, u32
			   nrcpt, u32 nheaders, then strings: queue id,
			   sender, client addr, client name, helo, rule,
			   filter, the recipients, name and value of each
			   header field */
	MH_RESULT	/* host: i32 return value, i32 overflow, i64
			   elapsed us, then the directive lines */
};

/* mh_send - one frame, with fd (>= 0) passed along; 0 or -1 */
int	mh_send(int sock, uint32_t type, const void *p, size_t len, int fd);
/*
 * mh_recv - one frame by the deadline (monotonic ms): *type, *p (the
 * caller frees, NUL-ended), *len, and *fd (-1 when none came).  0, or
 * -1 with errno (ETIMEDOUT, ECONNRESET at end of file, EPROTO for a
 * malformed frame).
 */
int	mh_recv(int sock, long long deadline, uint32_t *type, char **p,
	    size_t *len, int *fd);

/* modhost_main - "sluiced -M module": serve on standard input; exits */
void	modhost_main(const char *module) __attribute__((noreturn));

#endif
