// SPDX-License-Identifier: Apache-2.0
// redis_store.cpp - Redis store: pool, scripts, results (see redis_store.hpp).
#include "state/redis_store.hpp"

#include "state/redis_replies.hpp"
#include "state/redis_scripts.hpp"

namespace mv::state {
namespace {

constexpr int kRate = 0;
constexpr int kGreylist = 1;

std::string_view script_text(int which) {
    return which == kRate ? kRateScript : kGreylistScript;
}

}  // namespace

RedisStore::RedisStore(RedisOptions options, std::shared_ptr<const Clock> clock,
                       std::function<void(const std::string&)> log)
    : options_(std::move(options)), clock_(std::move(clock)), log_(std::move(log)) {
    if (options_.pool_size == 0) options_.pool_size = 1;
    if (options_.sentinels.empty()) {
        where_ = "redis " + RedisEndpoint{options_.host, options_.port}.text();
        return;
    }
    where_ = "redis master " + options_.master_name;
    watch_ = std::make_unique<SentinelWatch>(options_.sentinels, options_.master_name,
                                             options_.timeout, [this](const std::string& s) {
                                                 forget_master();
                                                 if (log_)
                                                     log_("sentinel announced a new master: " + s);
                                             });
}

std::string RedisStore::describe() const {
    std::string via;
    for (const RedisEndpoint& s : options_.sentinels)
        via += (via.empty() ? " via sentinels " : ", ") + s.text();
    return where_ + via + " db " + std::to_string(options_.db) + ", prefix \"" + options_.prefix +
           "\", timeout " + std::to_string(options_.timeout.count()) + " ms, " +
           std::to_string(options_.pool_size) + " connections at most";
}

bool RedisStore::find_master(RedisEndpoint& master, Deadline deadline, std::string& error) {
    const std::size_t n = options_.sentinels.size();
    std::size_t first = 0;
    {
        std::lock_guard lock(mu_);
        first = sentinel_first_;
    }
    std::string why;
    std::size_t i = 0;
    for (; i < n && std::chrono::steady_clock::now() < deadline; ++i) {
        const std::size_t at = (first + i) % n;
        const RedisEndpoint& sentinel = options_.sentinels[at];
        std::string err;
        auto conn = RedisConnection::connect(sentinel, options_, false, deadline, err);
        ReplyPtr r;
        if (conn)
            r = conn->command({"SENTINEL", "get-master-addr-by-name", options_.master_name},
                              deadline, err);
        if (r) err = read_master_address(r.get(), master.host, master.port);
        if (r && err.empty()) {
            std::lock_guard lock(mu_);
            sentinel_first_ = at;  // ask this one first next time
            return true;
        }
        if (why.empty()) why = "sentinel " + sentinel.text() + ": " + err;
    }
    if (i < n) {
        // The deadline ended the round (a sentinel too slow to answer): the
        // next one starts with the first sentinel not asked, so one that
        // hangs cannot use every call's whole timeout.
        std::lock_guard lock(mu_);
        sentinel_first_ = (first + std::max<std::size_t>(i, 1)) % n;
        if (why.empty()) why = "timed out";
    }
    error = "no sentinel gave the master's address (" + why + ")";
    return false;
}

std::unique_ptr<RedisConnection> RedisStore::open_connection(Deadline deadline,
                                                             std::string& error) {
    if (options_.sentinels.empty())
        return RedisConnection::connect({options_.host, options_.port}, options_, true, deadline,
                                        error);
    RedisEndpoint master;
    if (!find_master(master, deadline, error)) return nullptr;
    auto conn = RedisConnection::connect(master, options_, true, deadline, error);
    if (!conn) {
        error = master.text() + ": " + error;
        return nullptr;
    }
    // During a failover a sentinel may still name the old master, which may
    // be back as a replica: count only on a server that says it is master.
    ReplyPtr role = conn->command({"ROLE"}, deadline, error);
    const std::string what = role ? read_role(role.get()) : std::string();
    if (what != "master") {
        error = master.text() + " is " + (role ? "a " + (what.empty() ? "?" : what) : error) +
                ", not the master (failover in progress?)";
        return nullptr;
    }
    return conn;
}

void RedisStore::drop_idle() {
    std::lock_guard lock(mu_);
    open_ -= idle_.size();
    dropped_ += idle_.size();
    idle_.clear();
    idle_cv_.notify_all();
}

void RedisStore::forget_master() {
    std::lock_guard lock(mu_);
    ++generation_;
    open_ -= idle_.size();
    idle_.clear();
    down_until_ = {};  // the new master may answer at once
    idle_cv_.notify_all();
}

std::unique_ptr<RedisConnection> RedisStore::acquire(Deadline deadline, std::string& error) {
    std::unique_lock lock(mu_);
    while (true) {
        // The call's time is used up (its retry, or EVAL after NOSCRIPT):
        // a backend error, without spending a healthy pooled connection on
        // a command that could only time out, nor counting a connect failure.
        if (std::chrono::steady_clock::now() >= deadline) {
            error = "timed out after " + std::to_string(options_.timeout.count()) + " ms";
            return nullptr;
        }
        if (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            return conn;
        }
        if (std::chrono::steady_clock::now() < down_until_) {
            error = down_error_;
            return nullptr;
        }
        if (open_ < options_.pool_size) break;
        if (idle_cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= options_.pool_size) {
            error = "all " + std::to_string(options_.pool_size) + " connections busy for " +
                    std::to_string(options_.timeout.count()) + " ms";
            return nullptr;
        }
    }
    ++open_;
    const std::uint64_t generation = generation_;
    lock.unlock();
    // Connect outside the lock: it may take up to the timeout.
    auto conn = open_connection(deadline, error);
    lock.lock();
    if (conn) conn->generation = generation;
    if (conn && dropped_ > 0) {
        --dropped_;
        ++reconnects_;
    }
    if (!conn) {
        ++connect_failures_;
        --open_;
        down_until_ = std::chrono::steady_clock::now() + options_.retry_interval;
        down_error_ = error;
        idle_cv_.notify_one();
    }
    return conn;
}

void RedisStore::release(std::unique_ptr<RedisConnection> conn) {
    std::lock_guard lock(mu_);
    if (conn && !conn->broken() && conn->generation == generation_) {
        idle_.push_back(std::move(conn));
    } else {
        --open_;  // dropped: the next caller opens a new one
        if (conn) ++dropped_;
    }
    idle_cv_.notify_one();
}

ReplyPtr RedisStore::run(const std::vector<std::string>& command, Deadline deadline,
                         std::string& error) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto conn = acquire(deadline, error);
        if (!conn) return nullptr;
        const bool reused = conn->used();
        ReplyPtr reply = conn->command(command, deadline, error);
        // A master demoted by a failover (it came back as a replica) refuses
        // writes before a script changes anything: every pooled connection
        // points there, so drop them all and ask the sentinels again.
        const bool demoted = !reply && error.rfind("READONLY", 0) == 0;
        if (demoted) {
            conn.reset();
            release(nullptr);
            forget_master();
            if (attempt == 0) continue;
            return nullptr;
        }
        const bool retry = !reply && conn->broken() && reused && conn->closed_by_peer();
        release(std::move(conn));
        if (reply || !retry) return reply;
        // The server closed a pooled connection (a restart, a timeout on its
        // side): the other idle ones date from the same server and are most
        // likely closed too, so the retry opens a fresh connection.
        drop_idle();
    }
    return nullptr;
}

