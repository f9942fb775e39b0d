// SPDX-License-Identifier: Apache-2.0
// sentinel_watch.cpp - a thread subscribed to "+switch-master" (see sentinel_watch.hpp).
#include "state/sentinel_watch.hpp"

#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace mv::state {
namespace {

constexpr auto kTick = std::chrono::milliseconds(250);

struct ContextFree {
    void operator()(redisContext* c) const { redisFree(c); }
};

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
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
    std::unique_ptr<redisContext, ContextFree> c(
        redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, tv));
    if (!c || c->err != 0 || redisSetTimeout(c.get(), tv) != REDIS_OK) return false;
    BoundedReader bound;
    bound_reader(c->reader, bound);
    const ReplyPtr ack(static_cast<redisReply*>(redisCommand(c.get(), "SUBSCRIBE +switch-master")));
    if (!ack) return false;
    const std::string prefix = master_name_ + " ";
    while (!stop.stop_requested()) {
        pollfd p{c->fd, POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(kTick.count()));
        if (n < 0 && errno != EINTR) return true;
        if (n <= 0) continue;
        if (redisBufferRead(c.get()) != REDIS_OK) return true;  // closed or broken: next one
        while (true) {
            void* raw = nullptr;
            if (redisGetReplyFromReader(c.get(), &raw) != REDIS_OK) return true;
            if (raw == nullptr) break;
            const ReplyPtr owned(static_cast<redisReply*>(raw));
            const redisReply* r = owned.get();
            // ["message", "+switch-master", "NAME OLD-IP OLD-PORT NEW-IP NEW-PORT"]
            if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
                text(r->element[0]) != "message")
                continue;
            const std::string_view body = text(r->element[2]);
            if (body.size() <= 512 && body.substr(0, prefix.size()) == prefix)
                on_switch_(std::string(body));
        }
    }
    return true;
}

}  // namespace mv::state
