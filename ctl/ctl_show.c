/*
 * ctl_show.c - the daemon's JSON answers as tables for people
 *
 * The one file that uses json-c.  Every field is looked up by name and
 * a missing one prints as "-", so a newer daemon's answer still shows.
 * SECURITY: strings from the answer (filter names, errors) are printed
 * with control bytes replaced, so nothing the daemon relays can drive
 * the terminal.
 * ERRORS: an answer that is not a JSON object with "ok" is a protocol
 * error (exit 76).
 */
#include <json-c/json.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

/* field - obj's member key, or NULL */
static struct json_object *
field(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* str - a string member, printable, "-" when missing */
static const char *
str(struct json_object *obj, const char *key, char *buf, size_t len)
{
	struct json_object	*v = field(obj, key);
	const char		*s;
	size_t			 i;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return "-";
	s = json_object_get_string(v);
	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	buf[i] = '\0';
	return buf;
}

static long long
num(struct json_object *obj, const char *key)
{
	struct json_object	*v = field(obj, key);

	return v == NULL ? 0 : json_object_get_int64(v);
}

/* when - a Unix time as local time */
static const char *
when(long long t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL)
		return "-";
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* span - "3d 04h", "2h 05m", "4m 10s", "12s" */
static const char *
span(long long s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%lldd %02lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh %02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%lldm %02llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%llds", s);
	return buf;
}

/* counts - "name n, name n" of an object's non-zero members, or
 * "none" */
static void
counts(const char *title, struct json_object *obj)
{
	int	any = 0;

	printf("  %-10s", title);
	if (obj != NULL && json_object_is_type(obj, json_type_object)) {
		json_object_object_foreach(obj, k, v) {
			if (json_object_get_int64(v) == 0)
				continue;
			printf("%s%s %lld", any++ ? ", " : "", k,
			    (long long)json_object_get_int64(v));
		}
	}
	printf("%s\n", any ? "" : "none");
}

/* lines - each string of an array, indented, to fp */
static void
lines(FILE *fp, struct json_object *arr)
{
	char	b[4096];
	size_t	i, n;

	n = arr != NULL && json_object_is_type(arr, json_type_array) ?
	    json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		struct json_object	*o = json_object_array_get_idx(arr, i);
		const char		*s = json_object_get_string(o);
		size_t			 k;

		for (k = 0; s[k] != '\0' && k + 1 < sizeof(b); k++)
			b[k] = (unsigned char)s[k] < 0x20 ? '?' : s[k];
		b[k] = '\0';
		fprintf(fp, "  %s\n", b);
	}
}

/* show_reload - the line of an outcome */
static void
show_reload(FILE *fp, const char *title, struct json_object *r)
{
	char	b1[64], b2[64];

	if (r == NULL || json_object_is_type(r, json_type_null)) {
		fprintf(fp, "%-12s none since the start\n", title);
		return;
	}
	if (json_object_get_boolean(field(r, "ok")))
		fprintf(fp, "%-12s %s (%s): ok, %lld filters kept their state, "
		    "%lld new\n", title, when(num(r, "time"), b1, sizeof(b1)),
		    str(r, "trigger", b2, sizeof(b2)), num(r, "kept"),
		    num(r, "new"));
	else {
		fprintf(fp, "%-12s %s (%s): refused; the running configuration "
		    "stays\n", title, when(num(r, "time"), b1, sizeof(b1)),
		    str(r, "trigger", b2, sizeof(b2)));
		lines(fp, field(r, "errors"));
	}
}

