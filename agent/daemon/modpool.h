/*
 * modpool.h - the agent's host processes for isolated modules
 */
#ifndef SLUICE_MODPOOL_H
#define SLUICE_MODPOOL_H

#include <stddef.h>

#include "config/config.h"

/*
 * modpool_init - from now on, modules with isolate = true run in host
 * processes ("sluiced -M") that the launcher starts, not in this one
 * (engine_module_host).  c gives whether filters get their own users.
 * 0, or -1 with why.
 */
int	modpool_init(const struct config *c, char *why, size_t whylen);
/*
 * modpool_prune - after a reload to c: the idle hosts of definitions
 * that c no longer has are ended (a filter whose definition did not
 * change keeps its hosts)
 */
void	modpool_prune(const struct config *c);

#endif
