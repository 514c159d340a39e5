/*
 * null_milter.c - the reference null milter for "make bench"
 *
 * A libmilter milter that registers every callback (connect, helo,
 * envfrom, envrcpt, data, unknown, header, eoh, body, eom, abort, close)
 * and answers SMFIS_CONTINUE to each, changing nothing.  It is the
 * fairest cost of "a milter is in the path" that the bench can measure
 * sluiced against:
 *   - every callback is registered, DATA included, because Postfix
 *     sends each step's macros even to a milter that asked to skip the
 *     step; nobody answers that packet and the next one waits for a
 *     delayed ACK (~40 ms);
 *   - its TCP connections have TCP_NODELAY.  libmilter never sets it.
 *     On Linux an accepted TCP socket inherits TCP_NODELAY from the
 *     listening socket (checked with a test program on Debian 12), so
 *     after smfi_opensocket() the listening socket is found among our
 *     descriptors and the option set there, before any connection.
 *
 * With -s SCRIPT -d DIR it is the reference for an exec filter instead:
 * each message (header fields, an empty line, the body) is written to a
 * file of its own in DIR and synced, "/bin/sh SCRIPT FILE" is started
 * with posix_spawn and waited for, and the file removed: the least a
 * milter that runs a program per message does, to measure sluiced with
 * one exec filter against.
 *
 * Usage: null_milter -p SPEC [-s SCRIPT -d DIR]
 *   SPEC as for smfi_setconn: inet:PORT@127.0.0.1 or unix:/path.
 * SIGTERM, SIGINT and SIGHUP make libmilter stop and the program exit 0
 * (libmilter needs a few seconds to notice and release the socket).
 * Build: gcc -O2 -o OUT testdata/bench/null_milter.c -lmilter -lpthread
 *
 * SECURITY: a test program.  It reads milter packets from the MTA through
 * libmilter, looks at none of their contents, and writes no files other
 * than the unix socket it is told to create (an old one at that path is
 * removed first) and, with -d, one file per message in that directory.  Run it as an unprivileged user outside tests.
 * ERRORS: bad usage exits 64; a socket that cannot be set up or a
 * libmilter failure exits 1 with a message on stderr.  Failing to set
 * TCP_NODELAY is reported on stderr and not fatal: the numbers are then
 * worse, and the message says why.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

extern char	**environ;

static const char	*script;	/* -s: spool and spawn */
static const char	*spool;		/* -d */
static atomic_ulong	 seq;

/* one message's file in spool-and-spawn mode */
struct msgfile {
	int	fd;
	char	path[512];
};

/* mf_write - append to the message file, if there is one */
static void
mf_write(SMFICTX *ctx, const void *p, size_t len)
{
	struct msgfile	*mf = smfi_getpriv(ctx);

	if (mf != NULL && mf->fd >= 0 && write(mf->fd, p, len) != (ssize_t)len)
		fprintf(stderr, "null_milter: write %s: %s\n", mf->path,
		    strerror(errno));
}

/* mf_done - close and remove the message file */
static void
mf_done(SMFICTX *ctx)
{
	struct msgfile	*mf = smfi_getpriv(ctx);

	if (mf == NULL)
		return;
	if (mf->fd >= 0) {
		close(mf->fd);
		unlink(mf->path);
	}
	free(mf);
	smfi_setpriv(ctx, NULL);
}

/* nm_connect - accept the connection */
static sfsistat
nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx;
	(void)host;
	(void)addr;
	return SMFIS_CONTINUE;
}

/* nm_helo - accept HELO/EHLO */
static sfsistat
nm_helo(SMFICTX *ctx, char *name)
{
	(void)ctx;
	(void)name;
	return SMFIS_CONTINUE;
}

