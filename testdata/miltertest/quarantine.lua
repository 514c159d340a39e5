-- quarantine.lua - quarantine: accepted and held, with the filter's
-- reason as the MTA's quarantine reason, and its header changes applied
-- log: QU1: rule=hold filter=hold exit=3 verdict=quarantine reason="held for review"
-- log: QU1: verdict=quarantine rule=hold reply="250 2.0.0 Ok: quarantined"
-- log: QU2: verdict=quarantine rule=quiet reply="250 2.0.0 Ok: quarantined"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	message(conn, { qid = "QU1", subject = "hold" })
	want(conn, "quarantine with the reason", MT_QUARANTINE,
	    "held for review")
	want(conn, "the header added by the filter", MT_HDRADD, "X-Held",
	    " yes")
	want_spool(0, "after a quarantine")

	message(conn, { qid = "QU2", subject = "quiet" })
	want(conn, "quarantine without a reason", MT_QUARANTINE,
	    "quarantined by sluice")
	want_not(conn, "a header", MT_HDRADD)
	mt.disconnect(conn)
end)
