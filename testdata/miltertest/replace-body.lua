-- replace-body.lua - a replacement message becomes SMFIR_REPLBODY with
-- CRLF line ends, and its header fields replace the old ones
-- log: RB1: rule=rewrite filter=rewrite exit=0 verdict=continue
-- log: RB1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "RB1" })
	want(conn, "the new body", MT_BODYCHANGE,
	    "The body was replaced.\r\nSecond line.\r\n")
	-- in milter terms every old field goes and every new one comes
	want(conn, "the old Subject deleted", MT_HDRDELETE, "Subject")
	want(conn, "the new Subject added", MT_HDRADD, "Subject", " Hello")
	want(conn, "X-Rewritten added", MT_HDRADD, "X-Rewritten", " yes")
	mt.disconnect(conn)
end)
