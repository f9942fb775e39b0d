// SPDX-License-Identifier: Apache-2.0
// notifier.hpp - systemd readiness and watchdog notifications (sd_notify protocol).
//
// Notifier reads NOTIFY_SOCKET and WATCHDOG_USEC once; notify("READY=1")
// sends one datagram to systemd. Without NOTIFY_SOCKET every call is a no-op,
// so the daemon calls it unconditionally. Written against the documented
// protocol (a datagram of "KEY=VALUE" lines to a unix socket; a leading '@'
// names an abstract socket) rather than linking libsystemd.
//
// Errors: notify() returns false when the datagram could not be sent; the
// daemon logs it and goes on (systemd then times out, which is the right
// signal).
//
// Thread contract: notify() is safe from any thread (one socket per call).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mv::milter {

class Notifier {
  public:
    Notifier();  // reads the environment
    bool enabled() const { return !socket_path_.empty(); }
    bool notify(std::string_view state) const;
    // Half of WATCHDOG_USEC (systemd's advice), when the watchdog is on for us.
    std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

  private:
    std::string socket_path_;
    std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace mv::milter
