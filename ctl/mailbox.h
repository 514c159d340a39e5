/*
 * mailbox.h - mbox files, Maildirs and single message files
 */
#ifndef SLUICE_MAILBOX_H
#define SLUICE_MAILBOX_H

#include <stddef.h>

struct envelope;
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
