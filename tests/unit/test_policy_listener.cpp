// SPDX-License-Identifier: Apache-2.0
// test_policy_listener.cpp - the policy service's event loop driven over real
// loopback sockets with hostile and heavy input: order, bounds, timeouts,
// hundreds of persistent connections, the worker path, clients that never
// read. Every wait is bounded (poll with a timeout); sockets are closed by
// their owners.
#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "policy_request.hpp"
#include "policy_service/listen_socket.hpp"
#include "policy_service/listener.hpp"
#include "policy_service/responder.hpp"
#include "state_policy.hpp"

namespace mv::policy_service::test {

namespace {

using namespace std::chrono_literals;
using mv::test::postfix_request;
using mv::test::request_text;

class MutexLogger final : public milter::Logger {
  public:
    void log(milter::LogLevel level, std::string_view line) override {
        std::lock_guard lock(mu_);
        lines_.push_back(std::string(milter::level_name(level)) + ": " + std::string(line));
        cv_.notify_all();
    }
    int count(const std::string& needle) {
        std::lock_guard lock(mu_);
        int n = 0;
        for (const auto& l : lines_)
            if (l.find(needle) != std::string::npos) ++n;
        return n;
    }
    bool wait_for(const std::string& needle, std::chrono::milliseconds limit = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (count(needle) > 0) return true;
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, 20ms);
        }
        return count(needle) > 0;
    }
    std::string all() {
        std::lock_guard lock(mu_);
        std::string s;
        for (const auto& l : lines_) s += l + "\n";
        return s;
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
};

// A client socket with bounded reads.
class Client {
  public:
    explicit Client(int port) {
        fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<unsigned short>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CPPUNIT_ASSERT(::connect(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    void send(const std::string& bytes) {
        std::size_t off = 0;
        while (off < bytes.size()) {
            const ssize_t n =
                ::send(fd_.get(), bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return;  // the server closed: the test reads that
            off += static_cast<std::size_t>(n);
        }
    }
    void shutdown_write() { ::shutdown(fd_.get(), SHUT_WR); }
    // Reads until `answers` complete answers ("...\n\n") or EOF or `limit`.
    std::vector<std::string> answers(std::size_t answers, std::chrono::milliseconds limit = 5s) {
        std::vector<std::string> out;
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (out.size() < answers) {
            std::size_t end;
            while (out.size() < answers && (end = buf_.find("\n\n")) != std::string::npos) {
                out.push_back(buf_.substr(0, end));
                buf_.erase(0, end + 2);
            }
            if (out.size() >= answers || !read_some(deadline)) break;
        }
        return out;
    }
    // True when the server closed the connection within `limit`.
    bool closed(std::chrono::milliseconds limit = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (read_some(deadline)) {
        }
        return eof_;
    }
    int fd() const { return fd_.get(); }

  private:
    bool read_some(std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || eof_) return false;
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char b[65536];
        const ssize_t n = ::recv(fd_.get(), b, sizeof b, 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        buf_.append(b, static_cast<std::size_t>(n));
        return true;
    }
    UniqueFd fd_;
    std::string buf_;
    bool eof_ = false;
};

std::string rcpt_request(const std::string& rcpt, const std::string& port = "40001") {
    return request_text(postfix_request("RCPT", "s@x.example", rcpt, "m1", port));
}

}  // namespace

class ListenerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ListenerTest);
    CPPUNIT_TEST(testPipelinedRequestsAreAnsweredInOrder);
    CPPUNIT_TEST(testRequestSplitIntoBytesGetsOneAnswer);
    CPPUNIT_TEST(testNulByteClosesTheConnectionWithALogLine);
    CPPUNIT_TEST(testOversizedAttributeClosesTheConnection);
    CPPUNIT_TEST(testMegabyteOfGarbageClosesTheConnection);
    CPPUNIT_TEST(testRequestWithoutEmptyLineTimesOut);
    CPPUNIT_TEST(testPipeliningClientIsNeverTimedOut);
    CPPUNIT_TEST(testTimeoutRunsFromTheUnfinishedRequestsFirstByte);
    CPPUNIT_TEST(testClientThatNeverReadsIsClosed);
    CPPUNIT_TEST(testIdleConnectionIsClosedQuietly);
    CPPUNIT_TEST(testUnknownAttributeIsLoggedOncePerConnection);
    CPPUNIT_TEST(testMissingProtocolStateIsAnsweredAsAnError);
    CPPUNIT_TEST(testTwoHundredFiftyPersistentConnections);
    CPPUNIT_TEST(testConnectionsBeyondTheLimitAreClosed);
    CPPUNIT_TEST(testWorkerPathKeepsOrderAndASlowLookupBlocksNoOneElse);
    CPPUNIT_TEST(testClientThatDoesNotReadIsThrottledNotBuffered);
    CPPUNIT_TEST(testSlowReaderDoesNotGrowTheOutputBuffer);
    CPPUNIT_TEST(testHalfClosedPeerGetsTheAnswersItIsOwed);
    CPPUNIT_TEST(testHostileClientsDoNotDisturbAWellBehavedOne);
    CPPUNIT_TEST_SUITE_END();

    MutexLogger log_;
    std::unique_ptr<Listener> listener_;
    int port_ = 0;
    std::atomic<bool> block_{false};

    // A listener on a kernel-assigned loopback port answering with `answer`.
    void start(Listener::Answer answer, ListenerOptions o = {}) {
        milter::SocketSpec spec;
        spec.kind = milter::SocketSpec::Kind::Inet;
        spec.host = "127.0.0.1";
        spec.port = 0;
        std::string error;
        UniqueFd fd = open_listen_socket(spec, error);
        CPPUNIT_ASSERT_MESSAGE(error, fd);
        sockaddr_in a{};
        socklen_t len = sizeof a;
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        listener_ = std::make_unique<Listener>(
            std::move(fd), std::move(answer), [this] { return block_.load(); }, log_, o);
        CPPUNIT_ASSERT_EQUAL(std::string(), listener_->start());
    }

    // Answers with the request's recipient (or its problem).
    static std::string echo(const Request& r, const std::string&) {
        return r.problem.empty() ? "DUNNO " + r.get(Attr::Recipient) : "PROBLEM " + r.problem;
    }

  public:
    void tearDown() override {
        if (listener_) listener_->stop();
        listener_.reset();
    }

    void testPipelinedRequestsAreAnsweredInOrder() {
        start(echo);
        Client c(port_);
        std::string all;
        for (int i = 0; i < 200; ++i) all += rcpt_request("r" + std::to_string(i) + "@example.org");
        c.send(all);
        const auto got = c.answers(200);
        CPPUNIT_ASSERT_EQUAL(std::size_t(200), got.size());
        for (int i = 0; i < 200; ++i)
            CPPUNIT_ASSERT_EQUAL("action=DUNNO r" + std::to_string(i) + "@example.org",
                                 got[static_cast<std::size_t>(i)]);
    }

    void testRequestSplitIntoBytesGetsOneAnswer() {
        start(echo);
        Client c(port_);
        const std::string r = rcpt_request("split@example.org");
        for (std::size_t i = 0; i < r.size(); i += 7) {
            c.send(r.substr(i, 7));
            if (i % 70 == 0) std::this_thread::sleep_for(1ms);
        }
        const auto got = c.answers(2, 500ms);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
        CPPUNIT_ASSERT_EQUAL(std::string("action=DUNNO split@example.org"), got[0]);
    }

    void testNulByteClosesTheConnectionWithALogLine() {
        start(echo);
        Client c(port_);
        c.send(std::string("request=smtpd_access_policy\nsender=a\0b\n\n", 40));
        CPPUNIT_ASSERT(c.answers(1, 1s).empty());
        CPPUNIT_ASSERT(c.closed());
        CPPUNIT_ASSERT(log_.wait_for(": NUL byte in a request; closing"));
    }

    void testOversizedAttributeClosesTheConnection() {
        start(echo);
        Client c(port_);
        c.send("request=smtpd_access_policy\nsender=" + std::string(100000, 'a') + "\n\n");
        CPPUNIT_ASSERT(c.closed());
        CPPUNIT_ASSERT(log_.wait_for("attribute line longer than 4162 bytes; closing"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), listener_->stats().closed_bad);
    }

    void testMegabyteOfGarbageClosesTheConnection() {
        start(echo);
        Client c(port_);
        std::string garbage(1024 * 1024, '\0');
        unsigned x = 7;
        for (auto& ch : garbage) {
            x = x * 1103515245 + 12345;
            ch = static_cast<char>(x >> 16);
        }
        std::thread writer([&] { c.send(garbage); });
        CPPUNIT_ASSERT(c.closed());
        writer.join();
        CPPUNIT_ASSERT(log_.wait_for("; closing"));
        // The service still answers others.
        Client d(port_);
        d.send(rcpt_request("after@example.org"));
        const auto got = d.answers(1);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
    }

    void testRequestWithoutEmptyLineTimesOut() {
        ListenerOptions o;
        o.request_timeout = 300ms;
        start(echo, o);
        Client c(port_);
        const auto t0 = std::chrono::steady_clock::now();
        std::string r = rcpt_request("x@example.org");
        c.send(r.substr(0, r.size() - 1));  // no empty line
        CPPUNIT_ASSERT(c.closed(3s));
        const auto waited = std::chrono::steady_clock::now() - t0;
        CPPUNIT_ASSERT(waited >= 280ms && waited < 2s);
        CPPUNIT_ASSERT(log_.wait_for("request not complete (no empty line)"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), listener_->stats().timeouts);
    }

    // Issue 29 point 8: a client writing complete requests back to back, the
    // first bytes of the next one always in flight (each write ends in the
    // middle of a request), for three times policy_timeout, gets every
    // answer and keeps its connection: the timeout is the unfinished
    // request's, not the connection's.
    void testPipeliningClientIsNeverTimedOut() {
        ListenerOptions o;
        o.request_timeout = 300ms;
        start(echo, o);
        Client c(port_);
        const auto until = std::chrono::steady_clock::now() + 900ms;
        std::atomic<int> sent{0};
        std::thread writer([&] {
            // Write i: the second half of request i-1, the first half of request i.
            std::string carry;
            for (int i = 0; std::chrono::steady_clock::now() < until && i < 5000; ++i) {
                const std::string r = rcpt_request("p" + std::to_string(i) + "@example.org");
                c.send(carry + r.substr(0, r.size() / 2));
                carry = r.substr(r.size() / 2);
                sent = i + 1;
                std::this_thread::sleep_for(2ms);
            }
            c.send(carry);
        });
        std::vector<std::string> got;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            for (auto& a : c.answers(1, 200ms)) got.push_back(std::move(a));
            if (std::chrono::steady_clock::now() > until && sent > 0 &&
                got.size() >= static_cast<std::size_t>(sent.load()))
                break;
        }
        writer.join();
        for (auto& a : c.answers(static_cast<std::size_t>(sent.load()) - got.size(), 2s))
            got.push_back(std::move(a));
        CPPUNIT_ASSERT_MESSAGE(log_.all(), sent.load() > 100);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(log_.all(), static_cast<std::size_t>(sent.load()), got.size());
        for (std::size_t i = 0; i < got.size(); i += 37)
            CPPUNIT_ASSERT_EQUAL("action=DUNNO p" + std::to_string(i) + "@example.org", got[i]);
        CPPUNIT_ASSERT_MESSAGE(log_.all(), !c.closed(300ms));
        CPPUNIT_ASSERT_EQUAL(0, log_.count("closing"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), listener_->stats().timeouts);
    }

