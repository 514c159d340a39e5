/*
 * engine_apply.c - change the message: directives, replacement messages,
 * address rules
 *
 * Every change is made twice: to the current state (header list,
 * envelope, message file) and as a modification in milter terms, so the
 * milter front end can replay exactly what happened.
 * SECURITY: directives were checked by directive_parse(), replacement
 * messages by engine_filter.c; this file trusts them to be well formed
 * but not to be sensible (a delete of an absent header is a no-op).
 * ERRORS: file errors are returned with a why text; nothing is fatal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "engine/spool.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "mail/header.h"
#include "mail/message.h"
#include "rules/cond.h"

/* engine_step_new - append an empty step */
struct engine_step *
engine_step_new(struct engine_msg *m, enum step_kind kind)
{
	struct engine_step	*st;

	m->steps = xreallocarray(m->steps, m->nsteps + 1, sizeof(*m->steps));
	st = &m->steps[m->nsteps++];
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->result = V_CONTINUE;
	return st;
}

/* step_applied - note one applied change in the step */
void
step_applied(struct engine_step *st, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n = 0;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		fatal("vasprintf");
	va_end(ap);
	while (st->applied != NULL && st->applied[n] != NULL)
		n++;
	st->applied = xreallocarray(st->applied, n + 2, sizeof(char *));
	st->applied[n] = s;
	st->applied[n + 1] = NULL;
}

/* engine_mod_add - record a modification for the milter front end */
void
engine_mod_add(struct engine_msg *m, enum mod_kind kind, const char *name,
    const char *value, int index)
{
	struct engine_mod	*md;

	m->mods = xreallocarray(m->mods, m->nmods + 1, sizeof(*m->mods));
	md = &m->mods[m->nmods++];
	md->kind = kind;
	md->name = name ? xstrdup(name) : NULL;
	md->value = value ? xstrdup(value) : NULL;
	md->index = index;
}

/* spaced - a header value as stored: with one leading space */
static char *
spaced(const char *v)
{
	char	*s;

	xasprintf(&s, " %s", v);
	return s;
}

/* delete_all - delete every field called name, last first */
static int
delete_all(struct engine_msg *m, const char *name)
{
	int	i, n = header_count(&m->hdr, name);

	for (i = n; i >= 1; i--) {
		engine_mod_add(m, MOD_DELETE_HEADER, name, NULL, i);
		(void)header_delete(&m->hdr, name, i);
	}
	if (n > 0)
		m->dirty = 1;
	return n;
}

/* has_rcpt - is addr a recipient already (case-insensitive) */
static int
has_rcpt(const struct envelope *env, const char *addr)
{
	size_t	i;

	for (i = 0; i < env->nrcpt; i++)
		if (strcasecmp(env->rcpt[i], addr) == 0)
			return 1;
	return 0;
}

/* add_rcpt - add a recipient once */
static int
add_rcpt(struct engine_msg *m, const char *addr)
{
	if (has_rcpt(&m->env, addr))
		return 0;
	envelope_add_rcpt(&m->env, addr);
	engine_mod_add(m, MOD_ADD_RCPT, NULL, addr, 0);
	return 1;
}

/*
 * del_rcpt - remove every recipient equal to addr, ignoring case.  The
 * MTA matches the address exactly as the client spelled it, so each
 * removal is recorded in the envelope's spelling, once per spelling.
 */
static int
del_rcpt(struct engine_msg *m, const char *addr)
{
	size_t	i, k;

	for (i = 0; i < m->env.nrcpt; i++) {
		if (strcasecmp(m->env.rcpt[i], addr) != 0)
			continue;
		for (k = 0; k < i; k++)
			if (strcmp(m->env.rcpt[k], m->env.rcpt[i]) == 0)
				break;
		if (k == i)
			engine_mod_add(m, MOD_DELETE_RCPT, NULL,
			    m->env.rcpt[i], 0);
	}
	return envelope_del_rcpt(&m->env, addr) > 0;
}

/* prefix_subject - "Subject: [tag] old subject" */
static void
prefix_subject(struct engine_msg *m, const char *prefix,
    struct engine_step *st)
{
	const struct header	*h = header_get(&m->hdr, "Subject", 1);
	const char		*old;
	char			*v;

	if (h == NULL) {
		v = spaced(prefix);
		header_add(&m->hdr, "Subject", v);
		engine_mod_add(m, MOD_ADD_HEADER, "Subject", v, 0);
	} else {
		old = h->value + strspn(h->value, " \t");
		xasprintf(&v, " %s %s", prefix, old);
		(void)header_change(&m->hdr, "Subject", 1, v);
		engine_mod_add(m, MOD_CHANGE_HEADER, "Subject", v, 1);
	}
	step_applied(st, "prefix-subject %s", prefix);
	free(v);
	m->dirty = 1;
}

