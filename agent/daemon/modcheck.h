/*
 * modcheck.h - checking a configuration's modules where they cannot
 * harm the master
 */
#ifndef SLUICE_MODCHECK_H
#define SLUICE_MODCHECK_H

#include "config/config.h"

/*
 * modcheck_run - load every module of c (dlopen, ABI, init) in a child
 * process that has become c's user, as the agent will run them, then
 * unload them; the snapshot itself stays without modules.  0, or -1
 * with the child's reasons in e.  Called by the master (as root) before
 * a configuration is used, and by "sluiced -n".
 */
int	modcheck_run(const struct config *c, struct config_errors *e);

#endif
