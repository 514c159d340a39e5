/*
 * listen.c - listening sockets from "unix:/path" or "inet:host:port",
 * and address lists ("192.0.2.0/24", "::1")
 *
 * SECURITY: the specs and lists come from the administrator's config;
 * the address listen_net_match() is asked about is the peer of a
 * connection.  Host names are never looked up (no DNS on a mail
 * filter's start path): addresses are numeric, or "localhost" / "*".  A
 * unix socket file is replaced only when what is there is a socket, so
 * a typo cannot delete a file; it gets its group and mode before
 * listen(), so no client connects while it still has the mode bind()
 * gave it.
 * ERRORS: every function returns -1 with why; nothing is logged here.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/listen.h"
#include "lib/why.h"
#include "lib/xmalloc.h"

/* parse_port - 1 .. 65535 */
static int
parse_port(const char *s, size_t len, in_port_t *port)
{
	unsigned long	v = 0;
	size_t		i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

/* parse_inet - host and port into l->ss for the family */
static int
parse_inet(int family, const char *host, size_t hlen, const char *port,
    size_t plen, struct listener *l, char *why, size_t whylen)
{
	char			 h[INET6_ADDRSTRLEN + 1];
	struct sockaddr_in	*sin = (struct sockaddr_in *)&l->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&l->ss;
	in_port_t		 p;

	if (parse_port(port, plen, &p) != 0) {
		why_set(why, whylen, "%s: bad port \"%.*s\"", l->spec,
		    (int)plen, port);
		return -1;
	}
	if (family == AF_INET6 && hlen >= 2 && host[0] == '[' &&
	    host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(h)) {
		why_set(why, whylen, "%s: bad address", l->spec);
		return -1;
	}
	memcpy(h, host, hlen);
	h[hlen] = '\0';
	if (strcmp(h, "localhost") == 0)
		strcpy(h, family == AF_INET ? "127.0.0.1" : "::1");
	else if (strcmp(h, "*") == 0)
		strcpy(h, family == AF_INET ? "0.0.0.0" : "::");
	memset(&l->ss, 0, sizeof(l->ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = p;
		if (inet_pton(AF_INET, h, &sin->sin_addr) != 1)
			goto bad;
		l->sslen = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = p;
		if (inet_pton(AF_INET6, h, &sin6->sin6_addr) != 1)
			goto bad;
		l->sslen = sizeof(*sin6);
	}
	l->family = family;
	return 0;
bad:
	why_set(why, whylen, "%s: \"%s\" is not a numeric %s address "
	    "(host names are not looked up)", l->spec, h,
	    family == AF_INET ? "IPv4" : "IPv6");
	return -1;
}

/* listen_parse - fill l from spec without opening anything */
int
listen_parse(const char *spec, const char *run_dir, struct listener *l,
    char *why, size_t whylen)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)&l->ss;
	const char		*rest, *at, *colon;
	char			*path;
	int			 family;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->spec = xstrdup(spec);
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		rest = strchr(spec, ':') + 1;
		if (*rest == '\0') {
			why_set(why, whylen, "%s: no path", spec);
			goto fail;
		}
		if (*rest == '/')
			path = xstrdup(rest);
		else
			xasprintf(&path, "%s/%s", run_dir, rest);
		if (strlen(path) >= sizeof(sun->sun_path)) {
			why_set(why, whylen, "%s: path longer than %zu bytes",
			    spec, sizeof(sun->sun_path) - 1);
			free(path);
			goto fail;
		}
		memset(&l->ss, 0, sizeof(l->ss));
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, path, strlen(path) + 1);
		l->sslen = sizeof(*sun);
		l->family = AF_UNIX;
		l->path = path;
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		family = AF_INET;
		rest = spec + 5;
	} else if (strncmp(spec, "inet6:", 6) == 0) {
		family = AF_INET6;
		rest = spec + 6;
	} else {
		why_set(why, whylen, "%s: expected unix:PATH, inet:HOST:PORT "
		    "or inet:PORT@HOST", spec);
		goto fail;
	}
	if ((at = strchr(rest, '@')) != NULL) {
		if (parse_inet(family, at + 1, strlen(at + 1), rest,
		    (size_t)(at - rest), l, why, whylen) != 0)
			goto fail;
		return 0;
	}
	if ((colon = strrchr(rest, ':')) == NULL) {
		why_set(why, whylen, "%s: no port", spec);
		goto fail;
	}
	if (parse_inet(family, rest, (size_t)(colon - rest), colon + 1,
	    strlen(colon + 1), l, why, whylen) != 0)
		goto fail;
	return 0;
fail:
	free(l->spec);
	l->spec = NULL;
	return -1;
}

