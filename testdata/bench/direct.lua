-- direct.lua - "make bench", direct part: messages over one milter
-- connection, as fast as the milter answers them
--
-- Run by testdata/bench/direct as
--   miltertest -D SOCK=SPEC -D N=COUNT -D SIZE=BYTES -s direct.lua
-- One connection (CONNECT, HELO), then COUNT messages one after the
-- other on it: MAIL FROM with a queue id macro, one RCPT TO, DATA,
-- five header fields, a body of about SIZE bytes in one chunk, end of
-- message, which must be answered with continue or accept.  Prints
-- "ok COUNT", or "FAIL: ..." and exits 1 at the first unexpected
-- answer (the figure would mean nothing).
local n = tonumber(N)
local size = tonumber(SIZE)
local line = string.rep("x", 76) .. "\r\n"
local body = string.rep(line, math.max(1, size // #line))

-- step - a miltertest call returned nil (success), and the milter's
-- reply is one of those wanted
local function step(conn, what, r, ...)
	if r ~= nil then
		error(what .. ": " .. tostring(r))
	end
	local got = mt.getreply(conn)
	for _, w in ipairs({ ... }) do
		if got == w then
			return
		end
	end
	error(what .. ": reply " .. tostring(got))
end

local ok, err = pcall(function()
	local conn = mt.connect(SOCK, 40, 0.05)
	if conn == nil then
		error("cannot connect to " .. SOCK)
	end
	step(conn, "CONNECT", mt.conninfo(conn, "client.example",
	    "192.0.2.7"), SMFIR_CONTINUE)
	step(conn, "HELO", mt.helo(conn, "client.example"), SMFIR_CONTINUE)
	local nodata = mt.test_option(conn, SMFIP_NODATA)
	for i = 1, n do
		mt.macro(conn, SMFIC_MAIL, "i", string.format("B%08d", i))
		step(conn, "MAIL", mt.mailfrom(conn, "<bench@example.org>"),
		    SMFIR_CONTINUE)
		step(conn, "RCPT", mt.rcptto(conn, "<sink@example.net>"),
		    SMFIR_CONTINUE)
		if not nodata then
			step(conn, "DATA", mt.data(conn), SMFIR_CONTINUE)
		end
		step(conn, "From", mt.header(conn, "From",
		    "<bench@example.org>"), SMFIR_CONTINUE)
		step(conn, "To", mt.header(conn, "To", "<sink@example.net>"),
		    SMFIR_CONTINUE)
		step(conn, "Subject", mt.header(conn, "Subject",
		    "bench " .. i), SMFIR_CONTINUE)
		step(conn, "Message-ID", mt.header(conn, "Message-ID",
		    string.format("<%d.bench@example.org>", i)),
		    SMFIR_CONTINUE)
		step(conn, "Date", mt.header(conn, "Date",
		    "Fri, 4 Dec 2026 12:00:00 +0000"), SMFIR_CONTINUE)
		step(conn, "EOH", mt.eoh(conn), SMFIR_CONTINUE)
		step(conn, "body", mt.bodystring(conn, body), SMFIR_CONTINUE)
		step(conn, "EOM", mt.eom(conn), SMFIR_CONTINUE,
		    SMFIR_ACCEPT)
	end
	mt.disconnect(conn)
end)
if not ok then
	print("FAIL: " .. tostring(err))
	os.exit(1)
end
print("ok " .. n)
