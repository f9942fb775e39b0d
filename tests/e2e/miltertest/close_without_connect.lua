-- close_without_connect.lua - sessions that end before SMFIC_CONNECT: after
-- negotiation only (SMFIC_QUIT with no connection context), and an abrupt
-- close without even negotiating. libmilter then calls xxfi_close with no
-- private data; the daemon must cope.
dofile(dir .. "/common.lua")
main(function()
  local conn = open()
  must("negotiate", mt.negotiate(conn, nil, nil, nil))
  must("polite disconnect", mt.disconnect(conn, true))
  conn = open()
  must("abrupt disconnect", mt.disconnect(conn, false))
end)
