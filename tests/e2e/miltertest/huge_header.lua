-- huge_header.lua - one header value of 200000 octets, three times the
-- daemon's bound on a header value, then a normal second message on the same
-- connection.
dofile(dir .. "/common.lua")
local conn = open()
start_session(conn)
mail_from(conn, "sender@example.test")
must("rcptto", mt.rcptto(conn, "<ok@example.test>"))
expect_reply(conn, "rcpt", SMFIR_CONTINUE)
must("huge header", mt.header(conn, "X-Huge", string.rep("A", 200000)))
must("eoh", mt.eoh(conn))
must("eom", mt.eom(conn))
mt.echo("eom after a 200000-octet header: " .. tostring(mt.getreply(conn)))
mail_from(conn, "sender@example.test")
check_policy(conn)
must("disconnect", mt.disconnect(conn))