ReplyPtr RedisStore::run_script(int which, const std::vector<std::string>& keys,
                                const std::vector<std::string>& args, Deadline deadline,
                                std::string& error) {
    std::string sha;
    {
        std::lock_guard lock(mu_);
        sha = shas_[which];
    }
    if (sha.empty()) {
        ReplyPtr r = run({"SCRIPT", "LOAD", std::string(script_text(which))}, deadline, error);
        if (!r) return nullptr;
        if (r->type != REDIS_REPLY_STRING) {
            error = "unexpected reply to SCRIPT LOAD";
            return nullptr;
        }
        sha.assign(r->str, r->len);
        std::lock_guard lock(mu_);
        shas_[which] = sha;
    }
    std::vector<std::string> cmd{"EVALSHA", sha, std::to_string(keys.size())};
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    ReplyPtr r = run(cmd, deadline, error);
    if (r || error.rfind("NOSCRIPT", 0) != 0) return r;
    // Redis lost its script cache (restart, SCRIPT FLUSH): EVAL runs and caches it.
    cmd[0] = "EVAL";
    cmd[1] = std::string(script_text(which));
    return run(cmd, deadline, error);
}

RateResult RedisStore::rate(const RateRequest& request) {
    RateResult result;
    if (std::string err = check_request(request); !err.empty()) {
        result.error = err;
        return result;
    }
    std::vector<std::string> args{std::to_string(to_ms(clock_->now())),
                                  std::to_string(request.cost), request.count_refused ? "1" : "0",
                                  std::to_string(request.windows.size())};
    for (const Window& w : request.windows) {
        args.push_back(std::to_string(w.length.count()));
        args.push_back(std::to_string(w.limit));
    }
    std::string error;
    ReplyPtr r = run_script(kRate, {options_.prefix + "r:" + request.key}, args, deadline(), error);
    if (!r) {
        result.error = where_ + ": " + error;
        return result;
    }
    if (std::string bad = read_rate_reply(r.get(), request, result); !bad.empty())
        result.error = where_ + ": " + bad;
    return result;
}

GreylistResult RedisStore::greylist(const GreylistRequest& request) {
    GreylistResult result;
    if (std::string err = check_request(request); !err.empty()) {
        result.error = err;
        return result;
    }
    const bool use_client = !request.client.empty() && request.client_after > 0;
    const std::string tkey = options_.prefix + "g:" + request.triplet;
    // Without client whitelisting the script never touches KEYS[2].
    const std::string ckey = use_client ? options_.prefix + "c:" + request.client : tkey;
    std::vector<std::string> args{
        std::to_string(to_ms(clock_->now())), std::to_string(request.delay.count()),
        std::to_string(request.expiry.count()), std::to_string(request.pass_lifetime.count()),
        std::to_string(use_client ? request.client_after : 0)};
    std::string error;
    ReplyPtr r = run_script(kGreylist, {tkey, ckey}, args, deadline(), error);
    if (!r) {
        result.error = where_ + ": " + error;
        return result;
    }
    if (std::string bad = read_greylist_reply(r.get(), request, result); !bad.empty())
        result.error = where_ + ": " + bad;
    return result;
}

std::string RedisStore::ping() {
    std::string error;
    ReplyPtr r = run({"PING"}, deadline(), error);
    return r ? std::string() : where_ + ": " + error;
}

}  // namespace mv::state