    // The clock restarts with each request: a request completed 400 ms into
    // a 600 ms timeout, followed by the first bytes of the next one, leaves
    // that next one its own 600 ms; it is then closed for it.
    void testTimeoutRunsFromTheUnfinishedRequestsFirstByte() {
        ListenerOptions o;
        o.request_timeout = 600ms;
        start(echo, o);
        Client c(port_);
        const std::string a = rcpt_request("a@example.org"), b = rcpt_request("b@example.org");
        c.send(a.substr(0, 10));
        std::this_thread::sleep_for(400ms);
        const auto t1 = std::chrono::steady_clock::now();
        c.send(a.substr(10) + b.substr(0, 10));
        const auto got = c.answers(1);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
        CPPUNIT_ASSERT_EQUAL(std::string("action=DUNNO a@example.org"), got[0]);
        // Still open 450 ms after b began (850 ms after a began): the window
        // runs from t1, however late the answer came on a loaded machine.
        const auto open_until = t1 + 450ms;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            open_until - std::chrono::steady_clock::now());
        if (left.count() > 0) CPPUNIT_ASSERT_MESSAGE(log_.all(), !c.closed(left));
        CPPUNIT_ASSERT(c.closed(3s));
        const auto waited = std::chrono::steady_clock::now() - t1;
        CPPUNIT_ASSERT(waited >= 580ms && waited < 2s);
        CPPUNIT_ASSERT(log_.wait_for("request not complete (no empty line)"));
    }

