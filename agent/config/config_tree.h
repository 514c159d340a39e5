/*
 * config_tree.h - the parsed config files, before and after the schema
 *
 * config.c turns libconfig's settings into these nodes (so only it
 * includes libconfig.h); config_schema.c checks them and supplies
 * defaults; config_build.c makes the snapshot from them.
 */
#ifndef SLUICE_CONFIG_TREE_H
#define SLUICE_CONFIG_TREE_H

#include <stddef.h>

struct config_errors;

enum cnode_type {
	CN_GROUP,	/* { ... } */
	CN_LIST,	/* ( ... ) */
	CN_ARRAY,	/* [ ... ] */
	CN_INT,
	CN_FLOAT,
	CN_BOOL,
	CN_STRING
};

struct cnode {
	char		 *name;		/* NULL for list and array elements */
	enum cnode_type	  type;
	long long	  i;		/* CN_INT, CN_BOOL */
	double		  f;		/* CN_FLOAT */
	char		 *s;		/* CN_STRING */
	char		 *file;
	int		  line;
	int		  bad;		/* failed the schema: pruned */
	struct cnode	**kid;
	size_t		  nkid;
};

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

/* cfgfile_read - parse one file into a group node, or NULL with errors */
struct cnode	*cfgfile_read(const char *path, struct config_errors *);
void		 cnode_free(struct cnode **);
struct cnode	*cnode_new(enum cnode_type, const char *name,
		    const char *file, int line);
void		 cnode_add(struct cnode *parent, struct cnode *kid);
const struct cnode *cnode_get(const struct cnode *group, const char *name);
const char	*cnode_type_name(enum cnode_type);

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
