-- change-sender.lua - change-sender becomes SMFIR_CHGFROM.  miltertest
-- has no check for it: its trace shows the packet, and its length tells
-- the address ("<bounces@example.org>" and a NUL: 22; "<>" and a NUL: 3).
-- log: CS1: verdict=accept reply="250 2.0.0 Ok"
-- log: CS2: verdict=accept reply="250 2.0.0 Ok"
-- trace: mt_milter_read(3): cmd e, len 22
-- trace: mt_milter_read(3): cmd e, len 3
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "CS1", subject = "bounces" })
	want_no_changes(conn)
	message(conn, { qid = "CS2", subject = "null" })
	want_no_changes(conn)
	mt.disconnect(conn)
end)
