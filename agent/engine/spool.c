/*
 * spool.c - work directories and message files
 *
 * SECURITY: the spool directory belongs to sluice; a work directory is
 * created with mkdirat() (which never follows a final symlink) and mode
 * 0700, or is one of those, emptied and renamed (renameat2 with
 * RENAME_NOREPLACE), and is opened with O_NOFOLLOW|O_DIRECTORY before
 * use.  Removal walks the tree with openat/unlinkat and never follows a
 * symlink, so a filter that plants "tmp/x -> /etc" cannot make sluice
 * delete outside it.
 * ERRORS: returned (-1 with errno, or with a why text); nothing is fatal.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/spool.h"
#include "lib/clock.h"
#include "lib/file.h"
#include "lib/io.h"
#include "lib/why.h"
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

	snprintf(buf, len, "%09llX%05X%06X",
	    (unsigned long long)clock_wall_s() & 0xFFFFFFFFFULL,
	    (unsigned)getpid() & 0xFFFFF,
	    atomic_fetch_add(&counter, 1) & 0xFFFFFF);
}

/* spool_path - one file of a work directory */
char *
spool_path(const char *workdir, enum spool_file f, int n)
{
	char	*p;

	switch (f) {
	case SPOOL_VERSION:
		xasprintf(&p, "%s/message.%d", workdir, n);
		break;
	case SPOOL_ENVELOPE:
		xasprintf(&p, "%s/envelope", workdir);
		break;
	default:
		xasprintf(&p, "%s/message", workdir);
		break;
	}
	return p;
}

/* workdir_create - a private directory for one message; EEXIST when
 * the name is taken */
