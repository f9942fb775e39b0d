-- healthy.lua - the daemon is up and evaluates policy on a new connection:
-- a complete, ordinary transaction. The harness runs it after every odd case.
dofile(dir .. "/common.lua")
local conn = open()
start_session(conn)
mail_from(conn, "sender@example.test")
check_policy(conn)
must("header", mt.header(conn, "Subject", "e2e healthy"))
must("eoh", mt.eoh(conn))
must("body", mt.bodystring(conn, "hello\r\n"))
must("eom", mt.eom(conn))
expect_passed(conn, "eom")
must("disconnect", mt.disconnect(conn))
