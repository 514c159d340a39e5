-- prefix-subject.lua - the Subject is changed, or added when missing
-- log: PS1: verdict=accept reply="250 2.0.0 Ok"
-- log: PS2: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "PS1", subject = "Cheap pills" })
	want(conn, "the prefixed Subject", MT_HDRCHANGE, "Subject",
	    " [SPAM] Cheap pills")
	want_not(conn, "an added Subject", MT_HDRADD, "Subject")

	message(conn, { qid = "PS2", headers = {
	    { "From", "Alice <alice@example.org>" } } })
	want(conn, "an added Subject", MT_HDRADD, "Subject", " [SPAM]")
	want_not(conn, "a changed Subject", MT_HDRCHANGE, "Subject")
	mt.disconnect(conn)
end)
