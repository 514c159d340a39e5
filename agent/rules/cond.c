/*
 * cond.c - evaluate rule conditions
 *
 * Three answers: holds (1), does not hold (0), and undecided (-1) when a
 * regex could not finish matching (match.h) and nothing else settles
 * it.  An undecided part decides nothing by itself: a list of patterns
 * still matches on another pattern, "any" recipient on another
 * recipient, a header on another field of that name; "all" recipients
 * and a condition set still fail on a part that does not hold.
 * SECURITY: reads envelope values and header fields of untrusted mail;
 * only compares them.  Values quoted in the explanation are passed
 * through str_printable() so a trace cannot be forged by a header.
 * ERRORS: none but undecided, which the caller must not take for
 * either answer (the engine tempfails the message).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/why.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "mail/header.h"
#include "rules/cond.h"

static const char *const field_names[] = {
	"sender", "recipient", "subject", "header", "size", "time"
};

/* cond_field_name - the config key of a condition */
const char *
cond_field_name(enum cond_field f)
{
	return field_names[f];
}

/* str_printable - printable, bounded copy for traces */
void
str_printable(char *dst, size_t dstlen, const char *src)
{
	size_t	i, n = 0;

	if (dstlen == 0)
		return;
	for (i = 0; src[i] != '\0' && n + 1 < dstlen; i++) {
		if (n + 4 >= dstlen && src[i + 1] != '\0') {
			while (n + 4 > dstlen)
				n--;
			memcpy(dst + n, "...", 3);
			n += 3;
			break;
		}
		dst[n++] = ((unsigned char)src[i] < 0x20 ||
		    src[i] == 0x7f) ? '?' : src[i];
	}
	dst[n] = '\0';
}

/* cond_match_text - one text value against a pattern list */
int
cond_match_text(const struct match_list *ml, const char *label,
    const char *value, char *why, size_t whylen)
{
	const char	*which = NULL;
	char		 pv[120], pw[120], err[128];
	int		 r;

	str_printable(pv, sizeof(pv), value);
	r = match_list_match(ml, value, &which, err, sizeof(err));
	if (r != 0)
		str_printable(pw, sizeof(pw), which);
	if (r == 1) {
		why_set(why, whylen, "%s \"%s\" matches \"%s\"", label, pv,
		    pw);
		return 1;
	}
	if (r < 0) {
		why_set(why, whylen, "%s \"%s\": pattern \"%s\" could not "
		    "finish: %s", label, pv, pw, err);
		return -1;
	}
	why_set(why, whylen, "%s \"%s\" matches none of %zu pattern%s",
	    label, pv, match_list_count(ml),
	    match_list_count(ml) == 1 ? "" : "s");
	return 0;
}

/* eval_rcpt - any or all recipients against the pattern list */
static int
eval_rcpt(const struct cond *c, const struct envelope *env, char *why,
    size_t whylen)
{
	size_t		 i, hits = 0, open = 0;
	const char	*first = NULL;
	char		 pv[120], undecided[320];
	int		 r;

	if (env->nrcpt == 0) {
		why_set(why, whylen, "recipient: the message has none");
		return 0;
	}
	for (i = 0; i < env->nrcpt; i++) {
		/* the first undecided recipient is the one explained */
		r = cond_match_text(&c->ml, "recipient", env->rcpt[i],
		    undecided, open == 0 ? sizeof(undecided) : 0);
		if (r > 0) {
			if (hits++ == 0)
				first = env->rcpt[i];
		} else if (r < 0)
			open++;
		else if (c->rcpt_all) {
			str_printable(pv, sizeof(pv), env->rcpt[i]);
			why_set(why, whylen, "recipient \"%s\" matches none "
			    "of %zu pattern%s (recipient_match = all)", pv,
			    match_list_count(&c->ml),
			    match_list_count(&c->ml) == 1 ? "" : "s");
			return 0;
		}
	}
	if ((hits == 0 || c->rcpt_all) && open > 0) {
		why_set(why, whylen, "%s", undecided);
		return -1;
	}
	if (hits == 0) {
		why_set(why, whylen, "none of %zu recipient%s matches",
		    env->nrcpt, env->nrcpt == 1 ? "" : "s");
		return 0;
	}
	str_printable(pv, sizeof(pv), first);
	if (c->rcpt_all)
		why_set(why, whylen, "all %zu recipients match", env->nrcpt);
	else
		why_set(why, whylen, "recipient \"%s\" matches", pv);
	return 1;
}

