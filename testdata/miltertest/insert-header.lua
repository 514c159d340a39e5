-- insert-header.lua - insert-header N becomes SMFIR_INSHEADER at index N
-- log: IH1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "IH1" })
	want(conn, "X-Top at index 0", MT_HDRINSERT, "X-Top", " top", 0)
	want(conn, "X-Mid at index 2", MT_HDRINSERT, "X-Mid", " mid", 2)
	want(conn, "X-End at index 10000", MT_HDRINSERT, "X-End", " end", 10000)
	want_not(conn, "an added header", MT_HDRADD)
	mt.disconnect(conn)
end)