/* show_log - a line per message, its runs under it */
static void
show_log(struct json_object *a)
{
	struct json_object	*l = field(a, "messages"), *m, *runs, *r;
	char			 t[64], q[64], v[32], snd[512], rc[2048], sub[256],
				 rep[600], b1[128], b2[128], b3[128], b4[32];
	size_t			 i, k, n;
	long long		 tt;
	char			*nl;

	n = l != NULL && json_object_is_type(l, json_type_array) ?
	    json_object_array_length(l) : 0;
	if (n == 0) {
		printf("no messages\n");
		return;
	}
	printf("%-19s  %-14s %-10s %s\n", "TIME", "QUEUE-ID", "VERDICT",
	    "SENDER -> RECIPIENTS  \"SUBJECT\"");
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(l, i);
		tt = (long long)json_object_get_double(field(m, "time"));
		str(m, "recipients", rc, sizeof(rc));
		while ((nl = strchr(rc, '?')) != NULL)	/* the newlines */
			*nl = ',';
		printf("%-19s  %-14s %-10s <%s> -> %s  \"%s\"\n",
		    when(tt, t, sizeof(t)), str(m, "queue_id", q, sizeof(q)),
		    str(m, "verdict", v, sizeof(v)), str(m, "sender", snd,
		    sizeof(snd)), rc, str(m, "subject", sub, sizeof(sub)));
		printf("  reply %s\n", str(m, "reply", rep, sizeof(rep)));
		runs = field(m, "runs");
		for (k = 0; runs != NULL && json_object_is_type(runs,
		    json_type_array) && k < json_object_array_length(runs);
		    k++) {
			r = json_object_array_get_idx(runs, k);
			snprintf(b4, sizeof(b4), "%.1fms",
			    json_object_get_double(field(r, "ms")));
			printf("  run   %s/%s %s %s -> %s\n", str(r, "rule", b1,
			    sizeof(b1)), str(r, "filter", b2, sizeof(b2)),
			    str(r, "outcome", b3, sizeof(b3)), b4,
			    str(r, "verdict", v, sizeof(v)));
		}
	}
}

static void
show_status(struct json_object *a)
{
	struct json_object	*fe, *e, *l;
	char			 b1[64], b2[64], b3[4096];
	size_t			 i, k, n;

	printf("sluiced %s, up %s (since %s)\n", str(a, "version", b3,
	    sizeof(b3)), span(num(a, "uptime"), b1, sizeof(b1)),
	    when(num(a, "started"), b2, sizeof(b2)));
	printf("processes    master %lld, agent %lld\n", num(a, "master_pid"),
	    num(a, "agent_pid"));
	printf("config       %s\n", str(a, "config", b3, sizeof(b3)));
	printf("loaded       %s, %lld filters, %lld rules, %lld reloads\n",
	    when(num(a, "loaded"), b1, sizeof(b1)), num(a, "filters"),
	    num(a, "rules"), num(a, "reloads"));
	show_reload(stdout, "last reload", field(a, "last_reload"));
	printf("front ends\n");
	fe = field(a, "front_ends");
	n = fe != NULL && json_object_is_type(fe, json_type_array) ?
	    json_object_array_length(fe) : 0;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(fe, i);
		printf("  %-15s %4lld connection%s ", str(e, "name", b1,
		    sizeof(b1)), num(e, "connections"),
		    num(e, "connections") == 1 ? " " : "s");
		l = field(e, "listen");
		for (k = 0; l != NULL && json_object_is_type(l,
		    json_type_array) && k < json_object_array_length(l); k++)
			printf(" %s", json_object_get_string(
			    json_object_array_get_idx(l, k)));
		printf("\n");
	}
	if (n == 0)
		printf("  none\n");
	printf("in flight    %lld\n", num(a, "in_flight"));
	printf("messages    ");
	e = field(a, "messages");
	if (e != NULL && json_object_is_type(e, json_type_object)) {
		json_object_object_foreach(e, k2, v) {
			printf(" %s %lld", k2, (long long)json_object_get_int64(v));
		}
	}
	printf("\n");
}

/* ms - a run time for the table */
static const char *
ms(struct json_object *o, const char *key, char *buf, size_t len)
{
	struct json_object	*v = field(o, key);
	double			 d;

	if (v == NULL)
		return "-";
	d = json_object_get_double(v);
	if (d >= 1000)
		snprintf(buf, len, "%.1fs", d / 1000);
	else if (d >= 10)
		snprintf(buf, len, "%.0fms", d);
	else
		snprintf(buf, len, "%.1fms", d);
	return buf;
}

