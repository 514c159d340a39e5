/*
 * caps.h - keeping a few capabilities across the change of user
 */
#ifndef SLUICE_CAPS_H
#define SLUICE_CAPS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * caps_become - as root: become uid:gid (no other groups) keeping only
 * the capabilities the launcher needs to start filters as their own
 * users (CAP_SETUID, CAP_SETGID, CAP_CHOWN, CAP_KILL, CAP_SETPCAP), in
 * the permitted, effective and bounding sets.  0, or -1 with why.
 */
int	caps_become(const char *user, uid_t uid, gid_t gid, char *why,
	    size_t whylen);
/* caps_describe - "cap_chown,cap_kill=ep" for the log; into buf */
void	caps_describe(char *buf, size_t len);

#endif