/* nm_envfrom - accept MAIL FROM */
static sfsistat
nm_envfrom(SMFICTX *ctx, char **argv)
{
	struct msgfile	*mf;

	(void)argv;
	if (script == NULL)
		return SMFIS_CONTINUE;
	mf_done(ctx);
	if ((mf = calloc(1, sizeof(*mf))) == NULL)
		return SMFIS_TEMPFAIL;
	snprintf(mf->path, sizeof(mf->path), "%s/m.%ld.%lu", spool,
	    (long)getpid(), (unsigned long)atomic_fetch_add(&seq, 1));
	mf->fd = open(mf->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	smfi_setpriv(ctx, mf);
	return mf->fd >= 0 ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

/* nm_envrcpt - accept RCPT TO */
static sfsistat
nm_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

/* nm_data - accept DATA */
static sfsistat
nm_data(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* nm_unknown - accept an unknown SMTP command (the MTA rejects it) */
static sfsistat
nm_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

/* nm_header - accept one header */
static sfsistat
nm_header(SMFICTX *ctx, char *name, char *value)
{
	mf_write(ctx, name, strlen(name));
	mf_write(ctx, ": ", 2);
	mf_write(ctx, value, strlen(value));
	mf_write(ctx, "\n", 1);
	return SMFIS_CONTINUE;
}

/* nm_eoh - accept the end of the headers */
static sfsistat
nm_eoh(SMFICTX *ctx)
{
	mf_write(ctx, "\n", 1);
	return SMFIS_CONTINUE;
}

/* nm_body - accept one body chunk */
static sfsistat
nm_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	mf_write(ctx, chunk, len);
	return SMFIS_CONTINUE;
}

/* nm_eom - let the message through unchanged */
static sfsistat
nm_eom(SMFICTX *ctx)
{
	struct msgfile	*mf = smfi_getpriv(ctx);
	char		*argv[4];
	pid_t		 pid;
	int		 st, rc = SMFIS_CONTINUE;

	if (script == NULL)
		return SMFIS_CONTINUE;
	if (mf == NULL || mf->fd < 0 || fsync(mf->fd) != 0)
		rc = SMFIS_TEMPFAIL;
	argv[0] = (char *)"/bin/sh";
	argv[1] = (char *)script;
	argv[2] = mf != NULL ? mf->path : (char *)"";
	argv[3] = NULL;
	if (rc == SMFIS_CONTINUE && (posix_spawn(&pid, "/bin/sh", NULL, NULL,
	    argv, environ) != 0 || waitpid(pid, &st, 0) != pid ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0))
		rc = SMFIS_TEMPFAIL;
	mf_done(ctx);
	return rc;
}

/* nm_abort - nothing to forget */
static sfsistat
nm_abort(SMFICTX *ctx)
{
	mf_done(ctx);
	return SMFIS_CONTINUE;
}

/* nm_close - nothing to free */
static sfsistat
nm_close(SMFICTX *ctx)
{
	mf_done(ctx);
	return SMFIS_CONTINUE;
}

static struct smfiDesc nm_desc = {
	.xxfi_name = "null_milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_connect = nm_connect,
	.xxfi_helo = nm_helo,
	.xxfi_envfrom = nm_envfrom,
	.xxfi_envrcpt = nm_envrcpt,
	.xxfi_header = nm_header,
	.xxfi_eoh = nm_eoh,
	.xxfi_body = nm_body,
	.xxfi_eom = nm_eom,
	.xxfi_abort = nm_abort,
	.xxfi_close = nm_close,
	.xxfi_unknown = nm_unknown,
	.xxfi_data = nm_data,
	.xxfi_negotiate = NULL,
};

/* set_nodelay_on_listeners - TCP_NODELAY on every listening TCP socket */
static int
set_nodelay_on_listeners(void)
{
	struct sockaddr_storage	 ss;
	struct dirent		*de;
	socklen_t		 len;
	DIR			*d;
	int			 fd, listening, one = 1, n = 0;

	/*
	 * libmilter keeps its listening descriptor to itself; the program
	 * has no other socket open at this point, so any listening TCP
	 * socket among our descriptors is libmilter's.
	 */
	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		len = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		    &len) == -1 || !listening)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
			continue;
		if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one)) == -1) {
			fprintf(stderr, "null_milter: TCP_NODELAY on fd %d: "
			    "%s\n", fd, strerror(errno));
			continue;
		}
		n++;
	}
	closedir(d);
	return n;
}

/* usage - the synopsis */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: null_milter -p inet:PORT@HOST|unix:PATH "
	    "[-s script -d dir]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	const char	*spec = NULL;
	int		 ch, n;

	while ((ch = getopt(argc, argv, "d:p:s:")) != -1) {
		switch (ch) {
		case 'd':
			spool = optarg;
			break;
		case 'p':
			spec = optarg;
			break;
		case 's':
			script = optarg;
			break;
		default:
			usage();
		}
	}
	if (spec == NULL || optind != argc || (script == NULL) != (spool == NULL))
		usage();

	if (smfi_setconn((char *)spec) == MI_FAILURE) {
		fprintf(stderr, "null_milter: bad socket spec %s\n", spec);
		return 1;
	}
	if (smfi_register(nm_desc) == MI_FAILURE) {
		fprintf(stderr, "null_milter: smfi_register failed\n");
		return 1;
	}
	/* Open now (removing a stale unix socket) so the fd can be tuned. */
	if (smfi_opensocket(true) == MI_FAILURE) {
		fprintf(stderr, "null_milter: cannot open %s\n", spec);
		return 1;
	}
	if (strncmp(spec, "unix:", 5) != 0 && strncmp(spec, "local:", 6) != 0) {
		n = set_nodelay_on_listeners();
		if (n <= 0)
			fprintf(stderr, "null_milter: no TCP_NODELAY on %s: "
			    "expect delayed-ACK stalls\n", spec);
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
