/*
 * listen.h - listening sockets from "unix:/path" or "inet:host:port"
 *
 * The master opens every listening socket while it is still root (so a
 * port below 1024 works) and keeps them across agent restarts: a
 * connection that arrives while the agent restarts waits in the backlog
 * instead of being refused.
 */
#ifndef SLUICE_LISTEN_H
#define SLUICE_LISTEN_H

#include <sys/socket.h>
#include <sys/types.h>

/* at most this many sockets per front end */
#define LISTEN_MAX	16

struct listener {
	char			*spec;		/* as configured */
	int			 fd;
	int			 family;	/* AF_UNIX, AF_INET, AF_INET6 */
	char			*path;		/* unix socket file, or NULL */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
};

/*
 * listen_parse - fill l from spec without opening anything.  Forms:
 * unix:PATH (or local:PATH; a relative PATH is taken under run_dir),
 * inet:HOST:PORT, inet:PORT@HOST (Sendmail's form), inet6:[HOST]:PORT,
 * inet6:PORT@HOST.  HOST is a numeric address, "localhost" or "*".
 * 0, or -1 with why.
 */
int	listen_parse(const char *spec, const char *run_dir, struct listener *l,
	    char *why, size_t whylen);
/*
 * listen_open - parse, then socket, bind and listen.  A unix socket's
 * missing parent directories are made (0755); a unix socket file
 * left by an earlier run is replaced (only if it is a socket).  A new
 * unix socket file gets group gid (unless it is (gid_t)-1) and then
 * mode: whoever may write it may connect.  TCP sockets get TCP_NODELAY.
 */
int	listen_open(const char *spec, const char *run_dir, int backlog,
	    mode_t mode, gid_t gid, struct listener *l, char *why,
	    size_t whylen);
/* listen_close - close, remove the socket file when asked, free */
void	listen_close(struct listener *l, int remove_file);
/* listen_tune - TCP_NODELAY on an accepted TCP connection; 0 or -1 */
int	listen_tune(int fd, int family);

#endif
