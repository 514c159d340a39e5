/*
 * config_tree.c - the parsed config as a tree of nodes, and the list of
 * errors found in it
 *
 * The lowest part of the config loader: config_read.c makes the nodes,
 * config_schema.c checks them, config_build.c turns them into a
 * snapshot; all of them report into a struct config_errors.
 * SECURITY: none; holds what the administrator wrote.
 * ERRORS: none; memory exhaustion is fatal (xmalloc).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_tree.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

static const char *const type_names[] = {
	"a group", "a list", "an array", "an integer", "a number",
	"a boolean", "a string"
};

/* cnode_type_name - for "expected X, got Y" messages */
const char *
cnode_type_name(enum cnode_type t)
{
	return type_names[t];
}

/* cnode_new - a node without children */
struct cnode *
cnode_new(enum cnode_type type, const char *name, const char *file, int line)
{
	struct cnode	*n;

	n = xcalloc(1, sizeof(*n));
	n->type = type;
	n->name = name ? xstrdup(name) : NULL;
	n->file = xstrdup(file ? file : "");
	n->line = line;
	return n;
}

/* cnode_add - append a child */
void
cnode_add(struct cnode *parent, struct cnode *kid)
{
	parent->kid = xreallocarray(parent->kid, parent->nkid + 1,
	    sizeof(*parent->kid));
	parent->kid[parent->nkid++] = kid;
}

/* cnode_get - the child called name, or NULL */
const struct cnode *
cnode_get(const struct cnode *g, const char *name)
{
	size_t	i;

	if (g == NULL)
		return NULL;
	for (i = 0; i < g->nkid; i++)
		if (g->kid[i]->name != NULL &&
		    strcmp(g->kid[i]->name, name) == 0)
			return g->kid[i];
	return NULL;
}

/* cnode_free - free a node and everything under it */
void
cnode_free(struct cnode **np)
{
	struct cnode	*n = *np;
	size_t		 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		cnode_free(&n->kid[i]);
	free(n->kid);
	free(n->name);
	free(n->s);
	free(n->file);
	free(n);
	*np = NULL;
}

/* add - append one formatted message to a list */
static void
add(char ***list, size_t *n, const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) < 0)
		fatal("vasprintf");
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = s;
}

/* config_errors_add - append one error */
void
config_errors_add(struct config_errors *e, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add(&e->msg, &e->n, fmt, ap);
	va_end(ap);
}

/* config_warn_add - append one warning */
void
config_warn_add(struct config_errors *e, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	add(&e->warn, &e->nwarn, fmt, ap);
	va_end(ap);
}

/* config_errors_free - drop every message */
void
config_errors_free(struct config_errors *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
	for (i = 0; i < e->nwarn; i++)
		free(e->warn[i]);
	free(e->warn);
	e->warn = NULL;
	e->nwarn = 0;
}
