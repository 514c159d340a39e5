/*
 * file.h - files and directories
 */
#ifndef SLUICE_FILE_H
#define SLUICE_FILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>

/* file_mkdirs - make dir and its missing parents with mode; 0 or -1
 * with errno */
int	file_mkdirs(const char *dir, mode_t mode);
/* file_make_parent - make the missing parents of path (0755); 0 or -1 */
int	file_make_parent(const char *path);
/* file_open_regular - open a regular file for reading without
 * following a final symlink or blocking on a FIFO; -1 with errno */
int	file_open_regular(const char *path);
/* file_read - read a whole regular file of at most max bytes: 0, or -1
 * with errno (EFBIG when larger, ENOENT when absent, EINVAL when not a
 * regular file).  follow = 0 refuses a symlink as the last component:
 * for files a filter could have planted. */
int	file_read(const char *path, size_t max, int follow, char **buf,
	    size_t *len);
/* file_read_fd - the same from an open descriptor (left open) */
int	file_read_fd(int fd, size_t max, char **buf, size_t *len);
/*
 * file_stream - read fd to its end in chunks of at most FILE_CHUNK
 * bytes, each handed to sink(arg, p, len), which returns 0, or -1 with
 * errno to stop.  More than max bytes in all is EFBIG, found before
 * reading when the file is that big already, and otherwise before the
 * chunk that goes past it reaches the sink.  0, or -1 with errno (of
 * the read, EFBIG, or the sink's).
 */
#define FILE_CHUNK	65536
int	file_stream(int fd, size_t max,
	    int (*sink)(void *arg, const char *p, size_t len), void *arg);
/*
 * file_remove_at - remove name in dfd (AT_FDCWD or a directory), and
 * when it is a directory everything in it first; file_empty_at leaves
 * the directory itself.  Never follows a symlink; a directory its owner
 * made unreadable is opened up first.  0, or -1 with errno (what could
 * be removed is gone).
 */
int	file_remove_at(int dfd, const char *name);
int	file_empty_at(int dfd, const char *name);
/* file_sync - fsync a file, or a directory when dir is set; 0 or -1 */
int	file_sync(const char *path, int dir);
/*
 * file_open_to_others - NULL when only the owner (and root) can change
 * what st describes, else how others can (into buf): written by
 * everyone, or by a group other than root's
 */
const char *file_open_to_others(const struct stat *st, char *buf,
	    size_t len);

#endif
