/*
 * config_schema.c - every config key: name, type, default, range
 *
 * This table is the single description of the config.  schema_check()
 * walks a parsed file against it and reports unknown keys, wrong types
 * and values out of range as "file:line: what", collecting all of them.
 * The getters give a key's value or its default.  "make check" compares
 * this table with sluice.conf(5).
 * SECURITY: config is trusted input; still, no value is used unchecked.
 * ERRORS: reported into a config_errors list; nothing is fatal.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_schema.h"
#include "config/config_tree.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/libexec/sluice"
#endif

#define NOLIM	0, 0
#define REPLY_KEYS(p, code, lo, hi, status, text)			\
	{ p, S_GROUP, NULL, NOLIM, NULL, 0 },				\
	{ p ".code", S_INT, code, lo, hi, NULL, 0 },			\
	{ p ".status", S_STRING, status, NOLIM, NULL, 0 },		\
	{ p ".text", S_STRING, text, NOLIM, NULL, 0 },			\
	{ p ".with_reason", S_BOOL, "true", NOLIM, NULL, 0 }
#define COND_KEYS(p)							\
	{ p ".sender", S_STRINGS, NULL, NOLIM, NULL, 0 },		\
	{ p ".recipient", S_STRINGS, NULL, NOLIM, NULL, 0 },		\
	{ p ".recipient_match", S_STRING, "any", NOLIM, "any|all", 0 }, \
	{ p ".subject", S_STRINGS, NULL, NOLIM, NULL, 0 },		\
	{ p ".header", S_LIST, NULL, NOLIM, NULL, 0 },			\
	{ p ".header.name", S_STRING, NULL, NOLIM, NULL, K_REQUIRED }, \
	{ p ".header.match", S_STRINGS, NULL, NOLIM, NULL, K_REQUIRED }, \
	{ p ".size_min", S_SIZE, NULL, NOLIM, NULL, 0 },		\
	{ p ".size_max", S_SIZE, NULL, NOLIM, NULL, 0 },		\
	{ p ".time", S_STRING, NULL, NOLIM, NULL, 0 }

static const struct schema_key schema[] = {
	{ "spool_dir", S_STRING, "/var/spool/sluice", NOLIM, NULL, 0 },
	{ "user", S_STRING, "sluice", NOLIM, NULL, 0 },
	{ "filter_user", S_STRING, "sluice-filter", NOLIM, NULL, 0 },
	{ "filter_group", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "run_dir", S_STRING, "/run/sluice", NOLIM, NULL, 0 },
	/* milter_listen = [] is a content filter without a milter */
	{ "milter_listen", S_STRINGS, NULL, NOLIM, NULL, K_EMPTY_OK },
	{ "milter_timeout", S_SECONDS, "300", 1, 86400, NULL, 0 },
	{ "socket_mode", S_STRING, "0660", NOLIM, NULL, 0 },
	{ "socket_group", S_STRING, NULL, NOLIM, NULL, 0 },
	/* control_socket = "" has none */
	{ "control_socket", S_STRING, "control.sock", NOLIM, NULL, 0 },
	{ "control_owner", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "control_group", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "control_mode", S_STRING, "0660", NOLIM, NULL, 0 },
	{ "watch_config", S_BOOL, "false", NOLIM, NULL, 0 },
	{ "log_db", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "metrics_listen", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "log_keep", S_SECONDS, "2592000", 60, 315360000, NULL, 0 },
	{ "smtp_listen", S_LIST, NULL, NOLIM, NULL, 0 },
	{ "smtp_listen.listen", S_STRING, NULL, NOLIM, NULL, K_REQUIRED },
	{ "smtp_listen.next_hop", S_STRING, NULL, NOLIM, NULL, K_REQUIRED },
	{ "smtp_listen.protocol", S_STRING, "smtp", NOLIM, "smtp|lmtp", 0 },
	{ "smtp_listen.next_hop_protocol", S_STRING, "smtp", NOLIM,
	    "smtp|lmtp", 0 },
	{ "smtp_hostname", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "smtp_timeout", S_SECONDS, "300", 1, 86400, NULL, 0 },
	{ "smtp_session_timeout", S_SECONDS, "3600", 1, 604800, NULL, 0 },
	{ "smtp_connections", S_INT, "100", 1, 100000, NULL, 0 },
	{ "smtp_line_max", S_SIZE, "1000", 512, 65536, NULL, 0 },
	{ "smtp_text_line_max", S_SIZE, "64K", 1000, 16777216, NULL, 0 },
	{ "smtp_recipients_max", S_INT, "1000", 1, 100000, NULL, 0 },
	{ "smtp_bare_newline", S_STRING, "normalize", NOLIM,
	    "normalize|reject", 0 },
	{ "smtp_min_data_rate", S_INT, "500", 1, 100000, NULL, 0 },
	/* smtp_xforward_hosts = [] lets no client send XFORWARD */
	{ "smtp_xforward_hosts", S_STRINGS, NULL, NOLIM, NULL, K_EMPTY_OK },
	{ "relay_timeout", S_SECONDS, "300", 1, 86400, NULL, 0 },
	{ "relay_connect_timeout", S_SECONDS, "30", 1, 3600, NULL, 0 },
	{ "include_dir", S_STRING, "conf.d", NOLIM, NULL, 0 },
	{ "filter_dir", S_STRING, LIBEXECDIR, NOLIM, NULL, 0 },
	{ "debug", S_BOOL, "false", NOLIM, NULL, 0 },
	{ "syslog_facility", S_STRING, "mail", NOLIM,
	    "mail|daemon|local0|local1|local2|local3|local4|local5|local6|"
	    "local7", 0 },
	{ "allow_min_user", S_BOOL, "false", NOLIM, NULL, 0 },
	{ "message_max", S_SIZE, "50M", 1024, 4294967295.0, NULL, 0 },
	REPLY_KEYS("reject_reply", "550", 500, 599, "5.7.1",
	    "Message rejected"),
	REPLY_KEYS("tempfail_reply", "451", 400, 499, "4.7.1",
	    "Message deferred, please try again later"),

	{ "filters", S_LIST, NULL, NOLIM, NULL, 0 },
	{ "filters.name", S_STRING, NULL, NOLIM, NULL, K_REQUIRED },
	/* one of command and module (config_build.c) */
	{ "filters.command", S_STRINGS, NULL, NOLIM, NULL, 0 },
	{ "filters.module", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "filters.settings", S_GROUP, NULL, NOLIM, NULL, K_ANY_KEYS },
	{ "filters.isolate", S_BOOL, "false", NOLIM, NULL, 0 },
	{ "filters.timeout", S_SECONDS, "60", 0.001, 86400, NULL, 0 },
	{ "filters.kill_grace", S_SECONDS, "2", 0, 600, NULL, 0 },
	{ "filters.instances", S_INT, "0", 0, 10000, NULL, 0 },
	{ "filters.instance_wait", S_SECONDS, "60", 0, 86400, NULL, 0 },
	{ "filters.on_error", S_STRING, "tempfail", NOLIM, "tempfail|skip",
	    0 },
	{ "filters.sandbox", S_STRING, "default", NOLIM,
	    "default|network|none", 0 },
	{ "filters.error_threshold", S_INT, "5", 0, 1000000, NULL, 0 },
	{ "filters.error_cooldown", S_SECONDS, "300", 0.001, 604800, NULL,
	    0 },
	{ "filters.when_off", S_STRING, NULL, NOLIM, "tempfail|skip", 0 },
	{ "filters.output_max", S_SIZE, "64K", 0, 67108864, NULL, 0 },
	{ "filters.exit", S_GROUP, NULL, NOLIM, NULL, 0 },
	{ "filters.exit.continue", S_INTS, NULL, 0, 255, NULL, 0 },
	{ "filters.exit.accept", S_INTS, NULL, 0, 255, NULL, 0 },
	{ "filters.exit.reject", S_INTS, NULL, 0, 255, NULL, 0 },
	{ "filters.exit.tempfail", S_INTS, NULL, 0, 255, NULL, 0 },
	{ "filters.exit.discard", S_INTS, NULL, 0, 255, NULL, 0 },
	{ "filters.exit.quarantine", S_INTS, NULL, 0, 255, NULL, 0 },
	{ "filters.user", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "filters.group", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "filters.writable", S_STRINGS, NULL, NOLIM, NULL, 0 },
	{ "filters.rlimit_cpu", S_INT, "60", 0, 86400, NULL, 0 },
	{ "filters.rlimit_memory", S_SIZE, "4G", 0, 1e15, NULL, 0 },
	{ "filters.rlimit_fsize", S_SIZE, "1G", 0, 1e15, NULL, 0 },
	{ "filters.rlimit_nofile", S_INT, "1024", 0, 1048576, NULL, 0 },
	{ "filters.rlimit_nproc", S_INT, "256", 0, 1048576, NULL, 0 },
	REPLY_KEYS("filters.reject_reply", NULL, 500, 599, NULL, NULL),
	REPLY_KEYS("filters.tempfail_reply", NULL, 400, 499, NULL, NULL),

	{ "rules", S_LIST, NULL, NOLIM, NULL, 0 },
	{ "rules.name", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "rules.filter", S_STRING, NULL, NOLIM, NULL, K_REQUIRED },
	COND_KEYS("rules"),
	{ "rules.unless", S_GROUP, NULL, NOLIM, NULL, 0 },
	COND_KEYS("rules.unless"),

	{ "address_rules", S_LIST, NULL, NOLIM, NULL, 0 },
	{ "address_rules.name", S_STRING, NULL, NOLIM, NULL, 0 },
	{ "address_rules.sender", S_STRINGS, NULL, NOLIM, NULL, 0 },
	{ "address_rules.recipient", S_STRINGS, NULL, NOLIM, NULL, 0 },
	{ "address_rules.add_recipient", S_STRINGS, NULL, NOLIM, NULL, 0 },
	{ "address_rules.redirect", S_STRINGS, NULL, NOLIM, NULL, 0 },
	{ "address_rules.add_header", S_STRINGS, NULL, NOLIM, NULL, 0 },
	{ NULL, S_INT, NULL, NOLIM, NULL, 0 }
};

