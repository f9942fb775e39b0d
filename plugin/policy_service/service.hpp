// SPDX-License-Identifier: Apache-2.0
// service.hpp - the Postfix policy delegation service as the daemon runs it.
//
// A second front end on the policy engine, beside the milter glue and
// knowing nothing of it: it shares the daemon's PolicyStore (one policy, one
// reload), the state store attached to that policy, and the logger. The
// pieces: request.hpp (the protocol), responder.hpp (requests to the engine
// and verdicts back), action.hpp (action= values), listener.hpp (the epoll
// loop and its bounds), session_table.hpp (SMTP sessions across requests).
//
// Call order: Service(...) -> open() before privileges are dropped (the
// socket may need them; socket_mode and socket_group apply to a unix
// socket) -> start() after daemon(3) and the privilege drop (threads do not
// survive a fork) -> stop() at shutdown, before the state store is saved.
//
// Errors: open() and start() return "" or a one-line message; the daemon
// exits on them (69, as for the milter socket). stop() removes a unix
// socket it created.
//
// Thread contract: open/start/stop from the main thread.
#pragma once

#include <memory>
#include <string>

#include "milter/logger.hpp"
#include "milter/policy_store.hpp"
#include "milter/socket_spec.hpp"
#include "policy_service/listener.hpp"
#include "policy_service/responder.hpp"
#include "policy_service/service_settings.hpp"

namespace mv::policy_service {

class Service {
  public:
    // `recorder`: logs and counts the verdicts (null: logs only).
    Service(milter::PolicyStore& store, milter::Logger& log, ServiceSettings settings,
            const observability::Recorder* recorder = nullptr);
    ~Service();

    std::string open(const milter::SocketSpec& spec, const std::string& mode,
                     const std::string& group);
    std::string start();
    void stop();

  private:
    milter::PolicyStore& store_;
    milter::Logger& log_;
    ServiceSettings settings_;
    Responder responder_;
    UniqueFd fd_;
    std::string unix_path_;  // removed at stop(): the socket is ours
    std::unique_ptr<Listener> listener_;
};

}  // namespace mv::policy_service
