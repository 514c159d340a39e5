/*
 * engine_int.h - what the engine's files share; not for front ends
 */
#ifndef SLUICE_ENGINE_INT_H
#define SLUICE_ENGINE_INT_H

#include "engine/engine.h"
#include "mail/directive.h"
#include "rules/filter_state.h"

struct addr_rule;
struct rule;

/* what one filter run produced */
struct filter_outcome {
	enum verdict		 verdict;	/* mapped exit code or V_ERROR */
	char			*error;		/* why V_ERROR */
	int			 internal;	/* our failure, not the filter's:
						   tempfail, never on_error */
	enum fs_error		 errkind;	/* with V_ERROR: what failed */
	struct directive_list	 dl;
	char			*newfile;	/* replacement message, or NULL */
	char			*reason;
};

/* engine_filter.c */
void	engine_exec_filter(struct engine_msg *, const struct rule *,
	    struct engine_step *, struct filter_outcome *);
void	filter_outcome_free(struct filter_outcome *);
/* filter_outcome_fail - make the outcome an error, with why */
void	filter_outcome_fail(struct filter_outcome *, enum fs_error,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* engine_module.c: the same for a module filter, in this process */
void	engine_module_filter(struct engine_msg *, const struct rule *,
	    struct engine_step *, struct filter_outcome *);

/* engine_apply.c */
void	engine_mod_add(struct engine_msg *, enum mod_kind, const char *name,
	    const char *value, int index);
int	engine_apply_replacement(struct engine_msg *, const char *path,
	    char *why, size_t whylen);
void	engine_apply_directives(struct engine_msg *,
	    const struct directive_list *, struct engine_step *);
/* engine_address_rules - run them; 0, or -1 when one could not be
 * decided (a regex could not finish): its step, the last, says why */
int	engine_address_rules(struct engine_msg *);
/* engine_arule_selects - an address rule is about rcpt: it has no
 * recipient patterns, or one matches (1); none does (0); or -1 when a
 * regex could not finish, with why */
int	engine_arule_selects(const struct addr_rule *, const char *rcpt,
	    char *why, size_t whylen);
/* engine_sync - write a new message file when headers changed */
int	engine_sync(struct engine_msg *, char *why, size_t whylen);
struct engine_step *engine_step_new(struct engine_msg *, enum step_kind);
void	step_applied(struct engine_step *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* engine_reply.c */
/* reply_from_cfg - a configured reply, with the reason when it wants one */
void	reply_from_cfg(struct reply *, const struct reply_cfg *,
	    const char *reason);
/* reply_clean_reason - one printable line of at most max bytes */
char	*reply_clean_reason(const char *s, size_t len, size_t max);

#endif
