-- unknown_command.lua - an SMTP command the MTA did not know (SMFIC_UNKNOWN),
-- before and inside a transaction; the session then goes on normally.
dofile(dir .. "/common.lua")
main(function()
  local conn = open()
  start_session(conn)
  unknown(conn, "XFROBNICATE now please")
  mail_from(conn, "sender@example.test")
  unknown(conn, "XBOGUS " .. string.rep("x", 2000))
  check_policy(conn)
  must("disconnect", mt.disconnect(conn))
end)
