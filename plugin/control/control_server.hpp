// SPDX-License-Identifier: Apache-2.0
// control_server.hpp - the local control socket: the running daemon's embedded
// store, read and cleared by `milter-verdict state` without touching its file.
//
// Where: `state.control_socket` in the configuration, by default `control`
// in the state file's directory (/var/lib/milter-verdict/control); none when
// both the file and the setting are "" (control_socket_path()). The daemon
// opens it after dropping privileges when the backend is "memory" and the
// policy at start uses a store or the setting names a path; a failure is a
// warning, never a reason not to run. The socket is mode 0600, owned by the
// daemon user, and a peer must be that user or root (SO_PEERCRED). A stale
// socket left by a crash is replaced; a live one (another daemon answers) or
// anything that is not a socket at the path is an error.
//
// Protocol: one request per connection. The client sends one line (at most
// kMaxRequest bytes, ending in LF); keys and patterns are percent-encoded as
// in the state file (state_file.hpp), KINDS is any of g c r (e.g. "gc"):
//   list KINDS PATTERN LIMIT   records selected (key_pattern.hpp), at most LIMIT
//   get KIND:KEY               the one record
//   delete KIND:KEY            removes it
//   flush KINDS PATTERN        removes every record selected
// PATTERN "*" selects everything. The daemon answers zero or more record
// lines in the state file's format ("g KEY EXPIRES FIRST PASSED"), then
// "ok N" (records listed or removed; `get` and `delete` of an absent key:
// "ok 0") or "error TEXT", and closes. A request that does not arrive whole
// within 5 s, or an answer not read within 5 s, ends the connection.
//
// Bounds: one thread serves one connection at a time (an admin's tool, not a
// service); a list answers at most kMaxList records.
//
// Call order: start() after the privilege drop; the destructor stops the
// thread (within ~0.2 s, or a connection's 5 s timeouts) and removes the socket.
//
// Thread contract: `store` is called on the server's thread and must be
// safe against the daemon's reloads (the daemon guards it with its switch lock).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "state/state_settings.hpp"
#include "state/store.hpp"

namespace mv::control {

inline constexpr std::size_t kMaxRequest = 65536;
inline constexpr std::size_t kMaxList = 100000;

// The control socket's path for these settings ("" = none).
std::string control_socket_path(const state::StateSettings& settings);

// One request line (without LF) against `store` (nullptr: no store); the
// whole answer, ending "ok N\n" or "error TEXT\n".
std::string answer_request(const std::string& line, state::Store* store);

class ControlServer {
  public:
    using StoreGetter = std::function<std::shared_ptr<state::Store>()>;
    // nullptr and `error` ("control socket PATH: ...") on failure.
    static std::unique_ptr<ControlServer> start(const std::string& path, StoreGetter store,
                                                std::string& error);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

  private:
    ControlServer(std::string path, StoreGetter store, int fd, int wake_read, int wake_write);
    void run();
    void serve(int client);

    std::string path_;
    StoreGetter store_;
    int fd_;
    int wake_read_, wake_write_;
    std::thread thread_;
};

}  // namespace mv::control
