/*
 * config_test.c - config loading: golden error messages, defaults,
 * fragments, overrides, and the snapshot built from a good file
 *
 * Golden cases are testdata/config/NAME.conf with the exact expected
 * error lines in NAME.ref ("@DIR@" stands for the directory).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "lib/xmalloc.h"
#include "rules/filter_state.h"

static char	*cfgdir;

/* slurp - a whole small file */
static char *
slurp(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*buf;
	long	 n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* expand - replace every @DIR@ by the config directory */
static char *
expand(const char *ref)
{
	char		*out, *o;
	const char	*p;
	size_t		 dl = strlen(cfgdir);

	out = xmalloc(strlen(ref) * (dl + 1) + 1);
	for (o = out, p = ref; *p != '\0'; ) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			memcpy(o, cfgdir, dl);
			o += dl;
			p += 5;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

/* golden - load NAME.conf, compare all errors with NAME.ref */
static void
golden(const char *name)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path, *refpath, *ref, *want, *got;
	size_t			 i, len = 0;

	xasprintf(&path, "%s/%s.conf", cfgdir, name);
	xasprintf(&refpath, "%s/%s.ref", cfgdir, name);
	c = config_load(path, NULL, &e);
	assert_null(c);
	for (i = 0; i < e.n; i++)
		len += strlen(e.msg[i]) + 1;
	got = xcalloc(1, len + 1);
	for (i = 0; i < e.n; i++) {
		strcat(got, e.msg[i]);
		strcat(got, "\n");
	}
	ref = slurp(refpath);
	want = expand(ref);
	if (strcmp(want, got) != 0)
		print_error("%s: expected:\n%s\ngot:\n%s\n", name, want, got);
	assert_string_equal(want, got);
	free(want);
	free(ref);
	free(got);
	free(path);
	free(refpath);
	config_errors_free(&e);
}

static void t_unknown_key(void **s) { (void)s; golden("unknown-key"); }
static void t_types(void **s) { (void)s; golden("types"); }
static void t_ranges(void **s) { (void)s; golden("ranges"); }
static void t_semantic(void **s) { (void)s; golden("semantic"); }
static void t_syntax(void **s) { (void)s; golden("syntax"); }
static void t_daemon(void **s) { (void)s; golden("daemon"); }
static void t_smtp(void **s) { (void)s; golden("smtp"); }
static void t_sockets(void **s) { (void)s; golden("sockets"); }
static void t_required(void **s) { (void)s; golden("required"); }
static void t_frag(void **s) { (void)s; golden("frag"); }
static void t_modules(void **s) { (void)s; golden("modules"); }

/* write_conf - a config file in a fresh temporary directory */
static char *
write_conf(const char *text)
{
	char	*dir, *path;
	FILE	*fp;

	dir = xstrdup("/tmp/sluice-config-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	xasprintf(&path, "%s/sluice.conf", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(dir);
	return path;
}

/* cleanup - remove what write_conf made */
static void
cleanup(char *path)
{
	char	*slash;

	unlink(path);
	slash = strrchr(path, '/');
	*slash = '\0';
	rmdir(path);
	free(path);
}

static void
t_defaults(void **state)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path;
	const struct filter	*f;

	(void)state;
	path = write_conf(
	    "filters = ( { name = \"f\"; command = \"/bin/true %f\"; } );\n"
	    "rules = ( { filter = \"f\"; } );\n");
	c = config_load(path, NULL, &e);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	assert_string_equal(c->spool_dir, "/var/spool/sluice");
	assert_string_equal(c->user, "sluice");
	assert_string_equal(c->filter_user, "sluice-filter");
	assert_string_equal(c->filters[0].user, "sluice-filter");
	assert_string_equal(c->filters[0].group, "sluice-filter");
	assert_int_equal(c->filters[0].limits.cpu, 60);
	assert_int_equal(c->filters[0].limits.nofile, 1024);
	assert_int_equal(c->message_max, 50 * 1024 * 1024);
	assert_int_equal(c->reject.code, 550);
	assert_string_equal(c->reject.status, "5.7.1");
	assert_int_equal(c->tempfail.code, 451);
	/* unix sockets 0660, group of user; XFORWARD from loopback and
	 * unix sockets; DATA no slower than 500 bytes a second */
	assert_int_equal(c->socket_mode, 0660);
	assert_null(c->socket_group);
	assert_int_equal(c->socket_gid, c->gid);
	assert_int_equal(c->smtp_xforward_unix, 1);
	assert_int_equal(c->smtp_xforward_nnets, 2);
	assert_int_equal(listen_net_match(c->smtp_xforward_nets,
	    c->smtp_xforward_nnets, "127.0.0.1"), 1);
	assert_int_equal(listen_net_match(c->smtp_xforward_nets,
	    c->smtp_xforward_nnets, "127.9.9.9"), 1);
	assert_int_equal(listen_net_match(c->smtp_xforward_nets,
	    c->smtp_xforward_nnets, "::1"), 1);
	assert_int_equal(listen_net_match(c->smtp_xforward_nets,
	    c->smtp_xforward_nnets, "192.0.2.1"), 0);
	assert_int_equal(c->smtp_min_data_rate, 500);
	f = &c->filters[0];
	assert_string_equal(f->argv[0], "/bin/true");
	assert_string_equal(f->argv[1], "%f");
	assert_null(f->argv[2]);
	assert_int_equal(f->timeout_ms, 60000);
	assert_int_equal(f->grace_ms, 2000);
	assert_int_equal(f->instances, 0);
	assert_int_equal(f->on_error, V_TEMPFAIL);
	assert_int_equal(f->when_off, V_TEMPFAIL);
	assert_int_equal(f->error_threshold, 5);
	assert_int_equal(f->output_max, 64 * 1024);
	/* the default exit table */
	assert_int_equal(f->exitmap[0], V_CONTINUE);
	assert_int_equal(f->exitmap[1], V_REJECT);
	assert_int_equal(f->exitmap[75], V_TEMPFAIL);
	/* no code a crashing shell produces may discard or accept */
	assert_int_equal(f->exitmap[2], -1);
	assert_int_equal(f->exitmap[3], -1);
	assert_int_equal(f->exitmap[4], -1);
	assert_int_equal(f->exitmap[5], -1);
	assert_int_equal(f->exitmap[127], -1);
	/* filter replies fall back to the global ones */
	assert_int_equal(f->reject.code, 550);
	assert_string_equal(f->reject.text, "Message rejected");
	assert_ptr_equal(c->rules[0].filter, f);
	assert_string_equal(c->rules[0].name, "rule1");
	config_errors_free(&e);
	config_unref(&c);
	cleanup(path);
}

static void
t_values(void **state)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path;
	const struct filter	*f;
	const struct rule	*r;

	(void)state;
	path = write_conf(
	    "socket_mode = \"620\"; socket_group = \"root\";\n"
	    "smtp_xforward_hosts = [ \"192.0.2.0/24\" ];\n"
	    "smtp_min_data_rate = 1;\n"
	    "reject_reply = { code = 554; status = \"5.7.0\"; "
	    "text = \"No\"; with_reason = false; };\n"
	    "filters = ( { name = \"f\"; command = [\"/bin/true\", \"a b\"];\n"
	    "  timeout = 1.5; kill_grace = 0; instances = 3; on_error = "
	    "\"skip\";\n"
	    "  when_off = \"tempfail\"; output_max = \"1K\"; "
	    "rlimit_memory = \"256M\";\n"
	    "  exit = { reject = [7, 8]; accept = 0; };\n"
	    "  tempfail_reply = { text = \"Later\"; }; } );\n"
	    "rules = ( { name = \"r\"; filter = \"f\"; sender = [\"a@b\", "
	    "\"/@x$/i\"];\n"
	    "  recipient = \"c@d\"; recipient_match = \"all\"; size_max = "
	    "\"10K\";\n"
	    "  time = \"* 8-17 * * mon-fri\";\n"
	    "  unless = { subject = \"/^\\\\[ok\\\\]/\"; }; } );\n");
	c = config_load(path, NULL, &e);
	if (e.n > 0)
		print_error("%s\n", e.msg[0]);
	assert_int_equal(e.n, 0);
	assert_int_equal(c->socket_mode, 0620);
	assert_string_equal(c->socket_group, "root");
	assert_int_equal(c->socket_gid, 0);
	/* a list without "unix" leaves unix socket clients out */
	assert_int_equal(c->smtp_xforward_unix, 0);
	assert_int_equal(c->smtp_xforward_nnets, 1);
	assert_int_equal(listen_net_match(c->smtp_xforward_nets,
	    c->smtp_xforward_nnets, "127.0.0.1"), 0);
	assert_int_equal(listen_net_match(c->smtp_xforward_nets,
	    c->smtp_xforward_nnets, "192.0.2.77"), 1);
	assert_int_equal(c->smtp_min_data_rate, 1);
	f = &c->filters[0];
	assert_string_equal(f->argv[1], "a b");
	assert_int_equal(f->timeout_ms, 1500);
	assert_int_equal(f->grace_ms, 0);
	assert_int_equal(f->instances, 3);
	assert_int_equal(f->on_error, V_CONTINUE);
	assert_int_equal(f->when_off, V_TEMPFAIL);
	assert_int_equal(f->output_max, 1024);
	assert_int_equal(f->limits.as, 256UL * 1024 * 1024);
	/* an exit group replaces the whole table */
	assert_int_equal(f->exitmap[7], V_REJECT);
	assert_int_equal(f->exitmap[8], V_REJECT);
	assert_int_equal(f->exitmap[0], V_ACCEPT);
	assert_int_equal(f->exitmap[1], -1);
	assert_int_equal(f->exitmap[75], -1);
	/* reject_reply inherited whole, tempfail_reply only the text set */
	assert_int_equal(f->reject.code, 554);
	assert_int_equal(f->reject.with_reason, 0);
	assert_int_equal(f->tempfail.code, 451);
	assert_string_equal(f->tempfail.text, "Later");
	r = &c->rules[0];
	assert_string_equal(r->name, "r");
	assert_int_equal(r->when.n, 4);
	assert_int_equal(r->when.c[0].field, CF_SENDER);
	assert_int_equal(r->when.c[0].ml.nexact, 1);
	assert_int_equal(r->when.c[0].ml.nre, 1);
	assert_int_equal(r->when.c[1].field, CF_RCPT);
	assert_int_equal(r->when.c[1].rcpt_all, 1);
	assert_int_equal(r->when.c[2].field, CF_SIZE);
	assert_int_equal(r->when.c[2].size_min, 0);
	assert_int_equal(r->when.c[2].size_max, 10240);
	assert_int_equal(r->when.c[3].field, CF_TIME);
	assert_int_equal(r->unless.n, 1);
	assert_int_equal(r->unless.c[0].field, CF_SUBJECT);
	config_errors_free(&e);
	config_unref(&c);
	cleanup(path);
}

