-- abort.lua - the MTA aborts a message after its body: no filter runs,
-- its work directory goes, and the next message on the connection is
-- handled as usual
-- nolog: AB1:
-- nolog: AB2:
-- log: AB3: verdict=accept reply="250 2.0.0 Ok"
-- log: AB4: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	envelope(conn, { qid = "AB1" })
	headers(conn, default_headers())
	body(conn, "a body that will never end\r\n")
	want_spool(1, "while the message comes in")
	assert(mt.abort(conn) == nil, "abort")
	-- an abort has no reply; the reply to the next command tells that
	-- it was handled
	assert(mt.unknown(conn, "NOOP") == nil, "unknown command")
	want_spool(0, "after the abort")

	envelope(conn, { qid = "AB2" })
	want_spool(1, "after MAIL FROM")
	assert(mt.abort(conn) == nil, "abort")
	assert(mt.unknown(conn, "NOOP") == nil, "unknown command")
	want_spool(0, "after the second abort")

	message(conn, { qid = "AB3" })
	want(conn, "the header of the message after the aborts", MT_HDRADD,
	    "X-Seen", " yes")
	want_spool(0, "after end of message")

	message(conn, { qid = "AB4" })
	want(conn, "the header of the next message", MT_HDRADD, "X-Seen",
	    " yes")
	mt.disconnect(conn)
end)
