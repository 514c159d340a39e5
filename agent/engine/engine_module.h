/*
 * engine_module.h - filter modules (sluice-modules(3)): loading, and a
 * run in this process
 */
#ifndef SLUICE_ENGINE_MODULE_H
#define SLUICE_ENGINE_MODULE_H

#include "config/config.h"

/*
 * engine_modules_load - load every module filter of c that is not
 * loaded yet: dlopen, the ABI version, init with the filter's settings.
 * The snapshot keeps them and frees them (fini, dlclose) with itself.
 * 0, or -1 with one "file:line: filter "x": module path: why" per
 * module that cannot be used in errs.  Call it in the process that will
 * run the modules, as the user that will run them.
 */
int	engine_modules_load(struct config *c, struct config_errors *errs);

#endif
