/*
 * xmalloc.h - allocation that never returns NULL
 *
 * On exhaustion these log and exit: a daemon that cannot allocate a few
 * bytes cannot answer the MTA either, and the MTA's milter_default_action
 * or its queue then keeps the message.
 */
#ifndef SLUICE_XMALLOC_H
#define SLUICE_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xmemdup(const void *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 xfree_strv(char ***);

#endif
