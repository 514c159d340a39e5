/*
 * json.h - writing JSON (RFC 8259) into a buffer
 *
 * The control socket's answers.  A writer keeps track of nesting and
 * commas; every value call takes the member name inside an object and
 * NULL inside an array or at the top.  Strings are escaped; bytes that
 * are not valid UTF-8 (a header field from outside may hold anything)
 * are written as \u00XX of their value, so the output is always valid
 * JSON and always valid UTF-8.
 */
#ifndef SLUICE_JSON_H
#define SLUICE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define JSON_DEPTH	16

struct json {
	struct buf	*b;
	int		 depth;
	int		 first[JSON_DEPTH];	/* nothing written yet there */
	char		 close[JSON_DEPTH];	/* what ends each level */
	int		 bad;			/* nesting overflowed or a
						   write failed */
};

void	json_init(struct json *, struct buf *);
void	json_object(struct json *, const char *key);	/* opens one */
void	json_array(struct json *, const char *key);
void	json_end(struct json *);		/* closes the innermost */
void	json_str(struct json *, const char *key, const char *);	/* NULL: null */
void	json_strn(struct json *, const char *key, const char *, size_t);
void	json_int(struct json *, const char *key, long long);
void	json_uint(struct json *, const char *key, uint64_t);
void	json_double(struct json *, const char *key, double);
void	json_bool(struct json *, const char *key, int);
void	json_null(struct json *, const char *key);
/* json_done - 0 when everything opened was closed and written */
int	json_done(const struct json *);

#endif
