/*
 * privsep.c - the steps each sluiced child takes to become itself
 *
 * SECURITY: after privsep_drop() a process runs as the configured user
 * with that user's group only and cannot get root back (setresuid on
 * all three ids, checked afterwards).  A sluiced started by a user other
 * than root cannot change user and runs everything as that user (the
 * master says so in its log).
 * Every child is tied to the master twice over, so that it never
 * outlives it (and keeps the listening sockets from a new sluiced):
 * the parent-death signal, and a pipe whose write end only the master
 * holds, which each child watches for its end of file.
 * ERRORS: privsep_drop returns -1 with why; the caller exits.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/privsep.h"
#include "lib/log.h"
#include "lib/why.h"

/* privsep_drop - become uid:gid for good */
int
privsep_drop(const char *user, uid_t uid, gid_t gid, char *why,
    size_t whylen)
{
	uid_t	r, e, s;

	if (geteuid() != 0)
		return 0;
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0) {
		why_set(why, whylen, "cannot become user %s (uid %u): %s",
		    user, (unsigned)uid, strerror(errno));
		return -1;
	}
	if (uid != 0 && (getresuid(&r, &e, &s) != 0 || r != uid || e != uid ||
	    s != uid || setuid(0) == 0)) {
		why_set(why, whylen, "still privileged after becoming %s",
		    user);
		return -1;
	}
	return 0;
}

/* privsep_child - what every child of the master does first: a name
 * that ps(1) and pgrep(1) show, and its own process group (a Ctrl-C
 * reaches the master only, which then stops the children in order) */
void
privsep_child(const char *name)
{
	(void)prctl(PR_SET_NAME, name);
	(void)setpgid(0, 0);
}

/*
 * privsep_tie - no_new_privs and umask 077; SIGTERM when the master dies.  Linux clears the
 * parent-death signal when a process changes its uid or gid, so this
 * comes after privsep_drop(); and the master may have died before it
 * took effect, which getppid() then shows (the child was reparented).
 */
void
privsep_tie(pid_t master, const char *role)
{
	/* and, now that it is itself: no privilege to gain by exec, and
	 * nothing it creates open to others unless it says so */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		fatal("%s: PR_SET_NO_NEW_PRIVS", role);
	(void)umask(077);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		log_warn("%s: PR_SET_PDEATHSIG", role);
	if (getppid() != master) {
		log_warnx("%s: the master (pid %ld) is gone; stopping", role,
		    (long)master);
		_exit(1);
	}
}

