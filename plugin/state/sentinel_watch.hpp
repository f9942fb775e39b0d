// SPDX-License-Identifier: Apache-2.0
// sentinel_watch.hpp - follow Redis Sentinel's "+switch-master" announcements.
//
// A SentinelWatch runs one thread that stays subscribed to the channel
// "+switch-master" on one of the sentinels (trying them in turn, 250 ms
// apart, when one is unreachable or drops the connection) and calls
// on_switch(text) for every announcement about `master_name`, text being
// "NAME OLD-IP OLD-PORT NEW-IP NEW-PORT". RedisStore uses it to drop its
// pooled connections to a master the moment the sentinels have replaced it:
// without it, a planned failover (the old master stays up a moment before it
// is demoted) would let the pool write to the old master, whose writes the
// new one never sees.
//
// Call order: construct (the thread starts), destroy (stops it: at most
// about 250 ms plus one timeout, which bounds connecting and subscribing
// together). Each announcement is bounded in size (kMaxReplyBytes); one
// that trickles in never blocks the thread past a tick. on_switch runs on the watch's
// thread and must not block long.
//
// Errors: none reported; an unreachable sentinel is retried. The store does
// not depend on the watch for correctness (ROLE checks and READONLY replies
// still catch a stale master), only for a shorter window.
//
// Thread contract: the object is owned by one thread; on_switch is called
// from the watch thread.
#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "state/redis_connection.hpp"

namespace mv::state {

class SentinelWatch {
  public:
    SentinelWatch(std::vector<RedisEndpoint> sentinels, std::string master_name, Duration timeout,
                  std::function<void(const std::string&)> on_switch);
    ~SentinelWatch();
    SentinelWatch(const SentinelWatch&) = delete;
    SentinelWatch& operator=(const SentinelWatch&) = delete;

  private:
    void run(std::stop_token stop);
    // One subscription until it fails or `stop`; false when the sentinel was unreachable.
    bool watch(const RedisEndpoint& sentinel, std::stop_token stop);

    std::vector<RedisEndpoint> sentinels_;
    std::string master_name_;
    Duration timeout_;
    std::function<void(const std::string&)> on_switch_;
    std::jthread thread_;
};

}  // namespace mv::state
