/*
 * rundir.c - a run's private directory: lent to the filter's user for
 * the run, and taken back
 *
 * The caller (the engine, through the launcher) makes the directory and
 * puts into it what the run reads: the message (a hard link to the
 * spool's file), the recipient list, an empty tmp/.  Before the run,
 * rundir_give() lends it: group of the filter's group, mode 01770 for
 * directories (the run may add files but not remove or replace ours,
 * which stay our user's) and 0640 for files (read-only for the run).
 * After the run (every process of it dead), rundir_take() works as the
 * run's user, through setfsuid/setfsgid: it opens the files the run was
 * to write (%n, %o) without following a symlink, hands them back as
 * descriptors, and removes everything else the run made.  Our files go
 * back to mode 0600 in our own group.
 *
 * Why not CAP_CHOWN: a process that may chown any file to itself may
 * take /etc/passwd.  Lending by group needs only the file system's group
 * id (an owner may give a file to a group it belongs to) and reading the
 * run's files only the file system's user id, both per thread and both
 * from CAP_SETUID/CAP_SETGID, which the launcher has anyway.
 *
 * SECURITY: everything in the directory after the run is the run's
 * doing: opened with O_NOFOLLOW | O_NONBLOCK, relative to the directory's
 * descriptor; never read here.  Must run in a single-threaded process
 * (the launcher's keepers) when it lends to another user: setfsuid is
 * per thread.
 * ERRORS: -1 with errno; nothing is logged here.
 */
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/rundir.h"

/*
 * fs_ids - act on files as uid:gid; 0 or -1 (EPERM).  Linux clears the
 * parent-death signal at any change of the file system ids, so it is
 * set again when they are ours again: a keeper must still end with the
 * launcher.
 */
static int
fs_ids(uid_t uid, gid_t gid)
{
	static int	pdeath;
	int		back = uid == geteuid() && gid == getegid(), rc = 0;

	if (!back && prctl(PR_GET_PDEATHSIG, &pdeath) != 0)
		pdeath = 0;
	(void)setfsgid(gid);
	(void)setfsuid(uid);
	if ((gid_t)setfsgid((gid_t)-1) != gid ||
	    (uid_t)setfsuid((uid_t)-1) != uid) {
		(void)setfsgid(getegid());
		(void)setfsuid(geteuid());
		back = 1;
		rc = -1;
	}
	if (back && pdeath != 0)
		(void)prctl(PR_SET_PDEATHSIG, pdeath);
	if (rc != 0)
		errno = EPERM;
	return rc;
}

/* lend - one of our entries (a file or directory fd) to group gid */
static int
lend(int fd, gid_t gid)
{
	struct stat	st;

	if (fstat(fd, &st) != 0)
		return -1;
	if (st.st_uid != geteuid()) {
		errno = EPERM;
		return -1;
	}
	if (fchown(fd, (uid_t)-1, gid) != 0)
		return -1;
	return fchmod(fd, S_ISDIR(st.st_mode) ? 01770 : 0640);
}

/* unlend - give an entry back its group and private mode */
static void
unlend(int fd)
{
	struct stat	st;

	if (fstat(fd, &st) != 0)
		return;
	/* our own group: cannot fail for our own file; and the mode
	 * alone keeps the run out */
	if (fchown(fd, (uid_t)-1, getegid()) != 0)
		(void)0;
	(void)fchmod(fd, S_ISDIR(st.st_mode) ? 0700 : 0600);
}

/* rundir_give - see rundir.h */
int
rundir_give(struct rundir *r, const char *path, uid_t uid, gid_t gid)
{
	DIR		*d = NULL;
	struct dirent	*de;
	int		 fd, save, rc = 0;

	memset(r, 0, sizeof(*r));
	r->uid = uid;
	r->gid = gid;
	r->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->fd < 0)
		return -1;
	if (uid == geteuid() && gid == getegid())
		return 0;
	if (fs_ids(geteuid(), gid) != 0)
		goto fail;
	r->given = 1;
	if (lend(r->fd, gid) != 0)
		rc = -1;
	if (rc == 0 && ((fd = dup(r->fd)) < 0 || (d = fdopendir(fd)) == NULL)) {
		if (fd >= 0)
			close(fd);
		rc = -1;
	}
	if (d != NULL)
		rewinddir(d);	/* the offset is shared with r->fd */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (r->nin == RUNDIR_INPUTS_MAX) {
			errno = E2BIG;
			rc = -1;
			break;
		}
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			rc = -1;
			break;
		}
		r->in_fd[r->nin++] = fd;
		if (lend(fd, gid) != 0)
			rc = -1;
	}
	if (d != NULL)
		closedir(d);
	save = errno;
	(void)fs_ids(geteuid(), getegid());
	errno = save;
	if (rc == 0)
		return 0;
fail:
	save = errno;
	(void)rundir_take(r, NULL, NULL, NULL);
	errno = save;
	return -1;
}

/* take_one - open a file the run was to write */
static void
take_one(int dfd, const char *name, int *fd, int *err)
{
	struct stat	st;

	*err = 0;
	*fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (*fd < 0) {
		*err = errno == ELOOP ? EINVAL : errno;
		return;
	}
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*err = EINVAL;
		close(*fd);
		*fd = -1;
	}
}

/* clear_run - as the run's user: remove what it made; ours stay (tmp/
 * is emptied) */
static int
clear_run(int dfd)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int		 fd, rc = 0;

	if ((fd = dup(dfd)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);	/* the offset is shared with dfd */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (st.st_uid == geteuid()) {
			if (S_ISDIR(st.st_mode) &&
			    file_empty_at(dfd, de->d_name) != 0)
				rc = -1;
			continue;
		}
		if (file_remove_at(dfd, de->d_name) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* rundir_take - see rundir.h */
int
rundir_take(struct rundir *r, const char *const *names, int *fd, int *err)
{
	size_t	i;
	int	rc = 0;

	if (r->fd < 0)
		return 0;
	if (r->given && fs_ids(r->uid, r->gid) != 0)
		rc = -1;
	for (i = 0; names != NULL && names[i] != NULL; i++)
		if (rc == 0)
			take_one(r->fd, names[i], &fd[i], &err[i]);
		else {
			fd[i] = -1;
			err[i] = EPERM;
		}
	if (r->given && rc == 0 && clear_run(r->fd) != 0)
		rc = -1;
	r->cleared = r->given && rc == 0;
	if (r->given)
		(void)fs_ids(geteuid(), getegid());
	for (i = 0; i < r->nin; i++) {
		unlend(r->in_fd[i]);
		close(r->in_fd[i]);
	}
	if (r->given)
		unlend(r->fd);
	close(r->fd);
	r->fd = -1;
	r->nin = 0;
	return rc;
}
