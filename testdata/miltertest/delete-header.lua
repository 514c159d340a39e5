-- delete-header.lua - delete-header becomes SMFIR_CHGHEADER without a
-- value; deleting a field that is not there sends nothing
-- log: DH1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	local h = default_headers()
	table.insert(h, 1, { "Received", "from a.example by b.example" })
	table.insert(h, 1, { "Received", "from c.example by d.example" })
	table.insert(h, { "X-A", "one" })
	table.insert(h, { "X-A", "two" })
	message(conn, { qid = "DH1", headers = h })
	want(conn, "X-A deleted", MT_HDRDELETE, "X-A")
	want(conn, "Received deleted", MT_HDRDELETE, "Received")
	want_not(conn, "X-Missing deleted", MT_HDRDELETE, "X-Missing")
	want_not(conn, "Subject deleted", MT_HDRDELETE, "Subject")
	want_not(conn, "an added header", MT_HDRADD)
	mt.disconnect(conn)
end)
