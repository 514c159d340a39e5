/*
 * engine_test.c - the pipeline with real programs: verdict mapping and
 * replies, the error breaker driven by an injected clock, modifications
 * recorded in milter terms, replacement messages checked piece by
 * piece, the envelope gate, and conditions that cannot be decided
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/spool.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "mail/message.h"
#include "rules/filter_state.h"

static char		*dir;		/* scripts, config, spool */
static long long	 fake_now;

/* fake_clock - the clock the engine sees */
static long long
fake_clock(void)
{
	return fake_now;
}

/* script - an executable sh script in dir */
static void
script(const char *name, const char *body)
{
	char	*path;
	FILE	*fp;

	xasprintf(&path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n%s\n", body);
	fclose(fp);
	assert_int_equal(chmod(path, 0755), 0);
	free(path);
}

/* load - a config from text, with filter_dir = dir; every filter may
 * write dir (the scripts leave files there to say that they ran) */
static struct config *
load(const char *text)
{
	struct config_errors	 e = { 0 };
	struct config		*c;
	char			*path, ov1[600], ov2[600];
	char			*ov[] = { ov1, ov2, NULL };
	const char		*p, *q;
	FILE			*fp;

	xasprintf(&path, "%s/sluice.conf", dir);
	fp = fopen(path, "w");
	for (p = text; (q = strstr(p, "command = ")) != NULL; p = q) {
		fwrite(p, 1, (size_t)(q - p), fp);
		fprintf(fp, "writable = [ \"%s\" ]; ", dir);
		fputs("command = ", fp);
		q += strlen("command = ");
	}
	fputs(p, fp);
	fclose(fp);
	snprintf(ov1, sizeof(ov1), "filter_dir=%s", dir);
	snprintf(ov2, sizeof(ov2), "include_dir=%s/empty.d", dir);
	c = config_load(path, ov, &e);
	if (e.n > 0)
		fail_msg("config: %s", e.msg[0]);
	free(path);
	return c;
}

/* run - one message through the engine */
static void
run(struct config *c, const char *sender, const char *rcpt, const char *msg,
    struct engine_msg *m)
{
	struct engine_input	 in = { 0 };
	struct spool_msg	 sm;
	char			 why[256], *r[1];

	assert_int_equal(spool_msg_create(&sm, dir, 0, why, sizeof(why)), 0);
	assert_int_equal(spool_msg_write(&sm, msg, strlen(msg)), 0);
	assert_int_equal(spool_msg_close(&sm, 0), 0);
	r[0] = (char *)rcpt;
	in.cfg = c;
	in.workdir = sm.dir;
	in.sender = sender;
	in.rcpt = r;
	in.nrcpt = rcpt != NULL ? 1 : 0;
	engine_judge(m, &in);
	free(sm.dir);
}

/* done - remove the message's work directory and free it */
static void
done(struct engine_msg *m)
{
	assert_int_equal(spool_remove(m->workdir), 0);
	engine_msg_free(m);
}

static const char plain[] = "From: a@x\nSubject: hi\n\nbody\n";

static int
setup(void **state)
{
	char	*empty;

	(void)state;
	log_init("engine_test", LOG_DEST_NONE, 0);
	dir = xstrdup("/tmp/sluice-engine-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	xasprintf(&empty, "%s/empty.d", dir);
	assert_int_equal(mkdir(empty, 0700), 0);
	free(empty);
	clock_ms = fake_clock;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(spool_remove(dir), 0);
	free(dir);
	return 0;
}

static void
t_verdicts(void **state)
{
	static const struct {
		int		 code;
		enum verdict	 v;
		int		 reply;
		const char	*text;
	} cases[] = {
		{ 0, V_ACCEPT, 250, "Ok" },
		{ 1, V_REJECT, 550, "Message rejected: no thanks" },
		{ 2, V_DISCARD, 250, "Ok: discarded" },
		{ 3, V_QUARANTINE, 250, "Ok: quarantined" },
		{ 4, V_ACCEPT, 250, "Ok" },
		/* 5 is not in the table below: an error, on_error tempfail */
		{ 5, V_TEMPFAIL, 451, "Message deferred, please try again "
		    "later" },
		{ 75, V_TEMPFAIL, 451, "Message deferred, please try again "
		    "later: no thanks" },
		/* unmapped: an error, tempfail by on_error, no reason */
		{ 9, V_TEMPFAIL, 451, "Message deferred, please try again "
		    "later" },
	};
	struct engine_msg	 m;
	struct config		*c;
	char			 body[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "echo no thanks; exit %d",
		    cases[i].code);
		script("v.sh", body);
		c = load("filters = ( { name = \"v\"; command = \"v.sh\"; "
		    "error_threshold = 0;\n exit = { continue = 0; reject = 1; "
		    "discard = 2; quarantine = 3; accept = 4; tempfail = 75; "
		    "}; } );\n"
		    "rules = ( { filter = \"v\"; } );\n");
		run(c, "a@x", "b@y", plain, &m);
		if (m.verdict != cases[i].v || m.reply.code != cases[i].reply ||
		    strcmp(m.reply.text, cases[i].text) != 0)
			fail_msg("exit %d: got %s %d \"%s\"", cases[i].code,
			    verdict_name(m.verdict), m.reply.code,
			    m.reply.text);
		done(&m);
		config_unref(&c);
	}
}

static void
t_first_final_wins(void **state)
{
	struct engine_msg	 m;
	struct config		*c;

	(void)state;
	script("cont.sh", "exit 0");
	script("rej.sh", "echo 'reason first' > \"$SLUICE_RESULT\"; exit 1");
	script("never.sh", "touch \"$0.ran\"; exit 75");
	c = load("filters = ( { name = \"c\"; command = \"cont.sh\"; },\n"
	    "{ name = \"r\"; command = \"rej.sh\"; reject_reply = { code = 554;"
	    " status = \"5.7.0\"; text = \"Policy\"; }; },\n"
	    "{ name = \"n\"; command = \"never.sh\"; } );\n"
	    "rules = ( { filter = \"c\"; }, { name = \"stop\"; filter = \"r\"; "
	    "},\n { filter = \"n\"; } );\n");
	run(c, "a@x", "b@y", plain, &m);
	assert_int_equal(m.verdict, V_REJECT);
	assert_string_equal(m.decided_by, "stop");
	assert_int_equal(m.reply.code, 554);
	assert_string_equal(m.reply.status, "5.7.0");
	assert_string_equal(m.reply.text, "Policy: first");
	/* the third rule was never reached */
	assert_int_equal(m.nsteps, 2);
	done(&m);
	config_unref(&c);
}

/* breaker_run - one message; returns 1 if the filter ran */
static int
breaker_run(struct config *c, enum verdict want)
{
	struct engine_msg	 m;
	char			*flag;
	int			 ran;

	xasprintf(&flag, "%s/ran", dir);
	unlink(flag);
	run(c, "a@x", "b@y", plain, &m);
	ran = access(flag, F_OK) == 0;
	if (m.verdict != want)
		fail_msg("want %s, got %s", verdict_name(want),
		    verdict_name(m.verdict));
	done(&m);
	free(flag);
	return ran;
}

static void
t_breaker(void **state)
{
	struct fs_view	 v;
	struct config	*c;
	char		 body[600];

	(void)state;
	/* the filter fails while dir/fail exists */
	snprintf(body, sizeof(body), "touch %s/ran; [ -e %s/fail ] && exit 9;"
	    " exit 0", dir, dir);
	script("flaky.sh", body);
	snprintf(body, sizeof(body), "%s/fail", dir);
	fclose(fopen(body, "w"));
	c = load("filters = ( { name = \"f\"; command = \"flaky.sh\";\n"
	    "error_threshold = 3; error_cooldown = 10; on_error = \"skip\";\n"
	    "when_off = \"tempfail\"; } );\n"
	    "rules = ( { filter = \"f\"; } );\n");
	fake_now = 1000;
	/* three errors in a row, skipped by on_error */
	assert_true(breaker_run(c, V_ACCEPT));
	assert_true(breaker_run(c, V_ACCEPT));
	assert_true(breaker_run(c, V_ACCEPT));
	/* now switched off: not run, when_off = tempfail */
	assert_false(breaker_run(c, V_TEMPFAIL));
	fake_now += 9999;
	assert_false(breaker_run(c, V_TEMPFAIL));
	/* cool-down over: one trial run, which fails: off again */
	fake_now += 1;
	assert_true(breaker_run(c, V_ACCEPT));
	assert_false(breaker_run(c, V_TEMPFAIL));
	/* the next trial succeeds: on again, and stays on */
	fake_now += 10000;
	unlink(body);
	assert_true(breaker_run(c, V_ACCEPT));
	assert_true(breaker_run(c, V_ACCEPT));
	/* one error does not switch it off: the count restarted */
	fclose(fopen(body, "w"));
	assert_true(breaker_run(c, V_ACCEPT));
	assert_true(breaker_run(c, V_ACCEPT));
	unlink(body);
	/* what sluicectl filters shows of all that */
	filter_state_view(c->filters[0].state, &v);
	assert_int_equal(v.runs, 8);
	assert_int_equal(v.verdicts[V_ERROR], 6);
	assert_int_equal(v.errkind[FE_EXIT], 6);
	assert_int_equal(v.verdicts[V_CONTINUE], 2);
	assert_int_equal(v.skipped, 3);
	assert_int_equal(v.switched_off, 2);
	assert_int_equal(v.errors, 2);
	assert_int_equal(v.running, 0);
	assert_true(fs_percentile_us(&v, 50) > 0);
	config_unref(&c);
}

/* t_operator_switch - disable: not run, when_off applies, even in the
 * middle of a good spell; enable: runs again; reset clears a breaker
 * that its errors opened */
static void
t_operator_switch(void **state)
{
	struct fs_view	 v;
	struct config	*c;
	char		 body[600];

	(void)state;
	snprintf(body, sizeof(body), "touch %s/ran; [ -e %s/fail ] && exit 9;"
	    " exit 0", dir, dir);
	script("flaky.sh", body);
	snprintf(body, sizeof(body), "%s/fail", dir);
	unlink(body);
	c = load("filters = ( { name = \"f\"; command = \"flaky.sh\";\n"
	    "error_threshold = 1; error_cooldown = 600; on_error = \"skip\";\n"
	    "when_off = \"tempfail\"; } );\n"
	    "rules = ( { filter = \"f\"; } );\n");
	fake_now = 1000;
	assert_true(breaker_run(c, V_ACCEPT));
	filter_state_disable(c->filters[0].state, 1);
	assert_false(breaker_run(c, V_TEMPFAIL));
	filter_state_view(c->filters[0].state, &v);
	assert_int_equal(v.disabled, 1);
	assert_int_equal(v.skipped, 1);
	filter_state_disable(c->filters[0].state, 0);
	assert_true(breaker_run(c, V_ACCEPT));
	/* one error opens the breaker for 600 s; reset closes it */
	fclose(fopen(body, "w"));
	assert_true(breaker_run(c, V_ACCEPT));
	assert_false(breaker_run(c, V_TEMPFAIL));
	filter_state_view(c->filters[0].state, &v);
	assert_int_equal(v.off, 1);
	assert_int_equal(v.off_until_ms, 1000 + 600 * 1000);
	unlink(body);
	filter_state_reset(c->filters[0].state);
	assert_true(breaker_run(c, V_ACCEPT));
	filter_state_view(c->filters[0].state, &v);
	assert_int_equal(v.off, 0);
	assert_int_equal(v.errors, 0);
	assert_int_equal(v.runs, 4);
	config_unref(&c);
}

/*
 * t_huge_envelope - 600 recipients of 250 bytes are more than execve
 * takes (SLUICE_RECIPIENTS alone is over 128 KiB): our own limit, so an
 * internal tempfail whatever on_error says, and no error counted against
 * the filter, which keeps running for the next message
 */
static void
t_huge_envelope(void **state)
{
	struct engine_input	 in = { 0 };
	struct engine_msg	 m;
	struct spool_msg	 sm;
	struct config		*c;
	char			 why[256], body[600], *r[600], ran[600];
	size_t			 i;

	(void)state;
	snprintf(ran, sizeof(ran), "%s/ran", dir);
	snprintf(body, sizeof(body), "touch %s; exit 0", ran);
	script("ok.sh", body);
	c = load("filters = ( { name = \"ok\"; command = \"ok.sh %r\";\n"
	    "error_threshold = 1; on_error = \"skip\"; "
	    "when_off = \"tempfail\"; } );\n"
	    "rules = ( { filter = \"ok\"; } );\n");
	for (i = 0; i < 600; i++)
		xasprintf(&r[i], "%0*zu@%0*zu.example.org", 60, i, 175, i);
	assert_int_equal(spool_msg_create(&sm, dir, 0, why, sizeof(why)), 0);
	assert_int_equal(spool_msg_write(&sm, plain, strlen(plain)), 0);
	assert_int_equal(spool_msg_close(&sm, 0), 0);
	in.cfg = c;
	in.workdir = sm.dir;
	in.sender = "a@x";
	in.rcpt = r;
	in.nrcpt = 600;
	engine_judge(&m, &in);
	assert_int_equal(m.verdict, V_TEMPFAIL);
	assert_true(m.nsteps >= 1);
	assert_non_null(strstr(m.steps[m.nsteps - 1].error, "too big"));
	done(&m);
	free(sm.dir);
	for (i = 0; i < 600; i++)
		free(r[i]);
	/* not switched off: the next message runs the filter */
	unlink(ran);
	run(c, "a@x", "b@y", plain, &m);
	assert_int_equal(m.verdict, V_ACCEPT);
	assert_int_equal(access(ran, F_OK), 0);
	done(&m);
	unlink(ran);
	config_unref(&c);
}

static void
t_mods(void **state)
{
	static const struct {
		enum mod_kind	 kind;
		const char	*name;
		const char	*value;
		int		 index;
	} want[] = {
		{ MOD_ADD_HEADER, "X-Arule", " yes", 0 },
		{ MOD_ADD_HEADER, "X-New", " 1", 0 },
		{ MOD_INSERT_HEADER, "X-Top", " t", 0 },
		{ MOD_CHANGE_HEADER, "Subject", " [tag] hi", 1 },
		{ MOD_DELETE_HEADER, "X-Old", NULL, 2 },
		{ MOD_DELETE_HEADER, "X-Old", NULL, 1 },
		{ MOD_ADD_RCPT, NULL, "new@y", 0 },
		{ MOD_DELETE_RCPT, NULL, "b@y", 0 },
		{ MOD_CHANGE_SENDER, NULL, "", 0 },
	};
	struct engine_msg	 m;
	struct config		*c;
	size_t			 i;

	(void)state;
	script("mods.sh", "cat > \"$SLUICE_RESULT\" <<EOF\n"
	    "add-header X-New: 1\ninsert-header 0 X-Top: t\n"
	    "prefix-subject [tag]\ndelete-header X-Old\n"
	    "add-rcpt <new@y>\ndelete-rcpt b@y\nchange-sender <>\nEOF");
	c = load("filters = ( { name = \"m\"; command = \"mods.sh\"; } );\n"
	    "rules = ( { filter = \"m\"; } );\n"
	    "address_rules = ( { add_header = \"X-Arule: yes\"; } );\n");
	run(c, "a@x", "b@y", "X-Old: 1\nSubject: hi\nX-Old: 2\n\nbody\n",
	    &m);
	assert_int_equal(m.verdict, V_ACCEPT);
	assert_int_equal(m.nmods, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < m.nmods; i++) {
		assert_int_equal(m.mods[i].kind, want[i].kind);
		if (want[i].name)
			assert_string_equal(m.mods[i].name, want[i].name);
		if (want[i].value)
			assert_string_equal(m.mods[i].value, want[i].value);
		else
			assert_null(m.mods[i].value);
		assert_int_equal(m.mods[i].index, want[i].index);
	}
	assert_string_equal(m.env.sender, "");
	assert_int_equal(m.env.nrcpt, 1);
	assert_string_equal(m.env.rcpt[0], "new@y");
	/* the current state agrees with the modifications */
	assert_int_equal(m.hdr.n, 4);
	assert_string_equal(m.hdr.h[0].name, "X-Top");
	assert_string_equal(m.hdr.h[1].name, "Subject");
	assert_string_equal(m.hdr.h[1].value, " [tag] hi");
	done(&m);
	config_unref(&c);
}

static void
t_replacement_mods(void **state)
{
	struct engine_msg	 m;
	struct config		*c;

	(void)state;
	script("repl.sh", "printf 'From: z@z\\r\\nSubject: new\\r\\n\\r\\n"
	    "new body\\r\\n' > \"$1\"");
	c = load("filters = ( { name = \"r\"; command = \"repl.sh %n\"; } );\n"
	    "rules = ( { filter = \"r\"; } );\n");
	run(c, "a@x", "b@y", "A: 1\nB: 2\nA: 3\n\nold\n", &m);
	assert_int_equal(m.verdict, V_ACCEPT);
	assert_true(m.body_replaced);
	/* old fields deleted (last first), new ones added, body replaced */
	assert_int_equal(m.nmods, 6);
	assert_int_equal(m.mods[0].kind, MOD_DELETE_HEADER);
	assert_string_equal(m.mods[0].name, "A");
	assert_int_equal(m.mods[0].index, 2);
	assert_int_equal(m.mods[1].index, 1);
	assert_string_equal(m.mods[2].name, "B");
	assert_int_equal(m.mods[3].kind, MOD_ADD_HEADER);
	assert_string_equal(m.mods[3].name, "From");
	assert_string_equal(m.mods[3].value, " z@z");
	assert_string_equal(m.mods[4].name, "Subject");
	assert_int_equal(m.mods[5].kind, MOD_REPLACE_BODY);
	/* CRLF became LF in the message file */
	assert_int_equal(m.size, strlen("From: z@z\nSubject: new\n\nnew body\n"));
	done(&m);
	config_unref(&c);
}

/* check_pieces - message_check over s fed in pieces of step bytes (0:
 * all at once); 0, or -1 with why */
static int
check_pieces(const char *s, size_t len, size_t step, char *why,
    size_t whylen)
{
	struct message_check	mc;
	size_t			off, n;
	int			rc = 0;

	message_check_init(&mc);
	for (off = 0; off < len && rc == 0; off += n) {
		n = step == 0 || step > len - off ? len - off : step;
		rc = message_check_feed(&mc, s + off, n, why, whylen);
	}
	if (rc == 0)
		rc = message_check_end(&mc, why, whylen);
	message_check_free(&mc);
	return rc;
}

/*
 * t_replacement_check - a replacement message is judged the same
 * whether it comes whole or a byte at a time, so a chunk boundary can
 * hide nothing (a CR LF, an empty line, a long line split in two)
 */
static void
t_replacement_check(void **state)
{
	static const struct {
		const char	*msg;
		const char	*why;	/* NULL: accepted */
	} cases[] = {
		{ "From: a@x\n\nbody\n", NULL },
		{ "From: a@x\r\nSubject: s\r\n\r\nbody\r\n", NULL },
		{ "From: a@x\n\n", NULL },
		{ "From: a@x\n\nbare\rCR in the body\n", NULL },
		{ "From: a@x\n\nno final LF", NULL },
		/* a CR LF cut short at the very end still ends a line */
		{ "From: a@x\r\n\r", NULL },
		{ "From: a@x\nSubject: s\n",
		    "no empty line between header and body" },
		{ "\nbody\n", "it has no header fields" },
		{ "From: a@x\nnot a field\n\nbody\n",
		    "line 2: not a header field" },
		{ "From: a@x\nX-A: a\rb\n\nbody\n",
		    "line 2: CR not followed by LF" },
		{ "From: a@x\n\nNUL\0here\n", "it contains a NUL byte" },
	};
	char	why[256], why1[256], *big;
	size_t	i, len, n;
	int	r0, r1;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].msg);
		if (strstr(cases[i].why ? cases[i].why : "", "NUL") != NULL)
			len += strlen(cases[i].msg + len + 1) + 1;
		why[0] = why1[0] = '\0';
		r0 = check_pieces(cases[i].msg, len, 0, why, sizeof(why));
		r1 = check_pieces(cases[i].msg, len, 1, why1, sizeof(why1));
		if (r0 != (cases[i].why ? -1 : 0) || r1 != r0 ||
		    (cases[i].why != NULL && (strcmp(why, cases[i].why) != 0 ||
		    strcmp(why1, why) != 0)))
			fail_msg("case %zu: want \"%s\", got %d \"%s\" whole, "
			    "%d \"%s\" a byte at a time", i,
			    cases[i].why ? cases[i].why : "ok", r0, why, r1,
			    why1);
	}
	/* lines of 998 bytes pass, 999 do not, CR LF not counted, split
	 * anywhere */
	big = xmalloc(2000);
	for (n = 998; n <= 999; n++) {
		len = (size_t)snprintf(big, 2000, "From: a@x\n\n");
		memset(big + len, 'y', n);
		len += n;
		memcpy(big + len, "\r\nend\n", 6);
		len += 6;
		for (i = 0; i <= 3; i++) {
			r0 = check_pieces(big, len, i == 3 ? 997 : i * 500,
			    why, sizeof(why));
			assert_int_equal(r0, n == 998 ? 0 : -1);
			if (n == 999)
				assert_string_equal(why,
				    "line 3 is longer than 998 bytes");
		}
	}
	/* a header block over MESSAGE_HEADER_MAX is refused */
	free(big);
	n = MESSAGE_HEADER_MAX / 20 + 1;
	big = xmalloc(n * 20 + 16);
	for (i = 0; i < n; i++)
		memcpy(big + i * 20, "X-Filler: 123456789\n", 20);
	memcpy(big + n * 20, "\nbody\n", 6);
	assert_int_equal(check_pieces(big, n * 20 + 6, 4096, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "its header block is longer than 1048576 "
	    "bytes");
	free(big);
}

