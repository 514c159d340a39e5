/*
 * config_read.c - read config files with libconfig
 *
 * The only file that includes libconfig.h.  It reads one file into the
 * neutral tree of config_tree.h, keeping file and line of every setting
 * for messages.  The loader goes one way: read (here), check against
 * the schema (config_schema.c), build the snapshot (config_build.c).
 * SECURITY: config files are trusted but may be wrong; any error is
 * reported, never fatal.
 * ERRORS: returned as "file:line: what" in the error list.
 */
#include <libconfig.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_read.h"
#include "config/config_tree.h"
#include "lib/file.h"
#include "lib/xmalloc.h"

/* convert - one libconfig setting to a node */
static struct cnode *
convert(config_setting_t *s, const char *file)
{
	struct cnode	*n;
	enum cnode_type	 t;
	int		 i, len;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:		t = CN_GROUP; break;
	case CONFIG_TYPE_LIST:		t = CN_LIST; break;
	case CONFIG_TYPE_ARRAY:		t = CN_ARRAY; break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:		t = CN_INT; break;
	case CONFIG_TYPE_FLOAT:		t = CN_FLOAT; break;
	case CONFIG_TYPE_BOOL:		t = CN_BOOL; break;
	default:			t = CN_STRING; break;
	}
	n = cnode_new(t, config_setting_name(s), file,
	    config_setting_source_line(s));
	switch (t) {
	case CN_INT:
		n->i = config_setting_get_int64(s);
		break;
	case CN_BOOL:
		n->i = config_setting_get_bool(s);
		break;
	case CN_FLOAT:
		n->f = config_setting_get_float(s);
		break;
	case CN_STRING:
		n->s = xstrdup(config_setting_get_string(s));
		break;
	default:
		len = config_setting_length(s);
		for (i = 0; i < len; i++)
			cnode_add(n, convert(config_setting_get_elem(s,
			    (unsigned)i), file));
		break;
	}
	return n;
}

/* the FNV-1a hash, 64 bits */
#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL
/* a config file larger than this is refused */
#define CONFIG_FILE_MAX	(16 * 1024 * 1024)

/* config_hash - add n bytes to the running FNV-1a hash *h */
void
config_hash(uint64_t *h, const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;

	if (*h == 0)
		*h = FNV_OFFSET;
	for (i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= FNV_PRIME;
	}
}

/* slurp - the whole of fp (path for messages) into *out */
static int
slurp(FILE *fp, const char *path, char **out, size_t *len,
    struct config_errors *errs)
{
	size_t	cap = 8192, n = 0, got;
	char	*b = xmalloc(cap);

	while ((got = fread(b + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= CONFIG_FILE_MAX) {
				config_errors_add(errs, "%s: over %d MiB; not "
				    "a configuration file", path,
				    CONFIG_FILE_MAX >> 20);
				free(b);
				return -1;
			}
			b = xreallocarray(b, cap *= 2, 1);
		}
	}
	if (ferror(fp)) {
		config_errors_add(errs, "%s: cannot read: %m", path);
		free(b);
		return -1;
	}
	*out = b;
	*len = n;
	return 0;
}

/* cfgfile_read - parse one file into a tree; its name and bytes go
 * into *digest */
struct cnode *
cfgfile_read(const char *path, uint64_t *digest, struct config_errors *errs)
{
	config_t	 cf;
	struct cnode	*root;
	struct stat	 st;
	const char	*how;
	char		 buf[80], *text;
	size_t		 len;
	FILE		*fp, *mem;

	if ((fp = fopen(path, "r")) == NULL) {
		config_errors_add(errs, "%s: cannot open: %m", path);
		return NULL;
	}
	/* whoever can change it decides what sluiced runs */
	if (fstat(fileno(fp), &st) == 0 &&
	    (how = file_open_to_others(&st, buf, sizeof(buf))) != NULL)
		config_errors_add(errs, "%s: the file %s; only its owner may "
		    "write it (chmod go-w)", path, how);
	if (slurp(fp, path, &text, &len, errs) != 0) {
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	config_hash(digest, path, strlen(path) + 1);
	config_hash(digest, text, len);
	config_hash(digest, "", 1);
	/* what is parsed is exactly what was hashed */
	if ((mem = fmemopen(text, len > 0 ? len : 1, "r")) == NULL) {
		config_errors_add(errs, "%s: %m", path);
		free(text);
		return NULL;
	}
	if (len == 0)
		(void)fgetc(mem);	/* an empty file: at its end at once */
	config_init(&cf);
	/* Neither "1" nor "1.0" should be silently turned into the other. */
	config_set_auto_convert(&cf, 0);
	if (config_read(&cf, mem) != CONFIG_TRUE) {
		config_errors_add(errs, "%s:%d: %s", path,
		    config_error_line(&cf), config_error_text(&cf));
		config_destroy(&cf);
		fclose(mem);
		free(text);
		return NULL;
	}
	fclose(mem);
	free(text);
	root = convert(config_root_setting(&cf), path);
	root->line = 1;
	config_destroy(&cf);
	return root;
}