/* eval_header - any field of that name whose unfolded value matches */
static int
eval_header(const struct cond *c, const struct header_list *hdr,
    const char *name, char *why, size_t whylen)
{
	const struct header	*h;
	char			*v, label[160], pn[100], undecided[320];
	int			 i, n, r = 0, open = 0;

	str_printable(pn, sizeof(pn), name);
	if ((n = header_count(hdr, name)) == 0) {
		why_set(why, whylen, "no %s header", pn);
		return 0;
	}
	snprintf(label, sizeof(label), "%s", pn);
	for (i = 1; i <= n && r != 1; i++) {
		h = header_get(hdr, name, i);
		v = header_value_unfold(h->value);
		r = cond_match_text(&c->ml, label, v, why, whylen);
		free(v);
		if (r < 0 && open++ == 0)
			snprintf(undecided, sizeof(undecided), "%s", why);
	}
	if (r != 1 && open > 0) {
		why_set(why, whylen, "%s", undecided);
		return -1;
	}
	return r;
}

/* cond_eval - evaluate one condition */
int
cond_eval(const struct cond *c, const struct cond_input *in, char *why,
    size_t whylen)
{
	char	tbuf[32];

	switch (c->field) {
	case CF_SENDER:
		return cond_match_text(&c->ml, "sender", in->env->sender, why,
		    whylen);
	case CF_RCPT:
		return eval_rcpt(c, in->env, why, whylen);
	case CF_SUBJECT:
		return eval_header(c, in->hdr, "Subject", why, whylen);
	case CF_HEADER:
		return eval_header(c, in->hdr, c->header, why, whylen);
	case CF_SIZE:
		if (in->size >= c->size_min && in->size <= c->size_max) {
			why_set(why, whylen, "size %llu is within %llu-%llu",
			    in->size, c->size_min, c->size_max);
			return 1;
		}
		why_set(why, whylen, "size %llu is outside %llu-%llu",
		    in->size, c->size_min, c->size_max);
		return 0;
	case CF_TIME:
		strftime(tbuf, sizeof(tbuf), "%a %Y-%m-%d %H:%M", in->tm);
		if (cron_match(&c->cron, in->tm)) {
			why_set(why, whylen, "time %s is inside \"%s\"", tbuf,
			    c->cron_spec);
			return 1;
		}
		why_set(why, whylen, "time %s is outside \"%s\"", tbuf,
		    c->cron_spec);
		return 0;
	}
	return 0;
}

/* cond_set_eval - all conditions must hold; one that does not decides,
 * else one that is undecided leaves the set undecided */
int
cond_set_eval(const struct cond_set *s, const struct cond_input *in,
    char *why, size_t whylen)
{
	size_t	i;
	int	r, open = 0;
	char	undecided[320];

	for (i = 0; i < s->n; i++) {
		if ((r = cond_eval(&s->c[i], in, why, whylen)) == 0)
			return 0;
		if (r < 0 && open++ == 0)
			snprintf(undecided, sizeof(undecided), "%s", why);
	}
	if (open > 0) {
		why_set(why, whylen, "%s", undecided);
		return -1;
	}
	if (s->n == 0)
		why_set(why, whylen, "no conditions");
	else if (s->n > 1)
		why_set(why, whylen, "all %zu conditions hold", s->n);
	return 1;
}

/* cond_set_add - append a zeroed condition */
struct cond *
cond_set_add(struct cond_set *s, enum cond_field f)
{
	struct cond	*c;

	s->c = xreallocarray(s->c, s->n + 1, sizeof(*s->c));
	c = &s->c[s->n++];
	memset(c, 0, sizeof(*c));
	c->field = f;
	return c;
}

/* cond_set_free - release every condition */
void
cond_set_free(struct cond_set *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		free(s->c[i].header);
		free(s->c[i].cron_spec);
		match_list_free(&s->c[i].ml);
	}
	free(s->c);
	s->c = NULL;
	s->n = 0;
}
