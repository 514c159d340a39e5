-- common.lua - what the milter scenarios share
--
-- A scenario is NAME.lua beside NAME.conf (its filters and rules); this
-- file has no .conf and is no scenario.  testdata/t/miltertest.sh starts
-- a sluiced for each scenario and runs it with these globals set:
--
--   DIR    this directory
--   T      the scenario's private directory: T/spool is the daemon's
--          spool, T/out a directory the filters may write to when
--          their definitions name it writable (writable = [ "@T@/out" ])
--   INET   the daemon's TCP socket, "inet:PORT@127.0.0.1"
--   UNIX   its unix socket, "unix:PATH"
--
-- Lines at the top of a scenario tell the runner what else to check:
--   -- log: TEXT     a line of the log starts with "sluiced: TEXT"
--   -- nolog: TEXT   no line of the log contains TEXT
--   -- trace: TEXT   miltertest -vvvv printed a line containing TEXT
--
-- A protocol step that the daemon does not answer as expected raises an
-- error; a failed check (want, want_not, want_equal, ...) is noted and
-- the script goes on.  scenario() prints them all and exits 1.
--
-- sluice asks for SMFIP_HDR_LEADSPC, and miltertest offers it: it then
-- puts a blank before each header value a script sends (an MTA sends
-- the value as it was after the colon), and values that sluice sends
-- back carry their leading blank, as in MT_HDRADD, "X-Name", " value".

local names = {
	[SMFIR_ACCEPT] = "accept", [SMFIR_CONTINUE] = "continue",
	[SMFIR_DISCARD] = "discard", [SMFIR_REJECT] = "reject",
	[SMFIR_TEMPFAIL] = "tempfail", [SMFIR_REPLYCODE] = "replycode",
	[SMFIR_SKIP] = "skip",
}

local failures = {}

-- fail - note a failed check, with the scenario's line; the script
-- goes on with the next one
local function fail(msg)
	local level, info = 2, nil
	repeat
		level = level + 1
		info = debug.getinfo(level, "Sl")
	until info == nil or not info.short_src:find("common%.lua")
	table.insert(failures, string.format("line %d: %s",
	    info and info.currentline or 0, msg))
end

-- scenario - run f; print "ok", or the failed checks and exit 1
function scenario(f)
	local ok, err = pcall(f)
	for _, m in ipairs(failures) do
		print("FAIL: " .. m)
	end
	if not ok then
		print("FAIL: " .. tostring(err))
	end
	if not ok or #failures > 0 then
		os.exit(1)
	end
	print("ok")
end

-- step - a miltertest call returned nil, its way of saying success
local function step(what, r)
	if r ~= nil then
		error(what .. ": " .. tostring(r), 3)
	end
end

-- reply_name - a milter reply code as a word
function reply_name(r)
	return names[r] or string.format("%q", tostring(r))
end

