/*
 * file.c - files and directories: making, opening safely, reading,
 * streaming, syncing
 *
 * SECURITY: file_open_regular() and file_read() never block on a FIFO
 * a filter planted and refuse what is not a regular file;
 * file_read(follow = 0) refuses a final symlink.  Nothing here follows
 * a symlink it was not told to.  file_stream() holds one fixed chunk,
 * whatever the size of the file, and stops at its maximum even when
 * the file grows while it is read.
 * ERRORS: -1 with errno; nothing is logged here.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"
#include "lib/xmalloc.h"

/* file_mkdirs - make dir and its missing parents with mode */
int
file_mkdirs(const char *dir, mode_t mode)
{
	char	*p, *s = xstrdup(dir), c;
	int	 rc = 0;

	for (p = s + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(s, mode) != 0 && errno != EEXIST)
			rc = -1;
		*p = c;
		if (c == '\0')
			break;
	}
	free(s);
	return rc;
}

/* file_make_parent - make the missing parents of path with mode 0755 */
int
file_make_parent(const char *path)
{
	char	*d = xstrdup(path), *slash = strrchr(d, '/');
	int	 rc = 0;

	if (slash != NULL && slash != d) {
		*slash = '\0';
		rc = file_mkdirs(d, 0755);
	}
	free(d);
	return rc;
}

/* file_open_regular - O_RDONLY, no final symlink, no FIFO, no device */
int
file_open_regular(const char *path)
{
	struct stat	st;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* file_read - a whole (small) regular file into memory */
int
file_read(const char *path, size_t max, int follow, char **bufp,
    size_t *lenp)
{
	int	fd, rc, save;

	/* O_NONBLOCK: a FIFO planted by a filter must not hang us in open */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    (follow ? 0 : O_NOFOLLOW))) < 0)
		return -1;
	rc = file_read_fd(fd, max, bufp, lenp);
	save = errno;
	close(fd);
	errno = save;
	return rc;
}

/* file_read_fd - the same from an open descriptor, which stays open */
int
file_read_fd(int fd, size_t max, char **bufp, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;

	if (fstat(fd, &st) != 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 2);
	/* read one byte past st_size: the file may still be growing */
	while (len <= (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		errno = EFBIG;
		return -1;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* file_stream - fd from where it is to its end, FILE_CHUNK at a time */
int
file_stream(int fd, size_t max, int (*sink)(void *, const char *, size_t),
    void *arg)
{
	struct stat	 st;
	char		 chunk[FILE_CHUNK];
	size_t		 total = 0;
	ssize_t		 n;

	/* too big already: say so before reading anything */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (unsigned long long)st.st_size > max) {
		errno = EFBIG;
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if ((size_t)n > max - total) {
			errno = EFBIG;
			return -1;
		}
		total += (size_t)n;
		if (sink(arg, chunk, (size_t)n) != 0)
			return -1;
	}
}

/* file_sync - fsync a file, or a directory (dir set); 0 or -1 */
int
file_sync(const char *path, int dir)
{
	int	fd, rc;

	fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) |
	    O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* file_open_to_others - see file.h */
const char *
file_open_to_others(const struct stat *st, char *buf, size_t len)
{
	if (st->st_mode & S_IWOTH)
		snprintf(buf, len, "is writable by everyone (mode %04o)",
		    (unsigned)(st->st_mode & 07777));
	else if ((st->st_mode & S_IWGRP) && st->st_gid != 0)
		snprintf(buf, len, "is writable by group %u (mode %04o)",
		    (unsigned)st->st_gid, (unsigned)(st->st_mode & 07777));
	else
		return NULL;
	return buf;
}

static int	remove_dir(int, const char *, int, int);

/* remove_entry - remove name in dfd; type is its DT_ value, or
 * DT_UNKNOWN; directories are removed with everything in them */
static int
remove_entry(int dfd, const char *name, unsigned char type, int depth)
{
	if (type == DT_DIR)
		return remove_dir(dfd, name, depth, 0);
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	/* EISDIR on Linux, EPERM in POSIX: a directory after all */
	if (errno != EISDIR && errno != EPERM)
		return -1;
	return remove_dir(dfd, name, depth, 0);
}

/*
 * remove_dir - empty the directory name in dfd, then remove it (unless
 * keep).  Every step is relative to a descriptor opened without
 * following symlinks, so nothing renamed or planted meanwhile can take
 * it outside the tree.
 */
static int
remove_dir(int dfd, const char *name, int depth, int keep)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, rc = 0, opened = 0;

	if (depth > 64) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700,
	    AT_SYMLINK_NOFOLLOW) == 0)
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		/* not a directory (or a symlink to one): just unlink it */
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(dfd, name, 0) == 0 || errno == ENOENT ?
			    0 : -1;
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_entry(dirfd(d), de->d_name, de->d_type,
		    depth + 1) == 0)
			continue;
		/* a filter may have left the directory read-only: once */
		if (errno == EACCES && !opened && fchmod(dirfd(d), 0700) == 0) {
			opened = 1;
			if (remove_entry(dirfd(d), de->d_name, de->d_type,
			    depth + 1) == 0)
				continue;
		}
		rc = -1;
	}
	closedir(d);
	if (!keep && unlinkat(dfd, name, AT_REMOVEDIR) != 0 &&
	    errno != ENOENT)
		rc = -1;
	return rc;
}

/* file_remove_at - remove name in dfd, a directory with all it holds */
int
file_remove_at(int dfd, const char *name)
{
	return remove_dir(dfd, name, 0, 0);
}

/* file_empty_at - remove everything in the directory name in dfd */
int
file_empty_at(int dfd, const char *name)
{
	return remove_dir(dfd, name, 0, 1);
}
