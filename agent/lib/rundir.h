/*
 * rundir.h - handing a run's private directory to the filter's user and
 * taking back what it wrote
 */
#ifndef SLUICE_RUNDIR_H
#define SLUICE_RUNDIR_H

#include <stddef.h>
#include <sys/types.h>

#define RUNDIR_INPUTS_MAX	8
#define RUNDIR_OUTPUTS_MAX	4

struct rundir {
	int	fd;			/* the directory; -1 = none */
	uid_t	uid;			/* the run's user, or our own */
	gid_t	gid;
	int	given;			/* handed to another user */
	int	cleared;		/* rundir_take found and removed
					   all the run made: only ours is
					   left, as we made it */
	int	in_fd[RUNDIR_INPUTS_MAX];	/* our files in it, lent */
	size_t	nin;
};

/*
 * rundir_give - open path (a directory of ours, made by the caller) and,
 * when uid:gid is not us, lend it to the run: the directory and its
 * subdirectories become group gid, writable by the group and sticky (the
 * run may add files, not remove ours), its files group gid, read-only.
 * Needs CAP_SETGID for another gid (as the file system's group only, for
 * the chown of our own files; no CAP_CHOWN).  0, or -1 with errno.
 */
int	rundir_give(struct rundir *, const char *path, uid_t uid, gid_t gid);
/*
 * rundir_take - after the run, as the run's user (setfsuid; its files
 * may be mode 0600): open each of names that is a regular file and not a
 * symlink (fd[i], or -1 with err[i]: ENOENT absent, EINVAL not a regular
 * file), then remove everything the run made in the directory.  Gives
 * our files back their group and mode 0600 and closes the directory.
 * Returns -1 when something could not be removed (the caller removes
 * the directory and reports what is left).  Sets cleared only for a
 * directory lent to another user: a run of our own user could have
 * replaced our files with its own, which nothing tells apart.
 */
int	rundir_take(struct rundir *, const char *const *names, int *fd,
	    int *err);

#endif