static void
t_envelope_gate(void **state)
{
	struct engine_msg	 m;
	struct config		*c;
	char			 local[301], addr[320], *flag;

	(void)state;
	script("gate.sh", "touch \"$0.ran\"");
	c = load("filters = ( { name = \"g\"; command = \"gate.sh\"; } );\n"
	    "rules = ( { filter = \"g\"; } );\n");
	memset(local, 'a', 300);
	local[300] = '\0';
	snprintf(addr, sizeof(addr), "%s@x", local);
	run(c, addr, "b@y", plain, &m);
	assert_int_equal(m.verdict, V_REJECT);
	assert_int_equal(m.reply.code / 100, 5);
	assert_non_null(strstr(m.reply.text, "64"));
	done(&m);
	run(c, "a@x", "b\r\nRCPT TO:<evil@x>@y", plain, &m);
	assert_int_equal(m.verdict, V_REJECT);
	assert_int_equal(m.reply.code, 553);
	done(&m);
	xasprintf(&flag, "%s/gate.sh.ran", dir);
	assert_int_equal(access(flag, F_OK), -1);
	free(flag);
	config_unref(&c);
}

static void
t_message_max(void **state)
{
	struct engine_msg	 m;
	struct config		*c;
	char			*big, *flag;
	size_t			 n = 4096;

	(void)state;
	script("never.sh", "touch \"$0.ran\"");
	c = load("message_max = 2048;\n"
	    "filters = ( { name = \"n\"; command = \"never.sh\"; } );\n"
	    "rules = ( { filter = \"n\"; } );\n");
	big = xmalloc(n + 1);
	memset(big, 'x', n);
	memcpy(big, "Subject: big\n\n", 14);
	big[n] = '\0';
	run(c, "a@x", "b@y", big, &m);
	assert_int_equal(m.verdict, V_REJECT);
	assert_int_equal(m.reply.code, 552);
	assert_string_equal(m.reply.status, "5.3.4");
	done(&m);
	xasprintf(&flag, "%s/never.sh.ran", dir);
	assert_int_equal(access(flag, F_OK), -1);
	free(flag);
	free(big);
	config_unref(&c);
}

