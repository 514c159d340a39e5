/*
 * sandbox_seccomp.c - the seccomp profiles, built with libseccomp
 *
 * The one file that includes seccomp.h.  Each profile is a table below:
 * the system calls a filter program has no business making, and what
 * it gets for one.  Everything else is allowed, so an ordinary program
 * (a shell script, clamscan, ripmime) runs unchanged.
 *
 *   killed (SIGSYS, the run's error says so): ptrace and reading other
 *   processes' memory, mount and the new mount API, namespaces (unshare,
 *   setns, clone with a CLONE_NEW* flag), kernel modules, kexec, bpf,
 *   perf_event_open, keyrings, io_uring, userfaultfd, reboot, swap,
 *   clock changes, raw port I/O, handles to files by number;
 *   EPERM: socket() for anything but AF_UNIX (default profile only: a
 *   network client learns it may not, and can say so); clone3 gets
 *   ENOSYS, so that the C library falls back to clone, whose flags the
 *   filter can see.
 *   A system call of another architecture (32-bit calls on x86-64)
 *   kills the process: none of the rules would apply to it.
 *
 * SECURITY: the programs are built once, before any fork, by the
 * launcher (and sluicectl try); the child installs one with a single
 * prctl after PR_SET_NO_NEW_PRIVS, the last step before execve.
 * ERRORS: sandbox_build returns -1 with why; the caller decides.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/sandbox.h"
#include "lib/why.h"
#include "lib/xmalloc.h"

/* killed on sight, in every profile but none */
static const char *const	forbidden[] = {
	"ptrace", "process_vm_readv", "process_vm_writev",
	"mount", "umount2", "pivot_root", "mount_setattr", "move_mount",
	"open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	"unshare", "setns",
	"init_module", "finit_module", "delete_module",
	"kexec_load", "kexec_file_load",
	"bpf", "perf_event_open",
	"add_key", "request_key", "keyctl",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"userfaultfd",
	"reboot", "swapon", "swapoff", "acct",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"iopl", "ioperm",
	"open_by_handle_at", "name_to_handle_at",
	"quotactl", "lookup_dcookie",
};

/* the clone flags that make a namespace */
static const unsigned long	newns[] = {
	CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
	CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP,
};

static const char *const	names[SANDBOX_NPROFILES] = {
	"default", "network", "none"
};

/* sandbox_name - see sandbox.h */
const char *
sandbox_name(enum sandbox_profile p)
{
	return (unsigned)p < SANDBOX_NPROFILES ? names[p] : "?";
}

/* sandbox_parse - see sandbox.h */
int
sandbox_parse(const char *s)
{
	int	i;

	for (i = 0; i < SANDBOX_NPROFILES; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* rules - the rules of profile p into ctx; 0 or a negative errno */
static int
rules(scmp_filter_ctx ctx, enum sandbox_profile p, const char **what)
{
	size_t	i;
	int	nr, rc;

	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		/* a call this kernel's headers do not know needs no rule */
		if ((nr = seccomp_syscall_resolve_name(forbidden[i])) ==
		    __NR_SCMP_ERROR)
			continue;
		*what = forbidden[i];
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr,
		    0)) != 0)
			return rc;
	}
	*what = "clone";
	for (i = 0; i < sizeof(newns) / sizeof(newns[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS,
		    SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, newns[i],
		    newns[i]))) != 0)
			return rc;
	*what = "clone3";
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0)) != 0)
		return rc;
	if (p == SANDBOX_DEFAULT) {
		*what = "socket";
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX))) != 0)
			return rc;
	}
	return 0;
}

/* build - one profile's program, exported through a memory file */
static int
build(enum sandbox_profile p, struct sock_fprog *prog, char *why,
    size_t whylen)
{
	scmp_filter_ctx	 ctx;
	const char	*what = "init";
	off_t		 len;
	int		 fd = -1, rc = -1, err;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return why_set(why, whylen, "seccomp profile %s: cannot start "
		    "a filter", names[p]);
	if ((err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) != 0 ||
	    (err = rules(ctx, p, &what)) != 0) {
		why_set(why, whylen, "seccomp profile %s: rule for %s: %s",
		    names[p], what, strerror(-err));
		goto out;
	}
	if ((fd = memfd_create("sluice-seccomp", MFD_CLOEXEC)) == -1 ||
	    (err = seccomp_export_bpf(ctx, fd)) != 0 ||
	    (len = lseek(fd, 0, SEEK_END)) <= 0 ||
	    len % sizeof(struct sock_filter) != 0 ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		why_set(why, whylen, "seccomp profile %s: cannot export it",
		    names[p]);
		goto out;
	}
	prog->filter = xmalloc((size_t)len);
	prog->len = (unsigned short)(len / sizeof(struct sock_filter));
	if (pread(fd, prog->filter, (size_t)len, 0) != len) {
		why_set(why, whylen, "seccomp profile %s: cannot read it back",
		    names[p]);
		free(prog->filter);
		prog->filter = NULL;
		prog->len = 0;
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	seccomp_release(ctx);
	return rc;
}

/* sandbox_build - see sandbox.h */
int
sandbox_build(struct sandbox_set *s, char *why, size_t whylen)
{
	int	p;

	memset(s, 0, sizeof(*s));
	for (p = 0; p < SANDBOX_NPROFILES; p++) {
		if (p == SANDBOX_NONE)
			continue;
		if (build(p, &s->prog[p], why, whylen) != 0) {
			sandbox_free(s);
			return -1;
		}
	}
	return 0;
}

/* sandbox_free - the programs go */
void
sandbox_free(struct sandbox_set *s)
{
	int	p;

	for (p = 0; p < SANDBOX_NPROFILES; p++) {
		free(s->prog[p].filter);
		s->prog[p].filter = NULL;
		s->prog[p].len = 0;
	}
}
