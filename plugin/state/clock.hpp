// SPDX-License-Identifier: Apache-2.0
// clock.hpp - the time source of the state store, injected so tests are exact.
//
// Every time the store keeps (window starts, greylist first-seen, expiry) is
// wall-clock time in milliseconds since the Unix epoch, because it is written
// to the state file and shared through Redis with other hosts: a monotonic
// clock would mean nothing after a restart or on another machine. Hosts that
// share a Redis store must therefore keep their clocks in sync (NTP), as every
// mail host does anyway for its Received: headers.
//
// SystemClock reads the real clock; FakeClock is set and advanced by tests.
//
// Thread contract: now() is safe from any thread (FakeClock uses an atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mv::state {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

class Clock {
  public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
  public:
    TimePoint now() const override {
        return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
    }
};

class FakeClock final : public Clock {
  public:
    explicit FakeClock(TimePoint start = TimePoint(Duration(1'700'000'000'000))) : ms_(ms(start)) {}
    TimePoint now() const override { return TimePoint(Duration(ms_.load())); }
    void set(TimePoint t) { ms_.store(ms(t)); }
    void advance(Duration d) { ms_.fetch_add(d.count()); }

  private:
    static std::int64_t ms(TimePoint t) { return t.time_since_epoch().count(); }
    std::atomic<std::int64_t> ms_;
};

// Milliseconds since the epoch, the form the state file and Redis scripts use.
inline std::int64_t to_ms(TimePoint t) {
    return t.time_since_epoch().count();
}
inline TimePoint from_ms(std::int64_t ms) {
    return TimePoint(Duration(ms));
}

}  // namespace mv::state
