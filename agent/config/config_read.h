/*
 * config_read.h - one config file into a tree (libconfig's adapter)
 */
#ifndef SLUICE_CONFIG_READ_H
#define SLUICE_CONFIG_READ_H

struct cnode;
struct config_errors;

/* cfgfile_read - parse one file into a group node, or NULL with errors */
struct cnode	*cfgfile_read(const char *path, struct config_errors *);

#endif
