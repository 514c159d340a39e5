-- message.lua - the message file a filter reads: header fields as the
-- MTA sent them, a folded one with LF, an empty line, the body with
-- CRLF turned into LF even across chunks, and a lone CR kept
-- log: MS1: verdict=accept reply="250 2.0.0 Ok"
dofile(DIR .. "/common.lua")
scenario(function()
	local conn = connect()
	envelope(conn, { qid = "MS1" })
	headers(conn, {
		{ "Received", "from a.example\r\n\tby b.example" },
		{ "From", "Alice <alice@example.org>" },
		{ "Subject", "Hello" },
	})
	body(conn, "line 1\r")
	body(conn, "\nline 2\r\nbare\rCR\r\n")
	body(conn, "last line without an end")
	eom(conn, SMFIR_CONTINUE)
	want_equal("the message file", read_file(T .. "/out/message"),
	    "Received: from a.example\n\tby b.example\n" ..
	    "From: Alice <alice@example.org>\n" ..
	    "Subject: Hello\n" ..
	    "\n" ..
	    "line 1\nline 2\nbare\rCR\nlast line without an end")
	mt.disconnect(conn)
end)