static void
t_internal_failure(void **state)
{
	struct engine_msg	 m;
	struct config		*c;
	char			*flag;
	int			 i;

	(void)state;
	/* "plant" changes a header, so the next filter needs a new message
	 * file, and puts files where that copy must go: our own write
	 * fails, which is no fault of "victim" */
	script("plant.sh", "echo 'add-header X-P: 1' > \"$SLUICE_RESULT\"\n"
	    "n=${SLUICE_RESULT##*.}; d=${SLUICE_RESULT%/*}\n"
	    "for i in 1 2 3 4 5; do : > \"$d/message.$((n + i))\"; done");
	script("victim.sh", "touch \"$0.ran\"; exit 0");
	c = load("filters = ( { name = \"p\"; command = \"plant.sh\"; },\n"
	    "{ name = \"v\"; command = \"victim.sh\"; on_error = \"skip\";\n"
	    "  error_threshold = 1; } );\n"
	    "rules = ( { filter = \"p\"; subject = \"plant\"; },\n"
	    "  { filter = \"v\"; } );\n");
	for (i = 0; i < 2; i++) {
		/* on_error = skip must not turn our failure into an accept */
		run(c, "a@x", "b@y", "Subject: plant\n\nbody\n", &m);
		assert_int_equal(m.verdict, V_TEMPFAIL);
		assert_int_equal(m.reply.code, 451);
		done(&m);
	}
	/* and it did not count against the filter: still on */
	xasprintf(&flag, "%s/victim.sh.ran", dir);
	unlink(flag);
	run(c, "a@x", "b@y", plain, &m);
	assert_int_equal(m.verdict, V_ACCEPT);
	assert_int_equal(access(flag, F_OK), 0);
	done(&m);
	free(flag);
	config_unref(&c);
}

