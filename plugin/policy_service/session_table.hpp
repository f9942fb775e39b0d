// SPDX-License-Identifier: Apache-2.0
// session_table.hpp - the SMTP sessions the policy service is following.
//
// Postfix sends no "session started/ended" request: each request names its
// SMTP session by the client and server address and port (client_address,
// client_port, server_address, server_port: one TCP connection to smtpd),
// and its message by `instance`. The table maps that identity to an Entry
// (the engine's Session for the SMTP session and what the responder has
// replayed of it), so that requests reaching the service over any of its
// connections (Postfix reconnects after smtpd_policy_service_max_ttl) find
// the same state.
//
// Bounds: at most `capacity` entries; the least recently used one is dropped
// to make room, and entries unused for `idle` are dropped when met and by
// sweep(). Dropping an entry only forgets where a session was: its next
// request starts a new Session (connection-scoped rules run again for it).
// evictions() counts the entries dropped while still fresh (capacity too
// small for the traffic). An entry pins the Policy its Session began with:
// after a reload the old policy is freed when the last session begun under
// it is dropped, at most `idle` after that session's last request.
//
// Thread contract: find() is safe from any thread; an Entry is used under its
// own mutex (the responder locks it for a whole request, so the requests of
// one SMTP session never run at once even from two service connections).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "observability/recorder.hpp"
#include "policy/session.hpp"

namespace mv::policy_service {

struct Entry {
    std::mutex mu;
    std::unique_ptr<policy::Session> session;  // null until the first request
    // Logs and counts the session's verdicts (observability/recorder.hpp).
    observability::SessionRecorder recorder;
    // What the responder has replayed (responder.cpp).
    bool connected = false;         // connect() ran
    bool in_message = false;        // mail() ran for the current message
    std::string instance;           // Postfix's instance of the current message
    bool instance_pending = false;  // message begun at a MAIL request (no instance yet)
    std::size_t rcpts = 0;          // rcpt() calls in this message
    bool data_done = false;
    bool conn_accepted = false, msg_accepted = false;
    std::size_t headers_sent = 0;  // PREPENDs answered in this message
    bool bound_logged = false;     // the recipient bound's line is logged for this message
    // The last request answered, for a repeat (two restriction lists asking
    // at the same command): its key and its action.
    std::string last_key, last_action;

    // A new SMTP session (everything but the mutex, which the caller holds).
    void reset() {
        session.reset();
        recorder = observability::SessionRecorder();
        connected = in_message = instance_pending = data_done = false;
        conn_accepted = msg_accepted = false;
        instance.clear();
        rcpts = headers_sent = 0;
        bound_logged = false;
        last_key.clear();
        last_action.clear();
    }

    void start_message(const std::string& inst) {
        in_message = true;
        instance = inst;
        instance_pending = inst.empty();
        rcpts = 0;
        data_done = false;
        msg_accepted = false;
        headers_sent = 0;
        bound_logged = false;
    }
};

class SessionTable {
  public:
    SessionTable(std::size_t capacity, std::chrono::seconds idle)
        : capacity_(capacity), idle_(idle) {}

    // The entry of `key` (created when new or expired), marked used at `now`.
    std::shared_ptr<Entry> find(const std::string& key, std::chrono::steady_clock::time_point now);

    // Drops the entries unused for `idle` (the oldest first).
    void sweep(std::chrono::steady_clock::time_point now);

    std::size_t size() const;
    std::size_t evictions() const;

  private:
    struct Slot {
        std::shared_ptr<Entry> entry;
        std::chrono::steady_clock::time_point used;
        std::list<std::string>::iterator lru;
    };
    mutable std::mutex mu_;
    std::unordered_map<std::string, Slot> map_;
    std::list<std::string> lru_;  // most recent first
    std::size_t capacity_;
    std::chrono::seconds idle_;
    std::size_t evictions_ = 0;
};

}  // namespace mv::policy_service
