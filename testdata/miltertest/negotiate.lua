-- negotiate.lua - an MTA that does not allow a change the configuration
-- may need (here: change sender) is refused at negotiation, with a log
-- line that names it; an MTA that allows everything is served.
-- (miltertest's mt.negotiate takes the protocol options third and the
-- actions fourth.)
-- log: milter: the MTA does not allow change sender, which the configuration may need; refusing the connection
-- log: NG1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = mt.connect(INET)
	assert(conn ~= nil, "connect")
	local actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY |
	    SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE
	local r = mt.negotiate(conn, nil, nil, actions)
	if r == nil then
		error("negotiation without change sender succeeded")
	end
	mt.disconnect(conn, false)

	conn = connect()
	message(conn, { qid = "NG1" })
	want(conn, "the header", MT_HDRADD, "X-Seen", " yes")
	mt.disconnect(conn)
end)
