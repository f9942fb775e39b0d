-- negotiate_arguments.lua - how miltertest's mt.negotiate must be called.
--
-- Debian 12's miltertest (opendkim 2.11.0~beta2, miltertest.c mt_negotiate)
-- checks lua_gettop(l) != 4: it takes exactly four arguments (conn, version,
-- protocol steps, actions) and raises "mt.negotiate(): Invalid argument"
-- for mt.negotiate(conn, nil, nil), whose third nil Lua does not pass. It
-- raises before writing anything, so the daemon sees no negotiation. An
-- uncaught script error is printed by miltertest only when the Lua stack
-- holds exactly the error; its Lua 5.2+ set-up pops one value more than it
-- pushes, so nothing is ever printed and the script "exits 1 silently".
-- Its man page names the arguments (conn, version, actions, steps); the code
-- reads the third as the SMFIP_* steps and the fourth as the SMFIF_* actions.
dofile(dir .. "/common.lua")

main(function()
  -- Two nils: refused by miltertest itself, nothing reaches the daemon...
  local conn = open()
  local ok, err = pcall(mt.negotiate, conn, nil, nil)
  if ok then error("mt.negotiate(conn, nil, nil) was accepted: miltertest changed") end
  if not string.find(tostring(err), "Invalid argument", 1, true) then
    error("mt.negotiate(conn, nil, nil): unexpected error " .. tostring(err))
  end
  -- ...so the same connection still negotiates and runs the policy.
  start_session(conn)
  mail_from(conn, "sender@example.test")
  check_policy(conn)
  must("disconnect", mt.disconnect(conn))

  -- Explicit version and masks, in the order the code reads them: version,
  -- protocol steps (SMFIP_*: every "no" and "no reply" step an MTA may
  -- grant), actions (SMFIF_*: every modification an MTA may allow).
  conn = open()
  local steps = SMFIP_NOUNKNOWN + SMFIP_NODATA + SMFIP_NOEOH + SMFIP_NOHDRS +
                SMFIP_NOBODY + SMFIP_NR_HDR + SMFIP_NR_BODY + SMFIP_SKIP +
                SMFIP_RCPT_REJ + SMFIP_NR_CONN + SMFIP_NR_HELO + SMFIP_NR_MAIL +
                SMFIP_NR_RCPT + SMFIP_NR_DATA + SMFIP_NR_UNKN + SMFIP_NR_EOH
  local actions = SMFIF_ADDHDRS + SMFIF_CHGBODY + SMFIF_ADDRCPT + SMFIF_DELRCPT +
                  SMFIF_CHGHDRS + SMFIF_QUARANTINE + SMFIF_CHGFROM +
                  SMFIF_ADDRCPT_PAR + SMFIF_SETSYMLIST
  must("negotiate 6, steps, actions", mt.negotiate(conn, 6, steps, actions))
  mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.test", "{daemon_name}", "e2e")
  must("conninfo", mt.conninfo(conn, "client.example.test", "127.0.0.1"))
  expect_reply(conn, "connect", SMFIR_CONTINUE)
  helo(conn, "client.example.test")
  if not mt.test_option(conn, SMFIP_NOHELO) then expect_reply(conn, "helo", SMFIR_CONTINUE) end
  mail_from(conn, "sender@example.test")
  check_policy(conn)
  must("disconnect", mt.disconnect(conn))
end)
