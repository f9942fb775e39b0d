// SPDX-License-Identifier: Apache-2.0
// service.cpp - wiring of the policy service's parts (see service.hpp).
#include "policy_service/service.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "milter/listen_socket.hpp"
#include "policy_service/listen_socket.hpp"

namespace mv::policy_service {

Service::Service(milter::PolicyStore& store, milter::Logger& log, ServiceSettings settings,
                 const observability::Recorder* recorder)
    : store_(store),
      log_(log),
      settings_(std::move(settings)),
      responder_([&store] { return store.current(); }, log, settings_.accept_ok,
                 Responder::kSessions, Responder::kSessionIdle, recorder) {
    responder_.bound_recipients(settings_.max_recipients, settings_.max_recipient_bytes);
}

Service::~Service() {
    stop();
}

std::string Service::open(const milter::SocketSpec& spec, const std::string& mode,
                          const std::string& group) {
    std::string error;
    fd_ = open_listen_socket(spec, error);
    if (!fd_) return "policy_socket " + spec.connection() + ": " + error;
    if (spec.kind == milter::SocketSpec::Kind::Unix) unix_path_ = spec.path;
    error = milter::set_unix_socket_access(spec, mode, group);
    if (!error.empty()) return "policy_socket " + spec.connection() + ": " + error;
    return {};
}

std::string Service::start() {
    ListenerOptions o;
    o.max_connections = settings_.max_connections;
    o.request_timeout = std::chrono::seconds(settings_.request_timeout);
    o.idle_timeout = std::chrono::seconds(settings_.idle_timeout);
    o.workers = settings_.workers;
    listener_ = std::make_unique<Listener>(
        std::move(fd_),
        [this](const Request& r, const std::string& peer) { return responder_.answer(r, peer); },
        [this] {
            const auto p = store_.current();
            return p && Responder::may_block(*p);
        },
        log_, o, [this] { responder_.sweep(); });
    return listener_->start();
}

void Service::stop() {
    if (listener_) listener_->stop();
    listener_.reset();
    fd_.reset();
    if (!unix_path_.empty()) {
        struct stat st {};
        if (::lstat(unix_path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
            ::unlink(unix_path_.c_str());
        unix_path_.clear();
    }
}

}  // namespace mv::policy_service
