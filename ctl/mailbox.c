/*
 * mailbox.c - read stored mail: mbox files, Maildirs, single messages
 *
 * An mbox is split at "From " lines that start the file or follow an
 * empty line; the "From " line itself is not part of the message, and
 * one '>' is removed from ">From " lines (mboxrd).  A Maildir is the
 * files of its cur/ and new/ in name order.  Any other regular file is
 * one message.
 * SECURITY: mailboxes hold untrusted mail; sizes are bounded and files
 * are read, never written.
 * ERRORS: returned with a why text.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mailbox.h"
#include "lib/buf.h"
#include "lib/file.h"
#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "mail/header.h"

#define MAILBOX_MAX	(4UL * 1024 * 1024 * 1024)
#define MESSAGE_MAX	(1024UL * 1024 * 1024)

struct mailbox {
	char	 *path;
	int	  is_maildir;
	/* mbox or single file */
	char	 *data;
	size_t	  len;
	size_t	  off;
	int	  single;
	int	  n;
	/* Maildir */
	char	**files;
	size_t	  nfiles;
	size_t	  next;
};

/* name_cmp - qsort by name */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* add_dir - the regular files of a Maildir subdirectory */
static int
add_dir(struct mailbox *mb, const char *sub)
{
	struct dirent	*de;
	DIR		*d;
	char		*dir, *p;
	struct stat	 st;

	xasprintf(&dir, "%s/%s", mb->path, sub);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&p, "%s/%s", dir, de->d_name);
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		mb->files = xreallocarray(mb->files, mb->nfiles + 1,
		    sizeof(*mb->files));
		mb->files[mb->nfiles++] = p;
	}
	closedir(d);
	free(dir);
	return 0;
}

