/*
 * config_build.c - load the config files and build a snapshot
 *
 * Reads the main file, applies -O overrides, merges the include_dir
 * fragments (lists are appended in name order; a scalar key may be set
 * in one file only), checks the schema, then builds the snapshot:
 * commands split and their programs found, regexes and cron windows
 * compiled, rule filters resolved, the user looked up.  Every problem is
 * reported with file and line, and all of them are reported.
 * SECURITY: config files are trusted but may be wrong.  A filter program
 * must be an executable regular file; relative names resolve against
 * filter_dir only, never against PATH or the working directory
 * (filter_dir and include_dir, when relative, are taken in the main
 * file's directory).
 * ERRORS: returned through config_errors; nothing here is fatal.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_read.h"
#include "config/config_schema.h"
#include "config/config_tree.h"
#include "lib/file.h"
#include "lib/listen.h"
#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/xmalloc.h"
#include "mail/envelope.h"
#include "mail/header.h"
#include "rules/filter_state.h"
#include "rules/subst.h"

/*
 * Default exit codes; a filter's "exit" group replaces the whole table.
 * Deliberately small: shells and most tools exit 1 or 2 on their own
 * errors, so no code that a crash can produce may mean discard or
 * accept.  Everything unmapped is an error, handled by on_error.
 */
static const struct {
	int		code;
	enum verdict	v;
} default_exits[] = {
	{ 0, V_CONTINUE }, { 1, V_REJECT }, { 75, V_TEMPFAIL }
};

/* apply_override - "key=value" for a top-level scalar key */
static void
apply_override(struct cnode *root, const char *ov, struct config_errors *e)
{
	const struct schema_key	*k;
	const char		*eq;
	char			*key, *end;
	struct cnode		*n;
	size_t			 i;

	if ((eq = strchr(ov, '=')) == NULL || eq == ov) {
		config_errors_add(e, "-O %s: expected key=value", ov);
		return;
	}
	key = xstrndup(ov, (size_t)(eq - ov));
	k = schema_find(key);
	if (k == NULL || strchr(key, '.') != NULL || k->type == S_GROUP ||
	    k->type == S_LIST || k->type == S_STRINGS || k->type == S_INTS) {
		config_errors_add(e, "-O %s: \"%s\" is not a top-level "
		    "setting that -O can change", ov, key);
		free(key);
		return;
	}
	n = cnode_new(CN_STRING, key, "-O", 0);
	eq++;
	switch (k->type) {
	case S_INT:
	case S_SECONDS:
		n->type = strchr(eq, '.') ? CN_FLOAT : CN_INT;
		errno = 0;
		if (n->type == CN_INT)
			n->i = strtoll(eq, &end, 10);
		else
			n->f = strtod(eq, &end);
		if (*eq == '\0' || *end != '\0' || errno != 0)
			config_errors_add(e, "-O %s: not a number", ov);
		break;
	case S_BOOL:
		n->type = CN_BOOL;
		if (strcmp(eq, "true") == 0 || strcmp(eq, "yes") == 0)
			n->i = 1;
		else if (strcmp(eq, "false") != 0 && strcmp(eq, "no") != 0)
			config_errors_add(e, "-O %s: expected true or false",
			    ov);
		break;
	default:
		n->s = xstrdup(eq);
		break;
	}
	for (i = 0; i < root->nkid; i++)
		if (strcmp(root->kid[i]->name, key) == 0) {
			cnode_free(&root->kid[i]);
			root->kid[i] = n;
			free(key);
			return;
		}
	cnode_add(root, n);
	free(key);
}

/* merge - move the settings of a fragment into the main tree */
static void
merge(struct cnode *root, struct cnode *frag, struct config_errors *e)
{
	struct cnode	*old;
	size_t		 i, j;

	for (i = 0; i < frag->nkid; i++) {
		struct cnode *k = frag->kid[i];

		old = (struct cnode *)cnode_get(root, k->name);
		if (strcmp(k->name, "include_dir") == 0) {
			config_errors_add(e, "%s:%d: include_dir can only be "
			    "set in the main file", k->file, k->line);
			continue;
		}
		if (old != NULL && strcmp(old->file, "-O") == 0)
			continue;	/* the command line wins */
		if (old == NULL) {
			cnode_add(root, k);
			frag->kid[i] = NULL;
		} else if (old->type == CN_LIST && k->type == CN_LIST) {
			for (j = 0; j < k->nkid; j++)
				cnode_add(old, k->kid[j]);
			k->nkid = 0;
		} else
			config_errors_add(e, "%s:%d: \"%s\" is already set at "
			    "%s:%d", k->file, k->line, k->name, old->file,
			    old->line);
	}
	for (i = 0; i < frag->nkid; i++)
		cnode_free(&frag->kid[i]);
	frag->nkid = 0;
}

/* conf_filter - scandir filter: *.conf regular names */
static int
conf_filter(const struct dirent *d)
{
	size_t	len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 &&
	    strcmp(d->d_name + len - 5, ".conf") == 0;
}

/* beside_main - dir, or when relative, dir in the main file's
 * directory (allocated); absolute as well when asked, for what the
 * daemon uses after leaving the directory it was started in */