/* t_xforward_none - smtp_xforward_hosts = [] trusts no client */
static void
t_xforward_none(void **state)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path;

	(void)state;
	path = write_conf("smtp_xforward_hosts = [];\n");
	c = config_load(path, NULL, &e);
	assert_int_equal(e.n, 0);
	assert_int_equal(c->smtp_xforward_unix, 0);
	assert_int_equal(c->smtp_xforward_nnets, 0);
	config_errors_free(&e);
	config_unref(&c);
	cleanup(path);
}

static void
t_overrides(void **state)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path;
	char			 o1[] = "spool_dir=/srv/spool", o2[] = "debug=yes",
				 o3[] = "message_max=1M", b1[] = "filters=x",
				 b2[] = "nokey=1", b3[] = "debug=maybe",
				 b4[] = "justtext";
	char			*ov[] = { o1, o2, o3, NULL };
	char			*bad[] = { b1, b2, b3, b4, NULL };

	(void)state;
	path = write_conf("spool_dir = \"/var/x\";\n");
	c = config_load(path, ov, &e);
	assert_int_equal(e.n, 0);
	assert_string_equal(c->spool_dir, "/srv/spool");
	assert_int_equal(c->log_debug, 1);
	assert_int_equal(c->message_max, 1024 * 1024);
	config_errors_free(&e);
	config_unref(&c);
	c = config_load(path, bad, &e);
	assert_null(c);
	assert_int_equal(e.n, 4);
	assert_string_equal(e.msg[0], "-O filters=x: \"filters\" is not a "
	    "top-level setting that -O can change");
	assert_string_equal(e.msg[1], "-O nokey=1: \"nokey\" is not a "
	    "top-level setting that -O can change");
	assert_string_equal(e.msg[2], "-O debug=maybe: expected true or "
	    "false");
	assert_string_equal(e.msg[3], "-O justtext: expected key=value");
	config_errors_free(&e);
	cleanup(path);
}

