/*
 * sandbox_landlock.c - what a filter run may touch in the file system
 *
 * The one file that speaks Landlock (Linux 5.13 and later).  A run under
 * the default or network profile gets a Landlock domain before its
 * seccomp program:
 *
 *   its run directory (%f, %n, %o, %t, %R)   everything
 *   /dev/null                                 read and write
 *   the filter's "writable" paths             everything
 *   the spool directory and all it holds      nothing
 *   every other path                          read and execute
 *
 * and, from Landlock ABI 6, no signal and no abstract unix socket
 * outside its own run.  So a filter cannot read another message (not even
 * one that a run of the same user holds, which the file modes alone would
 * allow), cannot write anywhere else, and cannot signal sluice.  Landlock
 * allows rather than forbids, so "every other path" is the siblings of
 * each directory on the way down to the spool, taken when
 * sandbox_fs_init() runs: a directory made beside them later stays
 * unreadable to filters until sluiced starts again.  The ptrace and
 * /proc/PID rules of Landlock (no access to a process outside the
 * domain) come with any domain.
 *
 * Without Landlock (an older kernel, or one built without it) runs go on
 * with the file modes alone, and sandbox_fs_abi() says 0.
 *
 * SECURITY: the rules are built in the parent, before the child exists;
 * the child makes one system call (sandbox_fs_enter) after
 * PR_SET_NO_NEW_PRIVS.  The descriptors of the siblings are O_PATH: they
 * grant nothing by themselves.
 * ERRORS: sandbox_fs_init and sandbox_fs_ruleset return -1 with why.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/landlock.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/sandbox.h"
#include "lib/why.h"
#include "lib/xmalloc.h"

/* the rights of later ABIs, for headers older than the kernel */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)
#endif
#define SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)
#define SCOPE_SIGNAL			(1ULL << 1)

/* the kernel's struct landlock_ruleset_attr as of ABI 6 */
struct ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

#define FS_FILE	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |	      \
	LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define FS_READ	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |  \
	LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_ALL	((1ULL << 16) - 1)

/* one rule: a path (O_PATH descriptor) and what is allowed beneath it */
struct fs_rule {
	int		fd;
	uint64_t	access;
};

#define RULES_MAX	1024

static struct fs_rule	 base[RULES_MAX];
static size_t		 nbase;
static int		 devnull = -1;
static int		 abi;
static uint64_t		 handled;