static int
workdir_create(const char *spool_dir, const char *id, char **path,
    char *why, size_t whylen)
{
	int	dfd;

	if (strchr(id, '/') != NULL || id[0] == '.' || id[0] == '\0') {
		why_set(why, whylen, "bad message id \"%s\"", id);
		return -1;
	}
	if ((dfd = open(spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		why_set(why, whylen, "spool %s: %s", spool_dir,
		    strerror(errno));
		return -1;
	}
	if (mkdirat(dfd, id, 0700) != 0) {
		int saved = errno;

		why_set(why, whylen, "spool %s/%s: %s", spool_dir, id,
		    strerror(saved));
		close(dfd);
		errno = saved;	/* EEXIST tells the caller to pick another */
		return -1;
	}
	close(dfd);
	xasprintf(path, "%s/%s", spool_dir, id);
	return 0;
}

/*
 * Emptied work directories, kept for the next messages: renaming one to
 * the next message's id costs no inode, where removing it and making
 * another costs two (on a file system without a journal each allocation
 * scans past every inode freed in the last minute).  An idle one waits
 * in the spool's .runs as "<pid>-w<n>", so that what stands in the spool
 * itself is always a message in flight, and the master removes a dead
 * agent's with its run directories (spool_run_forget) and all at start
 * and stop (spool_clean).
 */
#define WORKDIRS_KEPT	64	/* numbers 0 to 63: the bits below */

/* what one process keeps in one spool's .runs: its idle work
 * directories and its run directories (below) */
struct spool_pool {
	char			*runs;	/* <spool>/.runs */
	pid_t			 pid;	/* whose they are */
	/* work directories by number, WORKDIRS_KEPT at most */
	uint64_t		 idle;	/* a directory waits under the number */
	uint64_t		 busy;	/* one is being renamed to or from it */
	/* run directories */
	int			*free;	/* numbers ready for a run */
	size_t			 nfree, cap;
	int			 next;	/* the next number never used */
	struct spool_pool	*link;
};

static pthread_mutex_t		 pools_mu = PTHREAD_MUTEX_INITIALIZER;
static struct spool_pool	*pools;

/* pool_of - the pool of the spool's .runs runs, made if need be; a child
 * of fork has none of its parent's and names what it keeps after itself;
 * call with pools_mu held */
static struct spool_pool *
pool_of(const char *runs)
{
	struct spool_pool	*p;

	for (p = pools; p != NULL && strcmp(p->runs, runs) != 0; p = p->link)
		;
	if (p == NULL) {
		p = xcalloc(1, sizeof(*p));
		p->runs = xstrdup(runs);
		p->link = pools;
		pools = p;
	}
	if (p->pid != getpid()) {
		p->pid = getpid();
		p->idle = p->busy = 0;
		p->nfree = 0;
		p->next = 0;
	}
	return p;
}

/* runs_of - the .runs of spool_dir, in buf */
static const char *
runs_of(char *buf, size_t len, const char *spool_dir)
{
	snprintf(buf, len, "%s/" SPOOL_RUNS, spool_dir);
	return buf;
}

/* workdir_claim - a number of spool_dir's pool whose bit is set in the
 * mask that which picks (idle ones, or free ones) and mark it busy: the
 * number, or -1 */
static int
workdir_claim(const char *spool_dir, int idle)
{
	struct spool_pool	*p;
	char			 runs[PATH_MAX];
	uint64_t		 m;
	int			 n = -1;

	pthread_mutex_lock(&pools_mu);
	p = pool_of(runs_of(runs, sizeof(runs), spool_dir));
	m = idle ? p->idle : ~(p->idle | p->busy);
	if (m != 0) {
		n = __builtin_ctzll(m);
		p->idle &= ~(1ULL << n);
		p->busy |= 1ULL << n;
	}
	pthread_mutex_unlock(&pools_mu);
	return n;
}

/* workdir_settle - number n is no longer busy; idle when a directory
 * now waits under it */
static void
workdir_settle(const char *spool_dir, int n, int idle)
{
	struct spool_pool	*p;
	char			 runs[PATH_MAX];

	pthread_mutex_lock(&pools_mu);
	p = pool_of(runs_of(runs, sizeof(runs), spool_dir));
	if (p->busy & (1ULL << n)) {
		p->busy &= ~(1ULL << n);
		if (idle)
			p->idle |= 1ULL << n;
	}
	pthread_mutex_unlock(&pools_mu);
}

/* workdir_idle_path - where idle work directory n waits */
static void
workdir_idle_path(char *buf, size_t len, const char *spool_dir, int n)
{
	char	runs[PATH_MAX];

	snprintf(buf, len, "%s/%ld-w%d", runs_of(runs, sizeof(runs),
	    spool_dir), (long)getpid(), n);
}

/* workdir_reuse - an idle work directory renamed to id: 0, or -1 with
 * errno (EEXIST: the id is taken; ENOENT: none is idle) */
static int
workdir_reuse(const char *spool_dir, const char *id, char **path)
{
	char	from[PATH_MAX];
	int	n, save;

	if ((n = workdir_claim(spool_dir, 1)) < 0) {
		errno = ENOENT;
		return -1;
	}
	workdir_idle_path(from, sizeof(from), spool_dir, n);
	xasprintf(path, "%s/%s", spool_dir, id);
	if (renameat2(AT_FDCWD, from, AT_FDCWD, *path, RENAME_NOREPLACE) ==
	    0) {
		workdir_settle(spool_dir, n, 0);
		return 0;
	}
	save = errno;
	free(*path);
	*path = NULL;
	if (save != EEXIST) {
		/* gone, or not ours: its number is free again */
		(void)file_remove_at(AT_FDCWD, from);
		save = ENOENT;
	}
	/* on EEXIST still idle, for the next id */
	workdir_settle(spool_dir, n, save == EEXIST);
	errno = save;
	return -1;
}

/* workdir_keep - empty the work directory path and keep it for the next
 * message, or remove it when enough are kept; 0 or -1 */
static int
workdir_keep(const char *path)
{
	char	*spool_dir, *slash, to[PATH_MAX];
	int	 n, rc;

	spool_dir = xstrdup(path);
	if ((slash = strrchr(spool_dir, '/')) == NULL || slash == spool_dir) {
		free(spool_dir);
		return spool_remove(path);
	}
	*slash = '\0';
	if (file_empty_at(AT_FDCWD, path) == 0 &&
	    (n = workdir_claim(spool_dir, 0)) >= 0) {
		workdir_idle_path(to, sizeof(to), spool_dir, n);
		rc = renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE);
		/* one that an earlier process of our pid left */
		if (rc != 0 && errno == EEXIST &&
		    file_remove_at(AT_FDCWD, to) == 0)
			rc = renameat2(AT_FDCWD, path, AT_FDCWD, to,
			    RENAME_NOREPLACE);
		workdir_settle(spool_dir, n, rc == 0);
		if (rc == 0) {
			free(spool_dir);
			return 0;
		}
	}
	/* enough kept, or no .runs (sluicectl's spool) */
	rc = spool_remove(path);
	free(spool_dir);
	return rc;
}

/* workdir_new - a work directory under a fresh id: ids are unique
 * per process, but another process (sluicectl) may share the spool */
static int
workdir_new(const char *spool_dir, char *id, size_t idlen, char **path,
    char *why, size_t whylen)
{
	int	tries;

	for (tries = 0;; tries++) {
		spool_new_id(id, idlen);
		if (workdir_reuse(spool_dir, id, path) == 0)
			return 0;
		if (errno == EEXIST) {
			why_set(why, whylen, "spool %s/%s: %s", spool_dir, id,
			    strerror(EEXIST));
			errno = EEXIST;
		} else if (workdir_create(spool_dir, id, path, why, whylen) ==
		    0)
			return 0;
		if (errno != EEXIST || tries == 10)
			return -1;
	}
}

/* spool_msg_create - work directory and message file */
int
spool_msg_create(struct spool_msg *sm, const char *spool_dir, size_t max,
    char *why, size_t whylen)
{
	char	*path;
	int	 rc;

	memset(sm, 0, sizeof(*sm));
	sm->w.fd = -1;
	if (workdir_new(spool_dir, sm->id, sizeof(sm->id), &sm->dir, why,
	    whylen) != 0)
		return -1;
	path = spool_path(sm->dir, SPOOL_MESSAGE, 0);
	rc = spool_writer_open(&sm->w, path, max, why, whylen);
	free(path);
	if (rc != 0) {
		(void)spool_remove(sm->dir);
		free(sm->dir);
		sm->dir = NULL;
		return -1;
	}
	sm->open = 1;
	return 0;
}

/* spool_msg_write - more of the message */
int
spool_msg_write(struct spool_msg *sm, const char *p, size_t len)
{
	if (!sm->open) {
		errno = EBADF;
		return -1;
	}
	return spool_writer_write(&sm->w, p, len);
}

/* spool_msg_close - the message file is complete */
int
spool_msg_close(struct spool_msg *sm, int do_fsync)
{
	if (!sm->open)
		return 0;
	sm->open = 0;
	return spool_writer_close(&sm->w, do_fsync);
}

/* spool_msg_discard - the message is done with */
int
spool_msg_discard(struct spool_msg *sm)
{
	int	rc = 0;

	(void)spool_msg_close(sm, 0);
	if (sm->dir != NULL)
		rc = workdir_keep(sm->dir);
	free(sm->dir);
	sm->dir = NULL;
	return rc;
}

/* spool_copy - a second work directory with the same message */
int
spool_copy(const char *spool_dir, const char *src, char **dst, char *why,
    size_t whylen)
{
	char	 id[32], *from, *to;
	ssize_t	 n;
	int	 in = -1, out = -1, rc = -1;

	if (workdir_new(spool_dir, id, sizeof(id), dst, why, whylen) != 0)
		return -1;
	from = spool_path(src, SPOOL_MESSAGE, 0);
	to = spool_path(*dst, SPOOL_MESSAGE, 0);
	if ((in = file_open_regular(from)) >= 0 &&
	    (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) >= 0) {
		while ((n = copy_file_range(in, NULL, out, NULL, 1 << 20,
		    0)) > 0)
			;
		rc = n == 0 ? 0 : -1;
		if (close(out) != 0)
			rc = -1;
	}
	if (rc != 0)
		why_set(why, whylen, "copying %s: %s", from, strerror(errno));
	if (in >= 0)
		close(in);
	free(from);
	free(to);
	if (rc != 0) {
		(void)spool_remove(*dst);
		free(*dst);
		*dst = NULL;
	}
	return rc;
}

/* spool_quarantine - the work directory into the quarantine: message
 * and envelope synced, then the work directory, then the rename and the
 * quarantine directory and the spool it left */
int
spool_quarantine(const char *spool_dir, const char *workdir,
    const char *msgfile, const char *envelope, size_t len, char **where,
    char *why, size_t whylen)
{
	const char	*slash = strrchr(workdir, '/');
	char		*qdir, *dst, *path, *msg;
	int		 fd, rc = -1;

	xasprintf(&qdir, "%s/quarantine", spool_dir);
	xasprintf(&dst, "%s/%s", qdir, slash != NULL ? slash + 1 : workdir);
	path = spool_path(workdir, SPOOL_ENVELOPE, 0);
	msg = spool_path(workdir, SPOOL_MESSAGE, 0);
	if (mkdir(qdir, 0700) != 0 && errno != EEXIST) {
		why_set(why, whylen, "%s: %s", qdir, strerror(errno));
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (io_write_all(fd, envelope, len, -1) != 0 || fsync(fd) != 0) {
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (strcmp(msgfile, msg) != 0 && rename(msgfile, msg) != 0) {
		why_set(why, whylen, "%s: %s", msg, strerror(errno));
		goto out;
	}
	/*
	 * The 250 that follows makes sluice the message's only keeper: the
	 * files, then the directory naming them, then the move and both
	 * directories it changed must be on disk before it is said.
	 */
	if (file_sync(msg, 0) != 0) {
		why_set(why, whylen, "%s: %s", msg, strerror(errno));
		goto out;
	}
	if (file_sync(workdir, 1) != 0) {
		why_set(why, whylen, "%s: %s", workdir, strerror(errno));
		goto out;
	}
	if (rename(workdir, dst) != 0) {
		why_set(why, whylen, "%s: %s", dst, strerror(errno));
		goto out;
	}
	if (file_sync(qdir, 1) != 0 || file_sync(spool_dir, 1) != 0) {
		why_set(why, whylen, "syncing %s: %s", dst, strerror(errno));
		/* the tempfail that follows lets the MTA keep it; a copy
		 * left in the quarantine would be a second one */
		(void)rename(dst, workdir);
		goto out;
	}
	*where = dst;
	dst = NULL;
	rc = 0;
out:
	free(qdir);
	free(dst);
	free(path);
	free(msg);
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
		return file_remove_at(AT_FDCWD, path);
	}
	*slash = '\0';
	if ((dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		free(dir);
		return -1;
	}
	rc = file_remove_at(dfd, slash + 1);
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

/* own_dir - name in dfd is a directory (not a symlink to one) of
 * uid:gid with mode 0711, made so if need be; its descriptor or -1 */
static int
own_dir(int dfd, const char *name, uid_t uid, gid_t gid, const char *what,
    char *why, size_t whylen)
{
	struct stat	st;
	int		fd;

	/* there already, but for the first time: no mkdir each run */
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(dfd, name, 0711) != 0 && errno != EEXIST) {
			why_set(why, whylen, "%s: %s", what, strerror(errno));
			return -1;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (fd < 0) {
		why_set(why, whylen, "%s: %s", what, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 ||
	    ((st.st_uid != uid || st.st_gid != gid) &&
	    fchown(fd, uid, gid) != 0) ||
	    ((st.st_mode & 07777) != 0711 && fchmod(fd, 0711) != 0)) {
		why_set(why, whylen, "%s: cannot give it to uid %u with mode "
		    "0711: %s", what, (unsigned)uid, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* spool_prepare - dir and dir/.runs exist, are directories (not
 * symlinks to one), belong to uid:gid and have mode 0711 */
int
spool_prepare(const char *dir, uid_t uid, gid_t gid, char *why,
    size_t whylen)
{
	char	what[PATH_MAX + 16];
	int	fd, rfd;

	if (file_make_parent(dir) != 0) {
		why_set(why, whylen, "spool %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(what, sizeof(what), "spool %s", dir);
	if ((fd = own_dir(AT_FDCWD, dir, uid, gid, what, why, whylen)) < 0)
		return -1;
	snprintf(what, sizeof(what), "spool %s/" SPOOL_RUNS, dir);
	rfd = own_dir(fd, SPOOL_RUNS, uid, gid, what, why, whylen);
	close(fd);
	if (rfd < 0)
		return -1;
	close(rfd);
	return 0;
}

const char *const spool_run_names[] = {
	"message", "recipients", "tmp", "result", "new", NULL
};

/* spool_run_path - one file of a run directory */
char *
spool_run_path(const char *rundir, enum spool_run_file f)
{
	char	*p;

	xasprintf(&p, "%s/%s", rundir, spool_run_names[f]);
	return p;
}

/*
 * The run directories of one spool, kept from run to run: making a
 * directory and its tmp/ and removing them again cost each run four
 * inodes (on a file system without a journal, each allocation scans past
 * every inode freed in the last minute), and a new directory a Landlock
 * ruleset of its own.  A directory is reused only after a run that the
 * launcher cleared completely; one that kept anything is removed and its
 * number never given again.
 */
/* pool_take - a number for a run in runs: a kept one (*fresh 0) or a
 * new one (*fresh 1) */
static int
pool_take(const char *runs, int *fresh)
{
	struct spool_pool	*p;
	int			 n;

	pthread_mutex_lock(&pools_mu);
	p = pool_of(runs);
	if (p->nfree > 0) {
		n = p->free[--p->nfree];
		*fresh = 0;
	} else {
		n = p->next++;
		*fresh = 1;
	}
	pthread_mutex_unlock(&pools_mu);
	return n;
}

/* pool_give - number n of runs is ready for the next run */
static void
pool_give(const char *runs, int n)
{
	struct spool_pool	*p;

	pthread_mutex_lock(&pools_mu);
	p = pool_of(runs);
	if (p->nfree == p->cap) {
		p->cap = p->cap == 0 ? 16 : p->cap * 2;
		p->free = xreallocarray(p->free, p->cap, sizeof(*p->free));
	}
	p->free[p->nfree++] = n;
	pthread_mutex_unlock(&pools_mu);
}

/* run_fresh - a new run directory "name" in rfd with an empty tmp/ and
 * an empty recipients file; its descriptor, or -1 */
static int
run_fresh(int rfd, const char *name)
{
	int	dfd, fd;

	/* one that a crash left behind goes first */
	(void)file_remove_at(rfd, name);
	if (mkdirat(rfd, name, 0700) != 0 ||
	    (dfd = openat(rfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return -1;
	if (mkdirat(dfd, spool_run_names[SPOOL_RUN_TMP], 0700) != 0 ||
	    (fd = openat(dfd, spool_run_names[SPOOL_RUN_RECIPIENTS],
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		int save = errno;

		close(dfd);
		errno = save;
		return -1;
	}
	close(fd);
	return dfd;
}

/* spool_run_open - see spool.h */
int
spool_run_open(struct spool_run *r, const char *workdir, const char *msgfile,
    const char *rcpts, size_t len, char *why, size_t whylen)
{
	char		*slash, name[64];
	const char	*step = "making";
	int		 rfd = -1, dfd = -1, fd = -1, fresh;

	memset(r, 0, sizeof(*r));
	r->n = -1;
	r->runs = xstrdup(workdir);
	if ((slash = strrchr(r->runs, '/')) == NULL || slash == r->runs) {
		why_set(why, whylen, "%s: not in a spool", workdir);
		goto fail;
	}
	*slash = '\0';
	r->runs = xreallocarray(r->runs, strlen(r->runs) + sizeof(SPOOL_RUNS) +
	    1, 1);
	strcat(r->runs, "/" SPOOL_RUNS);
	r->n = pool_take(r->runs, &fresh);
	snprintf(name, sizeof(name), "%ld-%d", (long)getpid(), r->n);
	xasprintf(&r->path, "%s/%s", r->runs, name);
	if (fresh) {
		/* sluicectl's spool has none yet; sluiced's master made it */
		rfd = own_dir(AT_FDCWD, r->runs, geteuid(), getegid(),
		    r->runs, why, whylen);
		if (rfd < 0)
			goto fail;
		dfd = run_fresh(rfd, name);
	} else {
		step = "reusing";
		/* .runs is ours, and so is everything but what a run adds */
		dfd = open(r->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (dfd < 0 ||
	    linkat(AT_FDCWD, msgfile, dfd, spool_run_names[SPOOL_RUN_MESSAGE],
	    0) != 0 ||
	    (fd = openat(dfd, spool_run_names[SPOOL_RUN_RECIPIENTS],
	    O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    io_write_all(fd, rcpts, len, -1) != 0 ||
	    ftruncate(fd, (off_t)len) != 0 || close(fd) != 0) {
		why_set(why, whylen, "%s %s: %s", step, r->path,
		    strerror(errno));
		fd = -1;
		goto fail;
	}
	close(dfd);
	if (rfd >= 0)
		close(rfd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (rfd >= 0)
		close(rfd);
	/* its number is not given again */
	if (r->path != NULL)
		(void)spool_remove(r->path);
	free(r->path);
	free(r->runs);
	memset(r, 0, sizeof(*r));
	r->n = -1;
	return -1;
}

/* spool_run_close - see spool.h */
int
spool_run_close(struct spool_run *r, int clear)
{
	char	*msg;
	int	 rc = 0;

	if (r->path == NULL)
		return 0;
	msg = spool_run_path(r->path, SPOOL_RUN_MESSAGE);
	if (clear && unlink(msg) == 0)
		pool_give(r->runs, r->n);
	else if (spool_remove(r->path) != 0)
		rc = -1;
	free(msg);
	free(r->path);
	free(r->runs);
	memset(r, 0, sizeof(*r));
	r->n = -1;
	return rc;
}

/* spool_run_forget - see spool.h */
int
spool_run_forget(const char *spool_dir, pid_t pid)
{
	DIR		*d;
	struct dirent	*de;
	char		 prefix[32], runs[PATH_MAX];
	int		 fd, n = 0;

	snprintf(runs, sizeof(runs), "%s/" SPOOL_RUNS, spool_dir);
	snprintf(prefix, sizeof(prefix), "%ld-", (long)pid);
	fd = open(runs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    file_remove_at(dirfd(d), de->d_name) == 0)
			n++;
	closedir(d);
	return n;
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
		if (file_remove_at(dirfd(d), de->d_name) == 0)
			n++;
	}
	(void)file_empty_at(dirfd(d), SPOOL_RUNS);
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
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* flush - the buffer to the file */
static int
flush(struct spool_writer *w)
{
	int	rc = io_write_all(w->fd, w->buf, w->blen, -1);

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
		return io_write_all(w->fd, p, len, -1);
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
