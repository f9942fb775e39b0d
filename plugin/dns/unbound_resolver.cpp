// SPDX-License-Identifier: Apache-2.0
// unbound_resolver.cpp - libunbound on its own thread (unbound_resolver.hpp).
#include "dns/unbound_resolver.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unbound.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace mv::dns {

namespace {

struct CtxDeleter {
    void operator()(ub_ctx* c) const { ub_ctx_delete(c); }
};
using CtxPtr = std::unique_ptr<ub_ctx, CtxDeleter>;

struct ResultDeleter {
    void operator()(ub_result* r) const { ub_resolve_free(r); }
};

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

Answer to_answer(RrType type, int err, ub_result* raw) {
    std::unique_ptr<ub_result, ResultDeleter> r(raw);
    Answer a;
    if (err != 0 || !r) {
        a.outcome = Outcome::TempFail;
        a.error = std::string("resolver: ") + ub_strerror(err);
        return a;
    }
    if (r->bogus) {
        a.outcome = Outcome::TempFail;
        a.error = "DNSSEC validation failed";
        return a;
    }
    std::vector<std::string_view> rdata;
    if (r->rcode == 0 && r->havedata)
        for (int i = 0; r->data && r->data[i] && i < 4096; ++i)
            rdata.emplace_back(r->data[i], static_cast<std::size_t>(std::max(r->len[i], 0)));
    return answer_from_result(type, r->rcode, r->havedata != 0, r->ttl, rdata);
}

}  // namespace

struct UnboundResolver::Impl {
    struct Job {
        Question q;
        TimePoint deadline;
        Done done;
        int async_id = 0;
        bool submitted = false;
        std::multimap<TimePoint, Job*>::iterator by_deadline;
        Impl* impl = nullptr;
    };

    CtxPtr ctx;
    Fd wake{-1};
    std::thread thread;

    std::mutex mu;
    std::deque<std::unique_ptr<Job>> incoming;
    bool stopping = false;
    bool stopped = false;

    // Owned by the thread.
    std::unordered_set<Job*> live;
    std::multimap<TimePoint, Job*> deadlines;

    static void on_result(void* data, int err, ub_result* r) {
        auto* job = static_cast<Job*>(data);
        Answer a = to_answer(job->q.type, err, r);
        job->impl->finish(job, std::move(a));
    }

    // Thread only: forget the job, then answer it (the callback may submit more).
    void finish(Job* job, Answer a) {
        std::unique_ptr<Job> owned(job);
        live.erase(job);
        deadlines.erase(job->by_deadline);
        Done done = std::move(job->done);
        owned.reset();
        done(std::move(a));
    }

    void submit(std::unique_ptr<Job> job) {
        Job* j = job.release();
        j->impl = this;
        live.insert(j);
        j->by_deadline = deadlines.emplace(j->deadline, j);
        const int rc = ub_resolve_async(ctx.get(), j->q.name.c_str(), static_cast<int>(j->q.type),
                                        1 /* IN */, j, &on_result, &j->async_id);
        if (rc != 0) {
            Answer a;
            a.outcome = Outcome::TempFail;
            a.error = std::string("resolver: ") + ub_strerror(rc);
            finish(j, std::move(a));
            return;
        }
        j->submitted = true;
    }

    void expire(TimePoint now) {
        while (!deadlines.empty() && deadlines.begin()->first <= now) {
            Job* j = deadlines.begin()->second;
            if (j->submitted) ub_cancel(ctx.get(), j->async_id);
            Answer a;
            a.outcome = Outcome::Timeout;
            finish(j, std::move(a));
        }
    }

    void run() {
        while (true) {
            std::deque<std::unique_ptr<Job>> batch;
            {
                std::lock_guard lock(mu);
                if (stopping) break;
                batch.swap(incoming);
            }
            for (auto& j : batch) submit(std::move(j));
            expire(Clock::now());
            int timeout_ms = 1000;
            if (!deadlines.empty()) {
                const auto left =
                    std::chrono::duration_cast<Millis>(deadlines.begin()->first - Clock::now())
                        .count();
                timeout_ms = static_cast<int>(std::clamp<long long>(left + 1, 0, 1000));
            }
            pollfd fds[2] = {{ub_fd(ctx.get()), POLLIN, 0}, {wake.fd, POLLIN, 0}};
            const int n = ::poll(fds, 2, timeout_ms);
            if (n < 0 && errno != EINTR) break;
            if (n > 0 && (fds[1].revents & POLLIN)) {
                std::uint64_t v = 0;
                (void)!::read(wake.fd, &v, sizeof v);
            }
            if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP))) ub_process(ctx.get());
        }
        // Stopping: every open lookup gets its answer, none is left hanging.
        std::deque<std::unique_ptr<Job>> left;
        {
            std::lock_guard lock(mu);
            stopped = true;
            left.swap(incoming);
        }
        std::vector<Job*> open(live.begin(), live.end());
        for (Job* j : open) {
            if (j->submitted) ub_cancel(ctx.get(), j->async_id);
            Answer a;
            a.outcome = Outcome::TempFail;
            a.error = "resolver stopped";
            finish(j, std::move(a));
        }
        for (auto& j : left) {
            Answer a;
            a.outcome = Outcome::TempFail;
            a.error = "resolver stopped";
            j->done(std::move(a));
        }
    }
};

