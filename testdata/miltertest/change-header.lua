-- change-header.lua - change-header becomes SMFIR_CHGHEADER; a field
-- that is not there is added instead
-- log: CH1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	local h = default_headers()
	table.insert(h, { "X-A", "one" })
	table.insert(h, { "X-A", "two" })
	message(conn, { qid = "CH1", headers = h })
	want(conn, "Subject changed", MT_HDRCHANGE, "Subject", " Changed")
	want(conn, "X-A[2] changed", MT_HDRCHANGE, "X-A", " second")
	want(conn, "X-Absent added", MT_HDRADD, "X-Absent", " new")
	want_not(conn, "X-Absent changed", MT_HDRCHANGE, "X-Absent")
	want_not(conn, "a deleted header", MT_HDRDELETE)
	mt.disconnect(conn)
end)
