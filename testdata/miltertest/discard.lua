-- discard.lua - discard: the MTA accepts the message and drops it
-- log: DI1: rule=drop filter=drop exit=2 verdict=discard reason="bulk"
-- log: DI1: verdict=discard rule=drop reply="250 2.0.0 Ok: discarded"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "DI1", reply = SMFIR_DISCARD })
	want_no_changes(conn)
	want_spool(0, "after a discard")
	mt.disconnect(conn)
end)
