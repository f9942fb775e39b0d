// SPDX-License-Identifier: Apache-2.0
// sentinel_watch.cpp - a thread subscribed to "+switch-master" (see sentinel_watch.hpp).
#include "state/sentinel_watch.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace mv::state {
namespace {

constexpr auto kTick = std::chrono::milliseconds(250);

// Sleep `d` unless stopped first.
void pause(std::stop_token stop, std::chrono::milliseconds d) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, d, [] { return false; });
}

std::string_view text(const redisReply* r) {
    if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) return {};
    return {r->str, r->len};
}

}  // namespace

SentinelWatch::SentinelWatch(std::vector<RedisEndpoint> sentinels, std::string master_name,
                             Duration timeout, std::function<void(const std::string&)> on_switch)
    : sentinels_(std::move(sentinels)),
      master_name_(std::move(master_name)),
      timeout_(timeout),
      on_switch_(std::move(on_switch)) {
    if (!sentinels_.empty()) thread_ = std::jthread([this](std::stop_token st) { run(st); });
}

SentinelWatch::~SentinelWatch() {
    if (thread_.joinable()) {
        thread_.request_stop();
        thread_.join();
    }
}

void SentinelWatch::run(std::stop_token stop) {
    std::size_t next = 0;
    while (!stop.stop_requested()) {
        watch(sentinels_[next], stop);
        next = (next + 1) % sentinels_.size();
        pause(stop, kTick);
    }
}

bool SentinelWatch::watch(const RedisEndpoint& sentinel, std::stop_token stop) {
    // Connecting and subscribing are bounded by the timeout, as every store
    // call is; each announcement by kMaxReplyBytes (RedisConnection).
    RedisOptions options;
    options.timeout = timeout_;
    std::string error;
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    auto conn = RedisConnection::connect(sentinel, options, false, deadline, error);
    if (!conn) return false;
    if (!conn->command({"SUBSCRIBE", "+switch-master"}, deadline, error)) return false;
    const std::string prefix = master_name_ + " ";
    while (!stop.stop_requested()) {
        // Wake up every kTick to see `stop`; an announcement that trickles in
        // is kept (bounded in size) across the ticks.
        const ReplyPtr owned = conn->next_reply(std::chrono::steady_clock::now() + kTick, error);
        if (!owned) {
            if (conn->broken()) return true;  // closed, refused or broken: next one
            continue;
        }
        const redisReply* r = owned.get();
        // ["message", "+switch-master", "NAME OLD-IP OLD-PORT NEW-IP NEW-PORT"]
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || text(r->element[0]) != "message")
            continue;
        const std::string_view body = text(r->element[2]);
        if (body.size() <= 512 && body.substr(0, prefix.size()) == prefix)
            on_switch_(std::string(body));
    }
    return true;
}

}  // namespace mv::state