    // A client that sends and never reads its answers is not kept for ever
    // now that parsing waiting on its backlog stops the request clock: it is
    // closed when its answers have not moved for policy_timeout.
    void testClientThatNeverReadsIsClosed() {
        ListenerOptions o;
        o.request_timeout = 300ms;
        // Answers of 4 KB: the socket buffers fill after a few thousand.
        start(
            [](const Request& r, const std::string&) {
                return "DUNNO " + r.get(Attr::Recipient) + std::string(4000, 'x');
            },
            o);
        Client c(port_);
        const int small = 4096;
        ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        std::thread writer([&] {
            std::string chunk;
            for (int i = 0; i < 20000; ++i) chunk += rcpt_request("n" + std::to_string(i));
            c.send(chunk);  // returns when the server closes
        });
        const bool closed = log_.wait_for("answers not read for", 20s);
        ::shutdown(c.fd(), SHUT_RDWR);  // unblocks the writer if still sending
        writer.join();
        CPPUNIT_ASSERT_MESSAGE(log_.all(), closed);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), listener_->stats().timeouts);
        CPPUNIT_ASSERT_EQUAL(0, log_.count("request not complete"));
    }

    void testIdleConnectionIsClosedQuietly() {
        ListenerOptions o;
        o.idle_timeout = 300ms;
        start(echo, o);
        Client c(port_);
        c.send(rcpt_request("x@example.org"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), c.answers(1).size());
        CPPUNIT_ASSERT(c.closed(3s));
        CPPUNIT_ASSERT_EQUAL(0, log_.count("closing"));
    }

    void testUnknownAttributeIsLoggedOncePerConnection() {
        start(echo);
        Client c(port_);
        const std::string r =
            "request=smtpd_access_policy\nprotocol_state=RCPT\nfuture=1\n"
            "recipient=u@example.org\n\n";
        c.send(r + r);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.answers(2).size());
        CPPUNIT_ASSERT_EQUAL(1, log_.count("ignoring unknown attribute future"));
    }

    void testMissingProtocolStateIsAnsweredAsAnError() {
        mv::test::StatePolicy p(
            "rules = ( { name = \"r\"; when = { rcpt = \"x@y\"; }; "
            "action = \"reject\"; } );");
        policy::PolicyPtr pp = p.policy;
        Responder responder([pp] { return pp; }, log_, false);
        start([&](const Request& r, const std::string& peer) { return responder.answer(r, peer); });
        Client c(port_);
        c.send("request=smtpd_access_policy\nclient_address=192.0.2.1\n\n" + rcpt_request("x@y"));
        const auto got = c.answers(2);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), got.size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("action=451 4.3.0 Temporary internal error, please try again later"),
            got[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("action=550 5.7.1 Message refused by policy"), got[1]);
        CPPUNIT_ASSERT(log_.wait_for("malformed request: no protocol_state attribute"));
    }

    void testTwoHundredFiftyPersistentConnections() {
        start(echo);
        std::vector<std::unique_ptr<Client>> clients;
        for (int i = 0; i < 250; ++i) clients.push_back(std::make_unique<Client>(port_));
        for (int round = 0; round < 3; ++round) {
            for (std::size_t i = 0; i < clients.size(); ++i)
                clients[i]->send(
                    rcpt_request("c" + std::to_string(i) + "-" + std::to_string(round)));
            for (std::size_t i = 0; i < clients.size(); ++i) {
                const auto got = clients[i]->answers(1);
                CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
                CPPUNIT_ASSERT_EQUAL(
                    "action=DUNNO c" + std::to_string(i) + "-" + std::to_string(round), got[0]);
            }
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(250), listener_->stats().open);
    }

    void testConnectionsBeyondTheLimitAreClosed() {
        ListenerOptions o;
        o.max_connections = 5;
        start(echo, o);
        std::vector<std::unique_ptr<Client>> clients;
        for (int i = 0; i < 5; ++i) {
            clients.push_back(std::make_unique<Client>(port_));
            clients.back()->send(rcpt_request("ok@example.org"));
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), clients.back()->answers(1).size());
        }
        Client extra(port_);
        CPPUNIT_ASSERT(extra.closed());
        CPPUNIT_ASSERT(log_.wait_for("more than 5 connections (policy_max_connections)"));
        // The five still work.
        clients[0]->send(rcpt_request("again@example.org"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), clients[0]->answers(1).size());
    }

    void testWorkerPathKeepsOrderAndASlowLookupBlocksNoOneElse() {
        block_ = true;
        start([](const Request& r, const std::string&) {
            const std::string& to = r.get(Attr::Recipient);
            if (to == "slow@example.org")
                std::this_thread::sleep_for(800ms);
            else
                std::this_thread::sleep_for(std::chrono::microseconds(to.size() % 7 * 100));
            return "DUNNO " + to;
        });
        Client slow(port_), fast(port_);
        slow.send(rcpt_request("slow@example.org") + rcpt_request("after-slow@example.org"));
        std::this_thread::sleep_for(50ms);
        const auto t0 = std::chrono::steady_clock::now();
        std::string all;
        for (int i = 0; i < 50; ++i) all += rcpt_request("f" + std::to_string(i));
        fast.send(all);
        const auto got = fast.answers(50);
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - t0 < 600ms);
        CPPUNIT_ASSERT_EQUAL(std::size_t(50), got.size());
        for (int i = 0; i < 50; ++i)
            CPPUNIT_ASSERT_EQUAL("action=DUNNO f" + std::to_string(i),
                                 got[static_cast<std::size_t>(i)]);
        const auto s = slow.answers(2);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.size());
        CPPUNIT_ASSERT_EQUAL(std::string("action=DUNNO slow@example.org"), s[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("action=DUNNO after-slow@example.org"), s[1]);
    }

    void testClientThatDoesNotReadIsThrottledNotBuffered() {
        start(echo);
        Client c(port_);
        constexpr int kRequests = 5000;  // about 2.5 MB of requests
        std::thread writer([&] {
            std::string chunk;
            for (int i = 0; i < kRequests; ++i) {
                chunk += rcpt_request("n" + std::to_string(i));
                if (chunk.size() > 65536) {
                    c.send(chunk);
                    chunk.clear();
                }
            }
            c.send(chunk);
        });
        std::this_thread::sleep_for(300ms);  // the client reads nothing meanwhile
        const auto got = c.answers(kRequests, 20s);
        writer.join();
        CPPUNIT_ASSERT_EQUAL(std::size_t(kRequests), got.size());
        for (int i = 0; i < kRequests; i += 499)
            CPPUNIT_ASSERT_EQUAL("action=DUNNO n" + std::to_string(i),
                                 got[static_cast<std::size_t>(i)]);
    }

    // A client that pipelines and reads slower than the service answers gets
    // every answer, its connection stays open, and the output buffer stays
    // near kMaxOutput. A guard, not a reproduction: in review the sent bytes
    // kept in the buffer grew the daemon from 46 MB to 631 MB in 40 s, and a
    // reader slower still was closed "request not complete" while the
    // service itself held back reading; this short run does not reach
    // either (the kernel's socket buffers absorb it), and passes without
    // the two fixes in listener.cpp.
    void testSlowReaderDoesNotGrowTheOutputBuffer() {
        ListenerOptions o;
        o.request_timeout = 1s;  // the slow read below lasts several seconds
        start(echo, o);
        Client c(port_);
        constexpr int kRequests = 200;
        const std::string local(900, 'r');
        std::thread writer([&] {
            std::string chunk;
            for (int i = 0; i < kRequests; ++i) {
                chunk += rcpt_request(local + std::to_string(i) + "@example.org");
                if (chunk.size() > 65536) {
                    c.send(chunk);
                    chunk.clear();
                }
            }
            c.send(chunk);
        });
        std::size_t answers = 0, carry = 0;
        // Small reads with a pause, slower than the service answers, and a
        // small receive buffer, so that the kernel cannot take all the answers
        // off the service's hands: its output never empties.
        const int rcvbuf = 4096;
        ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        char buf[1024];
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        char last = 0;
        while (answers < kRequests && std::chrono::steady_clock::now() < deadline) {
            pollfd p{c.fd(), POLLIN, 0};
            if (::poll(&p, 1, 1000) <= 0) continue;
            const ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
            if (n <= 0) break;
            for (ssize_t i = 0; i < n; ++i) {
                if (buf[i] == '\n' && last == '\n') ++answers;
                last = buf[i];
            }
            carry += static_cast<std::size_t>(n);
            std::this_thread::sleep_for(1ms);
        }
        writer.join();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(log_.all(), std::size_t(kRequests), answers);
        const std::size_t peak = listener_->stats().peak_output;
        CPPUNIT_ASSERT_MESSAGE("peak output buffer " + std::to_string(peak) + " bytes after " +
                                   std::to_string(carry) + " bytes read",
                               peak < 4 * Listener::kMaxOutput);
    }

    void testHalfClosedPeerGetsTheAnswersItIsOwed() {
        start(echo);
        Client c(port_);
        c.send(rcpt_request("one@example.org") + rcpt_request("two@example.org"));
        c.shutdown_write();
        const auto got = c.answers(2);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), got.size());
        CPPUNIT_ASSERT_EQUAL(std::string("action=DUNNO two@example.org"), got[1]);
        CPPUNIT_ASSERT(c.closed());
    }

    void testHostileClientsDoNotDisturbAWellBehavedOne() {
        ListenerOptions o;
        o.request_timeout = 500ms;
        start(echo, o);
        Client good(port_);
        Client silent(port_);  // opens and says nothing
        Client partial(port_);
        partial.send("request=smtpd_access_policy\nprotocol_state=RC");  // never finishes
        Client flood(port_);
        std::thread writer([&] { flood.send(std::string(2 * 1024 * 1024, 'A')); });
        for (int i = 0; i < 20; ++i) {
            good.send(rcpt_request("g" + std::to_string(i)));
            const auto got = good.answers(1, 1s);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
            CPPUNIT_ASSERT_EQUAL("action=DUNNO g" + std::to_string(i), got[0]);
        }
        CPPUNIT_ASSERT(flood.closed());
        writer.join();
        CPPUNIT_ASSERT(partial.closed(3s));
        CPPUNIT_ASSERT(!silent.closed(100ms));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ListenerTest);

}  // namespace mv::policy_service::test
