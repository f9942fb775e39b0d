-- header_flood.lua - 5000 header fields in one message, five times the
-- daemon's bound on headers per message. The daemon may refuse the message
-- (temporary failure, never a silent cut) or not have asked for headers at
-- all, but it must answer and must not accept a message it only half read.
dofile(dir .. "/common.lua")
main(function()
  local conn = open()
  start_session(conn)
  mail_from(conn, "sender@example.test")
  must("rcptto", mt.rcptto(conn, "<ok@example.test>"))
  expect_reply(conn, "rcpt", SMFIR_CONTINUE)
  for i = 1, 5000 do
    header(conn, "X-Flood-" .. i, "value " .. i)
  end
  eoh(conn)
  must("eom", mt.eom(conn))
  local r = mt.getreply(conn)
  if r ~= SMFIR_TEMPFAIL and r ~= SMFIR_REPLYCODE and r ~= SMFIR_ACCEPT
     and r ~= SMFIR_CONTINUE then
    error("eom after the flood: unexpected reply " .. tostring(r))
  end
  mt.echo("eom after 5000 headers: " .. tostring(r))
  must("disconnect", mt.disconnect(conn))
end)
