/*
 * spool.h - work directories and message files
 *
 * Each message gets <spool_dir>/<id>/, mode 0700, created without
 * following symlinks.  The message is stored there as "message" with LF
 * line endings.  Each filter run gets a directory of its own,
 * <spool_dir>/.runs/<pid>-<n>/: its message ("message", a hard link),
 * "recipients", an empty "tmp/", and the result file and replacement
 * message it writes ("result", "new").  Emptied after the run, it waits
 * in its process's pool for the next one.  The spool directory and .runs
 * are mode 0711 (a filter's user passes through to its run directory,
 * and can list neither); everything else is private to sluice's user.
 */
#ifndef SLUICE_SPOOL_H
#define SLUICE_SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#define SPOOL_WBUF	16384
/* the run directories, in the spool directory */
#define SPOOL_RUNS	".runs"

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

/* the files of a work directory (spool_path) */
enum spool_file {
	SPOOL_MESSAGE,		/* "message": as received, LF line ends */
	SPOOL_VERSION,		/* "message.N": the message as rewritten */
	SPOOL_ENVELOPE		/* "envelope": a quarantined message's */
};

/* the files of a run directory (spool_run_path) */
enum spool_run_file {
	SPOOL_RUN_MESSAGE,	/* "message" (%f) */
	SPOOL_RUN_RECIPIENTS,	/* "recipients" (%R) */
	SPOOL_RUN_TMP,		/* "tmp" (%t) */
	SPOOL_RUN_RESULT,	/* "result" (%o) */
	SPOOL_RUN_NEW		/* "new" (%n) */
};
/* the names, in that order */
extern const char *const spool_run_names[];

/* a message while a front end spools it */
struct spool_msg {
	char			 id[32];	/* the work directory's name */
	char			*dir;		/* its path */
	struct spool_writer	 w;
	int			 open;		/* w is open */
};

/* spool_new_id - a fresh queue-id-like name: 20 upper-case hex digits */
void	spool_new_id(char *buf, size_t len);
/* spool_path - the path of a file of workdir, malloc'd; n numbers the
 * per-run files and is ignored for the others */
char	*spool_path(const char *workdir, enum spool_file, int n);
/*
 * spool_msg_create - a new work directory under spool_dir (another id
 * when the name is taken) with its message file open for writing, at
 * most max bytes (0: no limit).  0, or -1 with why.
 */
int	spool_msg_create(struct spool_msg *, const char *spool_dir,
	    size_t max, char *why, size_t whylen);
/* spool_msg_write - a chunk of the message, CRLF becoming LF; -1 with
 * errno (EFBIG past max) */
int	spool_msg_write(struct spool_msg *, const char *, size_t);
/* spool_msg_close - finish the message file (fsync when asked); 0 or -1
 * with errno; closing twice is harmless */
int	spool_msg_close(struct spool_msg *, int do_fsync);
/* spool_msg_discard - close and remove the work directory with
 * everything in it (the emptied directory may be kept, out of the spool's
 * sight, for a later spool_msg_create); 0 or -1 with errno (the directory
 * may be left) */
int	spool_msg_discard(struct spool_msg *);
/* spool_copy - a new work directory under spool_dir holding a copy of
 * src's message, for a second engine run; *dst gets its path.  0, or
 * -1 with why. */
int	spool_copy(const char *spool_dir, const char *src, char **dst,
	    char *why, size_t whylen);
/*
 * spool_quarantine - keep a message: msgfile becomes workdir's message,
 * envelope (len bytes) its envelope file, both synced, workdir synced,
 * and workdir moves to <spool_dir>/quarantine/<its name>, after which
 * the quarantine directory and spool_dir are synced: on 0 the message
 * survives a crash.  *where (malloc'd) gets the new path.  0, or -1
 * with why (workdir is left where it was, unless even moving it back
 * failed).
 */
int	spool_quarantine(const char *spool_dir, const char *workdir,
	    const char *msgfile, const char *envelope, size_t len,
	    char **where, char *why, size_t whylen);
/* a filter run's directory, <spool>/.runs/<pid>-<n>/ */
struct spool_run {
	char	*path;
	char	*runs;			/* <spool>/.runs */
	int	 n;			/* its number; -1: none */
};
/*
 * spool_run_open - a run directory for the message in workdir: "message"
 * a hard link to msgfile, "recipients" holding rcpts (len bytes), an
 * empty "tmp/".  The directories of a process are kept from run to run
 * (spool_run_close); one is made when none is free.  0, or -1 with why
 * (our failure: disk, spool).
 */
int	spool_run_open(struct spool_run *, const char *workdir,
	    const char *msgfile, const char *rcpts, size_t len, char *why,
	    size_t whylen);
/*
 * spool_run_close - after the run: when clear is set (the launcher took
 * back and removed everything the run made), the message goes and the
 * directory is kept for another run; else the directory is removed, as
 * much of it as we can, and its number never used again.  0, or -1 when
 * something is left.
 */
int	spool_run_close(struct spool_run *, int clear);
/*
 * spool_run_forget - remove the run directories that process pid kept
 * in spool_dir (an agent that ended); how many, or -1 with errno
 */
int	spool_run_forget(const char *spool_dir, pid_t pid);
/* spool_run_path - one file of a run directory */
char	*spool_run_path(const char *rundir, enum spool_run_file);
/* spool_remove - remove a work directory and everything in it, never
 * following a symlink; 0 or -1 with errno */
int	spool_remove(const char *path);
/* spool_prepare - make dir (and its parents) if needed; it must be a real
 * directory, and gets owner uid:gid and mode 0711, and so does its .runs;
 * 0 or -1 with why */
int	spool_prepare(const char *dir, uid_t uid, gid_t gid, char *why,
	    size_t whylen);
/* spool_clean - remove the work directories an earlier run left in dir
 * (entries named like spool_new_id's, nothing else) and everything in
 * its .runs; the number of work directories removed, or -1 with errno
 * when dir cannot be read */
int	spool_clean(const char *dir);
int	spool_writer_open(struct spool_writer *, const char *path, size_t max,
	    char *why, size_t whylen);
/* spool_writer_write - convert CRLF to LF while writing; -1 on error,
 * with errno (EFBIG when max is exceeded) */
int	spool_writer_write(struct spool_writer *, const char *, size_t);
/* spool_writer_close - flush a pending CR, fsync when asked, close */
int	spool_writer_close(struct spool_writer *, int do_fsync);

#endif
