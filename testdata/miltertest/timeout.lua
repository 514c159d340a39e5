-- timeout.lua - a filter that runs past its timeout is an error, and
-- on_error (tempfail by default) defers the message
-- log: TO1: rule=hang filter=hang timeout after 500ms verdict=error (error)
-- log: TO1: filter=hang error: timed out after 500 ms and was killed
-- log: TO1: verdict=tempfail rule=hang reply="451 4.7.1 Message deferred, please try again later"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "TO1", reply = SMFIR_REPLYCODE })
	want(conn, "the tempfail reply", MT_SMTPREPLY, "451", "4.7.1",
	    "Message deferred, please try again later")
	want_no_changes(conn)
	want_spool(0, "after the tempfail")
	mt.disconnect(conn)
end)