/* t_filter_ids - a filter's user, group and writable paths: what is
 * refused, with its reason, and what is only a warning */
static void
t_filter_ids(void **state)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path;
	size_t			 i;
	const char		*want[] = {
		"filter \"a\": user \"root\" is root",
		/* and root's primary group with it */
		"filter \"a\": group \"root\" is root's",
		"filter \"b\": user \"nobody\" is nobody",
		"filter \"c\": group \"root\" is root's",
		"filter \"d\": writable \"rel/dir\" is not an absolute path",
		"filter \"e\": writable \"/var/spool/sluice/x\" is in the "
		    "spool or holds it",
		"filter \"f\": writable \"/var\" is in the spool or holds it",
		"filter \"g\": user \"no-such-user-x\" does not exist",
	};

	(void)state;
	path = write_conf(
	    "filters = (\n"
	    "{ name = \"a\"; command = \"/bin/true\"; user = \"root\"; },\n"
	    "{ name = \"b\"; command = \"/bin/true\"; user = \"nobody\"; },\n"
	    "{ name = \"c\"; command = \"/bin/true\"; group = \"root\"; },\n"
	    "{ name = \"d\"; command = \"/bin/true\"; writable = \"rel/dir\"; },\n"
	    "{ name = \"e\"; command = \"/bin/true\";\n"
	    "  writable = \"/var/spool/sluice/x\"; },\n"
	    "{ name = \"f\"; command = \"/bin/true\"; writable = \"/var\"; },\n"
	    "{ name = \"g\"; command = \"/bin/true\"; user = \"no-such-user-x\"; },\n"
	    "{ name = \"h\"; command = \"/bin/true\";\n"
	    "  writable = \"/nonexistent/sluice-x\"; } );\n");
	c = config_load(path, NULL, &e);
	assert_null(c);
	assert_int_equal(e.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < e.n; i++)
		if (strstr(e.msg[i], want[i]) == NULL)
			fail_msg("error %zu: \"%s\", expected \"%s\"", i,
			    e.msg[i], want[i]);
	/* a writable path not made yet: the filter cannot write there (the
	 * other warning: no conf.d beside the file) */
	for (i = 0; i < e.nwarn; i++)
		if (strstr(e.warn[i], "filter \"h\": writable "
		    "\"/nonexistent/sluice-x\": No such file or directory; "
		    "the filter cannot write there") != NULL)
			break;
	assert_true(i < e.nwarn);
	config_errors_free(&e);
	cleanup(path);
}

