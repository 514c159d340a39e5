-- disconnect.lua - connections that end in the middle of a message, with
-- QUIT after the header and dropped without a word after the body: no
-- filter runs, and (the runner checks) no work directory is left
-- nolog: DC1:
-- nolog: DC2:
-- log: DC3: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	envelope(conn, { qid = "DC1" })
	headers(conn, default_headers())
	want_spool(1, "while the first message comes in")
	mt.disconnect(conn)

	conn = connect()
	envelope(conn, { qid = "DC2" })
	headers(conn, default_headers())
	body(conn, "half a body\r\n")
	mt.disconnect(conn, false)

	conn = connect()
	message(conn, { qid = "DC3" })
	want(conn, "the header", MT_HDRADD, "X-Seen", " yes")
	mt.disconnect(conn)
end)
