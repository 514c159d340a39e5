/*
 * log.c - logging to syslog or stderr
 *
 * SECURITY: messages may contain text from mail or filters; callers pass
 * it through "%s" only, and log_emit() replaces control characters so a
 * crafted value cannot forge extra log lines.
 * ERRORS: none returned; fatal*() exit(1), panic() aborts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

static enum log_dest	dest = LOG_DEST_STDERR;
static const char	*progname = "sluice";
static int		 debug;

/* log_init - choose where log lines go */
void
log_init(const char *name, enum log_dest d, int facility)
{
	progname = name;
	dest = d;
	if (dest == LOG_DEST_SYSLOG)
		openlog(name, LOG_PID | LOG_NDELAY, facility);
}

/* log_set_debug - turn debug lines on or off */
void
log_set_debug(int on)
{
	debug = on;
}

/* log_debug_enabled - 1 when debug lines are wanted */
int
log_debug_enabled(void)
{
	return debug;
}

/* log_emit - format, neutralise control characters, and write one line */
static void
log_emit(int pri, int with_errno, int saved_errno, const char *fmt,
    va_list ap)
{
	char	line[2048];
	size_t	len;
	char	*p;

	if (dest == LOG_DEST_NONE && pri > LOG_CRIT)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	len = strlen(line);
	if (with_errno)
		snprintf(line + len, sizeof(line) - len, ": %s",
		    strerror(saved_errno));
	if (dest == LOG_DEST_SYSLOG)
		syslog(pri, "%s", line);
	else
		fprintf(stderr, "%s: %s\n", progname, line);
}

#define LOG_BODY(pri, with_errno) do {					\
	int	 saved_errno = errno;					\
	va_list	 ap;							\
	va_start(ap, fmt);						\
	log_emit(pri, with_errno, saved_errno, fmt, ap);		\
	va_end(ap);							\
	errno = saved_errno;						\
} while (0)

/* log_debug - a line only shown with debugging on */
void
log_debug(const char *fmt, ...)
{
	if (debug)
		LOG_BODY(LOG_DEBUG, 0);
}

/* log_info - an ordinary event */
void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, 0);
}

/* log_warn - a problem, with errno text */
void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 1);
}

/* log_warnx - a problem */
void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 0);
}

/* fatal - the environment is broken (with errno text): exit */
void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 1);
	exit(1);
}

/* fatalx - the environment is broken: exit */
void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 0);
	exit(1);
}

/* panic - our own bug: abort for a core */
void
panic(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 0);
	abort();
}
