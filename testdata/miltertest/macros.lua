-- macros.lua - the MTA's macros and envelope reach the % substitutions
-- and the SLUICE_ variables: i is %q, {client_addr} (or else the
-- connection's address) %i, the client's name %h, HELO %H,
-- {auth_authen} %u; MAIL FROM's parameters reach SLUICE_MAIL_ARGS
-- log: MA1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")

local out = T .. "/out/macros"

-- seen - what the filter wrote down; then start afresh
local function seen()
	local s = read_file(out)
	os.remove(out)
	return s
end

scenario(function()
	-- the address only in the {client_addr} macro
	local conn = connect({ host = "client.example", addr = "unspec",
	    helo = "helo.example", macros = { "{client_addr}", "192.0.2.7" } })
	message(conn, { qid = "MA1", auth = "alice", from = "<alice@example.org>",
	    args = { "SIZE=4096", "BODY=8BITMIME" },
	    rcpt = { "<bob@example.net>", "<carol@example.net>" } })
	want_equal("what the filter saw", seen(), [[
arg=MA1
arg=192.0.2.7
arg=client.example
arg=helo.example
arg=alice
arg=alice@example.org
arg=bob@example.net
arg=carol@example.net
SLUICE_QUEUE_ID=MA1
SLUICE_CLIENT_ADDR=192.0.2.7
SLUICE_CLIENT_NAME=client.example
SLUICE_HELO=helo.example
SLUICE_AUTH_USER=alice
SLUICE_SENDER=alice@example.org
SLUICE_MAIL_ARGS=SIZE=4096 BODY=8BITMIME
SLUICE_RECIPIENTS=bob@example.net
carol@example.net
SLUICE_RULE=envelope
SLUICE_FILTER=look
]])
	mt.disconnect(conn)

	-- no macros: the address of the connection, no user, null sender
	conn = connect({ host = "other.example", addr = "198.51.100.9",
	    helo = "other-helo.example" })
	message(conn, { from = "<>", rcpt = { "<dave@example.net>" } })
	local s = seen()
	local qid = s:match("^arg=([^\n]*)\n")
	if qid == nil or qid == "" or qid == "-" then
		error("no queue id of sluice's own: " .. s)
	end
	want_equal("what the filter saw", s, "arg=" .. qid .. "\n" .. [[
arg=198.51.100.9
arg=other.example
arg=other-helo.example
arg=
arg=
arg=dave@example.net
]] .. "SLUICE_QUEUE_ID=" .. qid .. "\n" .. [[
SLUICE_CLIENT_ADDR=198.51.100.9
SLUICE_CLIENT_NAME=other.example
SLUICE_HELO=other-helo.example
SLUICE_AUTH_USER=
SLUICE_SENDER=
SLUICE_MAIL_ARGS=
SLUICE_RECIPIENTS=dave@example.net
SLUICE_RULE=envelope
SLUICE_FILTER=look
]])
	mt.disconnect(conn)
end)
