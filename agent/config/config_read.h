/*
 * config_read.h - one config file into a tree (libconfig's adapter)
 */
#ifndef SLUICE_CONFIG_READ_H
#define SLUICE_CONFIG_READ_H

#include <stddef.h>
#include <stdint.h>

struct cnode;
struct config_errors;

/* cfgfile_read - parse one file into a group node, or NULL with errors;
 * its path and bytes are added to the hash *digest (see config_hash) */
struct cnode	*cfgfile_read(const char *path, uint64_t *digest,
		    struct config_errors *);
/* config_hash - add n bytes to the running hash *h (start at 0) */
void		 config_hash(uint64_t *h, const void *, size_t n);

#endif