/* config_schema_print - list every key for the man page check */
void
config_schema_print(void)
{
	const struct schema_key	*k;

	for (k = schema; k->path != NULL; k++)
		printf("%s\n", k->path);
}

/* schema_find - the entry for a schema path */
const struct schema_key *
schema_find(const char *path)
{
	const struct schema_key	*k;

	for (k = schema; k->path != NULL; k++)
		if (strcmp(k->path, path) == 0)
			return k;
	return NULL;
}

/* schema_parse_size - bytes with an optional K, M or G suffix */
int
schema_parse_size(const char *s, unsigned long long *out)
{
	char			*end;
	unsigned long long	 v, mul = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':	break;
	case 'K':	mul = 1ULL << 10; end++; break;
	case 'M':	mul = 1ULL << 20; end++; break;
	case 'G':	mul = 1ULL << 30; end++; break;
	default:	return -1;
	}
	if (*end != '\0' || (v != 0 && mul > ~0ULL / v))
		return -1;
	*out = v * mul;
	return 0;
}

static void	check_value1(const struct schema_key *, struct cnode *,
		    struct config_errors *);

/* check_range - numbers against min/max (min == max == 0: unlimited) */
static void
check_range(const struct schema_key *k, const struct cnode *n, double v,
    const char *what, struct config_errors *errs)
{
	if (k->min == 0 && k->max == 0)
		return;
	if (v < k->min || v > k->max)
		config_errors_add(errs, "%s:%d: %s: %s is out of range %g-%g",
		    n->file, n->line, k->path, what, k->min, k->max);
}

