// SPDX-License-Identifier: Apache-2.0
// test_redis_store.cpp - the Redis store against a real redis-server on loopback.
//
// Registered in the "state" suite (tests/state/run.sh runs `unit-tests --suite
// state`), not in the default unit run, because it needs redis-server: each
// test starts a private one (redis_server.hpp) and fails if it cannot.
#include <cppunit/extensions/HelperMacros.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "redis_server.hpp"
#include "state/redis_store.hpp"
#include "store_checks.hpp"

using namespace mv::state;
using namespace std::chrono_literals;

namespace {

RateRequest limit_request(const std::string& key, std::uint64_t limit, Duration length = 60s) {
    RateRequest r;
    r.key = key;
    r.windows = {{length, limit}};
    return r;
}

// A raw connection to look at what the store wrote.
struct Raw {
    redisContext* c;
    explicit Raw(int port, int db = 0) : c(redisConnect("127.0.0.1", port)) {
        if (db != 0) freeReplyObject(redisCommand(c, "SELECT %d", db));
    }
    ~Raw() { redisFree(c); }
    long long integer(const std::string& cmd, const std::string& key) {
        auto* r =
            static_cast<redisReply*>(redisCommand(c, "%s %b", cmd.c_str(), key.data(), key.size()));
        const long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -99;
        if (r) freeReplyObject(r);
        return v;
    }
    void run(const char* cmd) { freeReplyObject(redisCommand(c, cmd)); }
    // Connections the server has open (CLIENT LIST: one line each, this one included).
    int clients() {
        auto* r = static_cast<redisReply*>(redisCommand(c, "CLIENT LIST"));
        int n = 0;
        if (r && r->type == REDIS_REPLY_STRING)
            for (std::size_t i = 0; i < r->len; ++i) n += r->str[i] == '\n';
        if (r) freeReplyObject(r);
        return n;
    }
};

}  // namespace

class RedisStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RedisStoreTest);
    CPPUNIT_TEST(testLimitIsEnforcedPerKey);
    CPPUNIT_TEST(testWindowReopensWhenFakeClockPassesIt);
    CPPUNIT_TEST(testStrictLimitCountsRefusedAttempts);
    CPPUNIT_TEST(testTwoStoresShareOneLimit);
    CPPUNIT_TEST(testGreylistLifeCycle);
    CPPUNIT_TEST(testClientWhitelistingIsShared);
    CPPUNIT_TEST(testParallelCallersOfTwoStoresAcceptExactlyTheLimit);
    CPPUNIT_TEST(testKeysCarryPrefixAndTtl);
    CPPUNIT_TEST(testPrefixesKeepStoresApart);
    CPPUNIT_TEST(testDatabaseIsSelected);
    CPPUNIT_TEST(testPasswordIsSent);
    CPPUNIT_TEST(testStoppedRedisIsAnErrorAndServiceResumes);
    CPPUNIT_TEST(testConnectionClosedByRestartIsRetriedAtOnce);
    CPPUNIT_TEST(testRestartWithSeveralIdleConnectionsIsRetriedOnAFreshOne);
    CPPUNIT_TEST(testFlushedScriptCacheFallsBackToEval);
    CPPUNIT_TEST(testSilentServerTimesOut);
    CPPUNIT_TEST(testBadRequestIsAnErrorResult);
    CPPUNIT_TEST_SUITE_END();

    std::unique_ptr<testing::RedisServer> server_;
    std::shared_ptr<FakeClock> clock_;

    RedisOptions options(const std::string& prefix = "t:") {
        RedisOptions o;
        o.port = server_->port();
        o.prefix = prefix;
        o.timeout = 300ms;
        o.retry_interval = 100ms;
        o.pool_size = 4;
        return o;
    }

  public:
    void setUp() override {
        server_ = std::make_unique<testing::RedisServer>();
        const std::string err = server_->start();
        CPPUNIT_ASSERT_EQUAL_MESSAGE("redis-server must be installed and start", std::string(),
                                     err);
        clock_ = std::make_shared<FakeClock>();
    }
    void tearDown() override { server_.reset(); }

    void testLimitIsEnforcedPerKey() {
        RedisStore store(options(), clock_);
        CPPUNIT_ASSERT(store.rate(limit_request("a", 2)).allowed);
        CPPUNIT_ASSERT(store.rate(limit_request("a", 2)).allowed);
        const RateResult r = store.rate(limit_request("a", 2));
        CPPUNIT_ASSERT_EQUAL(std::string(), r.error);
        CPPUNIT_ASSERT(!r.allowed);
        CPPUNIT_ASSERT_EQUAL(0, r.exceeded);
        CPPUNIT_ASSERT(r.retry_after == 60s);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), r.counts.at(0));
        CPPUNIT_ASSERT(store.rate(limit_request("b", 2)).allowed);
    }

    void testWindowReopensWhenFakeClockPassesIt() {
        RedisStore store(options(), clock_);
        RateRequest req = limit_request("a", 1);
        req.windows.push_back({3600s, 2});
        CPPUNIT_ASSERT(store.rate(req).allowed);
        clock_->advance(59s);
        CPPUNIT_ASSERT(!store.rate(req).allowed);
        clock_->advance(1s);
        CPPUNIT_ASSERT(store.rate(req).allowed);  // minute reopened, hour at 2
        clock_->advance(60s);
        const RateResult r = store.rate(req);
        CPPUNIT_ASSERT(!r.allowed);
        CPPUNIT_ASSERT_EQUAL(1, r.exceeded);
        CPPUNIT_ASSERT(r.retry_after == 3600s - 120s);
    }

    void testStrictLimitCountsRefusedAttempts() {
        RedisStore store(options(), clock_);
        RateRequest req = limit_request("s", 2);
        req.count_refused = true;
        for (int i = 0; i < 5; ++i) store.rate(req);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), store.rate(req).counts.at(0));
        RateRequest leaky = limit_request("l", 2);
        for (int i = 0; i < 5; ++i) store.rate(leaky);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), store.rate(leaky).counts.at(0));
    }

    void testTwoStoresShareOneLimit() {
        RedisStore host1(options(), clock_), host2(options(), clock_);
        CPPUNIT_ASSERT(host1.rate(limit_request("c", 3)).allowed);
        CPPUNIT_ASSERT(host2.rate(limit_request("c", 3)).allowed);
        CPPUNIT_ASSERT(host1.rate(limit_request("c", 3)).allowed);
        CPPUNIT_ASSERT(!host2.rate(limit_request("c", 3)).allowed);
        CPPUNIT_ASSERT(!host1.rate(limit_request("c", 3)).allowed);
    }

    void testGreylistLifeCycle() {
        RedisStore store(options(), clock_);
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             testing::check_greylist_cycle(store, *clock_, "192.0.2.0/24|a|b"));
    }

    void testClientWhitelistingIsShared() {
        RedisStore host1(options(), clock_), host2(options(), clock_);
        GreylistRequest req;
        req.client = "192.0.2.0/24";
        req.delay = 300s;
        req.expiry = 3600s;
        req.pass_lifetime = 86400s;
        req.client_after = 1;
        req.triplet = "192.0.2.0/24|a|b";
        CPPUNIT_ASSERT(host1.greylist(req).outcome == GreylistOutcome::Deferred);
        clock_->advance(300s);
        CPPUNIT_ASSERT(host2.greylist(req).outcome == GreylistOutcome::Passed);
        req.triplet = "192.0.2.0/24|other|b";
        CPPUNIT_ASSERT(host1.greylist(req).outcome == GreylistOutcome::Whitelisted);
    }

    void testParallelCallersOfTwoStoresAcceptExactlyTheLimit() {
        RedisStore host1(options(), clock_), host2(options(), clock_);
        // Sixteen threads over two stores (two daemons), 960 attempts, limit 700.
        std::atomic<int> allowed{0}, errors{0};
        std::vector<std::thread> pool;
        for (int i = 0; i < 16; ++i) {
            pool.emplace_back([&, i] {
                RedisStore& s = i % 2 == 0 ? host1 : host2;
                for (int k = 0; k < 60; ++k) {
                    const RateResult r = s.rate(limit_request("shared", 700, 3600s));
                    if (!r.ok()) errors.fetch_add(1);
                    if (r.ok() && r.allowed) allowed.fetch_add(1);
                }
            });
        }
        for (auto& th : pool) th.join();
        CPPUNIT_ASSERT_EQUAL(0, errors.load());
        CPPUNIT_ASSERT_EQUAL(700, allowed.load());
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             testing::check_concurrent_limit(host1, "single", 12, 50, 321));
    }

    void testKeysCarryPrefixAndTtl() {
        RedisStore store(options("mx:"), clock_);
        store.rate(limit_request("k", 5, 60s));
        GreylistRequest g;
        g.triplet = "t";
        g.delay = 300s;
        g.expiry = 3600s;
        g.pass_lifetime = 86400s;
        store.greylist(g);
        Raw raw(server_->port());
        const long long rate_ttl = raw.integer("PTTL", "mx:r:k");
        CPPUNIT_ASSERT(rate_ttl > 55'000 && rate_ttl <= 60'000);
        const long long grey_ttl = raw.integer("PTTL", "mx:g:t");
        CPPUNIT_ASSERT(grey_ttl > 3'595'000 && grey_ttl <= 3'600'000);
        CPPUNIT_ASSERT_EQUAL(0LL, raw.integer("EXISTS", "k"));
    }

    void testPrefixesKeepStoresApart() {
        RedisStore a(options("a:"), clock_), b(options("b:"), clock_);
        CPPUNIT_ASSERT(a.rate(limit_request("k", 1)).allowed);
        CPPUNIT_ASSERT(b.rate(limit_request("k", 1)).allowed);
        CPPUNIT_ASSERT(!a.rate(limit_request("k", 1)).allowed);
    }

    void testDatabaseIsSelected() {
        RedisOptions o = options();
        o.db = 3;
        RedisStore store(o, clock_);
        CPPUNIT_ASSERT(store.rate(limit_request("k", 1)).ok());
        CPPUNIT_ASSERT_EQUAL(0LL, Raw(server_->port()).integer("EXISTS", "t:r:k"));
        CPPUNIT_ASSERT_EQUAL(1LL, Raw(server_->port(), 3).integer("EXISTS", "t:r:k"));
    }

    void testPasswordIsSent() {
        server_ = std::make_unique<testing::RedisServer>("s3cret");
        CPPUNIT_ASSERT_EQUAL(std::string(), server_->start());
        RedisStore without(options(), clock_);
        const RateResult refused = without.rate(limit_request("k", 1));
        CPPUNIT_ASSERT(!refused.ok());
        CPPUNIT_ASSERT(refused.error.find("NOAUTH") != std::string::npos);
        RedisOptions o = options();
        o.password = "s3cret";
        RedisStore with(o, clock_);
        CPPUNIT_ASSERT_EQUAL(std::string(), with.rate(limit_request("k", 1)).error);
        o.password = "wrong";
        RedisStore wrong(o, clock_);
        CPPUNIT_ASSERT(wrong.rate(limit_request("k", 1)).error.find("AUTH failed") !=
                       std::string::npos);
    }

    void testStoppedRedisIsAnErrorAndServiceResumes() {
        RedisStore store(options(), clock_);
        CPPUNIT_ASSERT(store.rate(limit_request("k", 100)).ok());
        server_->stop();
        const auto t0 = std::chrono::steady_clock::now();
        const RateResult down = store.rate(limit_request("k", 100));
        CPPUNIT_ASSERT(!down.ok());
        CPPUNIT_ASSERT(down.error.find("redis 127.0.0.1:") == 0);
        CPPUNIT_ASSERT(!store.greylist({"t", "", 1s, 2s, 3s, 0}).ok());
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - t0 < 2s);
        CPPUNIT_ASSERT_EQUAL(std::string(), server_->start());  // same port, empty data
        bool back = false;
        for (int i = 0; i < 40 && !back; ++i) {  // retry_interval is 100 ms; at most 2 s
            back = store.rate(limit_request("k", 100)).ok();
            if (!back) std::this_thread::sleep_for(50ms);
        }
        CPPUNIT_ASSERT(back);
        CPPUNIT_ASSERT_EQUAL(std::string(), store.ping());
    }

    void testConnectionClosedByRestartIsRetriedAtOnce() {
        RedisStore store(options(), clock_);
        CPPUNIT_ASSERT(store.rate(limit_request("k", 100)).ok());  // leaves an idle connection
        server_->stop();
        CPPUNIT_ASSERT_EQUAL(std::string(), server_->start());
        // The idle connection was closed by the old server: the store notices
        // (EOF) and sends the command again on a fresh connection.
        const RateResult r = store.rate(limit_request("k", 100));
        CPPUNIT_ASSERT_EQUAL(std::string(), r.error);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), r.counts.at(0));  // the new server had no data
    }

    void testRestartWithSeveralIdleConnectionsIsRetriedOnAFreshOne() {
        RedisStore store(options(), clock_);
        {  // two callers at once while the server sleeps: two pooled connections
            Raw sleeper(server_->port());
            std::thread slow([&] { sleeper.run("DEBUG SLEEP 0.15"); });
            std::this_thread::sleep_for(30ms);
            std::thread a([&] { store.rate(limit_request("a", 100)); });
            std::thread b([&] { store.rate(limit_request("b", 100)); });
            slow.join();
            a.join();
            b.join();
        }
        CPPUNIT_ASSERT(Raw(server_->port()).clients() >= 3);  // the store's two, and this one
        server_->stop();
        CPPUNIT_ASSERT_EQUAL(std::string(), server_->start());
        // Every idle connection was closed by the old server: the first one
        // found dead drops the others, so the retry is on a fresh connection.
        const RateResult r = store.rate(limit_request("k", 100));
        CPPUNIT_ASSERT_EQUAL(std::string(), r.error);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), r.counts.at(0));
    }

    void testFlushedScriptCacheFallsBackToEval() {
        RedisStore store(options(), clock_);
        CPPUNIT_ASSERT(store.rate(limit_request("k", 2)).allowed);
        Raw(server_->port()).run("SCRIPT FLUSH");
        const RateResult r = store.rate(limit_request("k", 2));
        CPPUNIT_ASSERT_EQUAL(std::string(), r.error);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), r.counts.at(0));
    }

    void testSilentServerTimesOut() {
        // A socket that listens but never answers: the kernel completes the
        // TCP handshake, so only the command timeout can end the wait.
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        CPPUNIT_ASSERT(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        CPPUNIT_ASSERT(::listen(fd, 8) == 0);
        CPPUNIT_ASSERT(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        RedisOptions o = options();
        o.port = ntohs(a.sin_port);
        RedisStore store(o, clock_);
        const auto t0 = std::chrono::steady_clock::now();
        const RateResult r = store.rate(limit_request("k", 1));
        const auto took = std::chrono::steady_clock::now() - t0;
        ::close(fd);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT(took >= 250ms && took < 2s);
    }

    void testBadRequestIsAnErrorResult() {
        RedisStore store(options(), clock_);
        RateRequest none;
        none.key = "a";
        CPPUNIT_ASSERT(!store.rate(none).ok());
        CPPUNIT_ASSERT(!store.greylist({"", "", 1s, 2s, 3s, 0}).ok());
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RedisStoreTest, "state");