std::unique_ptr<UnboundResolver> UnboundResolver::create(const ResolverSettings& s,
                                                         std::string& error) {
    auto impl = std::make_unique<Impl>();
    impl->ctx.reset(ub_ctx_create());
    if (!impl->ctx) {
        error = "libunbound: cannot create a context";
        return nullptr;
    }
    ub_ctx* ctx = impl->ctx.get();
    const auto option = [&](const char* name, const char* value) {
        const int rc = ub_ctx_set_option(ctx, name, value);
        if (rc != 0 && error.empty())
            error = std::string("libunbound option ") + name + " " + value + ": " + ub_strerror(rc);
        return rc == 0;
    };
    option("do-not-query-localhost:", "no");
    option("module-config:", "iterator");
    // libunbound answers some names itself (its default local zones): the
    // reverse zones of private and documentation networks, .test. A mail
    // server's upstream may well serve those (the PTRs of internal clients),
    // so it is asked for them like for any other name. .onion stays blocked.
    option("unblock-lan-zones:", "yes");
    option("insecure-lan-zones:", "yes");
    for (const char* z : {"test.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
                          "113.0.203.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."})
        option("local-zone:", (std::string(z) + " transparent").c_str());
    // A stub zone is asked iteratively; with QNAME minimisation a list lookup
    // (5 labels under the zone) would cost up to 5 round trips instead of 1.
    option("qname-minimisation:", "no");
    // Our cache is in front; libunbound keeps a small one for its own use,
    // bounded by the same TTLs. cache_entries = 0 means no cache at all:
    // libunbound 1.17 rounds "msg-cache-size: 0" up to a working minimum and
    // keeps answering from it, but with "cache-max-ttl: 0" every answer
    // expires at once, so each lookup asks the server (measured against a
    // counting server: tests/unit/test_unbound_resolver.cpp).
    option("msg-cache-size:", "4m");
    option("rrset-cache-size:", "4m");
    const bool no_cache = s.cache_entries == 0;
    option("cache-max-ttl:", no_cache ? "0" : std::to_string(s.cache_max_ttl).c_str());
    option("cache-max-negative-ttl:",
           no_cache ? "0" : std::to_string(s.cache_max_negative_ttl).c_str());
    if (!error.empty()) return nullptr;
    std::string description = std::string("libunbound ") + ub_version();
    if (s.forward.empty()) {
        const int rc = ub_ctx_resolvconf(ctx, s.resolv_conf.c_str());
        if (rc != 0) {
            error = "cannot read the nameservers of " + s.resolv_conf + ": " + ub_strerror(rc);
            return nullptr;
        }
        description += ", forwarding to the nameservers of " + s.resolv_conf;
    } else {
        for (const auto& f : s.forward) {
            const int rc = ub_ctx_set_fwd(ctx, f.c_str());
            if (rc != 0) {
                error = "resolver address '" + f + "': " + ub_strerror(rc);
                return nullptr;
            }
        }
        description += ", forwarding to";
        for (const auto& f : s.forward) description += " " + f;
    }
    for (const auto& stub : s.stub_zones) {
        for (const auto& server : stub.servers) {
            const int rc = ub_ctx_set_stub(ctx, stub.zone.c_str(), server.c_str(), 0);
            if (rc != 0) {
                error = "stub zone " + stub.zone + " server '" + server + "': " + ub_strerror(rc);
                return nullptr;
            }
        }
        description += ", " + stub.zone + " from";
        for (const auto& server : stub.servers) description += " " + server;
    }
    const int rc = ub_ctx_async(ctx, 1);
    if (rc != 0) {
        error = std::string("libunbound: no threads: ") + ub_strerror(rc);
        return nullptr;
    }
    const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) {
        error = "eventfd failed";
        return nullptr;
    }
    impl->wake.fd = efd;
    Impl* raw = impl.get();
    impl->thread = std::thread([raw] { raw->run(); });
    return std::unique_ptr<UnboundResolver>(
        new UnboundResolver(std::move(impl), std::move(description)));
}

UnboundResolver::UnboundResolver(std::unique_ptr<Impl> impl, std::string description)
    : impl_(std::move(impl)), description_(std::move(description)) {}

UnboundResolver::~UnboundResolver() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->stopping = true;
    }
    const std::uint64_t one = 1;
    (void)!::write(impl_->wake.fd, &one, sizeof one);
    if (impl_->thread.joinable()) impl_->thread.join();
}

void UnboundResolver::resolve(const Question& q, TimePoint deadline, Done done) {
    auto job = std::make_unique<Impl::Job>();
    job->q = q;
    job->deadline = deadline;
    job->done = std::move(done);
    {
        std::lock_guard lock(impl_->mu);
        if (!impl_->stopped) {
            impl_->incoming.push_back(std::move(job));
            job = nullptr;
        }
    }
    if (job) {
        Answer a;
        a.outcome = Outcome::TempFail;
        a.error = "resolver stopped";
        job->done(std::move(a));
        return;
    }
    const std::uint64_t one = 1;
    (void)!::write(impl_->wake.fd, &one, sizeof one);
}

}  // namespace mv::dns
