/*
 * engine.h - rules, filters and verdicts for one message
 *
 * Every front end (milter, SMTP/LMTP, sluicectl) uses the engine the same
 * way: spool the message with spool_msg_create() and spool_msg_write()
 * (LF line endings), then hand it and its envelope to engine_judge(),
 * which always ends in a verdict and a reply; a spool failure or an
 * internal one becomes a tempfail (or 552 for a message over
 * message_max), never an accept.  Changes are kept
 * two ways: as the current header list, envelope and message file (for
 * the SMTP path and sluicectl), and as a list of modifications in milter
 * terms (for the milter path).
 */
#ifndef SLUICE_ENGINE_H
#define SLUICE_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/config.h"
#include "lib/spawn.h"
#include "mail/envelope.h"
#include "mail/header.h"
#include "mail/reply.h"
#include "mail/verdict.h"

enum mod_kind {
	MOD_ADD_HEADER,		/* name, value */
	MOD_INSERT_HEADER,	/* index (0 = top), name, value */
	MOD_CHANGE_HEADER,	/* name, index (1-based), value */
	MOD_DELETE_HEADER,	/* name, index (1-based) */
	MOD_ADD_RCPT,		/* value */
	MOD_DELETE_RCPT,	/* value */
	MOD_CHANGE_SENDER,	/* value ("" = null sender) */
	MOD_REPLACE_BODY	/* the body of the current message file */
};

/* header values keep their raw form: a leading space, folded lines */
struct engine_mod {
	enum mod_kind	 kind;
	char		*name;
	char		*value;
	int		 index;
};

enum step_kind {
	STEP_ADDRESS_RULE,
	STEP_RULE
};

/* what happened at one rule: for the trace, the log and the tests */
struct engine_step {
	enum step_kind	 kind;
	const char	*rule;		/* owned by the config snapshot */
	const char	*filter;
	int		 matched;	/* 1, 0, or -1: undecided (a regex
					   could not finish) */
	char		 why[320];	/* why it matched, or not, or skipped */
	char		**argv;		/* after substitution, or NULL */
	char		 outcome[160];	/* "exit=1", "timeout after 5000ms" */
	long		 elapsed_us;
	enum verdict	 verdict;	/* mapped, or V_ERROR */
	char		 error[320];	/* why it is an error */
	enum verdict	 result;	/* after on_error / when_off */
	char		**applied;	/* directives applied, as text */
	char		*out_head;	/* first lines of stdout, printable */
	char		*err_head;
	char		*reason;
};

struct engine_msg {
	struct config		*cfg;		/* a reference */
	struct envelope		 env;		/* current */
	char			*workdir;
	char			*msgfile;	/* current message file */
	struct header_list	 hdr;		/* current header block */
	size_t			 body_off;	/* of msgfile */
	unsigned long long	 size;		/* of the current message */
	int			 dirty;		/* hdr differs from msgfile */
	int			 seq;		/* file version counter */
	time_t			 now;		/* wall clock for time windows */
	struct engine_mod	*mods;
	size_t			 nmods;
	int			 body_replaced;
	struct engine_step	*steps;
	size_t			 nsteps;
	enum verdict		 verdict;	/* final; never V_CONTINUE */
	const char		*decided_by;	/* rule name, or NULL */
	char			*reason;
	struct reply	 reply;
};

/*
 * how filter programs are started: spawn_run() in this process by default
 * (sluicectl, tests); sluiced points it at the launcher.  0 when res
 * describes the run, -1 with why for our own failure (a tempfail).
 */
extern int	(*engine_spawn)(const struct spawn_req *, struct spawn_res *,
		    char *why, size_t whylen);

/* what a front end hands the engine: the spooled message, or why it
 * could not be spooled, and the envelope (copied; NULL = unknown) */
struct engine_input {
	struct config		*cfg;		/* a reference is taken */
	const char		*workdir;	/* from spool_msg_create() */
	int			 spool_error;	/* errno of spooling, 0: the
						   message is complete */
	const char		*spool_why;	/* its explanation, or NULL */
	int			 quarantine_in_spool; /* quarantine moves the
						   work directory into
						   <spool_dir>/quarantine */
	const char		*queue_id;	/* names the message in logs */
	const char		*sender;	/* "" = null sender */
	char *const		*rcpt;
	size_t			 nrcpt;
	const char		*mail_args;	/* MAIL FROM's parameters */
	const char		*client_addr;
	const char		*client_name;
	const char		*helo;
	const char		*auth_user;
};

/*
 * engine_judge - the one call a front end makes: checks the envelope,
 * runs the address rules, then the filter rules, and always ends in
 * m->verdict and m->reply.  A message that could not be spooled
 * (spool_error) runs nothing: EFBIG is over message_max (552 5.3.4),
 * anything else the configured tempfail; so is any failure of our own.
 * With quarantine_in_spool a quarantine verdict moves the work
 * directory (a failure to do so becomes a tempfail).  m is the
 * caller's to free with engine_msg_free(), whatever happened.
 */
void	engine_judge(struct engine_msg *m, const struct engine_input *in);

/* what engine_judge() has done in this process, for the control socket */
struct engine_totals {
	uint64_t	in_flight;		/* being judged now */
	uint64_t	verdicts[V_COUNT];	/* final verdicts given */
};
void	engine_totals(struct engine_totals *);
/* engine_judged - when set, told of every message judged (the message
 * log); it must not keep pointers into m or in */
extern void	(*engine_judged)(const struct engine_msg *m,
		    const struct engine_input *in);
/*
 * engine_rcpt_classes - for per-recipient answers (LMTP): group the
 * recipients of in by the rules and address rules that would select
 * each of them if it were the only recipient of the message in
 * in->workdir.  cls[i] gets recipient i's group (0, 1, ...); returns
 * the number of groups: 1 when no rule looks at recipients.
 */
size_t	engine_rcpt_classes(const struct engine_input *in, size_t *cls);
/*
 * engine_write_message - the current message, LF line endings, in
 * pieces to sink(arg, p, len), which returns 0, or -1 with errno to
 * stop.  0, or -1 with errno (of the sink, or of reading the file).
 */
int	engine_write_message(const struct engine_msg *m,
	    int (*sink)(void *arg, const char *p, size_t len), void *arg);
void	engine_msg_free(struct engine_msg *m);

#endif