/* mailbox_open - look at path and get ready to read */
struct mailbox *
mailbox_open(const char *path, char *why, size_t whylen)
{
	struct mailbox	*mb;
	struct stat	 st;
	char		*sub;

	if (stat(path, &st) != 0) {
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	mb = xcalloc(1, sizeof(*mb));
	mb->path = xstrdup(path);
	if (S_ISDIR(st.st_mode)) {
		xasprintf(&sub, "%s/cur", path);
		if (stat(sub, &st) != 0) {
			free(sub);
			xasprintf(&sub, "%s/new", path);
			if (stat(sub, &st) != 0) {
				why_set(why, whylen, "%s: a directory but not "
				    "a Maildir (no cur/ or new/)", path);
				free(sub);
				mailbox_close(&mb);
				return NULL;
			}
		}
		free(sub);
		mb->is_maildir = 1;
		if (add_dir(mb, "cur") != 0 || add_dir(mb, "new") != 0) {
			why_set(why, whylen, "%s: %s", path, strerror(errno));
			mailbox_close(&mb);
			return NULL;
		}
		qsort(mb->files, mb->nfiles, sizeof(*mb->files), name_cmp);
		return mb;
	}
	if (file_read(path, MAILBOX_MAX, 1, &mb->data, &mb->len) != 0) {
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		mailbox_close(&mb);
		return NULL;
	}
	mb->single = mb->len < 5 || memcmp(mb->data, "From ", 5) != 0;
	return mb;
}

/* is_separator - a "From " line at off that starts a message */
static int
is_separator(const struct mailbox *mb, size_t off)
{
	if (mb->len - off < 5 || memcmp(mb->data + off, "From ", 5) != 0)
		return 0;
	if (off == 0)
		return 1;
	/* after an empty line: "\n\n" or "\r\n\r\n" before it */
	return (off >= 2 && mb->data[off - 1] == '\n' &&
	    mb->data[off - 2] == '\n') ||
	    (off >= 4 && memcmp(mb->data + off - 4, "\r\n\r\n", 4) == 0);
}

/* unescape_mboxrd - copy a message, removing one '>' from >+From lines */
static char *
unescape_mboxrd(const char *p, size_t len, size_t *outlen)
{
	struct buf	b;
	size_t		i = 0, q;

	buf_init(&b, 0);
	while (i < len) {
		if (i == 0 || p[i - 1] == '\n') {
			for (q = i; q < len && p[q] == '>'; q++)
				;
			if (q > i && len - q >= 5 &&
			    memcmp(p + q, "From ", 5) == 0)
				i++;
		}
		(void)buf_appendc(&b, p[i]);
		i++;
	}
	return buf_steal(&b, outlen);
}

/* mailbox_next - the next message of the mailbox */
int
mailbox_next(struct mailbox *mb, char **data, size_t *len, char **label,
    char *why, size_t whylen)
{
	size_t	start, end;
	char	*nl;

	if (mb->is_maildir) {
		if (mb->next >= mb->nfiles)
			return 0;
		*label = xstrdup(mb->files[mb->next]);
		if (file_read(mb->files[mb->next++], MESSAGE_MAX, 1,
		    data, len) != 0) {
			why_set(why, whylen, "%s: %s", *label,
			    strerror(errno));
			return -1;
		}
		return 1;
	}
	if (mb->off >= mb->len && !(mb->single && mb->n == 0))
		return 0;
	if (mb->single) {
		mb->off = mb->len;
		mb->n++;
		*label = xstrdup(mb->path);
		*data = xmemdup(mb->data, mb->len);
		*len = mb->len;
		return 1;
	}
	/* skip the "From " line */
	nl = memchr(mb->data + mb->off, '\n', mb->len - mb->off);
	start = nl ? (size_t)(nl - mb->data) + 1 : mb->len;
	for (end = start; end < mb->len; end++)
		if ((end == start || mb->data[end - 1] == '\n') &&
		    is_separator(mb, end))
			break;
	mb->off = end;
	mb->n++;
	/* the empty line before the next "From " belongs to the format */
	if (end < mb->len && end > start && mb->data[end - 1] == '\n')
		end--;
	if (end > start && mb->data[end - 1] == '\r')
		end--;
	xasprintf(label, "%s:%d", mb->path, mb->n);
	*data = unescape_mboxrd(mb->data + start, end - start, len);
	return 1;
}

/* mailbox_close - release the mailbox */
void
mailbox_close(struct mailbox **mbp)
{
	struct mailbox	*mb = *mbp;
	size_t		 i;

	if (mb == NULL)
		return;
	for (i = 0; i < mb->nfiles; i++)
		free(mb->files[i]);
	free(mb->files);
	free(mb->data);
	free(mb->path);
	free(mb);
	*mbp = NULL;
}

/* add_addresses - the addresses of an address-list header value */
static void
add_addresses(struct envelope *env, const char *v)
{
	const char	*p = v, *lt, *gt, *item;
	char		*a, *s;
	size_t		 len;
	int		 inq = 0;

	for (item = p; ; p++) {
		if (*p == '"')
			inq = !inq;
		if ((*p != ',' || inq) && *p != '\0')
			continue;
		s = xstrndup(item, (size_t)(p - item));
		lt = strchr(s, '<');
		gt = lt ? strchr(lt, '>') : NULL;
		if (lt && gt)
			a = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		else {
			const char *b = s + strspn(s, " \t");

			len = strcspn(b, " \t");
			a = xstrndup(b, len);
		}
		if (*a != '\0' && strchr(a, '@') != NULL)
			envelope_add_rcpt(env, a);
		free(a);
		free(s);
		if (*p == '\0')
			break;
		item = p + 1;
	}
}

/* mailbox_envelope - an envelope for stored mail, from its headers */
void
mailbox_envelope(const char *data, size_t len, struct envelope *env)
{
	static const char *const rcpt_fields[] = {
		"Delivered-To", "X-Original-To", NULL
	};
	struct header_list	 hl = { 0 };
	const struct header	*h;
	char			 why[128], *v;
	size_t			 body_off;
	int			 i, j;

	if (header_parse(data, len, &hl, &body_off, 0, why, sizeof(why)) != 0)
		return;
	if (env->sender == NULL && (h = header_get(&hl, "Return-Path", 1))) {
		v = header_value_unfold(h->value);
		env->sender = envelope_unbracket(v);
		free(v);
	}
	for (i = 0; env->nrcpt == 0 && rcpt_fields[i] != NULL; i++)
		for (j = 1; (h = header_get(&hl, rcpt_fields[i], j)); j++) {
			v = header_value_unfold(h->value);
			add_addresses(env, v);
			free(v);
		}
	if (env->nrcpt == 0)
		for (i = 0; i < 2; i++)
			for (j = 1; (h = header_get(&hl, i ? "Cc" : "To", j));
			    j++) {
				v = header_value_unfold(h->value);
				add_addresses(env, v);
				free(v);
			}
	header_list_free(&hl);
}
