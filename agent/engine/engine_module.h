/*
 * engine_module.h - filter modules (sluice-modules(3)): loading, and a
 * run in this process
 */
#ifndef SLUICE_ENGINE_MODULE_H
#define SLUICE_ENGINE_MODULE_H

#include <stddef.h>

#include <sluice/module.h>

#include "config/config.h"

struct module_inst;

/* what one call of a module's filter() gave */
struct module_answer {
	int	 rv;		/* its return value, not checked yet */
	char	*out;		/* the directive lines it wrote, NUL-ended */
	size_t	 outlen;
	int	 overflow;	/* a line or all of them too long */
	long	 elapsed_us;
};

/*
 * engine_modules_load - load every module filter of c that is not
 * loaded yet: dlopen, the ABI version, init with the filter's settings.
 * The snapshot keeps them and frees them (fini, dlclose) with itself.
 * 0, or -1 with one "file:line: filter "x": module path: why" per
 * module that cannot be used in errs.  Call it in the process that will
 * run the modules, as the user that will run them.
 */
int	engine_modules_load(struct config *c, struct config_errors *errs);

/*
 * module_load - dlopen path, find its struct, check the ABI version,
 * call init with the settings.  The module, or NULL with why.
 */
struct module_inst *module_load(const char *path,
	    const struct filter_setting *settings, size_t nsettings,
	    char *why, size_t whylen);
/* module_unload - fini, dlclose */
void	module_unload(struct module_inst *);
/*
 * module_call - the module's filter() on msg, at once (no deadline: the
 * caller's): its return value, the directive lines it wrote (*out, the
 * caller's to free) and whether one was refused
 */
int	module_call(struct module_inst *, const struct sluice_message *msg,
	    char **out, size_t *outlen, int *overflow);

/*
 * How a module with isolate = true is run: sluiced's agent points this
 * at its host processes (a NULL leaves such modules in this process,
 * as sluicectl does).  0 when ans holds the module's answer; 1 when the
 * module failed (its host crashed or exited), 2 when it hung past the
 * filter's timeout and was ended: why says what, and it is the
 * filter's error; -1
 * when it could not be asked for a reason of ours (why): a tempfail.
 */
extern int	(*engine_module_host)(const struct filter *,
		    const struct sluice_message *, struct module_answer *ans,
		    char *why, size_t whylen);

#endif
