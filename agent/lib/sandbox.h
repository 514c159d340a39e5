/*
 * sandbox.h - the seccomp profiles a filter program runs under, and the
 * Landlock rules of its file system
 */
#ifndef SLUICE_SANDBOX_H
#define SLUICE_SANDBOX_H

#include <linux/filter.h>

#include <stddef.h>

enum sandbox_profile {
	SANDBOX_DEFAULT,	/* a normal program, no network, no admin */
	SANDBOX_NETWORK,	/* as default, with sockets */
	SANDBOX_NONE,		/* no seccomp program at all */
	SANDBOX_NPROFILES
};

/* the compiled programs, one per profile (none for SANDBOX_NONE) */
struct sandbox_set {
	struct sock_fprog	prog[SANDBOX_NPROFILES];
};

/*
 * sandbox_build - compile every profile into a BPF program, in this
 * process, before any fork: the child only installs it (one prctl).
 * 0, or -1 with why.
 */
int	sandbox_build(struct sandbox_set *, char *why, size_t whylen);
void	sandbox_free(struct sandbox_set *);
/* sandbox_parse - "default", "network", "none"; -1 when unknown */
int	sandbox_parse(const char *);
const char *sandbox_name(enum sandbox_profile);

/*
 * sandbox_fs_init - take the paths a filter may read: everything but
 * hide (the spool; NULL: hide nothing).  Once per process, before its
 * forks.  0 also when the kernel has no Landlock (sandbox_fs_abi() is 0
 * then); -1 with why.
 */
int	sandbox_fs_init(const char *hide, char *why, size_t whylen);
int	sandbox_fs_abi(void);
/* sandbox_fs_rules - the rules each run gets besides its own paths */
size_t	sandbox_fs_rules(void);
/* sandbox_fs_version - the kernel's Landlock ABI (0: none), without
 * sandbox_fs_init */
int	sandbox_fs_version(void);
/* sandbox_fs_ruleset - the Landlock rules of one run: rundir and
 * writable (NULL-terminated, may be NULL) fully, the rest as
 * sandbox_fs_init took it.  A descriptor, or -1 with why. */
int	sandbox_fs_ruleset(const char *rundir, char *const *writable,
	    char *why, size_t whylen);
/*
 * sandbox_fs_ruleset_get - the same, from the rulesets of recent runs
 * when one has the same paths and they still name the same files.  *keep
 * says the descriptor (above 2) belongs to that store; either way it goes
 * back with sandbox_fs_ruleset_put after the child has it.
 */
int	sandbox_fs_ruleset_get(const char *rundir, char *const *writable,
	    int *keep, char *why, size_t whylen);
void	sandbox_fs_ruleset_put(int fd, int keep);
/* sandbox_fs_enter - restrict the calling (child) process; 0 or -1 */
int	sandbox_fs_enter(int rfd);

#endif
