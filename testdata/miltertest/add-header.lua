-- add-header.lua - add-header becomes one SMFIR_ADDHEADER each, in order
-- log: AH1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "AH1" })
	want(conn, "X-Sluice-Test: yes", MT_HDRADD, "X-Sluice-Test", " yes")
	want(conn, "X-Multi: one", MT_HDRADD, "X-Multi", " one")
	-- blanks after the colon are dropped
	want(conn, "X-Multi: two", MT_HDRADD, "X-Multi", " two")
	want_not(conn, "a changed header", MT_HDRCHANGE)
	want_not(conn, "an inserted header", MT_HDRINSERT)
	mt.disconnect(conn)
end)