/* apply_one - one directive */
static void
apply_one(struct engine_msg *m, const struct directive *d,
    struct engine_step *st)
{
	char	*v;
	int	 n;

	switch (d->kind) {
	case D_REASON:
		break;
	case D_ADD_HEADER:
		v = spaced(d->value);
		header_add(&m->hdr, d->name, v);
		engine_mod_add(m, MOD_ADD_HEADER, d->name, v, 0);
		step_applied(st, "add-header %s:%s", d->name, v);
		free(v);
		m->dirty = 1;
		break;
	case D_INSERT_HEADER:
		v = spaced(d->value);
		header_insert(&m->hdr, (size_t)d->index, d->name, v);
		engine_mod_add(m, MOD_INSERT_HEADER, d->name, v, d->index);
		step_applied(st, "insert-header %d %s:%s", d->index, d->name,
		    v);
		free(v);
		m->dirty = 1;
		break;
	case D_CHANGE_HEADER:
		v = spaced(d->value);
		n = d->index > 0 ? d->index : 1;
		if (header_change(&m->hdr, d->name, n, v) == 0) {
			engine_mod_add(m, MOD_CHANGE_HEADER, d->name, v, n);
			step_applied(st, "change-header %s[%d]:%s", d->name, n,
			    v);
		} else {
			/* changing a field that is not there adds it, as
			 * smfi_chgheader does */
			header_add(&m->hdr, d->name, v);
			engine_mod_add(m, MOD_ADD_HEADER, d->name, v, 0);
			step_applied(st, "change-header %s[%d]:%s (absent, "
			    "added)", d->name, n, v);
		}
		free(v);
		m->dirty = 1;
		break;
	case D_DELETE_HEADER:
		if (d->index == 0)
			n = delete_all(m, d->name);
		else if ((n = header_delete(&m->hdr, d->name, d->index)) > 0) {
			engine_mod_add(m, MOD_DELETE_HEADER, d->name, NULL,
			    d->index);
			m->dirty = 1;
		}
		if (d->index == 0)
			step_applied(st, "delete-header %s (%d deleted)",
			    d->name, n);
		else
			step_applied(st, "delete-header %s[%d] (%d deleted)",
			    d->name, d->index, n);
		break;
	case D_PREFIX_SUBJECT:
		prefix_subject(m, d->value, st);
		break;
	case D_ADD_RCPT:
		n = add_rcpt(m, d->value);
		step_applied(st, "add-rcpt <%s>%s", d->value,
		    n ? "" : " (already a recipient)");
		break;
	case D_DELETE_RCPT:
		n = del_rcpt(m, d->value);
		step_applied(st, "delete-rcpt <%s>%s", d->value,
		    n ? "" : " (not a recipient)");
		break;
	case D_CHANGE_SENDER:
		envelope_set_sender(&m->env, d->value);
		engine_mod_add(m, MOD_CHANGE_SENDER, NULL, d->value, 0);
		step_applied(st, "change-sender <%s>", d->value);
		break;
	}
}

/* engine_apply_directives - apply a parsed result file in order */
void
engine_apply_directives(struct engine_msg *m,
    const struct directive_list *dl, struct engine_step *st)
{
	size_t	i;

	for (i = 0; i < dl->n; i++)
		apply_one(m, &dl->d[i], st);
}

/*
 * use_message_file - path (a file of ours) is now the current message.
 * The copy it supersedes goes, unless it is the front end's original:
 * a long pipeline of rewrites keeps one copy, not one per rewrite.
 */
static void
use_message_file(struct engine_msg *m, char *path, size_t body_off,
    unsigned long long size)
{
	const char	*base = strrchr(m->msgfile, '/');

	if (base != NULL && strcmp(base + 1, "message") != 0)
		(void)unlink(m->msgfile);
	free(m->msgfile);
	m->msgfile = path;
	m->body_off = body_off;
	m->size = size;
	m->dirty = 0;
}

