-- add-rcpt.lua - add-rcpt becomes SMFIR_ADDRCPT with angle brackets; a
-- recipient already there (compared without case) is not added again
-- log: AR1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "AR1", rcpt = { "<bob@example.net>" } })
	want(conn, "carol added", MT_RCPTADD, "<carol@example.net>")
	want_not(conn, "bob added again", MT_RCPTADD, "<BOB@example.net>")
	want_not(conn, "bob added again", MT_RCPTADD, "<bob@example.net>")
	want_no_changes(conn)
	mt.disconnect(conn)
end)
