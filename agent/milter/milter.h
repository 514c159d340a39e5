/*
 * milter.h - the milter front end (libmilter)
 */
#ifndef SLUICE_MILTER_H
#define SLUICE_MILTER_H

#include <stddef.h>

#include "config/config.h"
#include "lib/listen.h"

/*
 * milter_setup - register with libmilter and take over its listening
 * socket so that it serves ls; run as root, before privileges are
 * dropped (it makes a throwaway socket in run_dir).  0 or -1 with why.
 */
int	milter_setup(struct config_holder *, const struct listener *ls, size_t n,
	    char *why, size_t whylen);
/* milter_run - serve through libmilter; returns the exit status when
 * libmilter stops (SIGTERM, its own, stops at once) */
int	milter_run(void);
/* milter_sessions - MTA connections still open */
int	milter_sessions(void);
void	milter_mux_quiesce(void);
/* milter_mux_install - see milter_mux.c */
int	milter_mux_install(int fd, const struct listener *ls, size_t n,
	    char *why, size_t whylen);

#endif