static void
t_fragment_order(void **state)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path, *dir, *frag;
	FILE			*fp;
	const char		*names[] = { "20-b.conf", "10-a.conf" };
	char			 o1[] = "spool_dir=/from/command-line";
	char			*ov[] = { o1, NULL };
	size_t			 i;

	(void)state;
	path = write_conf("include_dir = \"d\";\n"
	    "filters = ( { name = \"main\"; command = \"/bin/true\"; } );\n");
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	xasprintf(&frag, "%s/d", dir);
	assert_int_equal(mkdir(frag, 0700), 0);
	free(frag);
	for (i = 0; i < 2; i++) {
		xasprintf(&frag, "%s/d/%s", dir, names[i]);
		fp = fopen(frag, "w");
		fprintf(fp, "filters = ( { name = \"%c\"; command = "
		    "\"/bin/true\"; } );\n", names[i][3]);
		fclose(fp);
		free(frag);
	}
	c = config_load(path, NULL, &e);
	assert_int_equal(e.n, 0);
	assert_int_equal(c->nfilters, 3);
	assert_string_equal(c->filters[0].name, "main");
	assert_string_equal(c->filters[1].name, "a");
	assert_string_equal(c->filters[2].name, "b");
	config_errors_free(&e);
	config_unref(&c);
	/* a fragment setting a key that -O set: the command line wins */
	xasprintf(&frag, "%s/d/30-c.conf", dir);
	fp = fopen(frag, "w");
	fprintf(fp, "spool_dir = \"/from/fragment\";\n");
	fclose(fp);
	c = config_load(path, ov, &e);
	assert_int_equal(e.n, 0);
	assert_string_equal(c->spool_dir, "/from/command-line");
	config_errors_free(&e);
	config_unref(&c);
	c = config_load(path, NULL, &e);
	assert_string_equal(c->spool_dir, "/from/fragment");
	config_errors_free(&e);
	config_unref(&c);
	unlink(frag);
	free(frag);
	for (i = 0; i < 2; i++) {
		xasprintf(&frag, "%s/d/%s", dir, names[i]);
		unlink(frag);
		free(frag);
	}
	xasprintf(&frag, "%s/d", dir);
	rmdir(frag);
	free(frag);
	free(dir);
	cleanup(path);
}

