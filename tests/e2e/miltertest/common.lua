-- common.lua - shared helpers for the protocol scripts (loaded with dofile).
--
-- The harness runs: miltertest -D sock=SOCKET -D dir=THIS_DIR -s SCRIPT.lua
-- Every helper raises a Lua error (miltertest exits non-zero) on a failed
-- step, so a script either completes every check or fails with a message.

mt.set_timeout(10)

-- miltertest exits 1 on a Lua error without saying which; main() runs the
-- script body and prints the error first, so the harness can show it.
function main(body)
  local ok, err = pcall(body)
  if not ok then
    mt.echo("FAILED: " .. tostring(err))
    os.exit(1)
  end
end

-- Steps the daemon negotiated away (SMFIP_NO*) are not sent: miltertest
-- refuses them, and so does a real MTA. skipped() logs which, so a run shows
-- what a script could exercise against this daemon's negotiation.
function skipped(conn, flag, what)
  if mt.test_option(conn, flag) then
    if not skip_logged[what] then mt.echo(what .. " negotiated away: not sent") end
    skip_logged[what] = true
    return true
  end
  return false
end
skip_logged = {}

function header(conn, name, value)
  if skipped(conn, SMFIP_NOHDRS, "headers") then return end
  must("header " .. name, mt.header(conn, name, value))
end

function eoh(conn)
  if skipped(conn, SMFIP_NOEOH, "end of headers") then return end
  must("eoh", mt.eoh(conn))
end

function body(conn, text)
  if skipped(conn, SMFIP_NOBODY, "body") then return end
  must("body", mt.bodystring(conn, text))
end

function unknown(conn, text)
  if skipped(conn, SMFIP_NOUNKNOWN, "unknown commands") then return end
  must("unknown", mt.unknown(conn, text))
end

function helo(conn, name)
  if skipped(conn, SMFIP_NOHELO, "HELO") then return end
  must("helo", mt.helo(conn, name))
end

function open()
  local conn = mt.connect(sock, 20, 0.25)
  if conn == nil then error("cannot connect to " .. sock) end
  return conn
end

function must(what, err)
  if err ~= nil then error(what .. " failed: " .. tostring(err)) end
end

function expect_reply(conn, what, want)
  local got = mt.getreply(conn)
  if got ~= want then
    error(string.format("%s: reply %q, expected %q", what, tostring(got), tostring(want)))
  end
end

-- At end of message libmilter sends SMFIR_CONTINUE or SMFIR_ACCEPT for a
-- message that goes through, depending on what the callback returned.
function expect_passed(conn, what)
  local got = mt.getreply(conn)
  if got ~= SMFIR_CONTINUE and got ~= SMFIR_ACCEPT then
    error(string.format("%s: reply %q, expected continue or accept", what, tostring(got)))
  end
end

-- connect + HELO + MAIL as a well-behaved MTA would send them.
function start_session(conn)
  must("negotiate", mt.negotiate(conn, nil, nil, nil))
  mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.test", "{daemon_name}", "e2e")
  must("conninfo", mt.conninfo(conn, "client.example.test", "127.0.0.1"))
  expect_reply(conn, "connect", SMFIR_CONTINUE)
  if not skipped(conn, SMFIP_NOHELO, "HELO") then
    must("helo", mt.helo(conn, "client.example.test"))
    expect_reply(conn, "helo", SMFIR_CONTINUE)
  end
end

function mail_from(conn, sender)
  mt.macro(conn, SMFIC_MAIL, "i", "E2E0001")
  must("mailfrom", mt.mailfrom(conn, "<" .. sender .. ">"))
  expect_reply(conn, "mail", SMFIR_CONTINUE)
end

-- The policy answers: blocked@ is refused with a reply code, ok@ continues.
function check_policy(conn)
  must("rcptto blocked", mt.rcptto(conn, "<blocked@example.test>"))
  expect_reply(conn, "rcpt blocked@example.test", SMFIR_REPLYCODE)
  must("rcptto ok", mt.rcptto(conn, "<ok@example.test>"))
  expect_reply(conn, "rcpt ok@example.test", SMFIR_CONTINUE)
end