/*
 * t_match_error - a condition whose regex hits the match limit cannot be
 * decided: the message is tempfailed with the general reply, the filter
 * does not run, and the trace names the rule and the pattern; the same
 * for an address rule.  A rule that another condition rules out runs on.
 */
static void
t_match_error(void **state)
{
	struct engine_msg	 m;
	struct config		*c;
	const struct engine_step *st;
	char			 msg[200], a[80], sender[90], *flag;

	(void)state;
	memset(a, 'a', 64);
	a[64] = 'b';
	a[65] = '\0';
	snprintf(msg, sizeof(msg), "From: x@y\nSubject: %s\n\nbody\n", a);
	script("cat.sh", "touch \"$0.ran\"; exit 1");
	xasprintf(&flag, "%s/cat.sh.ran", dir);
	c = load("filters = ( { name = \"f\"; command = \"cat.sh\";\n"
	    "  tempfail_reply = { code = 452; status = \"4.3.1\";\n"
	    "  text = \"Scanner busy\"; }; } );\n"
	    "rules = ( { name = \"other\"; filter = \"f\";\n"
	    "  subject = \"/^(a+)+$/\"; sender = \"nobody@nowhere\"; },\n"
	    "  { name = \"cat\"; filter = \"f\"; subject = \"/^(a+)+$/\"; } );\n");
	run(c, "a@x", "b@y", msg, &m);
	assert_int_equal(m.verdict, V_TEMPFAIL);
	assert_int_equal(m.reply.code, 451);
	assert_string_equal(m.reply.text,
	    "Message deferred, please try again later");
	assert_non_null(m.decided_by);
	assert_string_equal(m.decided_by, "cat");
	assert_int_equal(m.nsteps, 2);
	st = &m.steps[1];
	assert_int_equal(st->matched, -1);
	assert_non_null(strstr(st->why, "pattern \"/^(a+)+$/\" could not "
	    "finish: match limit exceeded"));
	assert_string_equal(st->error, "the conditions could not be decided");
	assert_int_equal(st->result, V_TEMPFAIL);
	assert_int_equal(access(flag, F_OK), -1);
	done(&m);
	config_unref(&c);

	/* an address rule's pattern: the same */
	c = load("address_rules = ( { name = \"ar\";\n"
	    "  sender = \"/^(a+)+$/\"; add_recipient = \"copy@x\"; } );\n"
	    "filters = ( { name = \"f\"; command = \"cat.sh\"; } );\n"
	    "rules = ( { filter = \"f\"; } );\n");
	/* a local part within RFC 5321's 64 octets */
	snprintf(sender, sizeof(sender), "%s@x", a + 64 - 40);
	run(c, sender, "b@y", plain, &m);
	assert_int_equal(m.verdict, V_TEMPFAIL);
	assert_int_equal(m.reply.code, 451);
	assert_string_equal(m.decided_by, "ar");
	assert_int_equal(m.nsteps, 1);
	assert_non_null(strstr(m.steps[0].why, "sender \"aaaa"));
	assert_int_equal(m.env.nrcpt, 1);
	assert_int_equal(access(flag, F_OK), -1);
	done(&m);
	config_unref(&c);
	free(flag);
}

