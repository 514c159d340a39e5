/*
 * ctl_daemon.c - the commands that ask a running sluiced: status,
 * filters, enable, disable, reset, reload, metrics, log
 *
 * Each sends one request over the control socket (lib/ctlproto.h),
 * reads the one JSON answer and hands it to ctl_show.c, which prints a
 * table, or the JSON itself with --json.  The socket is -s PATH, or the
 * control_socket of the config -c names, or the default
 * /run/sluice/control.sock.
 * SECURITY: runs with the invoking user's rights; the daemon decides
 * what those allow.
 * ERRORS: to stderr; exit 0 when the daemon did it, 1 when it refused
 * (its reason printed), 69 when it cannot be reached, 76 when its
 * answer makes no sense, 64 for a usage error.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "ctl.h"
#include "ctl_common.h"
#include "lib/buf.h"
#include "lib/ctlproto.h"
#include "lib/io.h"
#include "lib/xmalloc.h"

#define DEFAULT_SOCKET	"/run/sluice/control.sock"
#define ANSWER_MAX	(64 * 1024 * 1024)
#define ANSWER_TIMEOUT	30000	/* ms */
#define RELOAD_TIMEOUT	200000	/* ms: module inits may take a while */

/* the commands, how many names each takes (-1: one or none) */
static const struct {
	const char	*name;
	int		 nargs;
	const char	*usage;
} cmds[] = {
	{ "status", 0, "status" },
	{ "filters", -1, "filters [NAME]" },
	{ "metrics", 0, "metrics" },
	{ "enable", 1, "enable NAME" },
	{ "disable", 1, "disable NAME" },
	{ "reset", 1, "reset NAME" },
	{ "reload", 0, "reload" },
	{ "log", 0, "log [--since T] [--verdict V] [--sender RE] "
	    "[--recipient RE] [--limit N]" },
};

/* ctl_is_daemon_cmd - whether name is one of this file's commands */
int
ctl_is_daemon_cmd(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return 1;
	return 0;
}

/* socket_path - -s, else -c's control_socket, else the default */
static char *
socket_path(const char *sock, const char *conf)
{
	struct config	*cfg;
	char		*p;

	if (sock != NULL)
		return xstrdup(sock);
	if (conf == NULL)
		return xstrdup(DEFAULT_SOCKET);
	if ((cfg = ctl_load_config(conf, NULL)) == NULL)
		return NULL;
	if (cfg->control_path == NULL) {
		fprintf(stderr, "sluicectl: %s sets control_socket = \"\": "
		    "the daemon has no control socket\n", conf);
		config_unref(&cfg);
		return NULL;
	}
	p = xstrdup(cfg->control_path);
	config_unref(&cfg);
	return p;
}

/* ask - send req to the socket at path, the answer into *ans */
static int
ask(const char *path, const struct buf *req, struct buf *ans, int wait_ms)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct pollfd		 pfd;
	char			 chunk[65536];
	ssize_t			 n;
	int			 fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "sluicectl: %s: the path is too long for a "
		    "unix socket\n", path);
		return EXIT_UNAVAILABLE;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "sluicectl: %s: %s%s\n", path, strerror(errno),
		    errno == ENOENT || errno == ECONNREFUSED ? " (is sluiced "
		    "running? -s names another socket)" : errno == EACCES ?
		    " (see control_group in sluice.conf(5))" : "");
		if (fd >= 0)
			close(fd);
		return EXIT_UNAVAILABLE;
	}
	/* a daemon that refuses at once (busy) may close before it has
	 * read the request: its answer is read all the same */
	if (io_send_all(fd, req->data, req->len, ANSWER_TIMEOUT) != 0 &&
	    errno != EPIPE && errno != ECONNRESET) {
		fprintf(stderr, "sluicectl: %s: %s\n", path, strerror(errno));
		close(fd);
		return EXIT_UNAVAILABLE;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, wait_ms) == 0) {
			fprintf(stderr, "sluicectl: %s: no answer within %d "
			    "s\n", path, wait_ms / 1000);
			close(fd);
			return EXIT_UNAVAILABLE;
		}
		if ((n = read(fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_append(ans, chunk, (size_t)n) != 0) {
			fprintf(stderr, "sluicectl: %s: the answer is over "
			    "%d MiB\n", path, ANSWER_MAX >> 20);
			close(fd);
			return EXIT_PROTOCOL;
		}
	}
	close(fd);
	if (n < 0 && !(errno == ECONNRESET && ans->len > 0)) {
		fprintf(stderr, "sluicectl: %s: %s\n", path, strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	return 0;
}

static void
usage(const char *u)
{
	fprintf(stderr, "usage: sluicectl %s [--json] [-s socket | -c conf]\n",
	    u);
}

/* ctl_daemon - one of the commands above; argv[0] is its name */
int
ctl_daemon(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "since", required_argument, NULL, 1 },
		{ "verdict", required_argument, NULL, 2 },
		{ "sender", required_argument, NULL, 3 },
		{ "recipient", required_argument, NULL, 4 },
		{ "limit", required_argument, NULL, 5 },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 optname[] = {
		NULL, "since", "verdict", "sender", "recipient", "limit"
	};
	const char			*opt[6] = { NULL };
	const char			*sock = NULL, *conf = NULL;
	struct buf			 req, ans;
	size_t				 i, k = 0;
	char				*path;
	int				 ch, json = 0, rc;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, argv[0]) == 0)
			k = i;
	while ((ch = getopt_long(argc, argv, "s:c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 1: case 2: case 3: case 4: case 5:
			if (strcmp(cmds[k].name, "log") != 0) {
				usage(cmds[k].usage);
				return EXIT_USAGE;
			}
			opt[ch] = optarg;
			break;
		default:
			usage(cmds[k].usage);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if ((cmds[k].nargs >= 0 && argc != cmds[k].nargs) ||
	    (cmds[k].nargs < 0 && argc > 1) || (sock != NULL && conf != NULL)) {
		usage(cmds[k].usage);
		return EXIT_USAGE;
	}
	if ((path = socket_path(sock, conf)) == NULL)
		return EXIT_CONFIG;
	buf_init(&req, CTL_REQUEST_MAX);
	rc = ctl_put_word(&req, cmds[k].name);
	for (i = 0; i < (size_t)argc; i++)
		rc |= ctl_put_word(&req, argv[i]);
	for (i = 1; i < 6; i++)
		if (opt[i] != NULL)
			rc |= ctl_put_opt(&req, optname[i], opt[i]);
	if (rc != 0 || req.len >= CTL_REQUEST_MAX) {
		fprintf(stderr, "sluicectl: the request is over %d bytes\n",
		    CTL_REQUEST_MAX - 1);
		free(path);
		buf_free(&req);
		return EXIT_USAGE;
	}
	(void)buf_appendc(&req, '\n');
	buf_init(&ans, ANSWER_MAX);
	if ((rc = ask(path, &req, &ans, strcmp(cmds[k].name, "reload") == 0 ?
	    RELOAD_TIMEOUT : ANSWER_TIMEOUT)) == 0)
		rc = ctl_show(cmds[k].name, ans.data, ans.len, json);
	free(path);
	buf_free(&req);
	buf_free(&ans);
	return rc;
}