/* handled_for - the rights the kernel's ABI knows */
static uint64_t
handled_for(int v)
{
	uint64_t	h = (1ULL << 13) - 1;

	if (v >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (v >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (v >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

/* rule_for - the rights a rule on fd can carry: a file takes only the
 * rights of files */
static uint64_t
rule_for(int fd, uint64_t want)
{
	struct stat	st;

	if (fstat(fd, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		want &= FS_FILE;
	return want & handled;
}

/* base_add - one more read-only path */
static int
base_add(int dfd, const char *name, char *why, size_t whylen)
{
	int	fd;

	fd = openat(dfd, name, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* a dangling symlink, a race: nothing to grant */
	if (nbase == RULES_MAX) {
		close(fd);
		why_set(why, whylen, "more than %d paths beside the spool",
		    RULES_MAX);
		return -1;
	}
	base[nbase].fd = fd;
	base[nbase].access = rule_for(fd, FS_READ | LANDLOCK_ACCESS_FS_IOCTL_DEV);
	nbase++;
	return 0;
}

/* siblings - every entry of dir but keep, read-only */
static int
siblings(const char *dir, const char *keep, char *why, size_t whylen)
{
	DIR		*d;
	struct dirent	*de;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL) {
		why_set(why, whylen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, keep) == 0)
			continue;
		rc = base_add(dirfd(d), de->d_name, why, whylen);
	}
	closedir(d);
	return rc;
}

static int	add(int, int, uint64_t);

/*
 * base_check - keep only the paths the kernel takes a rule for: not
 * those of internal file systems (a /dev/mqueue, say), which it refuses
 * with EBADFD, and which a filter cannot use anyway
 */
static int
base_check(char *why, size_t whylen)
{
	struct ruleset_attr	attr;
	size_t			i, k;
	int			rfd;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    sizeof(attr.handled_access_fs), 0);
	if (rfd < 0) {
		why_set(why, whylen, "landlock ruleset: %s", strerror(errno));
		return -1;
	}
	for (i = 0, k = 0; i < nbase; i++) {
		if (add(rfd, base[i].fd, base[i].access) != 0) {
			close(base[i].fd);
			continue;
		}
		base[k++] = base[i];
	}
	nbase = k;
	close(rfd);
	return 0;
}

/* sandbox_fs_init - see sandbox.h */
int
sandbox_fs_init(const char *hide, char *why, size_t whylen)
{
	char	 real[PATH_MAX], *p, *slash;
	long	 v;

	v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (v <= 0) {
		abi = 0;
		return 0;
	}
	abi = (int)v;
	handled = handled_for(abi);
	if ((devnull = open("/dev/null", O_PATH | O_CLOEXEC)) < 0) {
		why_set(why, whylen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	if (hide == NULL)
		return base_add(AT_FDCWD, "/", why, whylen) == 0 ?
		    base_check(why, whylen) : -1;
	if (realpath(hide, real) == NULL) {
		why_set(why, whylen, "%s: %s", hide, strerror(errno));
		return -1;
	}
	if (strcmp(real, "/") == 0) {
		why_set(why, whylen, "the spool cannot be /");
		return -1;
	}
	/* "/a/b/spool": all of / but a, all of /a but b, all of /a/b but
	 * spool */
	for (p = real;;) {
		slash = strchr(p + 1, '/');
		if (slash != NULL)
			*slash = '\0';
		{
			char	 dir[PATH_MAX];

			(void)snprintf(dir, sizeof(dir), "%.*s",
			    (int)(p - real), real);
			if (siblings(dir[0] != '\0' ? dir : "/", p + 1, why,
			    whylen) != 0)
				return -1;
		}
		if (slash == NULL)
			break;
		*slash = '/';
		p = slash;
	}
	return base_check(why, whylen);
}

/* sandbox_fs_version - the kernel's Landlock ABI, asked now; 0 = none */
int
sandbox_fs_version(void)
{
	long	v;

	v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return v > 0 ? (int)v : 0;
}

/* sandbox_fs_rules - how many rules a run gets besides its own paths:
 * one per path beside the spool's ancestors */
size_t
sandbox_fs_rules(void)
{
	return nbase + 1;
}

/* sandbox_fs_abi - the Landlock ABI in use; 0 = none */
int
sandbox_fs_abi(void)
{
	return abi;
}

/* add - one rule to the ruleset */
static int
add(int rfd, int fd, uint64_t access)
{
	struct landlock_path_beneath_attr	pb;

	if (access == 0)
		return 0;
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = access;
	pb.parent_fd = fd;
	return (int)syscall(SYS_landlock_add_rule, rfd,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
}

/* add_path - a rule for a path given now */
static int
add_path(int rfd, const char *path, uint64_t access, char *why,
    size_t whylen)
{
	int	fd, rc;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0) {
		/* gone (a writable path removed since the load): nothing
		 * to allow there */
		if (errno == ENOENT)
			return 0;
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = add(rfd, fd, rule_for(fd, access));
	if (rc != 0)
		why_set(why, whylen, "landlock rule for %s: %s", path,
		    strerror(errno));
	close(fd);
	return rc;
}

/* sandbox_fs_ruleset - see sandbox.h */
int
sandbox_fs_ruleset(const char *rundir, char *const *writable, char *why,
    size_t whylen)
{
	struct ruleset_attr	attr;
	size_t			i;
	int			rfd, save;

	if (abi == 0) {
		errno = ENOSYS;
		why_set(why, whylen, "no Landlock in this kernel");
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	if (abi >= 6)
		attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL;
	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    abi >= 6 ? sizeof(attr) : sizeof(attr.handled_access_fs), 0);
	if (rfd < 0) {
		why_set(why, whylen, "landlock ruleset: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < nbase; i++)
		if (add(rfd, base[i].fd, base[i].access) != 0) {
			why_set(why, whylen, "landlock rule: %s",
			    strerror(errno));
			goto fail;
		}
	if (add(rfd, devnull, rule_for(devnull, FS_FILE)) != 0) {
		why_set(why, whylen, "landlock rule: %s", strerror(errno));
		goto fail;
	}
	if (rundir != NULL &&
	    add_path(rfd, rundir, FS_ALL, why, whylen) != 0)
		goto fail;
	for (i = 0; writable != NULL && writable[i] != NULL; i++)
		if (add_path(rfd, writable[i], FS_ALL, why, whylen) != 0)
			goto fail;
	return rfd;
fail:
	save = errno;
	close(rfd);
	errno = save;
	return -1;
}

/*
 * The rulesets of recent runs, kept: a run directory that the agent
 * reuses (spool.c) and the same writable paths make the same rules, and
 * a ruleset serves any number of landlock_restrict_self() calls, each
 * making a domain of its own.  An entry holds each path's device and
 * inode as they were when its rules were made (the rules hold those
 * inodes), and is used again only while every path still names them.
 */
#define KEPT_MAX	64

struct kept {
	int		 fd;		/* the ruleset, when key is set */
	int		 busy;		/* runs using it now */
	uint64_t	 used;		/* when last handed out */
	char		*key;		/* rundir NUL writable NUL ... */
	size_t		 keylen;
	struct stat_id {
		dev_t	dev;
		ino_t	ino;
	}		*ids;		/* rundir's, then each writable's */
	size_t		 nids;
};

static struct kept	 kept[KEPT_MAX];
static uint64_t		 kept_clock;
static pthread_mutex_t	 kept_mu = PTHREAD_MUTEX_INITIALIZER;

/* kept_key - the paths of a ruleset as one string; its ids into *ids */
static char *
kept_key(const char *rundir, char *const *writable, size_t *keylen,
    struct stat_id **ids, size_t *nids)
{
	struct stat	 st;
	const char	*p;
	char		*key;
	size_t		 i, n, len = 0;

	for (n = 0; writable != NULL && writable[n] != NULL; n++)
		len += strlen(writable[n]) + 1;
	len += strlen(rundir) + 1;
	key = xmalloc(len);
	*ids = xreallocarray(NULL, n + 1, sizeof(**ids));
	*nids = n + 1;
	*keylen = 0;
	for (i = 0; i <= n; i++) {
		p = i == 0 ? rundir : writable[i - 1];
		memcpy(key + *keylen, p, strlen(p) + 1);
		*keylen += strlen(p) + 1;
		/* as add_path opens it: a missing path has no rule */
		if (stat(p, &st) == 0) {
			(*ids)[i].dev = st.st_dev;
			(*ids)[i].ino = st.st_ino;
		} else {
			(*ids)[i].dev = 0;
			(*ids)[i].ino = 0;
		}
	}
	return key;
}

/* kept_drop - empty an entry */
static void
kept_drop(struct kept *k)
{
	if (k->key != NULL && k->fd >= 0)
		close(k->fd);
	free(k->key);
	free(k->ids);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

/* build_high - sandbox_fs_ruleset, on a descriptor above 2 */
static int
build_high(const char *rundir, char *const *writable, char *why,
    size_t whylen)
{
	int	fd, high;

	if ((fd = sandbox_fs_ruleset(rundir, writable, why, whylen)) < 0 ||
	    fd > STDERR_FILENO)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	if (high < 0)
		why_set(why, whylen, "landlock ruleset: %s", strerror(errno));
	close(fd);
	return high;
}

/* sandbox_fs_ruleset_get - see sandbox.h */
int
sandbox_fs_ruleset_get(const char *rundir, char *const *writable, int *keep,
    char *why, size_t whylen)
{
	struct stat_id	*ids;
	struct kept	*k, *victim = NULL;
	char		*key;
	size_t		 i, keylen, nids;
	int		 fd;

	*keep = 0;
	if (rundir == NULL)
		return build_high(NULL, writable, why, whylen);
	key = kept_key(rundir, writable, &keylen, &ids, &nids);
	pthread_mutex_lock(&kept_mu);
	for (i = 0; i < KEPT_MAX; i++) {
		k = &kept[i];
		if (k->key == NULL) {
			if (victim == NULL || victim->key != NULL)
				victim = k;
			continue;
		}
		if (k->keylen == keylen && memcmp(k->key, key, keylen) == 0 &&
		    k->nids == nids &&
		    memcmp(k->ids, ids, nids * sizeof(*ids)) == 0) {
			k->busy++;
			k->used = ++kept_clock;
			pthread_mutex_unlock(&kept_mu);
			free(key);
			free(ids);
			*keep = 1;
			return k->fd;
		}
		if (k->busy == 0 && (victim == NULL ||
		    (victim->key != NULL && k->used < victim->used)))
			victim = k;
	}
	pthread_mutex_unlock(&kept_mu);
	/* built outside the lock: 40-odd system calls */
	if ((fd = build_high(rundir, writable, why, whylen)) < 0) {
		free(key);
		free(ids);
		return -1;
	}
	pthread_mutex_lock(&kept_mu);
	/* the victim may have been taken meanwhile: look again */
	if (victim == NULL || victim->busy != 0)
		for (victim = NULL, i = 0; i < KEPT_MAX; i++)
			if (kept[i].busy == 0 && (victim == NULL ||
			    kept[i].used < victim->used))
				victim = &kept[i];
	if (victim != NULL) {
		kept_drop(victim);
		victim->fd = fd;
		victim->busy = 1;
		victim->used = ++kept_clock;
		victim->key = key;
		victim->keylen = keylen;
		victim->ids = ids;
		victim->nids = nids;
		*keep = 1;
	} else {
		free(key);
		free(ids);
	}
	pthread_mutex_unlock(&kept_mu);
	return fd;
}

/* sandbox_fs_ruleset_put - see sandbox.h */
void
sandbox_fs_ruleset_put(int fd, int keep)
{
	size_t	i;

	if (fd < 0)
		return;
	if (!keep) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&kept_mu);
	for (i = 0; i < KEPT_MAX; i++)
		if (kept[i].key != NULL && kept[i].fd == fd &&
		    kept[i].busy > 0) {
			kept[i].busy--;
			break;
		}
	pthread_mutex_unlock(&kept_mu);
}

/* sandbox_fs_enter - in the child, after no_new_privs: one system call
 * (not instrumented: it runs on the child's own stack, see spawn.c) */
__attribute__((no_sanitize("address", "undefined"))) int
sandbox_fs_enter(int rfd)
{
	return (int)syscall(SYS_landlock_restrict_self, rfd, 0);
}
