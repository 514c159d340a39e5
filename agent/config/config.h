/*
 * config.h - the configuration snapshot
 *
 * config_load() reads sluice.conf and then every *.conf file of its
 * include_dir in name order, checks everything against one declarative
 * schema (config_schema.c), and builds an immutable, refcounted snapshot:
 * regexes compiled, cron windows parsed, commands split, programs and
 * users looked up.  It reports every error it finds as "file:line: what",
 * not just the first.  A reload builds a new snapshot and swaps the
 * pointer; messages in flight keep the one they started with.
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/listen.h"
#include "lib/spawn.h"
#include "mail/verdict.h"
#include "rules/cond.h"

struct filter_state;

/* a reply an MTA gets: "550 5.7.1 text[: reason]" */
struct reply_cfg {
	int	 code;
	char	*status;	/* enhanced status code */
	char	*text;
	int	 with_reason;	/* append ": <reason>" when there is one */
};

/* one of a module's settings, as text */
struct filter_setting {
	char	*name;
	char	*value;
};

struct filter {
	char			*name;
	char			*file;
	int			 line;
	char			**argv;		/* words; argv[0] absolute;
						   NULL for a module */
	char			*module;	/* absolute path of the .so,
						   or NULL: a program */
	struct filter_setting	*settings;
	size_t			 nsettings;
	int			 isolate;	/* in a host process of its
						   own, not in the agent */
	/* the loaded module (engine_module.c), freed with the snapshot
	 * by mod_free; NULL until engine_modules_load() */
	void			*mod;
	void			(*mod_free)(void *);
	int			 timeout_ms;
	int			 grace_ms;
	int			 instances;	/* 0 = no limit */
	int			 instance_wait_ms;
	enum verdict		 on_error;	/* V_TEMPFAIL or V_CONTINUE */
	int			 sandbox;	/* enum sandbox_profile */
	int			 error_threshold; /* 0 = never switch off */
	int			 cooldown_ms;
	enum verdict		 when_off;	/* V_CONTINUE (skip), V_TEMPFAIL */
	signed char		 exitmap[256];	/* exit code -> verdict, -1 */
	size_t			 output_max;
	size_t			 message_max;	/* replacement message cap */
	struct spawn_limits	 limits;
	char			*user;		/* the filter's user and group */
	char			*group;
	uid_t			 uid;
	gid_t			 gid;
	char			**writable;	/* NULL-terminated, or NULL */
	struct reply_cfg	 reject;
	struct reply_cfg	 tempfail;
	struct filter_state	*state;
	uint64_t		 digest;	/* config_filter_digest() */
};

struct rule {
	char		*name;
	char		*file;
	int		 line;
	struct filter	*filter;
	struct cond_set	 when;
	struct cond_set	 unless;
};

struct header_add {
	char	*name;
	char	*value;		/* without the leading space */
};

struct addr_rule {
	char			*name;
	char			*file;
	int			 line;
	struct match_list	 sender;	/* empty = any */
	struct match_list	 rcpt;		/* empty = any */
	char			**add_rcpt;	/* NULL-terminated */
	char			**redirect;	/* NULL-terminated */
	struct header_add	*add_header;
	size_t			 nadd_header;
};

/* one SMTP/LMTP content-filter socket and where its mail goes on to */
struct smtp_listen {
	char	*listen;	/* socket spec, as milter_listen */
	char	*next_hop;	/* socket spec of the next hop */
	int	 lmtp;		/* clients speak LMTP to us */
	int	 next_lmtp;	/* we speak LMTP to the next hop */
};

