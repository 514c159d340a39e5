/*
 * spool.c - work directories and message files
 *
 * SECURITY: the spool directory belongs to sluice; a work directory is
 * created with mkdirat() (which never follows a final symlink) and mode
 * 0700, and opened with O_NOFOLLOW|O_DIRECTORY before use.  Removal walks
 * the tree with openat/unlinkat and never follows a symlink, so a filter
 * that plants "tmp/x -> /etc" cannot make sluice delete outside it.
 * ERRORS: returned (-1 with errno, or with a why text); nothing is fatal.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/spool.h"
#include "lib/xmalloc.h"

/*
 * spool_new_id - seconds, pid and a per-process counter in fields of
 * their own, so two ids of one process differ unless 16 million are
 * made in one second, and ids of two processes differ by pid
 */
void
spool_new_id(char *buf, size_t len)
{
	static atomic_uint	counter;
	struct timespec		ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, len, "%09llX%05X%06X",
	    (unsigned long long)ts.tv_sec & 0xFFFFFFFFFULL,
	    (unsigned)getpid() & 0xFFFFF,
	    atomic_fetch_add(&counter, 1) & 0xFFFFFF);
}

/* spool_workdir_create - a private directory for one message */
int
spool_workdir_create(const char *spool_dir, const char *id, char **path,
    char *why, size_t whylen)
{
	int	dfd;

	if (strchr(id, '/') != NULL || id[0] == '.' || id[0] == '\0') {
		snprintf(why, whylen, "bad message id \"%s\"", id);
		return -1;
	}
	if ((dfd = open(spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "spool %s: %s", spool_dir,
		    strerror(errno));
		return -1;
	}
	if (mkdirat(dfd, id, 0700) != 0) {
		int saved = errno;

		snprintf(why, whylen, "spool %s/%s: %s", spool_dir, id,
		    strerror(saved));
		close(dfd);
		errno = saved;	/* EEXIST tells the caller to pick another */
		return -1;
	}
	close(dfd);
	xasprintf(path, "%s/%s", spool_dir, id);
	return 0;
}

static int	remove_dir(int, const char *, int);

/* remove_entry - remove name in dfd; type is its DT_ value, or
 * DT_UNKNOWN; directories are removed with everything in them */
static int
remove_entry(int dfd, const char *name, unsigned char type, int depth)
{
	if (type == DT_DIR)
		return remove_dir(dfd, name, depth);
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	/* EISDIR on Linux, EPERM in POSIX: a directory after all */
	if (errno != EISDIR && errno != EPERM)
		return -1;
	return remove_dir(dfd, name, depth);
}

/* remove_dir - empty the directory name in dfd, then remove it */
static int
remove_dir(int dfd, const char *name, int depth)
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
	if (unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* spool_remove - remove a work directory tree */
int
spool_remove(const char *path)
{
	char	*dir, *slash;
	int	 dfd, rc;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		return remove_dir(AT_FDCWD, path, 0);
	}
	*slash = '\0';
	if ((dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		free(dir);
		return -1;
	}
	rc = remove_dir(dfd, slash + 1, 0);
	close(dfd);
	free(dir);
	return rc;
}

/* is_workdir_name - what spool_new_id makes: 20 upper-case hex digits */
static int
is_workdir_name(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return i == 20;
}

/* spool_mkdirs - make dir and its missing parents with mode */
int
spool_mkdirs(const char *dir, mode_t mode)
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

/* spool_parent - make the missing parents of path with mode 0755 */
int
spool_parent(const char *path)
{
	char	*d = xstrdup(path), *slash = strrchr(d, '/');
	int	 rc = 0;

	if (slash != NULL && slash != d) {
		*slash = '\0';
		rc = spool_mkdirs(d, 0755);
	}
	free(d);
	return rc;
}

/* spool_prepare - dir exists, is a directory (not a symlink to one),
 * belongs to uid:gid and has mode 0700 */
int
spool_prepare(const char *dir, uid_t uid, gid_t gid, char *why,
    size_t whylen)
{
	struct stat	st;
	int		fd;

	if (spool_parent(dir) != 0 ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		snprintf(why, whylen, "spool %s: %s", dir, strerror(errno));
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "spool %s: %s", dir, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 ||
	    ((st.st_uid != uid || st.st_gid != gid) &&
	    fchown(fd, uid, gid) != 0) ||
	    ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0)) {
		snprintf(why, whylen, "spool %s: cannot give it to uid %u "
		    "with mode 0700: %s", dir, (unsigned)uid, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* spool_clean - remove the work directories left in dir; how many */
int
spool_clean(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, n = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_workdir_name(de->d_name))
			continue;
		if (remove_dir(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* spool_writer_open - create a new file for a message */
int
spool_writer_open(struct spool_writer *w, const char *path, size_t max,
    char *why, size_t whylen)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (w->fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* write_fd - write everything to the file or fail */
static int
write_fd(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* flush - the buffer to the file */
static int
flush(struct spool_writer *w)
{
	int	rc = write_fd(w->fd, w->buf, w->blen);

	w->blen = 0;
	return rc;
}

/* write_all - take everything (buffered) or fail; EFBIG past max */
static int
write_all(struct spool_writer *w, const char *p, size_t len)
{
	if (w->max != 0 && w->written + len > w->max) {
		errno = EFBIG;
		return -1;
	}
	w->written += len;
	if (w->blen + len > sizeof(w->buf) && flush(w) != 0)
		return -1;
	if (len >= sizeof(w->buf))
		return write_fd(w->fd, p, len);
	memcpy(w->buf + w->blen, p, len);
	w->blen += len;
	return 0;
}

/* spool_writer_write - write a chunk, CRLF becoming LF */
int
spool_writer_write(struct spool_writer *w, const char *buf, size_t len)
{
	size_t	i, start = 0;

	if (w->cr) {
		/* a CR at the end of the last chunk: keep it unless LF */
		w->cr = 0;
		if (len == 0 || buf[0] != '\n')
			if (write_all(w, "\r", 1) != 0)
				return -1;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] != '\r')
			continue;
		if (i + 1 == len) {
			if (write_all(w, buf + start, i - start) != 0)
				return -1;
			w->cr = 1;
			return 0;
		}
		if (buf[i + 1] == '\n') {
			if (write_all(w, buf + start, i - start) != 0)
				return -1;
			start = i + 1;
		}
	}
	return write_all(w, buf + start, len - start);
}

/* spool_writer_close - finish the file */
int
spool_writer_close(struct spool_writer *w, int do_fsync)
{
	int	rc = 0, saved;

	if (w->fd < 0)
		return 0;
	if (w->cr) {
		w->cr = 0;
		rc = write_all(w, "\r", 1);
	}
	if (rc == 0 && w->blen > 0)
		rc = flush(w);
	w->blen = 0;
	if (rc == 0 && do_fsync && fsync(w->fd) != 0)
		rc = -1;
	saved = errno;
	if (close(w->fd) != 0 && rc == 0)
		rc = -1;
	else
		errno = saved;
	w->fd = -1;
	return rc;
}

/* spool_open_regular - O_RDONLY, no final symlink, no FIFO, no device */
int
spool_open_regular(const char *path)
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

/* spool_read_file - a whole (small) regular file into memory */
int
spool_read_file(const char *path, size_t max, int follow, char **bufp,
    size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	/* O_NONBLOCK: a FIFO planted by a filter must not hang us in open */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    (follow ? 0 : O_NOFOLLOW))) < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
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
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
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
