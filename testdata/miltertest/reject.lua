-- reject.lua - reject: the configured 5xx reply with the filter's reason
-- log: RJ1: rule=spam filter=spam exit=1 verdict=reject reason="Spam score 12.5"
-- log: RJ1: verdict=reject rule=spam reply="550 5.7.1 Message rejected: Spam score 12.5"
-- log: RJ2: verdict=reject rule=policy reply="554 5.7.0 Go away: Listed in a blocklist"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "RJ1", subject = "spam", reply = SMFIR_REPLYCODE })
	want(conn, "the default reject reply with the reason", MT_SMTPREPLY,
	    "550", "5.7.1", "Message rejected: Spam score 12.5")
	want_no_changes(conn)
	want_spool(0, "after a reject")

	message(conn, { qid = "RJ2", subject = "policy",
	    reply = SMFIR_REPLYCODE })
	want(conn, "the filter's reject_reply", MT_SMTPREPLY,
	    "554", "5.7.0", "Go away: Listed in a blocklist")
	mt.disconnect(conn)
end)
