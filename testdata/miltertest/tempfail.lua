-- tempfail.lua - tempfail: the configured 4xx reply with the reason
-- log: TF1: rule=grey filter=grey exit=75 verdict=tempfail reason="greylisted, come back later"
-- log: TF1: verdict=tempfail rule=grey reply="451 4.7.1 Message deferred, please try again later: greylisted, come back later"
-- log: TF2: verdict=tempfail rule=busy reply="450 4.3.2 Busy: 3 scans waiting"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "TF1", subject = "grey", reply = SMFIR_REPLYCODE })
	want(conn, "the default tempfail reply with the reason", MT_SMTPREPLY,
	    "451", "4.7.1",
	    "Message deferred, please try again later: greylisted, come back later")
	want_no_changes(conn)
	want_spool(0, "after a tempfail")

	message(conn, { qid = "TF2", subject = "busy", reply = SMFIR_REPLYCODE })
	want(conn, "the filter's tempfail_reply", MT_SMTPREPLY,
	    "450", "4.3.2", "Busy: 3 scans waiting")
	mt.disconnect(conn)
end)