/* check_choice - a string that must be one of k->choices */
static void
check_choice(const struct schema_key *k, const struct cnode *n,
    struct config_errors *errs)
{
	const char	*c = k->choices, *bar;
	size_t		 len = strlen(n->s);

	while (c != NULL) {
		bar = strchr(c, '|');
		if ((bar ? (size_t)(bar - c) : strlen(c)) == len &&
		    strncmp(c, n->s, len) == 0)
			return;
		c = bar ? bar + 1 : NULL;
	}
	config_errors_add(errs, "%s:%d: %s: \"%s\" is not one of %s",
	    n->file, n->line, k->path, n->s, k->choices);
}

/* check_value - one setting against its schema entry; a node with an
 * error is marked bad */
static void
check_value(const struct schema_key *k, struct cnode *n,
    struct config_errors *errs)
{
	size_t	before = errs->n;

	check_value1(k, n, errs);
	/* groups and lists mark their own bad members */
	if (errs->n != before && k->type != S_GROUP && k->type != S_LIST)
		n->bad = 1;
}

/* check_free_group - a group of names the schema does not list (a
 * module's settings): each member a string, a number or a boolean */
static void
check_free_group(const struct schema_key *k, struct cnode *n,
    struct config_errors *errs)
{
	struct cnode	*kid;
	size_t		 i;

	for (i = 0; i < n->nkid; i++) {
		kid = n->kid[i];
		if (kid->type == CN_STRING || kid->type == CN_INT ||
		    kid->type == CN_FLOAT || kid->type == CN_BOOL)
			continue;
		config_errors_add(errs, "%s:%d: %s.%s: expected a string, a "
		    "number or true or false, got %s", kid->file, kid->line,
		    k->path, kid->name, cnode_type_name(kid->type));
		kid->bad = 1;
	}
}

/* check_value1 - the checks of check_value */
static void
check_value1(const struct schema_key *k, struct cnode *n,
    struct config_errors *errs)
{
	unsigned long long	 sz;
	char			 num[32];
	size_t			 i;
	const char		*want = NULL;

