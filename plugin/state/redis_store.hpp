// SPDX-License-Identifier: Apache-2.0
// redis_store.hpp - the shared store: Redis through hiredis, atomic Lua scripts.
//
// Several daemons (on several MX hosts) pointed at one Redis database count
// one limit together and share greylisting: every update is one Lua script
// (redis_scripts.hpp), sent with EVALSHA and, when Redis does not know the
// script yet (NOSCRIPT: first use, a restart, SCRIPT FLUSH), with EVAL, which
// also caches it.
//
// Time: `timeout` bounds each call (rate, greylist, ping) as a whole: the
// wait for a pooled connection, connecting (the sentinels' answer, AUTH,
// SELECT, ROLE), the script (and its EVAL fallback, and the one retry) share
// one deadline; a server that answers too slowly, even a byte at a time,
// is a timeout like a silent one. Size: a reply larger than any the store
// reads (kMaxReplyBytes, kMaxReplyElements) is refused before it is
// buffered (redis_connection.hpp). Both are backend errors: the rules follow
// on_backend_error as in an outage.
//
// Connections: a pool of at most pool_size connections guarded by a mutex;
// a caller borrows one for one command (libmilter worker threads call in
// concurrently) and waits for a free one until its deadline. A connection that
// fails is dropped; the next caller opens a new one, so the daemon reconnects
// after an outage without a restart. After a failed connect every caller
// fails at once for retry_interval instead of each waiting for its own
// connect timeout. A reused connection that the server closed (a Redis
// restart) is retried once on a fresh connection; a timeout is never retried,
// since the script may have run.
//
// Counts for the metrics: stats() gives the connections opened to replace
// one that was dropped (a reconnect after an outage or a Redis restart) and
// the connection attempts that failed.
// Redis Sentinel (options.sentinels, options.master_name): every new
// connection asks the sentinels, in order starting with the one that answered
// last, for the master's address (SENTINEL get-master-addr-by-name) and
// checks with ROLE that the server there is a master. A failover is followed
// without a restart: connections to the old master fail (closed: retried
// once on a fresh connection; READONLY from a demoted master: every pooled
// connection is dropped and the command retried once), new ones go where the
// sentinels now point; a thread subscribed to the sentinels' "+switch-master"
// (sentinel_watch.hpp) drops the pool as soon as they announce a new master,
// which matters in a planned failover where the old master stays up a moment
// before it is demoted. Until they point at a live master every call fails
// fast (retry_interval) and the rules follow on_backend_error. Replication is
// asynchronous: counts the old master took in its last moments may never
// reach the new one (milter-verdict.conf(5), "Redis Sentinel").
//
// Errors: every failure (refused, timeout, AUTH, a script error) is a result
// with `error` set, "redis 127.0.0.1:6379: Connection refused" or "redis
// master mymaster: no sentinel gave the master's address (...)"; nothing throws.
//
// Thread contract: every public member is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "state/clock.hpp"
#include "state/redis_connection.hpp"
#include "state/sentinel_watch.hpp"
#include "state/store.hpp"

namespace mv::state {

class RedisStore final : public Store {
  public:
    // `log` receives the sentinels' announcements of a new master (may be empty).
    RedisStore(RedisOptions options, std::shared_ptr<const Clock> clock,
               std::function<void(const std::string&)> log = {});

    RateResult rate(const RateRequest& request) override;
    GreylistResult greylist(const GreylistRequest& request) override;
    std::string flush() override { return {}; }  // Redis persists on its own
    std::string describe() const override;
    // Check the connection (PING); "" when Redis answers.
    std::string ping();

    const RedisOptions& options() const { return options_; }
    // One command on a pooled connection within the store's timeout
    // (administration: redis_admin.hpp). nullptr with `error` set on failure.
    ReplyPtr command(const std::vector<std::string>& args, std::string& error) {
        return run(args, deadline(), error);
    }
    std::int64_t now_ms() const { return to_ms(clock_->now()); }
    // Stop following the sentinels' announcements (and calling `log`): the
    // owner calls it when it lets the store go while connections may keep it.
    void stop_watch() { watch_.reset(); }

    struct Stats {
        std::uint64_t reconnects = 0;
        std::uint64_t connect_failures = 0;
    };
    Stats stats() const { return {reconnects_.load(), connect_failures_.load()}; }

  private:
    // Run one script with EVALSHA, falling back to EVAL. nullptr + error on failure.
    ReplyPtr run_script(int which, const std::vector<std::string>& keys,
                        const std::vector<std::string>& args, Deadline deadline,
                        std::string& error);
    ReplyPtr run(const std::vector<std::string>& command, Deadline deadline, std::string& error);
    std::unique_ptr<RedisConnection> acquire(Deadline deadline, std::string& error);
    void release(std::unique_ptr<RedisConnection> conn);
    // A new connection: to host:port, or to the master the sentinels name.
    std::unique_ptr<RedisConnection> open_connection(Deadline deadline, std::string& error);
    bool find_master(RedisEndpoint& master, Deadline deadline, std::string& error);
    Deadline deadline() const { return std::chrono::steady_clock::now() + options_.timeout; }
    // The master changed (announced, or a READONLY reply): no pooled
    // connection may be used again; those in use are dropped at release.
    void forget_master();
    // Drops the idle pooled connections (the next acquire opens a fresh one).
    void drop_idle();

    RedisOptions options_;
    std::shared_ptr<const Clock> clock_;
    std::string where_;
    std::string shas_[2];  // SHA1 of each script, from SCRIPT LOAD (under mu_)

    std::mutex mu_;
    std::condition_variable idle_cv_;
    std::vector<std::unique_ptr<RedisConnection>> idle_;
    std::size_t open_ = 0;  // connections in use or idle, or being opened
    std::chrono::steady_clock::time_point down_until_{};
    std::string down_error_;
    std::size_t dropped_ = 0;  // connections dropped and not replaced yet (under mu_)
    std::atomic<std::uint64_t> reconnects_{0};
    std::atomic<std::uint64_t> connect_failures_{0};
    std::size_t sentinel_first_ = 0;  // the sentinel asked first
    std::uint64_t generation_ = 0;    // bumped by forget_master()
    std::function<void(const std::string&)> log_;
    std::unique_ptr<SentinelWatch> watch_;  // last: stopped before the rest goes
};

}  // namespace mv::state
