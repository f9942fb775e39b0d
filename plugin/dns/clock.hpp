// SPDX-License-Identifier: Apache-2.0
// clock.hpp - the monotonic time of the DNS part, injected so cache tests are exact.
//
// Deadlines, lookup latencies and cache expiry use a monotonic clock: DNS
// TTLs count seconds from when the answer arrived and must not jump with the
// wall clock. SteadyClock reads std::chrono::steady_clock; ManualClock is set
// and advanced by tests. Waiting for an answer always uses the real steady
// clock (condition variables), so tests of timeouts use short real timeouts.
//
// Thread contract: now() is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>

namespace mv::dns {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

class TimeSource {
  public:
    virtual ~TimeSource() = default;
    virtual TimePoint now() const = 0;
};

class SteadyClock final : public TimeSource {
  public:
    TimePoint now() const override { return Clock::now(); }
};

class ManualClock final : public TimeSource {
  public:
    TimePoint now() const override { return TimePoint(Clock::duration(ticks_.load())); }
    void advance(Clock::duration d) { ticks_.fetch_add(d.count()); }

  private:
    std::atomic<Clock::rep> ticks_{Clock::duration(std::chrono::hours(1)).count()};
};

}  // namespace mv::dns