/* listen_tune - TCP_NODELAY: replies must not wait for delayed ACKs */
int
listen_tune(int fd, int family)
{
	int	on = 1;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* listen_open - parse, then socket, bind and listen */
int
listen_open(const char *spec, const char *run_dir, int backlog,
    mode_t mode, gid_t gid, struct listener *l, char *why, size_t whylen)
{
	struct stat	st;
	int		on = 1;

	if (listen_parse(spec, run_dir, l, why, whylen) != 0)
		return -1;
	l->fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		why_set(why, whylen, "%s: socket: %s", spec, strerror(errno));
		goto fail;
	}
	if (l->family == AF_UNIX) {
		/* its directory may be new (inside a Postfix chroot) */
		if (file_make_parent(l->path) != 0) {
			why_set(why, whylen, "%s: cannot make its directory: "
			    "%s", spec, strerror(errno));
			goto fail;
		}
		if (lstat(l->path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				why_set(why, whylen, "%s: %s exists and is "
				    "not a socket", spec, l->path);
				goto fail;
			}
			if (unlink(l->path) != 0) {
				why_set(why, whylen, "%s: cannot remove the "
				    "old socket: %s", spec, strerror(errno));
				goto fail;
			}
		}
	} else {
		(void)setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		if (l->family == AF_INET6)
			(void)setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		/* inherited by accepted connections on Linux; set again
		 * on each one all the same */
		(void)listen_tune(l->fd, l->family);
	}
	if (bind(l->fd, (struct sockaddr *)&l->ss, l->sslen) != 0) {
		why_set(why, whylen, "%s: bind: %s", spec, strerror(errno));
		goto fail;
	}
	/* lchown: the file is the socket bind() just made, in a directory
	 * only root writes; never follow a link planted there */
	if (l->family == AF_UNIX && gid != (gid_t)-1 &&
	    lchown(l->path, (uid_t)-1, gid) != 0) {
		why_set(why, whylen, "%s: cannot give the socket to group %lu: "
		    "%s", spec, (unsigned long)gid, strerror(errno));
		(void)unlink(l->path);
		goto fail;
	}
	if (l->family == AF_UNIX && chmod(l->path, mode & 0777) != 0) {
		why_set(why, whylen, "%s: chmod: %s", spec, strerror(errno));
		(void)unlink(l->path);
		goto fail;
	}
	if (listen(l->fd, backlog) != 0) {
		why_set(why, whylen, "%s: listen: %s", spec, strerror(errno));
		if (l->family == AF_UNIX)
			(void)unlink(l->path);
		goto fail;
	}
	return 0;
fail:
	listen_close(l, 0);
	return -1;
}

/* listen_close - close, remove the socket file when asked, free */
void
listen_close(struct listener *l, int remove_file)
{
	struct stat	st;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (remove_file && l->path != NULL && lstat(l->path, &st) == 0 &&
	    S_ISSOCK(st.st_mode))
		(void)unlink(l->path);
	free(l->spec);
	free(l->path);
	l->spec = NULL;
	l->path = NULL;
}

/* net_addr - a numeric IPv4 or IPv6 address in s[0..len); 0 or -1 */
static int
net_addr(const char *s, size_t len, int *family, unsigned char *addr)
{
	char	buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* net_inside - the first bits of a and net are the same */
static int
net_inside(const unsigned char *a, const unsigned char *net, int bits)
{
	int	full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)full) != 0)
		return 0;
	return rest == 0 ||
	    ((a[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* listen_net_parse - "addr", "addr/bits", "[v6addr]/bits" */
int
listen_net_parse(const char *s, struct listen_net *n, char *why,
    size_t whylen)
{
	const char	*slash = strchr(s, '/'), *a = s;
	size_t		 alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned char	 net[16];
	char		 shown[INET6_ADDRSTRLEN];
	int		 max, k, full, rest;

	memset(n, 0, sizeof(*n));
	if (alen >= 2 && a[0] == '[' && a[alen - 1] == ']') {
		a++;
		alen -= 2;
		if (memchr(a, ':', alen) == NULL)
			alen = 0;	/* brackets are for IPv6 only */
	}
	if (net_addr(a, alen, &n->family, n->addr) != 0)
		return why_set(why, whylen, "not an IPv4 or IPv6 address or "
		    "network (host names are not looked up)");
	max = n->family == AF_INET ? 32 : 128;
	n->bits = max;
	if (slash != NULL) {
		n->bits = 0;
		for (k = 1; slash[k] >= '0' && slash[k] <= '9' && k <= 3; k++)
			n->bits = n->bits * 10 + (slash[k] - '0');
		if (k == 1 || slash[k] != '\0' || n->bits > max)
			return why_set(why, whylen, "the prefix length must be "
			    "0 to %d", max);
	}
	memcpy(net, n->addr, sizeof(net));
	full = n->bits / 8;
	rest = n->bits % 8;
	if (full < 16) {
		net[full] &= (unsigned char)(0xff << (8 - rest));
		memset(net + full + 1, 0, (size_t)(15 - full));
	}
	if (memcmp(net, n->addr, sizeof(net)) != 0) {
		(void)inet_ntop(n->family, net, shown, sizeof(shown));
		return why_set(why, whylen, "host bits are set (the network "
		    "is %s/%d)", shown, n->bits);
	}
	return 0;
}

/* listen_net_match - is the numeric address addr in one of the nets */
int
listen_net_match(const struct listen_net *nets, size_t n, const char *addr)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	unsigned char	a[16];
	size_t		i;
	int		family, v4mapped;

	if (net_addr(addr, strlen(addr), &family, a) != 0)
		return 0;
	v4mapped = family == AF_INET6 && memcmp(a, mapped, 12) == 0;
	for (i = 0; i < n; i++) {
		if (nets[i].family == family &&
		    net_inside(a, nets[i].addr, nets[i].bits))
			return 1;
		if (v4mapped && nets[i].family == AF_INET &&
		    net_inside(a + 12, nets[i].addr, nets[i].bits))
			return 1;
	}
	return 0;
}
