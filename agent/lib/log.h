/*
 * log.h - logging for every sluice process
 *
 * info/warn/warnx go to syslog (mail facility) or to stderr in the
 * foreground.  fatal/fatalx log and exit(1): the environment is broken.
 * panic logs and aborts: our own bug.  The "x" variants add no errno text.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdarg.h>

enum log_dest { LOG_DEST_STDERR, LOG_DEST_SYSLOG, LOG_DEST_NONE };

void	log_init(const char *, enum log_dest, int);
void	log_set_debug(int);
int	log_debug_enabled(void);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	panic(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
