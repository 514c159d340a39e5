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
#define EXIT_SOFTWARE	70
#define EXIT_CONFIG	78

int	ctl_try(int argc, char **argv);
int	ctl_scan(int argc, char **argv);

#endif