static char *
beside_main(const char *mainpath, const char *dir, int absolute)
{
	const char	*slash = strrchr(mainpath, '/');
	char		*full, *abs, cwd[PATH_MAX];

	if (dir[0] == '/')
		return xstrdup(dir);
	if (slash == NULL)
		full = xstrdup(dir);
	else
		xasprintf(&full, "%.*s/%s", (int)(slash - mainpath),
		    mainpath, dir);
	if (!absolute || full[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return full;
	xasprintf(&abs, "%s/%s", cwd, full);
	free(full);
	return abs;
}

/* read_fragments - every *.conf of include_dir, in name order */
static void
read_fragments(struct cnode *root, const char *mainpath, uint64_t *digest,
    struct config_errors *e)
{
	const struct cnode	 *n = cnode_get(root, "include_dir");
	char			 *full, *path, mainreal[PATH_MAX],
				  real[PATH_MAX];
	struct dirent		**ents;
	struct cnode		 *frag;
	int			  i, cnt;

	full = beside_main(mainpath, cfg_str(root, "include_dir"), 0);
	if ((cnt = scandir(full, &ents, conf_filter, alphasort)) < 0) {
		/*
		 * A chosen directory must be there.  The default may be
		 * absent (a configuration in one file), but say so: a
		 * config that silently has no rules looks like a good one.
		 */
		if (errno != ENOENT || n != NULL)
			config_errors_add(e, "%s:%d: include_dir \"%s\": %s",
			    n ? n->file : mainpath, n ? n->line : 1, full,
			    strerror(errno));
		else
			config_warn_add(e, "%s: warning: include_dir \"%s\": "
			    "%s; no fragments read (the default directory; "
			    "set include_dir to choose one)", mainpath, full,
			    strerror(errno));
		free(full);
		return;
	}
	if (realpath(mainpath, mainreal) == NULL)
		mainreal[0] = '\0';
	for (i = 0; i < cnt; i++) {
		xasprintf(&path, "%s/%s", full, ents[i]->d_name);
		free(ents[i]);
		if (realpath(path, real) != NULL &&
		    strcmp(real, mainreal) == 0) {
			free(path);
			continue;
		}
		if ((frag = cfgfile_read(path, digest, e)) != NULL) {
			merge(root, frag, e);
			cnode_free(&frag);
		}
		free(path);
	}
	free(ents);
	free(full);
}

/*
 * build_reply - a reply group.  Each key set in the group is taken from
 * it; a key it leaves out comes from dflt (the global reply, for a
 * filter's), or from the schema default when there is no dflt.
 */
static void
build_reply(struct reply_cfg *r, const struct cnode *g, const char *path,
    const struct reply_cfg *dflt)
{
	const struct cnode	*n;
	const char		*last = strrchr(path, '.');
	char			 p[128];

	n = cnode_get(g, last != NULL ? last + 1 : path);
#define OWN(key) (snprintf(p, sizeof(p), "%s." key, path), \
	dflt == NULL || cnode_get(n, key) != NULL)
	r->code = OWN("code") ? (int)cfg_int(n, p) : dflt->code;
	r->status = xstrdup(OWN("status") ? cfg_str(n, p) : dflt->status);
	r->text = xstrdup(OWN("text") ? cfg_str(n, p) : dflt->text);
	r->with_reason = OWN("with_reason") ? cfg_bool(n, p) :
	    dflt->with_reason;
#undef OWN
}

/* a reply line must fit RFC 5321's 512 octets with code and status */
#define REPLY_LINE_MAX	400
#define REPLY_LINES_MAX	32	/* smfi_setmlreply's limit */
#define REPLY_CFG_TEXT_MAX	500	/* what struct reply holds, with room
				   for a reason */

/* check_reply - status must agree with the code's class; the text is
 * printable lines separated by newlines ("\n" in the config) */
static void
check_reply(const struct reply_cfg *r, const char *where, const char *what,
    struct config_errors *e)
{
	unsigned	a, b, c;
	const char	*t;
	size_t		lines = 1, len = 0;
	char		tail;

	if (sscanf(r->status, "%u.%u.%u%c", &a, &b, &c, &tail) != 3 ||
	    a != (unsigned)r->code / 100 || b > 999 || c > 999)
		config_errors_add(e, "%s: %s: status \"%s\" is not an "
		    "enhanced status code of class %d (like %d.7.1)", where,
		    what, r->status, r->code / 100, r->code / 100);
	for (t = r->text; *t != '\0'; t++) {
		if (*t == '\n') {
			lines++;
			len = 0;
			continue;
		}
		if ((unsigned char)*t < 0x20 || *t == 0x7f) {
			config_errors_add(e, "%s: %s: reply text holds a "
			    "control character", where, what);
			return;
		}
		if (++len > REPLY_LINE_MAX) {
			config_errors_add(e, "%s: %s: a reply text line is "
			    "longer than %d characters", where, what,
			    REPLY_LINE_MAX);
			return;
		}
	}
	if (lines > REPLY_LINES_MAX || (lines > 1 && strlen(r->text) >
	    REPLY_CFG_TEXT_MAX))
		config_errors_add(e, "%s: %s: reply text of more than %d "
		    "lines or %d characters", where, what, REPLY_LINES_MAX,
		    REPLY_CFG_TEXT_MAX);
}

/* resolve_program - argv[0] to an absolute executable path */
static char *
resolve_program(const char *prog, const char *filter_dir, const char *where,
    struct config_errors *e)
{
	struct stat	 st;
	const char	*how;
	char		*path, buf[80];

	if (prog[0] == '/')
		path = xstrdup(prog);
	else if (strchr(prog, '%') != NULL) {
		config_errors_add(e, "%s: the program name cannot contain a "
		    "substitution", where);
		return NULL;
	} else
		xasprintf(&path, "%s/%s", filter_dir, prog);
	if (stat(path, &st) != 0) {
		config_errors_add(e, "%s: program %s: %s", where, path,
		    strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		config_errors_add(e, "%s: program %s is not a regular file",
		    where, path);
	} else if (access(path, X_OK) != 0) {
		config_errors_add(e, "%s: program %s is not executable", where,
		    path);
	} else if ((how = file_open_to_others(&st, buf, sizeof(buf))) !=
	    NULL) {
		config_errors_add(e, "%s: program %s %s; only its owner may "
		    "write it (chmod go-w)", where, path, how);
	} else
		return path;
	free(path);
	return NULL;
}

/* build_command - command words, checked */
static char **
build_command(const struct cnode *g, const char *filter_dir,
    struct config_errors *e)
{
	const struct cnode	 *n = cnode_get(g, "command");
	char			**argv, why[256], where[300], *p;
	size_t			  i;

	snprintf(where, sizeof(where), "%s:%d", n->file, n->line);
	if (n->type == CN_STRING) {
		if ((argv = subst_split(n->s, why, sizeof(why))) == NULL) {
			config_errors_add(e, "%s: command: %s", where, why);
			return NULL;
		}
	} else {
		argv = xcalloc(n->nkid + 1, sizeof(*argv));
		for (i = 0; i < n->nkid; i++) {
			argv[i] = xstrdup(n->kid[i]->s ? n->kid[i]->s : "");
			if (subst_check_word(argv[i], why, sizeof(why)) != 0)
				config_errors_add(e, "%s: command word %zu: %s",
				    where, i + 1, why);
		}
	}
	if ((p = resolve_program(argv[0], filter_dir, where, e)) == NULL) {
		xfree_strv(&argv);
		return NULL;
	}
	free(argv[0]);
	argv[0] = p;
	return argv;
}

/*
 * resolve_module - a module's path, absolute or under filter_dir: a
 * regular file that only root (or the user loading it, when that is not
 * root) owns and can write, in a directory others cannot write either;
 * what it holds is checked when it is loaded (engine_module.c)
 */
static char *
resolve_module(const char *mod, const char *filter_dir, const char *where,
    struct config_errors *e)
{
	struct stat	 st, dst;
	const char	*how;
	char		*path, *dir, *slash, buf[80];

	if (mod[0] == '/')
		path = xstrdup(mod);
	else
		xasprintf(&path, "%s/%s", filter_dir, mod);
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(path, &st) != 0)
		config_errors_add(e, "%s: module %s: %s", where, path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		config_errors_add(e, "%s: module %s is not a regular file",
		    where, path);
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		config_errors_add(e, "%s: module %s belongs to uid %u; it must "
		    "be root's", where, path, (unsigned)st.st_uid);
	else if ((how = file_open_to_others(&st, buf, sizeof(buf))) != NULL)
		config_errors_add(e, "%s: module %s %s; only root may write "
		    "it (chmod go-w)", where, path, how);
	else if (stat(dir, &dst) == 0 && !(dst.st_mode & S_ISVTX) &&
	    (how = file_open_to_others(&dst, buf, sizeof(buf))) != NULL)
		config_errors_add(e, "%s: module %s: its directory %s %s, so "
		    "others could replace it", where, path, dir, how);
	else {
		free(dir);
		return path;
	}
	free(dir);
	free(path);
	return NULL;
}

/* build_settings - a module's settings group as name, value text */
static void
build_settings(struct filter *f, const struct cnode *g)
{
	const struct cnode	*n = cnode_get(g, "settings"), *k;
	size_t			 i;

	if (n == NULL || n->nkid == 0)
		return;
	f->settings = xcalloc(n->nkid, sizeof(*f->settings));
	for (i = 0; i < n->nkid; i++) {
		k = n->kid[i];
		f->settings[i].name = xstrdup(k->name);
		switch (k->type) {
		case CN_STRING:
			f->settings[i].value = xstrdup(k->s);
			break;
		case CN_INT:
			xasprintf(&f->settings[i].value, "%lld", k->i);
			break;
		case CN_FLOAT:
			xasprintf(&f->settings[i].value, "%.17g", k->f);
			break;
		default:
			f->settings[i].value = xstrdup(k->i ? "true" :
			    "false");
			break;
		}
	}
	f->nsettings = n->nkid;
}

/* build_kind - a program or a module, never both */
static void
build_kind(struct config *c, struct filter *f, const struct cnode *g,
    const char *where, struct config_errors *e)
{
	int	cmd = cnode_get(g, "command") != NULL;
	int	mod = cnode_get(g, "module") != NULL;

	if (cmd && mod) {
		config_errors_add(e, "%s: has both a command and a module; a "
		    "filter is one or the other", where);
		return;
	}
	if (!cmd && !mod) {
		config_errors_add(e, "%s: needs a command (a program) or a "
		    "module (a .so)", where);
		return;
	}
	if (cmd) {
		if (cnode_get(g, "isolate") != NULL)
			config_errors_add(e, "%s: isolate is for modules; a "
			    "program runs in a process of its own anyway",
			    where);
		if (cnode_get(g, "settings") != NULL)
			config_errors_add(e, "%s: settings are for modules; a "
			    "command gets its arguments in command", where);
		f->argv = build_command(g, c->filter_dir, e);
		return;
	}
	if (cnode_get(g, "exit") != NULL)
		config_errors_add(e, "%s: exit maps a program's exit codes; a "
		    "module returns its verdict", where);
	f->module = resolve_module(cfg_str(g, "filters.module"),
	    c->filter_dir, where, e);
	f->isolate = cfg_bool(g, "filters.isolate");
	build_settings(f, g);
}

/* build_exitmap - the exit code table of one filter */
static void
build_exitmap(struct filter *f, const struct cnode *g,
    struct config_errors *e)
{
	const struct cnode	*x = cnode_get(g, "exit"), *n;
	size_t			 i, j;
	int			 v, code;

	memset(f->exitmap, -1, sizeof(f->exitmap));
	if (x == NULL) {
		for (i = 0; i < sizeof(default_exits) /
		    sizeof(default_exits[0]); i++)
			f->exitmap[default_exits[i].code] =
			    (signed char)default_exits[i].v;
		return;
	}
	for (i = 0; i < x->nkid; i++) {
		n = x->kid[i];
		v = verdict_parse(n->name);
		for (j = 0; j < (n->type == CN_INT ? 1 : n->nkid); j++) {
			code = (int)(n->type == CN_INT ? n->i : n->kid[j]->i);
			if (f->exitmap[code] != -1 && f->exitmap[code] != v)
				config_errors_add(e, "%s:%d: exit code %d is "
				    "mapped to both %s and %s", n->file,
				    n->line, code,
				    verdict_name(f->exitmap[code]),
				    verdict_name(v));
			f->exitmap[code] = (signed char)v;
		}
	}
}

/*
 * build_filter_ids - the user and group a filter runs as.  Refused:
 * root, sluice's own user and group (the spool is theirs), and nobody,
 * whom every daemon without a user of its own shares.
 */
static void
build_filter_ids(struct config *c, struct filter *f, const struct cnode *g,
    const char *where, struct config_errors *e)
{
	struct passwd	*pw;
	struct group	*gr;
	const char	*u, *gn;
	char		 pv[300];

	u = cfg_str(g, "filters.user");
	f->user = xstrdup(u != NULL ? u : c->filter_user);
	gn = cfg_str(g, "filters.group");
	if (gn == NULL && u == NULL)
		gn = c->filter_group;
	str_printable(pv, sizeof(pv), f->user);
	if ((pw = getpwnam(f->user)) == NULL) {
		config_errors_add(e, "%s: user \"%s\" does not exist%s", where,
		    pv, u == NULL ? " (filter_user; \"make install\" makes "
		    "sluice-filter)" : "");
		return;
	}
	f->uid = pw->pw_uid;
	f->gid = pw->pw_gid;
	if (f->uid == 0)
		config_errors_add(e, "%s: user \"%s\" is root; a filter runs "
		    "as a user of its own", where, pv);
	else if (strcmp(f->user, "nobody") == 0 || f->uid == 65534)
		config_errors_add(e, "%s: user \"%s\" is nobody, which every "
		    "daemon without a user of its own shares; a filter runs "
		    "as a user of its own", where, pv);
	else if (c->user != NULL && f->uid == c->uid)
		config_errors_add(e, "%s: user \"%s\" is sluice's own user, "
		    "which owns the spool; a filter runs as a user of its own",
		    where, pv);
	if (gn != NULL) {
		f->group = xstrdup(gn);
		str_printable(pv, sizeof(pv), gn);
		if ((gr = getgrnam(gn)) == NULL) {
			config_errors_add(e, "%s: group \"%s\" does not exist",
			    where, pv);
			return;
		}
		f->gid = gr->gr_gid;
	} else if ((gr = getgrgid(f->gid)) != NULL)
		f->group = xstrdup(gr->gr_name);
	else
		xasprintf(&f->group, "%u", (unsigned)f->gid);
	str_printable(pv, sizeof(pv), f->group);
	if (f->gid == 0)
		config_errors_add(e, "%s: group \"%s\" is root's", where, pv);
	else if (f->gid == c->gid && c->gid != 0)
		config_errors_add(e, "%s: group \"%s\" is sluice's own group, "
		    "which owns the spool", where, pv);
}

/* build_writable - the paths besides its run directory a filter may
 * write: absolute, there, and not in the spool */
static void
build_writable(struct config *c, struct filter *f, const struct cnode *g,
    const char *where, struct config_errors *e)
{
	const char	**v = cfg_strings(g, "filters.writable");
	struct stat	  st;
	size_t		  n, i, sl;
	char		  pv[300];

	for (n = 0; v != NULL && v[n] != NULL; n++)
		;
	if (n == 0)
		return;
	f->writable = xcalloc(n + 1, sizeof(*f->writable));
	sl = strlen(c->spool_dir);
	for (i = 0; i < n; i++) {
		f->writable[i] = xstrdup(v[i]);
		str_printable(pv, sizeof(pv), v[i]);
		if (v[i][0] != '/')
			config_errors_add(e, "%s: writable \"%s\" is not an "
			    "absolute path", where, pv);
		else if ((strncmp(v[i], c->spool_dir, sl) == 0 &&
		    (v[i][sl] == '/' || v[i][sl] == '\0')) ||
		    (strncmp(v[i], c->spool_dir, strlen(v[i])) == 0 &&
		    (c->spool_dir[strlen(v[i])] == '/' ||
		    strcmp(v[i], "/") == 0)))
			config_errors_add(e, "%s: writable \"%s\" is in the "
			    "spool or holds it", where, pv);
		else if (stat(v[i], &st) != 0)
			config_warn_add(e, "%s: writable \"%s\": %s; the filter "
			    "cannot write there until it is made and sluiced "
			    "reloaded", where, pv, strerror(errno));
	}
	free(v);
}

/* build_filter - one element of filters */
static void
build_filter(struct config *c, struct filter *f, const struct cnode *g,
    struct config_errors *e)
{
	const char	*s;
	size_t		 i;
	char		 where[300];

	/* a missing name was reported by the schema check */
	f->name = xstrdup(cfg_str(g, "filters.name") ? cfg_str(g,
	    "filters.name") : "?");
	f->file = xstrdup(g->file);
	f->line = g->line;
	snprintf(where, sizeof(where), "%s:%d: filter \"%s\"", g->file,
	    g->line, f->name);
	for (i = 0; c->filters + i != f; i++)
		if (strcmp(c->filters[i].name, f->name) == 0)
			config_errors_add(e, "%s: a filter of that name is "
			    "already defined at %s:%d", where,
			    c->filters[i].file, c->filters[i].line);
	build_kind(c, f, g, where, e);
	f->timeout_ms = (int)(cfg_seconds(g, "filters.timeout") * 1000);
	f->grace_ms = (int)(cfg_seconds(g, "filters.kill_grace") * 1000);
	f->instances = (int)cfg_int(g, "filters.instances");
	f->instance_wait_ms =
	    (int)(cfg_seconds(g, "filters.instance_wait") * 1000);
	f->sandbox = sandbox_parse(cfg_str(g, "filters.sandbox"));
	f->on_error = strcmp(cfg_str(g, "filters.on_error"), "skip") == 0 ?
	    V_CONTINUE : V_TEMPFAIL;
	s = cfg_str(g, "filters.when_off");
	f->when_off = s == NULL ? f->on_error :
	    strcmp(s, "skip") == 0 ? V_CONTINUE : V_TEMPFAIL;
	f->error_threshold = (int)cfg_int(g, "filters.error_threshold");
	f->cooldown_ms =
	    (int)(cfg_seconds(g, "filters.error_cooldown") * 1000);
	f->output_max = (size_t)cfg_size(g, "filters.output_max");
	f->message_max = c->message_max;
	f->limits.cpu = (rlim_t)cfg_int(g, "filters.rlimit_cpu");
	f->limits.as = (rlim_t)cfg_size(g, "filters.rlimit_memory");
	f->limits.fsize = (rlim_t)cfg_size(g, "filters.rlimit_fsize");
	f->limits.nofile = (rlim_t)cfg_int(g, "filters.rlimit_nofile");
	f->limits.nproc = (rlim_t)cfg_int(g, "filters.rlimit_nproc");
	build_filter_ids(c, f, g, where, e);
	build_writable(c, f, g, where, e);
	build_exitmap(f, g, e);
	build_reply(&f->reject, g, "filters.reject_reply", &c->reject);
	build_reply(&f->tempfail, g, "filters.tempfail_reply", &c->tempfail);
	/* inherited replies were checked once, globally */
	if (cnode_get(g, "reject_reply") != NULL)
		check_reply(&f->reject, where, "reject_reply", e);
	if (cnode_get(g, "tempfail_reply") != NULL)
		check_reply(&f->tempfail, where, "tempfail_reply", e);
	f->state = filter_state_new();
}

/* add_patterns - an S_STRINGS key into a match list */
static int
add_patterns(struct match_list *ml, const struct cnode *g, const char *path,
    struct config_errors *e)
{
	const char	**v = cfg_strings(g, path);
	char		  why[256], where[300];
	size_t		  i;

	if (v == NULL)
		return 0;
	for (i = 0; v[i] != NULL; i++)
		if (match_list_add(ml, v[i], why, sizeof(why)) != 0)
			config_errors_add(e, "%s: %s: \"%s\": %s",
			    cfg_where(g, path, where, sizeof(where)),
			    strrchr(path, '.') + 1, v[i], why);
	free(v);
	return 1;
}

/* build_conds - the condition keys of a rule or its unless group */
static void
build_conds(struct cond_set *cs, const struct cnode *g, const char *pfx,
    struct config_errors *e)
{
	struct cond		*c;
	struct match_list	 ml;
	const struct cnode	*hl, *h, *n;
	char			 p[128], why[256], where[300];
	size_t			 i;

#define P(k) (snprintf(p, sizeof(p), "%s." k, pfx), p)
	memset(&ml, 0, sizeof(ml));
	if (add_patterns(&ml, g, P("sender"), e)) {
		c = cond_set_add(cs, CF_SENDER);
		c->ml = ml;
		memset(&ml, 0, sizeof(ml));
	}
	if (add_patterns(&ml, g, P("recipient"), e)) {
		c = cond_set_add(cs, CF_RCPT);
		c->ml = ml;
		c->rcpt_all = strcmp(cfg_str(g, P("recipient_match")), "all")
		    == 0;
		memset(&ml, 0, sizeof(ml));
	} else if (cnode_get(g, "recipient_match") != NULL)
		config_errors_add(e, "%s: recipient_match without recipient",
		    cfg_where(g, P("recipient_match"), where, sizeof(where)));
	if (add_patterns(&ml, g, P("subject"), e)) {
		c = cond_set_add(cs, CF_SUBJECT);
		c->ml = ml;
		memset(&ml, 0, sizeof(ml));
	}
	if ((hl = cnode_get(g, "header")) != NULL) {
		for (i = 0; i < hl->nkid; i++) {
			h = hl->kid[i];
			if ((n = cnode_get(h, "name")) == NULL)
				continue;
			c = cond_set_add(cs, CF_HEADER);
			c->header = xstrdup(n->s);
			if (!header_name_ok(n->s, strlen(n->s)))
				config_errors_add(e, "%s:%d: \"%s\" is not a "
				    "header field name", n->file, n->line,
				    n->s);
			snprintf(p, sizeof(p), "%s.header.match", pfx);
			(void)add_patterns(&c->ml, h, p, e);
		}
	}
	if (cnode_get(g, "size_min") || cnode_get(g, "size_max")) {
		c = cond_set_add(cs, CF_SIZE);
		c->size_min = cfg_size(g, P("size_min"));
		c->size_max = cnode_get(g, "size_max") ?
		    cfg_size(g, P("size_max")) : ~0ULL;
		if (c->size_min > c->size_max)
			config_errors_add(e, "%s: size_min is above size_max",
			    cfg_where(g, P("size_min"), where, sizeof(where)));
	}
	if ((n = cnode_get(g, "time")) != NULL) {
		c = cond_set_add(cs, CF_TIME);
		c->cron_spec = xstrdup(n->s);
		if (cron_parse(&c->cron, n->s, why, sizeof(why)) != 0)
			config_errors_add(e, "%s:%d: time \"%s\": %s", n->file,
			    n->line, n->s, why);
	}
#undef P
}

/* build_rule - one element of rules */
static void
build_rule(struct config *c, struct rule *r, const struct cnode *g,
    size_t idx, struct config_errors *e)
{
	const struct cnode	*fn = cnode_get(g, "filter"), *u;
	const char		*name = cfg_str(g, "rules.name");

	if (name != NULL)
		r->name = xstrdup(name);
	else
		xasprintf(&r->name, "rule%zu", idx + 1);
	r->file = xstrdup(g->file);
	r->line = g->line;
	if (fn != NULL && (r->filter = config_find_filter(c, fn->s)) == NULL)
		config_errors_add(e, "%s:%d: rule \"%s\": no filter called "
		    "\"%s\"", fn->file, fn->line, r->name, fn->s);
	build_conds(&r->when, g, "rules", e);
	if ((u = cnode_get(g, "unless")) != NULL) {
		build_conds(&r->unless, u, "rules.unless", e);
		if (r->unless.n == 0)
			config_errors_add(e, "%s:%d: rule \"%s\": empty unless "
			    "group", u->file, u->line, r->name);
	}
}

/* check_addresses - addresses an address rule adds, as a vector */
static char **
check_addresses(const struct cnode *g, const char *path,
    struct config_errors *e)
{
	const char		**v = cfg_strings(g, path);
	char			**out, where[300];
	struct reply	  ee;
	size_t			  i;

	if (v == NULL)
		return NULL;
	for (i = 0; v[i] != NULL; i++)
		;
	out = xcalloc(i + 1, sizeof(*out));
	for (i = 0; v[i] != NULL; i++) {
		out[i] = xstrdup(v[i]);
		if (v[i][0] == '\0' || envelope_check_value("recipient", v[i],
		    strlen(v[i]), 1, &ee) != 0) {
			char pv[300];

			str_printable(pv, sizeof(pv), v[i]);
			config_errors_add(e, "%s: %s: \"%s\" is not a usable "
			    "address", cfg_where(g, path, where, sizeof(where)),
			    strrchr(path, '.') + 1, pv);
		}
	}
	free(v);
	return out;
}

/* build_arule - one element of address_rules */
static void
build_arule(struct addr_rule *a, const struct cnode *g, size_t idx,
    struct config_errors *e)
{
	const char	**hv, *colon, *name = cfg_str(g, "address_rules.name");
	char		  where[300];
	size_t		  i;

	if (name != NULL)
		a->name = xstrdup(name);
	else
		xasprintf(&a->name, "address_rule%zu", idx + 1);
	a->file = xstrdup(g->file);
	a->line = g->line;
	(void)add_patterns(&a->sender, g, "address_rules.sender", e);
	(void)add_patterns(&a->rcpt, g, "address_rules.recipient", e);
	a->add_rcpt = check_addresses(g, "address_rules.add_recipient", e);
	a->redirect = check_addresses(g, "address_rules.redirect", e);
	if ((hv = cfg_strings(g, "address_rules.add_header")) != NULL) {
		for (i = 0; hv[i] != NULL; i++) {
			struct header_add *h;

			a->add_header = xreallocarray(a->add_header,
			    a->nadd_header + 1, sizeof(*a->add_header));
			h = &a->add_header[a->nadd_header++];
			colon = strchr(hv[i], ':');
			h->name = colon ? xstrndup(hv[i],
			    (size_t)(colon - hv[i])) : xstrdup(hv[i]);
			colon = colon ? colon + 1 : "";
			colon += strspn(colon, " \t");
			h->value = xstrdup(colon);
			if (!header_name_ok(h->name, strlen(h->name)) ||
			    !header_value_ok(h->name, h->value,
			    strlen(h->value)))
				config_errors_add(e, "%s: add_header \"%s\" is "
				    "not \"Name: value\" with a valid name "
				    "and a one-line value", cfg_where(g,
				    "address_rules.add_header", where,
				    sizeof(where)), hv[i]);
		}
		free(hv);
	}
	if (a->add_rcpt == NULL && a->redirect == NULL &&
	    a->nadd_header == 0)
		config_errors_add(e, "%s:%d: address rule \"%s\" does nothing "
		    "(no add_recipient, redirect or add_header)", g->file,
		    g->line, a->name);
	if (a->redirect != NULL && match_list_empty(&a->rcpt))
		config_errors_add(e, "%s:%d: address rule \"%s\": redirect "
		    "needs a recipient condition", g->file, g->line, a->name);
}

/* build - the snapshot from a checked tree */
/* build_listen - the milter sockets; "unix:milter.sock" by default */
static void
build_listen(struct config *c, const struct cnode *root, const char *path,
    struct config_errors *e)
{
	const char	**v = cfg_strings(root, "milter_listen");
	struct listener	  l;
	char		  why[300], where[300];
	size_t		  i, n = 0;

	if (c->run_dir[0] != '/')
		config_errors_add(e, "%s: run_dir must be an absolute path",
		    cfg_where(root, "run_dir", where, sizeof(where)));
	for (i = 0; v != NULL && v[i] != NULL; i++)
		n++;
	if (n > LISTEN_MAX)
		config_errors_add(e, "%s: milter_listen: %zu sockets, at most "
		    "%d", cfg_where(root, "milter_listen", where,
		    sizeof(where)), n, LISTEN_MAX);
	c->milter_listen = xcalloc(n + 2, sizeof(*c->milter_listen));
	if (v == NULL) {
		c->milter_listen[0] = xstrdup("unix:milter.sock");
		return;
	}
	for (i = 0; i < n; i++) {
		c->milter_listen[i] = xstrdup(v[i]);
		if (listen_parse(v[i], c->run_dir, &l, why, sizeof(why)) != 0)
			config_errors_add(e, "%s: milter_listen: %s",
			    cfg_where(root, "milter_listen", where,
			    sizeof(where)), why);
		else
			listen_close(&l, 0);
	}
	free(v);
}

/* check_spec - a socket spec that parses; 0 or -1 (reported) */
static int
check_spec(const struct config *c, const char *spec, const char *what,
    const char *file, int line, struct config_errors *e)
{
	struct listener	l;
	char		why[300];

	if (listen_parse(spec, c->run_dir, &l, why, sizeof(why)) != 0) {
		config_errors_add(e, "%s:%d: %s: %s", file, line, what, why);
		return -1;
	}
	listen_close(&l, 0);
	return 0;
}

/*
 * build_xforward - the clients that may send XFORWARD: by default the
 * loopback addresses and unix sockets, as Postfix's FILTER_README
 * setup has them
 */
static void
build_xforward(struct config *c, const struct cnode *root,
    struct config_errors *e)
{
	static const char *const dflt[] = { "127.0.0.0/8", "::1", "unix",
		NULL };
	const char		**v = cfg_strings(root, "smtp_xforward_hosts");
	const char *const	 *p = v != NULL ? v : dflt;
	struct listen_net	 *net;
	char			  why[200], where[300], pv[300];
	size_t			  i;

	for (i = 0; p[i] != NULL; i++)
		;
	c->smtp_xforward_nets = xcalloc(i + 1, sizeof(*net));
	for (i = 0; p[i] != NULL; i++) {
		if (strcmp(p[i], "unix") == 0) {
			c->smtp_xforward_unix = 1;
			continue;
		}
		net = &c->smtp_xforward_nets[c->smtp_xforward_nnets];
		if (listen_net_parse(p[i], net, why, sizeof(why)) == 0) {
			c->smtp_xforward_nnets++;
			continue;
		}
		str_printable(pv, sizeof(pv), p[i]);
		config_errors_add(e, "%s: smtp_xforward_hosts: \"%s\": %s",
		    cfg_where(root, "smtp_xforward_hosts", where,
		    sizeof(where)), pv, why);
	}
	free(v);
}

/* build_mode - an octal file mode from "000" to "0777" */
static mode_t
build_mode(const struct cnode *root, const char *key,
    struct config_errors *e)
{
	const char	*m = cfg_str(root, key);
	char		 where[300], pv[300];
	unsigned long	 v = 0;
	size_t		 i;

	for (i = 0; m[i] >= '0' && m[i] <= '7' && i < 5; i++)
		v = v * 8 + (unsigned long)(m[i] - '0');
	if (i < 3 || i > 4 || m[i] != '\0' || v > 0777) {
		str_printable(pv, sizeof(pv), m);
		config_errors_add(e, "%s: %s \"%s\" is not an octal mode "
		    "from 0000 to 0777", cfg_where(root, key, where,
		    sizeof(where)), key, pv);
	}
	return (mode_t)v;
}

/* build_group - the gid of the group key names; -1 when none is */
static int
build_group(const struct cnode *root, const char *key, gid_t *gid,
    struct config_errors *e)
{
	const char	*g = cfg_str(root, key);
	struct group	*gr;
	char		 where[300], pv[300];

	if ((gr = getgrnam(g)) != NULL) {
		*gid = gr->gr_gid;
		return 0;
	}
	str_printable(pv, sizeof(pv), g);
	config_errors_add(e, "%s: %s \"%s\" does not exist",
	    cfg_where(root, key, where, sizeof(where)), key, pv);
	return -1;
}

/*
 * build_sockets - the unix sockets' mode and group; by default 0660 and
 * the group of user, so only what the administrator lets into that
 * group (the MTA's user, say) may connect
 */
static void
build_sockets(struct config *c, const struct cnode *root,
    struct config_errors *e)
{
	const char	*g = cfg_str(root, "socket_group");

	c->socket_mode = build_mode(root, "socket_mode", e);
	c->socket_gid = c->gid;
	if (g != NULL) {
		c->socket_group = xstrdup(g);
		(void)build_group(root, "socket_group", &c->socket_gid, e);
	}
}

/*
 * build_control - the control socket: its file (under run_dir when
 * relative, none when ""), owner, group and mode; members of
 * control_group get the read-only commands
 */
static void
build_control(struct config *c, const struct cnode *root,
    struct config_errors *e)
{
	const char	*p = cfg_str(root, "control_socket");
	const char	*o = cfg_str(root, "control_owner");
	const char	*g = cfg_str(root, "control_group");
	struct passwd	*pw;
	char		 where[300], pv[300];

	c->control_mode = build_mode(root, "control_mode", e);
	c->control_uid = (uid_t)-1;
	c->control_gid = c->gid;
	if (p[0] == '/')
		c->control_path = xstrdup(p);
	else if (p[0] != '\0')
		xasprintf(&c->control_path, "%s/%s", c->run_dir, p);
	if (o != NULL) {
		if ((pw = getpwnam(o)) != NULL)
			c->control_uid = pw->pw_uid;
		else {
			str_printable(pv, sizeof(pv), o);
			config_errors_add(e, "%s: control_owner \"%s\" does "
			    "not exist", cfg_where(root, "control_owner", where,
			    sizeof(where)), pv);
		}
	}
	if (g != NULL) {
		c->control_group = xstrdup(g);
		(void)build_group(root, "control_group", &c->control_gid, e);
	}
}

/* build_metrics - metrics_listen: a socket spec, or a port alone for
 * one on 127.0.0.1 */
static void
build_metrics(struct config *c, const struct cnode *root,
    struct config_errors *e)
{
	const char	*v = cfg_str(root, "metrics_listen");
	struct listener	 l;
	char		 where[300], why[300], pv[300];

	if (v == NULL)
		return;
	if (v[0] != '\0' && strspn(v, "0123456789") == strlen(v))
		xasprintf(&c->metrics_listen, "inet:127.0.0.1:%s", v);
	else
		c->metrics_listen = xstrdup(v);
	if (listen_parse(c->metrics_listen, c->run_dir, &l, why,
	    sizeof(why)) != 0) {
		str_printable(pv, sizeof(pv), v);
		config_errors_add(e, "%s: metrics_listen \"%s\": %s",
		    cfg_where(root, "metrics_listen", where, sizeof(where)),
		    pv, why);
		return;
	}
	free(l.spec);
	free(l.path);
}

/* build_smtp - the content-filter sockets and their next hops */
static void
build_smtp(struct config *c, const struct cnode *root,
    struct config_errors *e)
{
	const struct cnode	*l = cnode_get(root, "smtp_listen"), *g;
	struct smtp_listen	*s;
	char			 where[300];
	size_t			 i, k;

	c->smtp_hostname = xstrdup(cfg_str(root, "smtp_hostname") != NULL ?
	    cfg_str(root, "smtp_hostname") : "localhost");
	if (strlen(c->smtp_hostname) == 0 ||
	    strcspn(c->smtp_hostname, " \t\r\n") != strlen(c->smtp_hostname))
		config_errors_add(e, "%s: smtp_hostname must be one word",
		    cfg_where(root, "smtp_hostname", where, sizeof(where)));
	c->smtp_timeout = (int)cfg_seconds(root, "smtp_timeout");
	c->smtp_session_timeout = (int)cfg_seconds(root,
	    "smtp_session_timeout");
	c->smtp_connections = (int)cfg_int(root, "smtp_connections");
	c->smtp_line_max = (size_t)cfg_size(root, "smtp_line_max");
	c->smtp_text_line_max = (size_t)cfg_size(root, "smtp_text_line_max");
	c->smtp_recipients_max = (int)cfg_int(root, "smtp_recipients_max");
	c->smtp_bare_reject = strcmp(cfg_str(root, "smtp_bare_newline"),
	    "reject") == 0;
	c->relay_timeout = (int)cfg_seconds(root, "relay_timeout");
	c->relay_connect_timeout = (int)cfg_seconds(root,
	    "relay_connect_timeout");
	c->smtp_min_data_rate = (unsigned)cfg_int(root, "smtp_min_data_rate");
	build_xforward(c, root, e);
	if (l == NULL)
		return;
	if (l->nkid > LISTEN_MAX)
		config_errors_add(e, "%s:%d: smtp_listen: %zu sockets, at most "
		    "%d", l->file, l->line, l->nkid, LISTEN_MAX);
	c->smtp = xcalloc(l->nkid, sizeof(*c->smtp));
	for (i = 0; i < l->nkid; i++) {
		g = l->kid[i];
		s = &c->smtp[c->nsmtp++];
		s->listen = xstrdup(cfg_str(g, "smtp_listen.listen") ?
		    cfg_str(g, "smtp_listen.listen") : "");
		s->next_hop = xstrdup(cfg_str(g, "smtp_listen.next_hop") ?
		    cfg_str(g, "smtp_listen.next_hop") : "");
		s->lmtp = strcmp(cfg_str(g, "smtp_listen.protocol"),
		    "lmtp") == 0;
		s->next_lmtp = strcmp(cfg_str(g,
		    "smtp_listen.next_hop_protocol"), "lmtp") == 0;
		/* a missing key was reported by the schema */
		if (*s->listen == '\0' || *s->next_hop == '\0')
			continue;
		if (check_spec(c, s->listen, "smtp_listen: listen", g->file,
		    g->line, e) != 0 || check_spec(c, s->next_hop,
		    "smtp_listen: next_hop", g->file, g->line, e) != 0)
			continue;
		if (strcmp(s->listen, s->next_hop) == 0)
			config_errors_add(e, "%s:%d: smtp_listen: next_hop is "
			    "the socket itself (a mail loop)", g->file,
			    g->line);
		for (k = 0; k < i; k++)
			if (strcmp(c->smtp[k].listen, s->listen) == 0)
				config_errors_add(e, "%s:%d: smtp_listen: %s "
				    "is listed twice", g->file, g->line,
				    s->listen);
		for (k = 0; c->milter_listen[k] != NULL; k++)
			if (strcmp(c->milter_listen[k], s->listen) == 0)
				config_errors_add(e, "%s:%d: smtp_listen: %s "
				    "is also in milter_listen", g->file,
				    g->line, s->listen);
	}
}

static struct config *
build(const struct cnode *root, const char *path, struct config_errors *e)
{
	struct config		*c;
	const struct cnode	*l;
	struct passwd		*pw;
	const char		*fac;
	char			 where[300];
	size_t			 i;

	c = xcalloc(1, sizeof(*c));
	c->refs = 1;
	c->path = xstrdup(path);
	c->spool_dir = xstrdup(cfg_str(root, "spool_dir"));
	c->run_dir = xstrdup(cfg_str(root, "run_dir"));
	c->milter_timeout = (int)cfg_seconds(root, "milter_timeout");
	build_listen(c, root, path, e);
	build_smtp(c, root, e);
	c->user = xstrdup(cfg_str(root, "user"));
	c->filter_user = xstrdup(cfg_str(root, "filter_user"));
	if (cfg_str(root, "filter_group") != NULL)
		c->filter_group = xstrdup(cfg_str(root, "filter_group"));
	c->include_dir = xstrdup(cfg_str(root, "include_dir"));
	c->include_path = beside_main(path, c->include_dir, 1);
	c->watch_config = cfg_bool(root, "watch_config");
	if (cfg_str(root, "log_db") != NULL) {
		c->log_db = xstrdup(cfg_str(root, "log_db"));
		if (c->log_db[0] != '/')
			config_errors_add(e, "%s: log_db must be an absolute "
			    "path", cfg_where(root, "log_db", where,
			    sizeof(where)));
	}
	c->log_keep = (long long)cfg_seconds(root, "log_keep");
	build_metrics(c, root, e);
	c->filter_dir = beside_main(path, cfg_str(root, "filter_dir"), 1);
	c->log_debug = cfg_bool(root, "debug");
	fac = cfg_str(root, "syslog_facility");
	c->syslog_facility = xstrdup(fac);
	c->message_max = (size_t)cfg_size(root, "message_max");
	c->allow_min_user = cfg_bool(root, "allow_min_user");
	if (c->spool_dir[0] != '/')
		config_errors_add(e, "%s: spool_dir must be an absolute path",
		    path);
	if ((pw = getpwnam(c->user)) == NULL)
		config_errors_add(e, "%s: user \"%s\" does not exist", path,
		    c->user);
	else {
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}
	build_sockets(c, root, e);
	build_control(c, root, e);
	build_reply(&c->reject, root, "reject_reply", NULL);
	build_reply(&c->tempfail, root, "tempfail_reply", NULL);
	check_reply(&c->reject, cfg_where(root, "reject_reply", where,
	    sizeof(where)), "reject_reply", e);
	check_reply(&c->tempfail, cfg_where(root, "tempfail_reply", where,
	    sizeof(where)), "tempfail_reply", e);

	if ((l = cnode_get(root, "filters")) != NULL) {
		c->filters = xcalloc(l->nkid, sizeof(*c->filters));
		for (i = 0; i < l->nkid; i++) {
			c->nfilters = i;
			build_filter(c, &c->filters[i], l->kid[i], e);
		}
		c->nfilters = l->nkid;
		for (i = 0; i < c->nfilters; i++)
			c->filters[i].digest =
			    config_filter_digest(&c->filters[i]);
	}
	if ((l = cnode_get(root, "rules")) != NULL) {
		c->rules = xcalloc(l->nkid, sizeof(*c->rules));
		c->nrules = l->nkid;
		for (i = 0; i < l->nkid; i++)
			build_rule(c, &c->rules[i], l->kid[i], i, e);
	}
	if ((l = cnode_get(root, "address_rules")) != NULL) {
		c->arules = xcalloc(l->nkid, sizeof(*c->arules));
		c->narules = l->nkid;
		for (i = 0; i < l->nkid; i++)
			build_arule(&c->arules[i], l->kid[i], i, e);
	}
	return c;
}

/* config_load - read, check and build */
struct config *
config_load(const char *path, char *const *overrides,
    struct config_errors *e)
{
	struct cnode	*root;
	struct config	*c = NULL;
	size_t		 nerr = e->n;
	uint64_t	 digest = 0;

	if ((root = cfgfile_read(path, &digest, e)) == NULL)
		return NULL;
	for (; overrides != NULL && *overrides != NULL; overrides++)
		apply_override(root, *overrides, e);
	if (e->n == nerr) {
		/* include_dir must have the right type before it is used */
		const struct cnode *n = cnode_get(root, "include_dir");

		if (n == NULL || n->type == CN_STRING)
			read_fragments(root, path, &digest, e);
	}
	/* check, drop what is wrong, and build the rest anyway: the
	 * administrator gets every error of the file in one go */
	schema_check(root, "", e);
	schema_prune(root);
	c = build(root, path, e);
	c->digest = digest;
	cnode_free(&root);
	if (e->n != nerr)
		config_unref(&c);
	return c;
}

/* config_find_filter - a filter by name */
struct filter *
config_find_filter(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nfilters; i++)
		if (c->filters[i].name != NULL &&
		    strcmp(c->filters[i].name, name) == 0)
			return &c->filters[i];
	return NULL;
}

/* config_ref - one more user of the snapshot */
void
config_ref(struct config *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
}

/* reply_free - release a reply's strings */
static void
reply_free(struct reply_cfg *r)
{
	free(r->status);
	free(r->text);
}

/* config_free - release everything of a snapshot */
static void
config_free(struct config *c)
{
	size_t	i, j;

	for (i = 0; i < c->nfilters; i++) {
		struct filter *f = &c->filters[i];

		free(f->name);
		free(f->file);
		xfree_strv(&f->argv);
		if (f->mod != NULL && f->mod_free != NULL)
			f->mod_free(f->mod);
		free(f->module);
		for (j = 0; j < f->nsettings; j++) {
			free(f->settings[j].name);
			free(f->settings[j].value);
		}
		free(f->settings);
		free(f->user);
		free(f->group);
		xfree_strv(&f->writable);
		reply_free(&f->reject);
		reply_free(&f->tempfail);
		filter_state_free(&f->state);
	}
	free(c->filters);
	for (i = 0; i < c->nrules; i++) {
		free(c->rules[i].name);
		free(c->rules[i].file);
		cond_set_free(&c->rules[i].when);
		cond_set_free(&c->rules[i].unless);
	}
	free(c->rules);
	for (i = 0; i < c->narules; i++) {
		struct addr_rule *a = &c->arules[i];

		free(a->name);
		free(a->file);
		match_list_free(&a->sender);
		match_list_free(&a->rcpt);
		xfree_strv(&a->add_rcpt);
		xfree_strv(&a->redirect);
		for (j = 0; j < a->nadd_header; j++) {
			free(a->add_header[j].name);
			free(a->add_header[j].value);
		}
		free(a->add_header);
	}
	free(c->arules);
	reply_free(&c->reject);
	reply_free(&c->tempfail);
	free(c->path);
	free(c->spool_dir);
	free(c->run_dir);
	xfree_strv(&c->milter_listen);
	for (i = 0; i < c->nsmtp; i++) {
		free(c->smtp[i].listen);
		free(c->smtp[i].next_hop);
	}
	free(c->smtp);
	free(c->smtp_hostname);
	free(c->smtp_xforward_nets);
	free(c->socket_group);
	free(c->control_path);
	free(c->control_group);
	free(c->user);
	free(c->include_dir);
	free(c->include_path);
	free(c->log_db);
	free(c->metrics_listen);
	free(c->filter_dir);
	free(c->filter_user);
	free(c->filter_group);
	free(c->syslog_facility);
	free(c);
}

/* config_unref - drop one reference; the last frees */
void
config_unref(struct config **cp)
{
	struct config	*c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		config_free(c);
}

/* config_holder_init - a holder with its first snapshot */
void
config_holder_init(struct config_holder *h, struct config *c)
{
	pthread_mutex_init(&h->lock, NULL);
	h->cfg = c;
}

/* config_holder_set - c becomes the current snapshot (the holder takes
 * the caller's reference); the one it replaces is released, and freed
 * when the last message that uses it is done */
void
config_holder_set(struct config_holder *h, struct config *c)
{
	struct config	*old;

	pthread_mutex_lock(&h->lock);
	old = h->cfg;
	h->cfg = c;
	pthread_mutex_unlock(&h->lock);
	config_unref(&old);
}

/* hash_str - a string, or a marker for none, into *h */
static void
hash_str(uint64_t *h, const char *s)
{
	if (s == NULL)
		config_hash(h, "\xff", 1);
	else
		config_hash(h, s, strlen(s) + 1);
}

static void
hash_strv(uint64_t *h, char *const *v)
{
	for (; v != NULL && *v != NULL; v++)
		hash_str(h, *v);
	config_hash(h, "\xfe", 1);
}

static void
hash_int(uint64_t *h, long long v)
{
	config_hash(h, &v, sizeof(v));
}

static void
hash_reply(uint64_t *h, const struct reply_cfg *r)
{
	hash_int(h, r->code);
	hash_str(h, r->status);
	hash_str(h, r->text);
	hash_int(h, r->with_reason);
}

/*
 * config_filter_digest - everything that makes a filter what it is, as
 * built (so a global default it inherits counts too), but not where it
 * is written: a reload keeps the state of a filter whose digest is the
 * same
 */
uint64_t
config_filter_digest(const struct filter *f)
{
	uint64_t	h = 0;
	size_t		i;

	hash_str(&h, f->name);
	hash_strv(&h, f->argv);
	hash_str(&h, f->module);
	for (i = 0; i < f->nsettings; i++) {
		hash_str(&h, f->settings[i].name);
		hash_str(&h, f->settings[i].value);
	}
	hash_int(&h, (long long)f->nsettings);
	hash_int(&h, f->isolate);
	hash_int(&h, f->timeout_ms);
	hash_int(&h, f->grace_ms);
	hash_int(&h, f->instances);
	hash_int(&h, f->instance_wait_ms);
	hash_int(&h, f->on_error);
	hash_int(&h, f->sandbox);
	hash_int(&h, f->error_threshold);
	hash_int(&h, f->cooldown_ms);
	hash_int(&h, f->when_off);
	config_hash(&h, f->exitmap, sizeof(f->exitmap));
	hash_int(&h, (long long)f->output_max);
	hash_int(&h, (long long)f->message_max);
	hash_int(&h, (long long)f->limits.cpu);
	hash_int(&h, (long long)f->limits.as);
	hash_int(&h, (long long)f->limits.fsize);
	hash_int(&h, (long long)f->limits.nofile);
	hash_int(&h, (long long)f->limits.nproc);
	hash_str(&h, f->user);
	hash_str(&h, f->group);
	hash_int(&h, f->uid);
	hash_int(&h, f->gid);
	hash_strv(&h, f->writable);
	hash_reply(&h, &f->reject);
	hash_reply(&h, &f->tempfail);
	return h;
}

/* config_holder_get - a reference to the current snapshot */
struct config *
config_holder_get(struct config_holder *h)
{
	struct config	*c;

	pthread_mutex_lock(&h->lock);
	c = h->cfg;
	config_ref(c);
	pthread_mutex_unlock(&h->lock);
	return c;
}
