/*
 * modhost.c - the host process of an isolated module, and the frames
 * it speaks
 *
 * A module with isolate = true runs here, not in the agent: the agent
 * has the launcher start "sluiced -M MODULE" as the filter's user,
 * under its sandbox profile and limits, with a socket as its standard
 * input.  The host waits for MH_INIT (the settings), loads the module
 * (module_load: dlopen, ABI, init) and says MH_READY or MH_REFUSED;
 * then, one after the other, it takes MH_MSG (a message: its descriptor
 * and envelope and header fields), calls the module's filter() and
 * answers MH_RESULT.  It ends at the socket's end of file.  A crash, a
 * hang or an exit() in the module ends this process only: the agent
 * sees its socket close or its timeout pass, the launcher's keeper
 * kills what is left, and the next message gets a new host.
 *
 * SECURITY: everything the agent sends is checked (magic, type, sizes,
 * counts, terminators) although the agent is trusted; the module is as
 * trusted as the administrator who configured it, and runs with the
 * rights the launcher gave this process.
 * ERRORS: a malformed frame or a failed write ends the host (status 1).
 */
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/modhost.h"
#include "engine/engine_module.h"
#include "lib/clock.h"
#include "lib/io.h"
#include "lib/xmalloc.h"

/* mh_send - see modhost.h */
int
mh_send(int sock, uint32_t type, const void *p, size_t len, int fd)
{
	struct mh_head	h;

	if (len > MH_FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	h.magic = MH_MAGIC;
	h.type = type;
	h.len = (uint32_t)len;
	if (io_send_fds(sock, &h, sizeof(h), &fd, fd >= 0 ? 1 : 0) != 0)
		return -1;
	return len > 0 ? io_send_all(sock, p, len, -1) : 0;
}

/* mh_recv - see modhost.h */
int
mh_recv(int sock, long long deadline, uint32_t *type, char **p,
    size_t *len, int *fd)
{
	struct mh_head	 h;
	ssize_t		 r;
	size_t		 nfd;

	*p = NULL;
	*fd = -1;
	if (io_wait_in(sock, deadline) != 0)
		return -1;
	r = io_recv_fds(sock, &h, sizeof(h), fd, 1, &nfd);
	if (nfd == 0)
		*fd = -1;
	if (r == 0)
		errno = ECONNRESET;
	if (r > 0 && (size_t)r < sizeof(h) && io_read_all(sock, (char *)&h + r,
	    sizeof(h) - (size_t)r, deadline) != 0)
		r = -1;
	if (r > 0 && (h.magic != MH_MAGIC || h.len > MH_FRAME_MAX)) {
		errno = EPROTO;
		r = -1;
	}
	if (r > 0) {
		*p = xmalloc((size_t)h.len + 1);
		if (io_read_all(sock, *p, h.len, deadline) != 0)
			r = -1;
		else
			(*p)[h.len] = '\0';
	}
	if (r <= 0) {
		free(*p);
		*p = NULL;
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	*type = h.type;
	*len = h.len;
	return 0;
}

/* words - split len bytes into exactly n NUL-ended strings; NULL when
 * they are not that */
static char **
words(char *p, size_t len, size_t n)
{
	char	**w;
	size_t	  i, k = 0;

	if (len == 0 ? n != 0 : p[len - 1] != '\0')
		return NULL;
	for (i = 0; i < len; i++)
		if (p[i] == '\0')
			k++;
	if (k != n)
		return NULL;
	w = xcalloc(n + 1, sizeof(*w));
	for (i = 0, k = 0; k < n; k++) {
		w[k] = p + i;
		i += strlen(p + i) + 1;
	}
	return w;
}

/* host_init - the settings frame, then the module; NULL at a failure
 * (the reason already sent) */
static struct module_inst *
host_init(const char *module, char *p, size_t len)
{
	struct filter_setting	*set;
	struct module_inst	*mi;
	char			**w, why[512];
	uint32_t		 n;
	size_t			 i;

	if (len < sizeof(n))
		return NULL;
	memcpy(&n, p, sizeof(n));
	if (n > 4096 || (w = words(p + sizeof(n), len - sizeof(n),
	    2 * (size_t)n)) == NULL)
		return NULL;
	set = xcalloc((size_t)n + 1, sizeof(*set));
	for (i = 0; i < n; i++) {
		set[i].name = w[2 * i];
		set[i].value = w[2 * i + 1];
	}
	mi = module_load(module, set, n, why, sizeof(why));
	free(set);
	free(w);
	if (mi == NULL) {
		(void)mh_send(STDIN_FILENO, MH_REFUSED, why, strlen(why), -1);
		return NULL;
	}
	return mi;
}

/* host_msg - one message: the module's answer, sent back */
static int
host_msg(struct module_inst *mi, char *p, size_t len, int fd)
{
	struct sluice_message	 msg;
	struct sluice_header	*hv;
	struct buf		 b;
	char			**w, *out;
	uint64_t		 size;
	uint32_t		 nrcpt, nhdr;
	int32_t			 rv, ov;
	int64_t			 us;
	long long		 t0;
	size_t			 i, outlen, hdr = sizeof(size) + 2 * sizeof(nrcpt);
	int			 overflow, rc;

	if (fd < 0 || len < hdr)
		return -1;
	memcpy(&size, p, sizeof(size));
	memcpy(&nrcpt, p + sizeof(size), sizeof(nrcpt));
	memcpy(&nhdr, p + sizeof(size) + sizeof(nrcpt), sizeof(nhdr));
	if (nrcpt > 100000 || nhdr > 100000 || (w = words(p + hdr, len - hdr,
	    7 + (size_t)nrcpt + 2 * (size_t)nhdr)) == NULL)
		return -1;
	hv = xcalloc((size_t)nhdr + 1, sizeof(*hv));
	for (i = 0; i < nhdr; i++) {
		hv[i].name = w[7 + nrcpt + 2 * i];
		hv[i].value = w[7 + nrcpt + 2 * i + 1];
	}
	memset(&msg, 0, sizeof(msg));
	msg.fd = fd;
	msg.size = size;
	msg.queue_id = w[0];
	msg.sender = w[1];
	msg.client_addr = w[2];
	msg.client_name = w[3];
	msg.helo = w[4];
	msg.rule = w[5];
	msg.filter = w[6];
	msg.recipients = (const char *const *)(w + 7);
	msg.nrecipients = nrcpt;
	msg.headers = hv;
	msg.nheaders = nhdr;
	t0 = clock_mono_us();
	rv = module_call(mi, &msg, &out, &outlen, &overflow);
	us = clock_mono_us() - t0;
	free(hv);
	free(w);
	ov = overflow;
	buf_init(&b, 0);
	buf_append(&b, &rv, sizeof(rv));
	buf_append(&b, &ov, sizeof(ov));
	buf_append(&b, &us, sizeof(us));
	buf_append(&b, out, outlen);
	free(out);
	rc = mh_send(STDIN_FILENO, MH_RESULT, b.data, b.len, -1);
	buf_free(&b);
	return rc;
}

#ifdef __SANITIZE_ADDRESS__
/*
 * In a build with AddressSanitizer, LeakSanitizer's check at exit()
 * stops the process's threads with ptrace, which the host's seccomp
 * profile refuses: a module that calls exit() would hang there until
 * its timeout instead of ending.  The check is off in a host.
 */
static int	in_host;
int		__lsan_is_turned_off(void);

int
__lsan_is_turned_off(void)
{
	return in_host;
}
#define HOST_STARTS()	(in_host = 1)
#else
#define HOST_STARTS()	((void)0)
#endif

/* modhost_main - see modhost.h */
void
modhost_main(const char *module)
{
	struct module_inst	*mi = NULL;
	const long long		 forever = 1LL << 62;
	uint32_t		 type;
	char			*p;
	size_t			 len;
	int			 fd;

	HOST_STARTS();
	(void)prctl(PR_SET_NAME, "sluice-modhost");
	if (mh_recv(STDIN_FILENO, clock_mono_ms() + 60000, &type, &p, &len,
	    &fd) != 0 || type != MH_INIT) {
		fprintf(stderr, "sluiced -M: no settings from the agent\n");
		_exit(1);
	}
	if (fd >= 0)
		close(fd);
	mi = host_init(module, p, len);
	free(p);
	if (mi == NULL || mh_send(STDIN_FILENO, MH_READY, NULL, 0, -1) != 0)
		_exit(1);
	for (;;) {
		if (mh_recv(STDIN_FILENO, forever, &type, &p, &len, &fd) != 0)
			break;
		if (type != MH_MSG || host_msg(mi, p, len, fd) != 0) {
			fprintf(stderr, "sluiced -M: a malformed request\n");
			_exit(1);
		}
		free(p);
		close(fd);
	}
	module_unload(mi);
	_exit(errno == ECONNRESET ? 0 : 1);
}
