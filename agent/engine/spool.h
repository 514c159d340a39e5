/*
 * spool.h - work directories and message files
 *
 * Each message gets <spool_dir>/<id>/, mode 0700, created without
 * following symlinks.  The message is stored there as "message" with LF
 * line endings.  Filters get their result file, replacement path and
 * private temporary directory inside it, so removing the directory
 * removes every trace of the message.
 */
#ifndef SLUICE_SPOOL_H
#define SLUICE_SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#define SPOOL_WBUF	16384

/* the CRLF -> LF converter, usable chunk by chunk; buffered, so many
 * small pieces (header fields, body lines) cost few system calls */
struct spool_writer {
	int	fd;
	int	cr;		/* the previous chunk ended in CR */
	size_t	written;	/* bytes taken, buffered or written */
	size_t	max;		/* refuse to take more (0 = no limit) */
	size_t	blen;		/* bytes in buf */
	char	buf[SPOOL_WBUF];
};

/* spool_new_id - a fresh queue-id-like name: 20 upper-case hex digits */
void	spool_new_id(char *buf, size_t len);
/* spool_workdir_create - make <spool_dir>/<id>; *path gets the path */
int	spool_workdir_create(const char *spool_dir, const char *id,
	    char **path, char *why, size_t whylen);
/* spool_remove - remove a work directory and everything in it, never
 * following a symlink; 0 or -1 with errno */
int	spool_remove(const char *path);
/* spool_mkdirs - make dir and its missing parents with mode; 0 or -1
 * with errno */
int	spool_mkdirs(const char *dir, mode_t mode);
/* spool_parent - make the missing parents of path (0755); 0 or -1 */
int	spool_parent(const char *path);
/* spool_prepare - make dir (and its parents) if needed; it must be a real
 * directory, and gets owner uid:gid and mode 0700; 0 or -1 with why */
int	spool_prepare(const char *dir, uid_t uid, gid_t gid, char *why,
	    size_t whylen);
/* spool_clean - remove the work directories an earlier run left in dir
 * (entries named like spool_new_id's, nothing else); the number removed,
 * or -1 with errno when dir cannot be read */
int	spool_clean(const char *dir);
int	spool_writer_open(struct spool_writer *, const char *path, size_t max,
	    char *why, size_t whylen);
/* spool_writer_write - convert CRLF to LF while writing; -1 on error,
 * with errno (EFBIG when max is exceeded) */
int	spool_writer_write(struct spool_writer *, const char *, size_t);
/* spool_writer_close - flush a pending CR, fsync when asked, close */
int	spool_writer_close(struct spool_writer *, int do_fsync);
/* spool_read_file - read a whole regular file of at most max bytes: 0,
 * or -1 with errno (EFBIG when larger, ENOENT when absent, EINVAL when
 * not a regular file).  follow = 0 refuses a symlink as the last
 * component: for files a filter could have planted. */
int	spool_read_file(const char *path, size_t max, int follow, char **buf,
	    size_t *len);
/* spool_open_regular - open a regular file for reading without
 * following a final symlink or blocking on a FIFO; -1 with errno */
int	spool_open_regular(const char *path);

#endif
