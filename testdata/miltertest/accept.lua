-- accept.lua - accept: the message goes on unchanged, no reply text
-- log: AC1: rule=pass filter=ok exit=4 verdict=accept
-- log: AC1: verdict=accept rule=pass reply="250 2.0.0 Ok"
-- nolog: filter=never
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "AC1", reply = SMFIR_CONTINUE })
	want_no_changes(conn)
	want_spool(0, "after end of message")
	mt.disconnect(conn)
end)
