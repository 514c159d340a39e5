/*
 * launcher.h - the process that starts filter programs, and its client
 *
 * The master forks the launcher early, while it is small and has no
 * threads.  The agent never forks: it makes a socketpair, a channel, and
 * passes one end to the launcher over the control socket
 * (SOCK_SEQPACKET, one descriptor per message), which hands it to an
 * idle keeper (forking one when none is idle).  The agent writes each
 * request on its own end and reads the result there; the keeper runs
 * spawn_run() (timeouts, process-group kills, output capture) and writes
 * the result back, with the run's output files as descriptors.  Idle
 * channels are kept for the next runs of their sandbox profile.
 */
#ifndef SLUICE_LAUNCHER_H
#define SLUICE_LAUNCHER_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/spawn.h"

/* largest encoded request: argv may hold one word per recipient */
#define LAUNCHER_REQ_MAX	(16 * 1024 * 1024)

/* a user and group that filters may run as */
struct launcher_user {
	uid_t	uid;
	gid_t	gid;
};

/*
 * launcher_main - serve requests arriving on ctlfd until the master's
 * lifeline lifefd (-1: none) ends; never returns.  Filters get to read
 * nothing of spool (the spool directory); a request for a user:group
 * other than ours and those of users[0..nusers) is refused.
 */
void	launcher_main(int ctlfd, int lifefd, const char *spool,
	    const struct launcher_user *users, size_t nusers)
	    __attribute__((noreturn));

/* launcher_client_init - the agent's end of the control socket */
void	launcher_client_init(int ctlfd);
/*
 * launcher_spawn - run req through the launcher.  0 when res describes
 * the run; -1 with why when the launcher could not be asked or did not
 * answer (our failure, not the filter's).
 */
int	launcher_spawn(const struct spawn_req *req, struct spawn_res *res,
	    char *why, size_t whylen);

/* the wire format, pure functions (tests, fuzzing) */
void	launcher_req_encode(const struct spawn_req *, struct buf *);
/* launcher_req_decode - 0, or -1 with why; *strs owns every string */
int	launcher_req_decode(const char *, size_t, struct spawn_req *,
	    char **strs, char *why, size_t whylen);
void	launcher_req_free(struct spawn_req *, char **strs);
void	launcher_res_encode(const struct spawn_res *, struct buf *);
/* launcher_res_decode - with the nfds descriptors that came with it,
 * which res then owns (output_fd); -1 with why, fds untouched */
int	launcher_res_decode(const char *, size_t, const int *fds,
	    size_t nfds, struct spawn_res *, char *why, size_t whylen);

#endif/*
 * launcher_host_start - start req, which has_stdin (the socket the run
 * serves on), as a long run on a channel of its own: no timeout of its
 * own, it lasts until launcher_host_end().  *chan gets the channel.  0,
 * or -1 with why.
 */
int	launcher_host_start(const struct spawn_req *req, int *chan,
	    char *why, size_t whylen);
/*
 * launcher_host_end - end a run of launcher_host_start (SIGTERM, then
 * SIGKILL after its grace, when it is still running) and take its
 * result; closes chan.  0 when res describes the run, -1 with why.
 */
int	launcher_host_end(int chan, int grace_ms, size_t capture_max,
	    struct spawn_res *res, char *why, size_t whylen);