	switch (k->type) {
	case S_INT:
		if (n->type != CN_INT) {
			want = "an integer";
			break;
		}
		snprintf(num, sizeof(num), "%lld", n->i);
		check_range(k, n, (double)n->i, num, errs);
		return;
	case S_SECONDS:
		if (n->type == CN_INT || n->type == CN_FLOAT) {
			double v = n->type == CN_INT ? (double)n->i : n->f;
			snprintf(num, sizeof(num), "%g", v);
			check_range(k, n, v, num, errs);
			return;
		}
		want = "a number of seconds";
		break;
	case S_SIZE:
		if (n->type == CN_INT && n->i >= 0) {
			snprintf(num, sizeof(num), "%lld", n->i);
			check_range(k, n, (double)n->i, num, errs);
			return;
		}
		if (n->type == CN_STRING) {
			if (schema_parse_size(n->s, &sz) != 0) {
				config_errors_add(errs, "%s:%d: %s: \"%s\" is "
				    "not a size (bytes, or a number with K, M "
				    "or G)", n->file, n->line, k->path, n->s);
				return;
			}
			check_range(k, n, (double)sz, n->s, errs);
			return;
		}
		want = "a size";
		break;
	case S_BOOL:
		if (n->type != CN_BOOL)
			want = "true or false";
		break;
	case S_STRING:
		if (n->type != CN_STRING)
			want = "a string";
		else if (k->choices != NULL)
			check_choice(k, n, errs);
		break;
	case S_STRINGS:
		if (n->type == CN_STRING)
			return;
		if (n->type != CN_ARRAY && n->type != CN_LIST) {
			want = "a string or an array of strings";
			break;
		}
		for (i = 0; i < n->nkid; i++)
			if (n->kid[i]->type != CN_STRING) {
				config_errors_add(errs, "%s:%d: %s: element %zu"
				    " is %s, expected a string", n->file,
				    n->kid[i]->line, k->path, i + 1,
				    cnode_type_name(n->kid[i]->type));
			}
		if (n->nkid == 0 && !(k->flags & K_EMPTY_OK))
			config_errors_add(errs, "%s:%d: %s: empty array",
			    n->file, n->line, k->path);
		return;
	case S_INTS:
		if (n->type == CN_INT) {
			snprintf(num, sizeof(num), "%lld", n->i);
			check_range(k, n, (double)n->i, num, errs);
			return;
		}
		if (n->type != CN_ARRAY) {
			want = "an integer or an array of integers";
			break;
		}
		for (i = 0; i < n->nkid; i++) {
			if (n->kid[i]->type != CN_INT) {
				config_errors_add(errs, "%s:%d: %s: element %zu"
				    " is not an integer", n->file, n->line,
				    k->path, i + 1);
				continue;
			}
			snprintf(num, sizeof(num), "%lld", n->kid[i]->i);
			check_range(k, n, (double)n->kid[i]->i, num, errs);
		}
		return;
	case S_GROUP:
		if (n->type != CN_GROUP) {
			want = "a group { ... }";
			break;
		}
		if (k->flags & K_ANY_KEYS)
			check_free_group(k, n, errs);
		else
			schema_check(n, k->path, errs);
		return;
	case S_LIST:
		if (n->type != CN_LIST) {
			want = "a list ( { ... }, ... )";
			break;
		}
		for (i = 0; i < n->nkid; i++) {
			if (n->kid[i]->type != CN_GROUP) {
				config_errors_add(errs, "%s:%d: %s: element %zu"
				    " is %s, expected a group { ... }",
				    n->file, n->kid[i]->line, k->path, i + 1,
				    cnode_type_name(n->kid[i]->type));
				n->kid[i]->bad = 1;
				continue;
			}
			schema_check(n->kid[i], k->path, errs);
		}
		return;
	}
	if (want != NULL) {
		config_errors_add(errs, "%s:%d: %s: expected %s, got %s",
		    n->file, n->line, k->path, want, cnode_type_name(n->type));
		n->bad = 1;
	}
}

/* schema_prune - remove bad nodes everywhere under g */
void
schema_prune(struct cnode *g)
{
	size_t	i, j;

	for (i = j = 0; i < g->nkid; i++) {
		if (g->kid[i]->bad) {
			cnode_free(&g->kid[i]);
			continue;
		}
		schema_prune(g->kid[i]);
		g->kid[j++] = g->kid[i];
	}
	g->nkid = j;
}

/* schema_check - every key of group g, and required keys present */
void
schema_check(struct cnode *g, const char *prefix,
    struct config_errors *errs)
{
	const struct schema_key	*k;
	char			 path[256];
	size_t			 i, plen = strlen(prefix);