/* a relative filter_dir is found beside the main file, whatever the
 * working directory; a missing default include_dir is a warning */
static void
t_relative_dirs(void **state)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path, *dir, *bin, *prog, *want, cwd[4096];
	FILE			*fp;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	path = write_conf("filter_dir = \"bin\";\n"
	    "filters = ( { name = \"f\"; command = \"f.sh %f\"; } );\n");
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	xasprintf(&bin, "%s/bin", dir);
	assert_int_equal(mkdir(bin, 0755), 0);
	xasprintf(&prog, "%s/f.sh", bin);
	fp = fopen(prog, "w");
	fputs("#!/bin/sh\n", fp);
	fclose(fp);
	assert_int_equal(chmod(prog, 0755), 0);
	assert_int_equal(chdir("/"), 0);
	c = config_load(path, NULL, &e);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	assert_string_equal(c->filter_dir, bin);
	assert_string_equal(c->filters[0].argv[0], prog);
	assert_int_equal(e.nwarn, 1);
	xasprintf(&want, "%s: warning: include_dir \"%s/conf.d\": No such "
	    "file or directory; no fragments read (the default directory; "
	    "set include_dir to choose one)", path, dir);
	assert_string_equal(e.warn[0], want);
	config_errors_free(&e);
	config_unref(&c);
	config_errors_free(&e);
	unlink(prog);
	rmdir(bin);
	free(want);
	free(prog);
	free(bin);
	free(dir);
	cleanup(path);
}

/* digest_of - filter name's definition digest in config text; the
 * files' digest into *files */
static uint64_t
digest_of(const char *text, const char *name, uint64_t *files)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path;
	uint64_t		 d;

	path = write_conf(text);
	c = config_load(path, NULL, &e);
	if (c == NULL)
		fail_msg("%s", e.n > 0 ? e.msg[0] : "no config");
	d = config_find_filter(c, name)->digest;
	if (files != NULL)
		*files = c->digest;
	config_unref(&c);
	config_errors_free(&e);
	cleanup(path);
	return d;
}

/*
 * t_filter_digest - what a reload compares: a filter moved elsewhere in
 * the file is the same filter; one with a changed setting, or with a
 * changed global default it inherits, is another; the files' digest
 * follows their bytes
 */
static void
t_filter_digest(void **state)
{
	static const char a[] = "include_dir = \".\";\n"
	    "filters = ( { name = \"f\"; command = \"/bin/true %f\"; },\n"
	    "{ name = \"g\"; command = \"/bin/true\"; timeout = 5; } );\n";
	static const char b[] = "include_dir = \".\";\n"
	    "# moved and commented\n\n"
	    "filters = ( { name = \"g\"; command = \"/bin/true\"; timeout = 6; },\n"
	    "  { name = \"f\";\n    command = \"/bin/true %f\"; } );\n";
	static const char c[] = "include_dir = \".\";\n"
	    "reject_reply = { text = \"Go away\"; };\n"
	    "filters = ( { name = \"f\"; command = \"/bin/true %f\"; } );\n";
	uint64_t	fa, fb, fc, da, da2, db;

	(void)state;
	fa = digest_of(a, "f", &da);
	fb = digest_of(b, "f", &db);
	fc = digest_of(c, "f", NULL);
	assert_true(fa == fb);
	assert_true(fa != fc);
	assert_true(digest_of(a, "g", NULL) != digest_of(b, "g", NULL));
	assert_true(da != db);
	/* the same bytes again (the path is in the digest too, and each
	 * write_conf makes a new directory) */
	(void)digest_of(a, "f", &da2);
	assert_true(da2 != 0);
}

