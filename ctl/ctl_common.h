/*
 * ctl_common.h - what sluicectl's offline commands share
 */
#ifndef SLUICE_CTL_COMMON_H
#define SLUICE_CTL_COMMON_H

#include <stddef.h>

#include "ctl.h"

struct config;
struct envelope;
struct engine_msg;

#define CTL_MAX_OVERRIDES	32

/* ctl_load_config - load and print every error to stderr */
struct config	*ctl_load_config(const char *path, char **overrides);
/* ctl_spool_base - a private temporary spool for offline runs */
char		*ctl_spool_base(void);
/*
 * ctl_filter_message - spool data (len bytes) under base, run the engine
 * (engine_judge) into m.  env is the caller's no more: it is freed.  0,
 * or -1 with why when the message could not be spooled (nothing was
 * run).
 */
int		 ctl_filter_message(struct config *, const char *base,
		    const char *data, size_t len, struct envelope *env,
		    struct engine_msg *m, char *why, size_t whylen);
/* ctl_verdict_exit - the try exit status of a verdict */
int		 ctl_verdict_exit(int verdict);

#endif