	for (i = 0; i < g->nkid; i++) {
		snprintf(path, sizeof(path), "%s%s%s", prefix,
		    plen ? "." : "", g->kid[i]->name);
		if ((k = schema_find(path)) == NULL) {
			if (plen)
				config_errors_add(errs, "%s:%d: unknown key "
				    "\"%s\" in %s", g->kid[i]->file,
				    g->kid[i]->line, g->kid[i]->name, prefix);
			else
				config_errors_add(errs, "%s:%d: unknown key "
				    "\"%s\"", g->kid[i]->file,
				    g->kid[i]->line, g->kid[i]->name);
			g->kid[i]->bad = 1;
			continue;
		}
		check_value(k, g->kid[i], errs);
	}
	/* required keys: direct children of prefix only */
	for (k = schema; k->path != NULL; k++) {
		if (!(k->flags & K_REQUIRED) ||
		    strncmp(k->path, prefix, plen) != 0 ||
		    (plen && k->path[plen] != '.'))
			continue;
		if (strchr(k->path + plen + (plen ? 1 : 0), '.') != NULL)
			continue;
		if (cnode_get(g, k->path + plen + (plen ? 1 : 0)) == NULL)
			config_errors_add(errs, "%s:%d: %s: missing key \"%s\"",
			    g->file, g->line, prefix,
			    k->path + plen + (plen ? 1 : 0));
	}
}

/* key_of - the schema entry and the set node (or NULL) for a key */
static const struct schema_key *
key_of(const struct cnode *g, const char *path, const struct cnode **np)
{
	const struct schema_key	*k;
	const char		*last;

	if ((k = schema_find(path)) == NULL)
		panic("config key \"%s\" is not in the schema", path);
	last = strrchr(path, '.');
	*np = cnode_get(g, last ? last + 1 : path);
	return k;
}

/* cfg_int - an integer key */
long long
cfg_int(const struct cnode *g, const char *path)
{
	const struct cnode	*n;
	const struct schema_key	*k = key_of(g, path, &n);

	if (n != NULL)
		return n->i;
	return k->def ? strtoll(k->def, NULL, 10) : 0;
}

/* cfg_seconds - a seconds key */
double
cfg_seconds(const struct cnode *g, const char *path)
{
	const struct cnode	*n;
	const struct schema_key	*k = key_of(g, path, &n);

	if (n != NULL)
		return n->type == CN_INT ? (double)n->i : n->f;
	return k->def ? strtod(k->def, NULL) : 0;
}

/* cfg_size - a size key */
unsigned long long
cfg_size(const struct cnode *g, const char *path)
{
	const struct cnode	*n;
	const struct schema_key	*k = key_of(g, path, &n);
	unsigned long long	 v = 0;

	if (n != NULL && n->type == CN_INT)
		return (unsigned long long)n->i;
	if (n != NULL)
		(void)schema_parse_size(n->s, &v);
	else if (k->def != NULL)
		(void)schema_parse_size(k->def, &v);
	return v;
}

/* cfg_bool - a boolean key */
int
cfg_bool(const struct cnode *g, const char *path)
{
	const struct cnode	*n;
	const struct schema_key	*k = key_of(g, path, &n);

	if (n != NULL)
		return n->i != 0;
	return k->def != NULL && strcmp(k->def, "true") == 0;
}

/* cfg_str - a string key, or its default (may be NULL) */
const char *
cfg_str(const struct cnode *g, const char *path)
{
	const struct cnode	*n;
	const struct schema_key	*k = key_of(g, path, &n);

	return n != NULL ? n->s : k->def;
}

/* cfg_strings - one string or an array of them */
const char **
cfg_strings(const struct cnode *g, const char *path)
{
	const struct cnode	 *n;
	const char		**v;
	size_t			  i;

	(void)key_of(g, path, &n);
	if (n == NULL)
		return NULL;
	if (n->type == CN_STRING) {
		v = xcalloc(2, sizeof(*v));
		v[0] = n->s;
		return v;
	}
	v = xcalloc(n->nkid + 1, sizeof(*v));
	for (i = 0; i < n->nkid; i++)
		v[i] = n->kid[i]->s;
	return v;
}

/* cfg_where - where a key (or its group) is written */
const char *
cfg_where(const struct cnode *g, const char *path, char *buf, size_t len)
{
	const struct cnode	*n;

	(void)key_of(g, path, &n);
	if (n == NULL)
		n = g;
	snprintf(buf, len, "%s:%d", n->file, n->line);
	return buf;
}
