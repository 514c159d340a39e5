-- address-rules.lua - address rules alone, no filter: a redirect is
-- SMFIR_DELRCPT and SMFIR_ADDRCPT, add_header SMFIR_ADDHEADER
-- log: AD1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "AD1",
	    rcpt = { "<old@example.net>", "<keep@example.net>" } })
	want(conn, "old deleted", MT_RCPTDELETE, "<old@example.net>")
	want(conn, "new added", MT_RCPTADD, "<new@example.net>")
	want(conn, "archive added", MT_RCPTADD, "<archive@example.org>")
	want_not(conn, "keep deleted", MT_RCPTDELETE, "<keep@example.net>")
	want(conn, "the header", MT_HDRADD, "X-Routed", " by address rule")
	mt.disconnect(conn)
end)
