/*
 * privsep.h - dropping privileges in sluiced's children
 */
#ifndef SLUICE_PRIVSEP_H
#define SLUICE_PRIVSEP_H

#include <stddef.h>
#include <sys/types.h>

/* privsep_drop - become uid:gid with no other groups; a no-op when not
 * started as root.  0 or -1 with why. */
int	privsep_drop(const char *user, uid_t uid, gid_t gid, char *why,
	    size_t whylen);
/* privsep_child - process name (at most 15 bytes), own process group */
void	privsep_child(const char *name);
/* privsep_tie - after privsep_drop: no_new_privs, umask 077, SIGTERM
 * when the master dies, and exit at once when it has died already */
void	privsep_tie(pid_t master, const char *role);

#endif
