/*
 * listen.h - listening sockets from "unix:/path" or "inet:host:port",
 * and the address lists that say which clients may do what
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

/* an address or a network of addresses: "192.0.2.0/24", "::1" */
struct listen_net {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* network byte order, host bits 0 */
	int		bits;		/* prefix length */
};

/*
 * listen_net_parse - a numeric IPv4 or IPv6 address, optionally with
 * "/bits" (an IPv6 address may be in brackets, as Postfix writes it:
 * "[::1]/128").  Without "/bits" the net is the one address.  Host bits
 * set under the prefix are an error (a typo for the network, or for the
 * prefix).  Host names are never looked up.  0, or -1 with why.
 */
int	listen_net_parse(const char *s, struct listen_net *n, char *why,
	    size_t whylen);
/*
 * listen_net_match - 1 when addr (a numeric address as text, as
 * inet_ntop writes it) is inside one of the n nets, else 0.  An
 * IPv4-mapped IPv6 address matches the IPv4 nets as well.
 */
int	listen_net_match(const struct listen_net *nets, size_t n,
	    const char *addr);

#endif
