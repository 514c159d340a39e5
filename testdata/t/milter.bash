# milter.bash - one message through a milter, for the shell suites
#
# Sourced by suites that check a running sluiced in milter mode.  Needs
# $T (the suite's directory) and miltertest.

# mt_probe - one message through the milter at spec (a miltertest
# connection string such as inet:PORT@127.0.0.1 or unix:PATH); true
# when the filters added the header field name with the value.  The Lua
# script is $T/probe.lua; miltertest's output is added to $T/trace.
mt_probe() {	# spec name value
	cat >"$T/probe.lua" <<-EOF
	local ok, err = pcall(function()
	local conn = mt.connect("$1")
	assert(conn, "connect")
	assert(mt.conninfo(conn, "client.test", "192.0.2.1") == nil)
	assert(mt.helo(conn, "client.test") == nil)
	assert(mt.mailfrom(conn, "<a@example.org>") == nil)
	assert(mt.rcptto(conn, "<b@example.net>") == nil)
	if mt.test_option(conn, SMFIP_NODATA) == false then
		assert(mt.data(conn) == nil)
	end
	assert(mt.header(conn, "Subject", "probe") == nil)
	assert(mt.eoh(conn) == nil)
	assert(mt.bodystring(conn, "body\r\n") == nil)
	assert(mt.eom(conn) == nil)
	assert(mt.eom_check(conn, MT_HDRADD, "$2", " $3"), "no header $2")
	mt.disconnect(conn)
	end)
	if not ok then print("ERROR: " .. tostring(err)); os.exit(1) end
	EOF
	miltertest -s "$T/probe.lua" >>"$T/trace" 2>&1
}
