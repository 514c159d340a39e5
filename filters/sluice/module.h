/*
 * sluice/module.h - the ABI of sluice's filter modules
 *
 * A module is a shared object that sluiced loads with dlopen(3) when it
 * checks its configuration.  It exports one object, sluice_module, a
 * struct sluice_module whose abi_version is SLUICE_MODULE_ABI_VERSION:
 *
 *	init	called once per configuration that names the module, with
 *		the filter's settings; it makes the module's state (a
 *		signature database, a table) and may refuse the settings.
 *	filter	called once per message the rules give the filter, possibly
 *		from several threads at once (unless the module sets
 *		SLUICE_MODULE_SERIAL); it reads the message and returns a
 *		verdict, and may add the same directives an exec filter
 *		writes to its result file.
 *	fini	called when the configuration is done with; frees the state.
 *
 * The verdicts, the directives, the reasons and the treatment of errors
 * are those of exec filters (sluice-filters(7)); sluice-modules(3) has a
 * complete example and what a module must not do.  Compiles as C99 and
 * later, and as C++.
 */
#ifndef SLUICE_MODULE_H
#define SLUICE_MODULE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* raised when a struct below changes in a way old modules cannot follow */
#define SLUICE_MODULE_ABI_VERSION	1

/* the name under which sluiced looks for the module's struct */
#define SLUICE_MODULE_SYMBOL		"sluice_module"

/* what filter() decides; as the verdicts an exit code maps to */
enum sluice_verdict {
	SLUICE_CONTINUE = 0,	/* no verdict: the next rule */
	SLUICE_ACCEPT = 1,	/* accept, no further rule */
	SLUICE_REJECT = 2,	/* the filter's reject_reply, with the reason */
	SLUICE_TEMPFAIL = 3,	/* the filter's tempfail_reply */
	SLUICE_DISCARD = 4,	/* accept and drop */
	SLUICE_QUARANTINE = 5,	/* keep it in the quarantine */
	SLUICE_ERROR = 6	/* the module failed: the filter's on_error,
				   counted toward its error_threshold; the
				   reason says why */
};

/* one setting of the filter's settings group, as text */
struct sluice_setting {
	const char	*name;
	const char	*value;	/* a number or true/false as written */
};

/* one header field of the message, in order */
struct sluice_header {
	const char	*name;
	const char	*value;	/* unfolded line ends kept, without the
				   space after the colon */
};

/* what filter() gets; everything is valid only during the call */
struct sluice_message {
	int				 fd;	/* the message, read-only, at
						   offset 0: header, empty line,
						   body; LF line ends */
	unsigned long long		 size;	/* bytes in fd */
	const struct sluice_header	*headers;
	size_t				 nheaders;
	const char			*sender;	/* "" for <> */
	const char *const		*recipients;
	size_t				 nrecipients;
	const char			*queue_id;	/* or "" */
	const char			*client_addr;	/* or "" */
	const char			*client_name;	/* or "" */
	const char			*helo;		/* or "" */
	const char			*rule;		/* the rule that ran it */
	const char			*filter;	/* the filter's name */
};

/*
 * What filter() hands back besides its verdict.  directive() adds one
 * line of the result file language of sluice-filters(7) ("add-header
 * X-Checked: yes", "reason over the size limit", ...), printf-style; it
 * returns 0, or -1 when the line is over 998 bytes or the directives
 * over the result file's limit.  The lines are checked as an exec
 * filter's result file is: one bad line makes the run an error.
 */
struct sluice_result {
	int	(*directive)(struct sluice_result *, const char *fmt, ...)
#if defined(__GNUC__)
		    __attribute__((format(printf, 2, 3)))
#endif
		    ;
	void	*sluice;	/* sluiced's own; not for the module */
};

/* flags */
#define SLUICE_MODULE_SERIAL	0x1	/* at most one filter() at a time */

struct sluice_module {
	unsigned	 abi_version;	/* SLUICE_MODULE_ABI_VERSION */
	const char	*name;		/* the module's own name, for logs */
	unsigned	 flags;
	/*
	 * init - settings[0..nsettings) are the filter's settings.  Sets
	 * *state (passed to filter and fini) and returns 0; or returns -1
	 * with a one-line reason in err (at most errlen bytes with its NUL),
	 * and the configuration is refused with it.  NULL: nothing to do.
	 */
	int		 (*init)(const struct sluice_setting *settings,
			    size_t nsettings, void **state, char *err,
			    size_t errlen);
	enum sluice_verdict
			 (*filter)(void *state, const struct sluice_message *,
			    struct sluice_result *);
	/* fini - free the state; NULL: nothing to do */
	void		 (*fini)(void *state);
};

/*
 * The one object a module defines (and exports: not static).  Declared
 * here so that a C++ module's definition gets C linkage and the name
 * sluiced looks for.
 */
extern const struct sluice_module sluice_module;

#ifdef __cplusplus
}
#endif

#endif