-- want_reply - the last reply on conn is want
function want_reply(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		error(string.format("%s: reply %s, expected %s", what,
		    reply_name(got), reply_name(want)), 2)
	end
end

-- connect - a connection past CONNECT and HELO.  o.socket (INET),
-- o.host, o.addr, o.helo, o.macros: { name, value, ... } for CONNECT
function connect(o)
	o = o or {}
	local sock = o.socket or INET
	local conn = mt.connect(sock)
	if conn == nil then
		error("cannot connect to " .. sock, 2)
	end
	if o.macros then
		mt.macro(conn, SMFIC_CONNECT, table.unpack(o.macros))
	end
	step("conninfo", mt.conninfo(conn, o.host or "client.example",
	    o.addr or "192.0.2.7"))
	want_reply(conn, SMFIR_CONTINUE, "CONNECT")
	step("helo", mt.helo(conn, o.helo or "helo.example"))
	want_reply(conn, SMFIR_CONTINUE, "HELO")
	return conn
end

-- envelope - MAIL FROM o.from with the ESMTP parameters o.args and the
-- macros i = o.qid and {auth_authen} = o.auth, RCPT TO for each of
-- o.rcpt, and DATA
function envelope(conn, o)
	local m = {}
	if o.qid then
		table.insert(m, "i")
		table.insert(m, o.qid)
	end
	if o.auth then
		table.insert(m, "{auth_authen}")
		table.insert(m, o.auth)
	end
	if #m > 0 then
		mt.macro(conn, SMFIC_MAIL, table.unpack(m))
	end
	step("mailfrom", mt.mailfrom(conn, o.from or "<alice@example.org>",
	    table.unpack(o.args or {})))
	want_reply(conn, SMFIR_CONTINUE, "MAIL FROM")
	for _, r in ipairs(o.rcpt or { "<bob@example.net>" }) do
		step("rcptto " .. r, mt.rcptto(conn, r))
		want_reply(conn, SMFIR_CONTINUE, "RCPT TO " .. r)
	end
	if not mt.test_option(conn, SMFIP_NODATA) then
		step("data", mt.data(conn))
		want_reply(conn, SMFIR_CONTINUE, "DATA")
	end
end

-- default_headers - From, To and a Subject
function default_headers(subject)
	return {
		{ "From", "Alice <alice@example.org>" },
		{ "To", "bob@example.net" },
		{ "Subject", subject or "Hello" },
	}
end

-- headers - each { name, value }, then end of header; miltertest puts
-- a blank before each value
function headers(conn, list)
	for _, h in ipairs(list) do
		step("header " .. h[1], mt.header(conn, h[1], h[2]))
		want_reply(conn, SMFIR_CONTINUE, "header " .. h[1])
	end
	step("eoh", mt.eoh(conn))
	want_reply(conn, SMFIR_CONTINUE, "end of header")
end

-- body - one body chunk, answered with want (continue)
function body(conn, text, want)
	step("body", mt.bodystring(conn, text))
	want_reply(conn, want or SMFIR_CONTINUE, "body chunk")
end

-- eom - end of message, answered with want
function eom(conn, want)
	step("eom", mt.eom(conn))
	want_reply(conn, want, "end of message")
end

-- message - a whole message: envelope(o), o.headers (or From, To and
-- o.subject), o.body, and end of message answered with o.reply
-- (continue, which at end of message means accept)
function message(conn, o)
	envelope(conn, o)
	headers(conn, o.headers or default_headers(o.subject))
	body(conn, o.body or "Body line 1\r\nBody line 2\r\n")
	eom(conn, o.reply or SMFIR_CONTINUE)
end

-- want - an end-of-message check (mt.eom_check) holds
function want(conn, what, op, ...)
	if not mt.eom_check(conn, op, ...) then
		fail("missing: " .. what)
	end
end

-- want_not - an end-of-message check does not hold
function want_not(conn, what, op, ...)
	if mt.eom_check(conn, op, ...) then
		fail("unexpected: " .. what)
	end
end

-- want_no_changes - no header, body or quarantine change came with
-- the last end of message (miltertest checks recipient changes only
-- for a given address)
function want_no_changes(conn)
	local ops = {
		{ MT_HDRADD, "added header" }, { MT_HDRINSERT, "inserted header" },
		{ MT_HDRCHANGE, "changed header" },
		{ MT_HDRDELETE, "deleted header" },
		{ MT_BODYCHANGE, "new body" }, { MT_QUARANTINE, "quarantine" },
	}
	for _, o in ipairs(ops) do
		if mt.eom_check(conn, o[1]) then
			fail("unexpected change: " .. o[2])
		end
	end
end

-- want_equal - got is wanted; else say where they first differ
function want_equal(what, got, wanted)
	if got == wanted then
		return
	end
	if type(got) ~= "string" or type(wanted) ~= "string" then
		fail(string.format("%s: got %s, expected %s", what,
		    tostring(got), tostring(wanted)))
		return
	end
	local i = 1
	while got:sub(i, i) == wanted:sub(i, i) do
		i = i + 1
	end
	fail(string.format("%s: differs at byte %d: got %q, expected %q",
	    what, i, got:sub(i, i + 40), wanted:sub(i, i + 40)))
end

-- dir_entries - how many entries directory dir holds now, leaving out
-- the name skip
local function dir_entries(dir, skip)
	local p = io.popen("ls -A '" .. dir .. "'")
	local n = 0
	for e in p:lines() do
		if e ~= skip then
			n = n + 1
		end
	end
	p:close()
	return n
end

-- spool_entries - how many work directories the spool holds now: its
-- entries but .runs, the directory of the filters' run directories
function spool_entries()
	return dir_entries(T .. "/spool", ".runs")
end

-- run_entries - how many run directories the spool's .runs holds now
-- that are not idle: an idle one (kept by the agent for the next run)
-- holds a recipients file and an empty tmp/, no message, nothing a run
-- made
function run_entries()
	local p = io.popen("cd '" .. T .. "/spool/.runs' && find . " ..
	    "-mindepth 2 | sed 's|^\\./||' | " ..
	    "grep -Ev '^[^/]+/(recipients|tmp)$' | cut -d/ -f1 | sort -u")
	local n = 0
	for _ in p:lines() do
		n = n + 1
	end
	p:close()
	return n
end

-- want_spool - the spool holds n work directories, and no run
-- directory in use: a scenario looks only between filter runs, and each
-- run directory is emptied when its run ends
function want_spool(n, when)
	want_equal("work directories " .. when, spool_entries(), n)
	want_equal("run directories " .. when, run_entries(), 0)
end

-- read_file - a whole file, or nil
function read_file(path)
	local f = io.open(path, "rb")
	if f == nil then
		return nil
	end
	local s = f:read("a")
	f:close()
	return s
end
