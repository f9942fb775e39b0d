// SPDX-License-Identifier: Apache-2.0
// test_unbound_resolver.cpp - libunbound's own cache follows dns.cache_entries:
// with cache_entries = 0 every lookup reaches the server (no cache at all),
// otherwise a repeated question is answered from libunbound's cache. The
// server is a loopback UDP responder on a thread of this test that answers
// every A question with 127.0.0.2 (TTL 300) and counts the queries.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "dns/unbound_resolver.hpp"

using namespace mv::dns;

namespace {

class CountingServer {
  public:
    CountingServer() {
        fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~CountingServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    int port() const { return port_; }
    int queries() const { return queries_; }

  private:
    void run() {
        unsigned char buf[512];
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            sockaddr_in from{};
            socklen_t len = sizeof from;
            const ssize_t n =
                ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n < 17) continue;
            ++queries_;
            // Header: same id, QR RD RA, 1 question, 1 answer; the question
            // as sent; the answer a pointer to it, A IN TTL 300 127.0.0.2.
            std::size_t q = 12;
            while (q < static_cast<std::size_t>(n) && buf[q] != 0) q += 1 + buf[q];
            q += 5;
            if (q > static_cast<std::size_t>(n)) continue;
            unsigned char out[512];
            std::size_t o = 0;
            out[o++] = buf[0];
            out[o++] = buf[1];
            for (unsigned char c : {0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}) out[o++] = c;
            for (std::size_t i = 12; i < q; ++i) out[o++] = buf[i];
            for (unsigned char c : {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 127, 0, 0, 2})
                out[o++] = c;
            ::sendto(fd_, out, o, 0, reinterpret_cast<sockaddr*>(&from), len);
        }
    }
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> queries_{0};
    std::thread thread_;
};

// Resolves `name` and waits for the answer (bounded by the deadline).
Answer resolve(Resolver& r, const std::string& name) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    Answer out;
    r.resolve(Question{name, RrType::A}, Clock::now() + std::chrono::seconds(3), [&](Answer a) {
        std::lock_guard<std::mutex> lock(m);
        out = std::move(a);
        done = true;
        cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return done; });
    return out;
}

int queries_for_three_lookups(std::size_t cache_entries) {
    CountingServer server;
    ResolverSettings s;
    s.forward = {"127.0.0.1@" + std::to_string(server.port())};
    s.cache_entries = cache_entries;
    std::string error;
    auto r = UnboundResolver::create(s, error);
    CPPUNIT_ASSERT_MESSAGE(error, r != nullptr);
    for (int i = 0; i < 3; ++i) {
        const Answer a = resolve(*r, "x.cache.test");
        CPPUNIT_ASSERT_MESSAGE(a.error, a.outcome == Outcome::Records);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.2"), a.records.at(0));
    }
    r.reset();
    return server.queries();
}

}  // namespace

class UnboundResolverTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UnboundResolverTest);
    CPPUNIT_TEST(testCacheEntriesZeroMeansNoCacheAtAll);
    CPPUNIT_TEST(testLibunboundCachesOtherwise);
    CPPUNIT_TEST_SUITE_END();

  public:
    // Every lookup reaches the server (a retransmit on a loaded machine may
    // add one); with a cache the second and third are answered from it
    // (1 query, 2 with a retransmit).
    void testCacheEntriesZeroMeansNoCacheAtAll() {
        const int q = queries_for_three_lookups(0);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(q) + " queries", q >= 3);
    }
    void testLibunboundCachesOtherwise() {
        const int q = queries_for_three_lookups(100000);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(q) + " queries", q >= 1 && q < 3);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UnboundResolverTest);
