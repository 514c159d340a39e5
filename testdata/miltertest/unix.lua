-- unix.lua - the unix socket of milter_listen ("unix:milter.sock", under
-- run_dir) serves like the TCP one
-- log: UX1: verdict=accept reply="250 2.0.0 Ok"
-- log: UX2: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect({ socket = UNIX })
	message(conn, { qid = "UX1" })
	want(conn, "the header", MT_HDRADD, "X-Via", " unix")
	message(conn, { qid = "UX2" })
	want(conn, "the header", MT_HDRADD, "X-Via", " unix")
	mt.disconnect(conn)
end)
