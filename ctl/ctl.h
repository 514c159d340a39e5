/*
 * ctl.h - sluicectl's commands and what they share
 */
#ifndef SLUICE_CTL_H
#define SLUICE_CTL_H

#include <stddef.h>

struct config;
struct envelope;
struct engine_msg;

/* exit statuses of "sluicectl try" (see sluicectl(8)) */
#define TRY_ACCEPT	0
#define TRY_REJECT	1
#define TRY_TEMPFAIL	2
#define TRY_DISCARD	3
#define TRY_QUARANTINE	4
#define EXIT_USAGE	64
#define EXIT_NOINPUT	66
#define EXIT_SOFTWARE	70
#define EXIT_CONFIG	78

#define CTL_MAX_OVERRIDES	32

int	ctl_try(int argc, char **argv);
int	ctl_scan(int argc, char **argv);

/* ctl_load_config - load and print every error to stderr */
struct config	*ctl_load_config(const char *path, char **overrides);
/* ctl_spool_base - a private temporary spool for offline runs */
char		*ctl_spool_base(void);
/*
 * ctl_filter_message - spool data (len bytes) under base, run the engine.
 * env is moved into m.  0, or -1 with why (nothing was run).
 */
int		 ctl_filter_message(struct config *, const char *base,
		    const char *data, size_t len, struct envelope *env,
		    struct engine_msg *m, char *why, size_t whylen);
/* ctl_verdict_exit - the try exit status of a verdict */
int		 ctl_verdict_exit(int verdict);

/* mailbox.c: mbox files, Maildirs and single message files */
struct mailbox;
struct mailbox	*mailbox_open(const char *path, char *why, size_t whylen);
/* mailbox_next - the next message; 1 = got one, 0 = end, -1 = error */
int		 mailbox_next(struct mailbox *, char **data, size_t *len,
		    char **label, char *why, size_t whylen);
void		 mailbox_close(struct mailbox **);
/* mailbox_envelope - sender from Return-Path, recipients from
 * Delivered-To, X-Original-To, or To and Cc, for scanning stored mail */
void		 mailbox_envelope(const char *data, size_t len,
		    struct envelope *env);

#endif
