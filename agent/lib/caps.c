/*
 * caps.c - the launcher's capabilities, with libcap
 *
 * The one file that includes sys/capability.h.  The launcher starts as
 * root, becomes sluice's user and keeps exactly:
 *
 *   CAP_SETUID, CAP_SETGID   to start a filter as its own user and group,
 *                            and to read what it wrote as that user
 *                            (setfsuid) and lend it the run's files by
 *                            group (setfsgid, rundir.c)
 *   CAP_KILL                 to end a run of another user (timeout, stop,
 *                            what it left running)
 *   CAP_SETPCAP              to empty a run's bounding set
 *
 * in its permitted and effective sets, and nothing else even in its
 * bounding set.  Not CAP_CHOWN nor CAP_DAC_*: with those a process can
 * take any file.
 *
 * SECURITY: called once, in the launcher, before it reads any request.
 * ERRORS: caps_become returns -1 with why; the caller exits.
 */
#include <sys/capability.h>
#include <sys/prctl.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/caps.h"
#include "lib/why.h"

static const cap_value_t	keep[] = {
	CAP_SETUID, CAP_SETGID, CAP_KILL, CAP_SETPCAP
};
#define NKEEP	(sizeof(keep) / sizeof(keep[0]))

/* kept - whether c is one of keep[] */
static int
kept(cap_value_t c)
{
	size_t	i;

	for (i = 0; i < NKEEP; i++)
		if (keep[i] == c)
			return 1;
	return 0;
}

/* caps_become - see caps.h */
int
caps_become(const char *user, uid_t uid, gid_t gid, char *why, size_t whylen)
{
	cap_t		c;
	cap_value_t	v;
	int		rc;

	if (geteuid() != 0) {
		why_set(why, whylen, "not root");
		return -1;
	}
	for (v = 0; v <= CAP_LAST_CAP; v++)
		if (!kept(v) && CAP_IS_SUPPORTED(v) && cap_drop_bound(v) != 0) {
			why_set(why, whylen, "dropping capability %d from the "
			    "bounding set: %s", (int)v, strerror(errno));
			return -1;
		}
	/* no supplementary group: a run inherits none, and needs no
	 * setgroups of its own */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
	    setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
		why_set(why, whylen, "cannot become user %s (uid %u): %s",
		    user, (unsigned)uid, strerror(errno));
		return -1;
	}
	if ((c = cap_init()) == NULL) {
		why_set(why, whylen, "cap_init: %s", strerror(errno));
		return -1;
	}
	rc = cap_set_flag(c, CAP_PERMITTED, (int)NKEEP, keep, CAP_SET) != 0 ||
	    cap_set_flag(c, CAP_EFFECTIVE, (int)NKEEP, keep, CAP_SET) != 0 ||
	    cap_set_proc(c) != 0 ? -1 : 0;
	if (rc != 0)
		why_set(why, whylen, "keeping CAP_SETUID, CAP_SETGID, CAP_KILL "
		    "and CAP_SETPCAP: %s", strerror(errno));
	(void)cap_free(c);
	if (rc == 0 && uid != 0 && getuid() != uid) {
		why_set(why, whylen, "still uid %u after becoming %s",
		    (unsigned)getuid(), user);
		rc = -1;
	}
	return rc;
}

/* caps_describe - the process's capabilities as libcap writes them */
void
caps_describe(char *buf, size_t len)
{
	cap_t	 c;
	char	*t = NULL;

	if ((c = cap_get_proc()) != NULL)
		t = cap_to_text(c, NULL);
	(void)snprintf(buf, len, "%s", t != NULL ? t : "?");
	if (t != NULL)
		(void)cap_free(t);
	if (c != NULL)
		(void)cap_free(c);
}
