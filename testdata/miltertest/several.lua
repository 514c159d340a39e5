-- several.lua - one connection, six messages, a different verdict in a
-- row; nothing of one message carries over to the next
-- log: SV1: verdict=accept reply="250 2.0.0 Ok"
-- log: SV2: verdict=reject rule=reject reply="550 5.7.1 Message rejected: no thanks"
-- log: SV3: verdict=tempfail rule=tempfail reply="451 4.7.1 Message deferred, please try again later"
-- log: SV4: verdict=accept reply="250 2.0.0 Ok"
-- log: SV5: verdict=discard rule=discard reply="250 2.0.0 Ok: discarded"
-- log: SV6: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "SV1", subject = "plain" })
	want_no_changes(conn)
	want_spool(0, "after message 1")

	message(conn, { qid = "SV2", subject = "reject",
	    reply = SMFIR_REPLYCODE })
	want(conn, "the reject reply", MT_SMTPREPLY, "550", "5.7.1",
	    "Message rejected: no thanks")
	want_spool(0, "after message 2")

	message(conn, { qid = "SV3", subject = "tempfail",
	    reply = SMFIR_REPLYCODE })
	want(conn, "the tempfail reply", MT_SMTPREPLY, "451", "4.7.1",
	    "Message deferred, please try again later")
	want_spool(0, "after message 3")

	message(conn, { qid = "SV4", subject = "tag" })
	want(conn, "the tag", MT_HDRADD, "X-Tagged", " yes")
	want_spool(0, "after message 4")

	message(conn, { qid = "SV5", subject = "discard",
	    reply = SMFIR_DISCARD })
	want_no_changes(conn)
	want_spool(0, "after message 5")

	message(conn, { qid = "SV6", subject = "plain again" })
	want_no_changes(conn)
	want_spool(0, "after message 6")
	mt.disconnect(conn)
end)