static void
t_one_copy(void **state)
{
	struct engine_msg	 m;
	struct config		*c;
	char			*cmd;
	FILE			*fp;
	int			 copies = 0;

	(void)state;
	script("tag.sh", "echo 'add-header X-T: 1' > \"$SLUICE_RESULT\"");
	c = load("filters = ( { name = \"t\"; command = \"tag.sh\"; } );\n"
	    "rules = ( { filter = \"t\"; }, { filter = \"t\"; },\n"
	    "  { filter = \"t\"; }, { filter = \"t\"; } );\n");
	run(c, "a@x", "b@y", plain, &m);
	assert_int_equal(m.verdict, V_ACCEPT);
	assert_int_equal(header_count(&m.hdr, "X-T"), 4);
	/* the original and the current copy, not one per rewrite */
	xasprintf(&cmd, "ls %s | grep -c '^message'", m.workdir);
	fp = popen(cmd, "r");
	assert_int_equal(fscanf(fp, "%d", &copies), 1);
	pclose(fp);
	assert_int_equal(copies, 2);
	free(cmd);
	done(&m);
	config_unref(&c);
}

struct ids {
	char	(*id)[32];
	int	  n;
};

/* make_ids - fill a slice of ids */
static void *
make_ids(void *arg)
{
	struct ids	*t = arg;
	int		 i;

	for (i = 0; i < t->n; i++)
		spool_new_id(t->id[i], sizeof(t->id[i]));
	return NULL;
}