struct config {
	int			 refs;
	char			*path;
	char			*spool_dir;
	char			*run_dir;
	char			**milter_listen;	/* NULL-terminated */
	int			 milter_timeout;	/* seconds */
	mode_t			 socket_mode;	/* of the unix sockets */
	char			*socket_group;	/* NULL: user's group */
	gid_t			 socket_gid;	/* socket_group's, or gid */
	char			*control_path;	/* absolute; NULL: none */
	uid_t			 control_uid;	/* the socket file's owner,
						   (uid_t)-1: sluiced's */
	char			*control_group;	/* read-only access; NULL:
						   none */
	gid_t			 control_gid;	/* control_group's, else gid */
	mode_t			 control_mode;
	struct smtp_listen	*smtp;
	size_t			 nsmtp;
	char			*smtp_hostname;
	int			 smtp_timeout;		/* seconds */
	int			 smtp_session_timeout;	/* seconds */
	int			 smtp_connections;
	size_t			 smtp_line_max;
	size_t			 smtp_text_line_max;
	int			 smtp_recipients_max;
	int			 smtp_bare_reject;	/* else normalize */
	unsigned		 smtp_min_data_rate;	/* bytes a second */
	struct listen_net	*smtp_xforward_nets;	/* may send XFORWARD */
	size_t			 smtp_xforward_nnets;
	int			 smtp_xforward_unix;	/* unix socket clients
							   may too */
	int			 relay_timeout;		/* seconds */
	int			 relay_connect_timeout;	/* seconds */
	char			*user;
	uid_t			 uid;
	gid_t			 gid;
	char			*filter_user;	/* the filters' default */
	char			*filter_group;	/* NULL: filter_user's */
	/* filters run as their own users (sluiced started as root);
	 * otherwise all run as the user that runs sluice */
	int			 switch_users;
	char			*include_dir;
	char			*include_path;	/* include_dir, absolute */
	int			 watch_config;	/* reload on a change */
	char			*log_db;	/* the message log, or NULL */
	char			*metrics_listen; /* socket spec, or NULL */
	long long		 log_keep;	/* seconds its rows are kept */
	uint64_t		 digest;	/* of the files' names and
						   bytes, in the order read */
	char			*filter_dir;
	int			 log_debug;
	char			*syslog_facility;
	size_t			 message_max;
	int			 allow_min_user;	/* addresses may start
							   with '-' */
	struct reply_cfg	 reject;
	struct reply_cfg	 tempfail;
	struct filter		*filters;
	size_t			 nfilters;
	struct rule		*rules;
	size_t			 nrules;
	struct addr_rule	*arules;
	size_t			 narules;
};

/* every message of one load, in the order found: errors refuse the
 * configuration, warnings only tell */
struct config_errors {
	char	**msg;
	size_t	  n;
	char	**warn;
	size_t	  nwarn;
};

/*
 * config_load - load path and its include_dir.  overrides are
 * "key=value" strings for top-level keys (sluiced -o), applied before
 * the fragments are read.  Returns a snapshot with refs = 1, or NULL with
 * errs filled in.
 */
struct config	*config_load(const char *path, char *const *overrides,
		    struct config_errors *errs);
void		 config_ref(struct config *);
void		 config_unref(struct config **);

/*
 * The snapshot new messages start with.  The agent owns one holder and
 * hands it to each front end; a message takes its own reference when it
 * starts and keeps that snapshot to its end, whatever replaces the
 * holder's meanwhile.
 */
struct config_holder {
	pthread_mutex_t	 lock;
	struct config	*cfg;
};

/* config_holder_init - the holder takes over the caller's reference */
void		 config_holder_init(struct config_holder *, struct config *);
/* config_holder_set - c replaces the current snapshot (the holder
 * takes the caller's reference) */
void		 config_holder_set(struct config_holder *, struct config *);
/* config_filter_digest - what a filter is (not where it is written) */
uint64_t	 config_filter_digest(const struct filter *);
/* config_holder_get - the current snapshot, a new reference */
struct config	*config_holder_get(struct config_holder *);
struct filter	*config_find_filter(const struct config *, const char *);
void		 config_errors_add(struct config_errors *, const char *,
		    ...) __attribute__((format(printf, 2, 3)));
void		 config_warn_add(struct config_errors *, const char *,
		    ...) __attribute__((format(printf, 2, 3)));
void		 config_errors_free(struct config_errors *);
/* config_schema_print - every schema key, one per line (for checks) */
void		 config_schema_print(void);

#endif
