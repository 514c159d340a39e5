/*
 * config_tree.h - the parsed config files, before and after the schema
 *
 * config_read.c turns libconfig's settings into these nodes (so only it
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

void		 cnode_free(struct cnode **);
struct cnode	*cnode_new(enum cnode_type, const char *name,
		    const char *file, int line);
void		 cnode_add(struct cnode *parent, struct cnode *kid);
const struct cnode *cnode_get(const struct cnode *group, const char *name);
const char	*cnode_type_name(enum cnode_type);

#endif