/* show_filter - one filter's line, and its verdicts and errors */
static void
show_filter(struct json_object *f)
{
	struct json_object	*in = field(f, "instances"), *rt;
	char			 name[256], st[64], t[64], busy[32], p[3][32];

	str(f, "state", st, sizeof(st));
	if (strcmp(st, "off") == 0 && num(f, "off_until") > 0) {
		when(num(f, "off_until"), t, sizeof(t));
		snprintf(st, sizeof(st), "off until %s", t + 11);
	}
	if (num(in, "max") > 0)
		snprintf(busy, sizeof(busy), "%lld/%lld", num(in, "busy"),
		    num(in, "max"));
	else
		snprintf(busy, sizeof(busy), "%lld/-", num(in, "busy"));
	rt = field(f, "run_ms");
	printf("%-20s %-19s %8lld %8s %4lld %7s %7s %7s\n",
	    str(f, "name", name, sizeof(name)), st, num(f, "runs"), busy,
	    num(in, "waiting"), ms(rt, "p50", p[0], sizeof(p[0])),
	    ms(rt, "p95", p[1], sizeof(p[1])), ms(rt, "p99", p[2],
	    sizeof(p[2])));
	counts("verdicts", field(f, "verdicts"));
	counts("errors", field(f, "errors"));
	if (num(f, "errors_in_row") > 0 || num(f, "skipped") > 0 ||
	    num(f, "no_slot") > 0)
		printf("  %-10s%lld in a row (threshold %lld), %lld messages "
		    "skipped while off, %lld without an instance\n", "breaker",
		    num(f, "errors_in_row"), num(f, "error_threshold"),
		    num(f, "skipped"), num(f, "no_slot"));
}

static void
filter_head(void)
{
	printf("%-20s %-19s %8s %8s %4s %7s %7s %7s\n", "FILTER", "STATE",
	    "RUNS", "BUSY/MAX", "WAIT", "P50", "P95", "P99");
}

static void
show_filters(struct json_object *a)
{
	struct json_object	*l = field(a, "filters");
	size_t			 i, n;

	n = l != NULL && json_object_is_type(l, json_type_array) ?
	    json_object_array_length(l) : 0;
	if (n == 0) {
		printf("no filters\n");
		return;
	}
	filter_head();
	for (i = 0; i < n; i++)
		show_filter(json_object_array_get_idx(l, i));
}

int
ctl_show(const char *cmd, const char *answer, size_t len, int json)
{
	struct json_tokener	*tok;
	struct json_object	*a, *ok;
	char			 buf[1024];
	int			 rc = 0;

	tok = json_tokener_new();
	a = json_tokener_parse_ex(tok, answer, (int)len);
	json_tokener_free(tok);
	if (a == NULL || (ok = field(a, "ok")) == NULL ||
	    !json_object_is_type(ok, json_type_boolean)) {
		fprintf(stderr, "sluicectl: the daemon's answer is not what "
		    "it should be (%zu bytes)\n", len);
		json_object_put(a);
		return EXIT_PROTOCOL;
	}
	if (!json_object_get_boolean(ok)) {
		fprintf(stderr, "sluicectl: %s\n", str(a, "error", buf,
		    sizeof(buf)));
		lines(stderr, field(field(a, "reload"), "errors"));
		rc = 1;
	}
	if (json)
		fwrite(answer, 1, len, stdout);
	else if (rc != 0)
		;
	else if (strcmp(cmd, "status") == 0)
		show_status(a);
	else if (strcmp(cmd, "filters") == 0)
		show_filters(a);
	else if (strcmp(cmd, "reload") == 0)
		printf("reloaded %s: %lld filters (%lld kept their state, %lld "
		    "new), %lld rules\n", str(a, "config", buf, sizeof(buf)),
		    num(a, "filters"), num(field(a, "reload"), "kept"),
		    num(field(a, "reload"), "new"), num(a, "rules"));
	else if (strcmp(cmd, "log") == 0)
		show_log(a);
	else if (strcmp(cmd, "metrics") == 0) {
		if (field(a, "text") != NULL)
			fputs(json_object_get_string(field(a, "text")), stdout);
	} else {
		filter_head();
		show_filter(field(a, "filter"));
	}
	json_object_put(a);
	return rc;
}
