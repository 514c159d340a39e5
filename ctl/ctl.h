/*
 * ctl.h - sluicectl's commands and their exit statuses
 */
#ifndef SLUICE_CTL_H
#define SLUICE_CTL_H

#include <stddef.h>

/* exit statuses of "sluicectl try" (see sluicectl(8)) */
#define TRY_ACCEPT	0
#define TRY_REJECT	1
#define TRY_TEMPFAIL	2
#define TRY_DISCARD	3
#define TRY_QUARANTINE	4
#define EXIT_USAGE	64
#define EXIT_NOINPUT	66
#define EXIT_UNAVAILABLE 69	/* the daemon cannot be reached */
#define EXIT_SOFTWARE	70
#define EXIT_PROTOCOL	76	/* its answer makes no sense */
#define EXIT_CONFIG	78

int	ctl_try(int argc, char **argv);
int	ctl_scan(int argc, char **argv);
/* the commands that ask the running daemon (ctl_daemon.c) */
int	ctl_is_daemon_cmd(const char *);
int	ctl_daemon(int argc, char **argv);
/* ctl_show - print the daemon's answer to cmd (a table, or the JSON
 * with json set); the exit status: 0, 1 when it refused, EXIT_PROTOCOL
 * when the answer is not what it should be */
int	ctl_show(const char *cmd, const char *answer, size_t len, int json);

#endif