/* load_errors - the errors of loading path, joined by newlines */
static char *
load_errors(const char *path)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*all = xstrdup(""), *n;
	size_t			 i;

	c = config_load(path, NULL, &e);
	if (c != NULL)
		config_unref(&c);
	for (i = 0; i < e.n; i++) {
		xasprintf(&n, "%s%s\n", all, e.msg[i]);
		free(all);
		all = n;
	}
	config_errors_free(&e);
	return all;
}

/* a config file or a program that others may change is refused: who
 * can change it decides what runs */
static void
t_open_to_others(void **state)
{
	char	*path, *dir, *prog, *want, *got;
	FILE	*fp;

	(void)state;
	path = write_conf("filter_dir = \"bin\";\ninclude_dir = \".\";\n"
	    "filters = ( { name = \"f\"; command = \"f.sh\"; } );\n");
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	xasprintf(&prog, "%s/bin", dir);
	assert_int_equal(mkdir(prog, 0755), 0);
	free(prog);
	xasprintf(&prog, "%s/bin/f.sh", dir);
	fp = fopen(prog, "w");
	fputs("#!/bin/sh\n", fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chmod(prog, 0755), 0);
	got = load_errors(path);
	assert_string_equal(got, "");
	free(got);

	assert_int_equal(chmod(prog, 0757), 0);
	got = load_errors(path);
	xasprintf(&want, "%s:3: program %s is writable by "
	    "everyone (mode 0757); only its owner may write it (chmod go-w)\n",
	    path, prog);
	assert_string_equal(got, want);
	free(got);
	free(want);
	if (geteuid() == 0) {
		assert_int_equal(chown(prog, 0, 1), 0);
		assert_int_equal(chmod(prog, 0775), 0);
		got = load_errors(path);
		assert_non_null(strstr(got, "is writable by group 1 "
		    "(mode 0775)"));
		free(got);
		/* root's own group may write it */
		assert_int_equal(chown(prog, 0, 0), 0);
		got = load_errors(path);
		assert_string_equal(got, "");
		free(got);
	}
	assert_int_equal(chmod(prog, 0755), 0);

	assert_int_equal(chmod(path, 0666), 0);
	got = load_errors(path);
	xasprintf(&want, "%s: the file is writable by everyone (mode 0666); "
	    "only its owner may write it (chmod go-w)\n", path);
	assert_string_equal(got, want);
	free(got);
	free(want);
	unlink(prog);
	free(prog);
	xasprintf(&prog, "%s/bin", dir);
	rmdir(prog);
	free(prog);
	free(dir);
	cleanup(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_relative_dirs),
		cmocka_unit_test(t_filter_digest),
		cmocka_unit_test(t_open_to_others),
		cmocka_unit_test(t_unknown_key),
		cmocka_unit_test(t_types),
		cmocka_unit_test(t_ranges),
		cmocka_unit_test(t_semantic),
		cmocka_unit_test(t_syntax),
		cmocka_unit_test(t_daemon),
		cmocka_unit_test(t_smtp),
		cmocka_unit_test(t_sockets),
		cmocka_unit_test(t_required),
		cmocka_unit_test(t_frag),
		cmocka_unit_test(t_modules),
		cmocka_unit_test(t_defaults),
		cmocka_unit_test(t_values),
		cmocka_unit_test(t_xforward_none),
		cmocka_unit_test(t_overrides),
		cmocka_unit_test(t_fragment_order),
		cmocka_unit_test(t_filter_ids),
	};
	const char *td = getenv("SLUICE_TESTDATA");

	xasprintf(&cfgdir, "%s/config", td ? td : "testdata");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