/* engine_apply_replacement - path (our checked copy) becomes the message */
int
engine_apply_replacement(struct engine_msg *m, const char *path, char *why,
    size_t whylen)
{
	struct header_list	nh = { 0 };
	size_t			i, body_off;
	unsigned long long	size;

	if (message_read_headers(path, &nh, &body_off, &size, why,
	    whylen) != 0)
		return -1;
	/* in milter terms: every old field goes, every new one comes */
	while (m->hdr.n > 0) {
		/* the name is freed by the deletion: work on a copy */
		char *name = xstrdup(m->hdr.h[0].name);

		delete_all(m, name);
		free(name);
	}
	for (i = 0; i < nh.n; i++)
		engine_mod_add(m, MOD_ADD_HEADER, nh.h[i].name,
		    nh.h[i].value, 0);
	engine_mod_add(m, MOD_REPLACE_BODY, NULL, NULL, 0);
	header_list_free(&m->hdr);
	m->hdr = nh;
	use_message_file(m, xstrdup(path), body_off, size);
	m->body_replaced = 1;
	return 0;
}

/* engine_sync - bring the message file up to date with the headers */
int
engine_sync(struct engine_msg *m, char *why, size_t whylen)
{
	char			*dst;
	size_t			 off;
	unsigned long long	 size;

	if (!m->dirty)
		return 0;
	dst = spool_path(m->workdir, SPOOL_VERSION, m->seq++);
	if (message_write(dst, &m->hdr, m->msgfile, m->body_off, &size, &off,
	    why, whylen) != 0) {
		(void)unlink(dst);
		free(dst);
		return -1;
	}
	use_message_file(m, dst, off, size);
	return 0;
}

/* engine_arule_selects - whether an address rule is about rcpt: 1, 0,
 * or -1 when a regex could not finish (why says which) */
int
engine_arule_selects(const struct addr_rule *a, const char *rcpt, char *why,
    size_t whylen)
{
	if (match_list_empty(&a->rcpt))
		return 1;
	return cond_match_text(&a->rcpt, "recipient", rcpt, why, whylen);
}

/* engine_address_rules - add, redirect, add headers before the filters;
 * 0, or -1 when a rule could not be decided (its step says why) */
int
engine_address_rules(struct engine_msg *m)
{
	const struct addr_rule	*a;
	struct engine_step	*st;
	char			**sel, *v;
	size_t			  i, j, nsel;
	int			  r;

	for (i = 0; i < m->cfg->narules; i++) {
		a = &m->cfg->arules[i];
		st = engine_step_new(m, STEP_ADDRESS_RULE);
		st->rule = a->name;
		r = match_list_empty(&a->sender) ? 1 :
		    cond_match_text(&a->sender, "sender", m->env.sender,
		    st->why, sizeof(st->why));
		if (r < 0)
			return -1;
		if (r == 0) {
			snprintf(st->why, sizeof(st->why), "sender does not "
			    "match");
			continue;
		}
		/* the recipients the rule is about, every one decided
		 * before anything changes */
		sel = xcalloc(m->env.nrcpt + 1, sizeof(*sel));
		for (nsel = 0, j = 0; j < m->env.nrcpt; j++) {
			r = engine_arule_selects(a, m->env.rcpt[j], st->why,
			    sizeof(st->why));
			if (r < 0) {
				xfree_strv(&sel);
				return -1;
			}
			if (r > 0)
				sel[nsel++] = xstrdup(m->env.rcpt[j]);
		}
		if (!match_list_empty(&a->rcpt) && nsel == 0) {
			snprintf(st->why, sizeof(st->why), "no recipient "
			    "matches");
			xfree_strv(&sel);
			continue;
		}
		st->matched = 1;
		snprintf(st->why, sizeof(st->why), "%zu recipient%s selected",
		    nsel, nsel == 1 ? "" : "s");
		for (j = 0; a->redirect != NULL && j < nsel; j++) {
			size_t k;

			(void)del_rcpt(m, sel[j]);
			for (k = 0; a->redirect[k] != NULL; k++)
				(void)add_rcpt(m, a->redirect[k]);
			step_applied(st, "redirect <%s> to %zu address%s",
			    sel[j], k, k == 1 ? "" : "es");
		}
		for (j = 0; a->add_rcpt != NULL && a->add_rcpt[j] != NULL; j++)
			if (add_rcpt(m, a->add_rcpt[j]))
				step_applied(st, "add-rcpt <%s>",
				    a->add_rcpt[j]);
		for (j = 0; j < a->nadd_header; j++) {
			v = spaced(a->add_header[j].value);
			header_add(&m->hdr, a->add_header[j].name, v);
			engine_mod_add(m, MOD_ADD_HEADER,
			    a->add_header[j].name, v, 0);
			step_applied(st, "add-header %s:%s",
			    a->add_header[j].name, v);
			free(v);
			m->dirty = 1;
		}
		xfree_strv(&sel);
	}
	return 0;
}