/* id_cmp - qsort ids */
static int
id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
t_unique_ids(void **state)
{
	enum { THREADS = 8, PER = 20000 };
	static char	ids[THREADS * PER][32];
	struct ids	t[THREADS];
	pthread_t	tid[THREADS];
	int		i;

	(void)state;
	/* many at once from many threads, as "scan -j" makes them */
	for (i = 0; i < THREADS; i++) {
		t[i].id = ids + i * PER;
		t[i].n = PER;
		assert_int_equal(pthread_create(&tid[i], NULL, make_ids, &t[i]),
		    0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	qsort(ids, THREADS * PER, sizeof(ids[0]), id_cmp);
	for (i = 1; i < THREADS * PER; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			fail_msg("duplicate id %s", ids[i]);
}

/* entries - how many entries directory path holds; -1 when it cannot
 * be read */
static int
entries(const char *path)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return n;
}

/*
 * t_workdir_kept - a discarded message's work directory leaves the
 * spool, emptied; the next message gets it back under an id of its own,
 * holding its own message only; at most 64 wait, the others are removed;
 * a spool without .runs keeps none
 */
static void
t_workdir_kept(void **state)
{
	enum { MANY = 70 };
	static struct spool_msg	 many[MANY];
	struct spool_msg	 a, b;
	struct stat		 st;
	char			*spool, *runs, *f, why[256], buf[64];
	ino_t			 ino;
	FILE			*fp;
	size_t			 n;
	int			 i;

	(void)state;
	xasprintf(&spool, "%s/kept", dir);
	xasprintf(&runs, "%s/" SPOOL_RUNS, spool);
	assert_int_equal(mkdir(spool, 0700), 0);
	assert_int_equal(mkdir(runs, 0711), 0);

	assert_int_equal(spool_msg_create(&a, spool, 0, why, sizeof(why)), 0);
	assert_int_equal(spool_msg_write(&a, "first\n", 6), 0);
	assert_int_equal(spool_msg_close(&a, 0), 0);
	f = spool_path(a.dir, SPOOL_ENVELOPE, 0);
	assert_non_null(fp = fopen(f, "w"));
	fclose(fp);
	free(f);
	assert_int_equal(stat(a.dir, &st), 0);
	ino = st.st_ino;
	assert_int_equal(spool_msg_discard(&a), 0);
	assert_int_equal(entries(spool), 1);		/* .runs alone */
	assert_int_equal(entries(runs), 1);

	assert_int_equal(spool_msg_create(&b, spool, 0, why, sizeof(why)), 0);
	assert_string_not_equal(a.id, b.id);
	assert_int_equal(stat(b.dir, &st), 0);
	assert_int_equal(st.st_ino, ino);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(spool_msg_write(&b, "second\n", 7), 0);
	assert_int_equal(spool_msg_close(&b, 0), 0);
	assert_int_equal(entries(b.dir), 1);
	f = spool_path(b.dir, SPOOL_MESSAGE, 0);
	assert_non_null(fp = fopen(f, "r"));
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	free(f);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "second\n", 7);
	assert_int_equal(entries(runs), 0);
	assert_int_equal(spool_msg_discard(&b), 0);

	for (i = 0; i < MANY; i++)
		assert_int_equal(spool_msg_create(&many[i], spool, 0, why,
		    sizeof(why)), 0);
	for (i = 0; i < MANY; i++)
		assert_int_equal(spool_msg_discard(&many[i]), 0);
	assert_int_equal(entries(spool), 1);
	assert_int_equal(entries(runs), 64);

	/* sluicectl's spool has no .runs: nothing kept, nothing left */
	assert_int_equal(spool_clean(spool), 0);
	assert_int_equal(entries(runs), 0);
	assert_int_equal(rmdir(runs), 0);
	assert_int_equal(spool_msg_create(&a, spool, 0, why, sizeof(why)), 0);
	assert_int_equal(spool_msg_close(&a, 0), 0);
	assert_int_equal(spool_msg_discard(&a), 0);
	assert_int_equal(entries(spool), 0);
	free(runs);
	free(spool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_unique_ids),
		cmocka_unit_test(t_message_max),
		cmocka_unit_test(t_internal_failure),
		cmocka_unit_test(t_one_copy),
		cmocka_unit_test(t_match_error),
		cmocka_unit_test(t_verdicts),
		cmocka_unit_test(t_first_final_wins),
		cmocka_unit_test(t_breaker),
		cmocka_unit_test(t_operator_switch),
		cmocka_unit_test(t_huge_envelope),
		cmocka_unit_test(t_mods),
		cmocka_unit_test(t_replacement_mods),
		cmocka_unit_test(t_replacement_check),
		cmocka_unit_test(t_envelope_gate),
		cmocka_unit_test(t_workdir_kept),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
