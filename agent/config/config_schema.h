/*
 * config_schema.h - the declarative schema of every config key, and
 * typed getters that fall back on its defaults
 */
#ifndef SLUICE_CONFIG_SCHEMA_H
#define SLUICE_CONFIG_SCHEMA_H

#include <stddef.h>

struct cnode;
struct config_errors;

enum schema_type {
	S_INT,		/* integer */
	S_SECONDS,	/* integer or float seconds */
	S_SIZE,		/* bytes: integer, or a string like "10M" */
	S_BOOL,
	S_STRING,
	S_STRINGS,	/* one string or an array of strings */
	S_INTS,		/* one integer or an array of integers */
	S_GROUP,
	S_LIST		/* a list of groups */
};

struct schema_key {
	const char		*path;	/* "filters.timeout" */
	enum schema_type	 type;
	const char		*def;	/* default as text, NULL = none */
	double			 min;
	double			 max;
	const char		*choices; /* "a|b|c" for strings, or NULL */
	int			 flags;	/* K_REQUIRED, K_EMPTY_OK */
};

#define K_REQUIRED	1	/* the key must be set */
#define K_EMPTY_OK	2	/* S_STRINGS: [] is a value, not a mistake */
#define K_ANY_KEYS	4	/* S_GROUP: members of any name, each a
				   string, number or boolean (settings) */

const struct schema_key *schema_find(const char *path);
/* schema_check - check group (whose schema path is prefix, "" at the
 * top) and everything under it; report into errs */
void		 schema_check(struct cnode *group, const char *prefix,
		    struct config_errors *errs);
/* schema_prune - drop every node schema_check() marked bad, so the
 * snapshot can still be built and its own errors reported too */
void		 schema_prune(struct cnode *group);
/* schema_parse_size - "10M", "512k", "1G", "123" to bytes */
int		 schema_parse_size(const char *, unsigned long long *);
/*
 * Typed getters for a key of group g: the value if set, else the schema
 * default.  path is the schema path of the key.  They assume
 * schema_check() passed.
 */
long long	 cfg_int(const struct cnode *g, const char *path);
double		 cfg_seconds(const struct cnode *g, const char *path);
unsigned long long cfg_size(const struct cnode *g, const char *path);
int		 cfg_bool(const struct cnode *g, const char *path);
const char	*cfg_str(const struct cnode *g, const char *path);
/* cfg_strings - the strings of an S_STRINGS key, NULL-terminated, or
 * NULL when unset; the vector (not the strings) is the caller's */
const char	**cfg_strings(const struct cnode *g, const char *path);
/* cfg_where - "file:line" of the key, or of g when the key is unset */
const char	*cfg_where(const struct cnode *g, const char *path, char *buf,
		    size_t len);

#endif
