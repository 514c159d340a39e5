-- too-big.lua - message_max = 2K: a message of 2048 bytes as stored (LF
-- line ends) is filtered, one of 2049 bytes is rejected with 552 5.3.4
-- at its end of message (sluice asks the MTA not to wait for answers to
-- body chunks, so the reject it decided on when the body passed the
-- limit waits for the end); the next message is handled.
-- miltertest checks the text of end-of-message replies only: its trace
-- shows the length of this one, "552 5.3.4 Message size exceeds fixed
-- maximum message size" and a NUL.  The reject is logged like every
-- other line of a message: with the MTA's queue id, the i macro, which
-- MTAs send with MAIL FROM.
-- trace: mt_milter_read(3): cmd y, len 58
-- log: TB1: verdict=accept reply="250 2.0.0 Ok"
-- log: TB2: verdict=reject size over message_max (2048)
-- log: TB3: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")

-- big_body - n bytes as stored: lines of 99 x and one shorter line
local function big_body(n)
	local lines = {}
	while n > 100 do
		table.insert(lines, string.rep("x", 99) .. "\r\n")
		n = n - 100
	end
	table.insert(lines, string.rep("y", n - 1) .. "\r\n")
	return table.concat(lines)
end

-- "Subject: big\n" and the empty line: 14 bytes
local hdr = { { "Subject", "big" } }

scenario(function()
	local conn = connect()
	message(conn, { qid = "TB1", headers = hdr, body = big_body(2048 - 14) })
	want(conn, "the header", MT_HDRADD, "X-Seen", " yes")

	envelope(conn, { qid = "TB2" })
	headers(conn, hdr)
	body(conn, big_body(1000))
	if not mt.test_option(conn, SMFIP_NR_BODY) then
		error("sluice did not ask miltertest for SMFIP_NR_BODY")
	end
	body(conn, big_body(2049 - 14 - 1000))
	body(conn, big_body(500))
	eom(conn, SMFIR_REPLYCODE)
	want_spool(0, "after the reject")

	message(conn, { qid = "TB3", headers = hdr, body = big_body(100) })
	want(conn, "the header", MT_HDRADD, "X-Seen", " yes")
	mt.disconnect(conn)
end)
