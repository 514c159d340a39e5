-- delete-rcpt.lua - delete-rcpt becomes SMFIR_DELRCPT for every
-- recipient equal to the address without regard to case
-- (sluice-filters(7)).  The MTA removes only a recipient that matches
-- exactly (libmilter's smfi_delrcpt; Postfix compares with strcmp), so
-- each must be named as the MTA gave it, whatever case the filter used.
-- log: DR1: verdict=accept reply="250 2.0.0 Ok"
-- log: DR2: verdict=accept reply="250 2.0.0 Ok"
-- log: DR3: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	local rcpt = { "<bob@example.net>", "<Carol@Example.net>" }
	message(conn, { qid = "DR1", rcpt = rcpt, subject = "bob" })
	want(conn, "bob deleted", MT_RCPTDELETE, "<bob@example.net>")
	want_not(conn, "carol deleted", MT_RCPTDELETE, "<Carol@Example.net>")

	message(conn, { qid = "DR2", rcpt = rcpt, subject = "carol" })
	want(conn, "<Carol@Example.net> deleted", MT_RCPTDELETE,
	    "<Carol@Example.net>")
	want_not(conn, "bob deleted", MT_RCPTDELETE, "<bob@example.net>")

	message(conn, { qid = "DR3", subject = "dave",
	    rcpt = { "<Dave@example.net>", "<dave@example.net>" } })
	want(conn, "<Dave@example.net> deleted", MT_RCPTDELETE,
	    "<Dave@example.net>")
	want(conn, "<dave@example.net> deleted", MT_RCPTDELETE,
	    "<dave@example.net>")
	mt.disconnect(conn)
end)
