// SPDX-License-Identifier: Apache-2.0
// test_metrics_server.cpp - the HTTP endpoint on loopback (observability/metrics_server.hpp).
//
// The server listens on 127.0.0.1 with a kernel-assigned port; each case is
// one raw HTTP exchange, bounded by socket timeouts. The hostile-client
// cases against the running daemon are in tests/e2e/cases/metrics.py.
#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "observability/metrics.hpp"
#include "observability/metrics_server.hpp"

namespace mv::observability::test {

namespace {

// Sends `request`, returns everything the server answers until it closes.
std::string exchange(int port, const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    CPPUNIT_ASSERT(fd >= 0);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(static_cast<std::uint16_t>(port));
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&in), sizeof in) == 0) {
        std::size_t sent = 0;
        while (sent < request.size()) {
            const ssize_t n =
                ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;  // the server may close on a request it refuses
            sent += static_cast<std::size_t>(n);
        }
        char buf[65536];
        for (int i = 0; i < 10000; ++i) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return out;
}

std::string header_of(const std::string& response, const std::string& name) {
    const auto at = response.find("\r\n" + name + ": ");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 4;
    return response.substr(start, response.find("\r\n", start) - start);
}

std::string body_of(const std::string& response) {
    const auto at = response.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : response.substr(at + 4);
}

}  // namespace

class MetricsServerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsServerTest);
    CPPUNIT_TEST(testGetMetricsAnswersTheTextFormat);
    CPPUNIT_TEST(testOpenMetricsWhenAsked);
    CPPUNIT_TEST(testHeadHasNoBody);
    CPPUNIT_TEST(testLandingPageNamesMetrics);
    CPPUNIT_TEST(testOtherPathsAndMethodsAreRefused);
    CPPUNIT_TEST(testMethodsFollowRfc9110);
    CPPUNIT_TEST(testMalformedRequestLineIsStill400);
    CPPUNIT_TEST(testOversizedRequestIsRefusedAndServerGoesOn);
    CPPUNIT_TEST(testNoCorsHeader);
    CPPUNIT_TEST(testAddressInUseIsReported);
    CPPUNIT_TEST_SUITE_END();

    std::unique_ptr<Metrics> metrics_;
    std::unique_ptr<MetricsServer> server_;

  public:
    void setUp() override {
        metrics_ = std::make_unique<Metrics>(Metrics::Options{{FrontEnd::Milter}, "1.2.3"});
        std::string error;
        server_ = MetricsServer::start(MetricsAddress{"127.0.0.1", 0, false}, *metrics_, error);
        CPPUNIT_ASSERT_MESSAGE(error, server_ != nullptr);
        CPPUNIT_ASSERT(server_->port() > 0);
    }
    void tearDown() override {
        server_.reset();
        metrics_.reset();
    }

    void testGetMetricsAnswersTheTextFormat() {
        const std::string r = exchange(server_->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        CPPUNIT_ASSERT(r.starts_with("HTTP/1.1 200 OK\r\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"),
                             header_of(r, "Content-Type"));
        const std::string body = body_of(r);
        CPPUNIT_ASSERT_EQUAL(std::to_string(body.size()), header_of(r, "Content-Length"));
        CPPUNIT_ASSERT(body.find("milter_verdict_build_info{version=\"1.2.3\"} 1\n") !=
                       std::string::npos);
    }

    void testOpenMetricsWhenAsked() {
        const std::string r =
            exchange(server_->port(),
                     "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;"
                     "version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n\r\n");
        CPPUNIT_ASSERT_EQUAL(
            std::string("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            header_of(r, "Content-Type"));
        CPPUNIT_ASSERT(body_of(r).ends_with("# EOF\n"));
    }

    void testHeadHasNoBody() {
        const std::string r =
            exchange(server_->port(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        CPPUNIT_ASSERT(r.starts_with("HTTP/1.1 200 OK\r\n"));
        CPPUNIT_ASSERT(!header_of(r, "Content-Length").empty());
        CPPUNIT_ASSERT(body_of(r).empty());
    }

    // Issue 25 point 8: GET / is a small HTML page naming /metrics and the
    // version; HEAD has its headers and no body; a POST there is 405.
    void testLandingPageNamesMetrics() {
        const std::string r = exchange(server_->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        CPPUNIT_ASSERT_MESSAGE(r.substr(0, 40), r.starts_with("HTTP/1.1 200 OK\r\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("text/html; charset=utf-8"), header_of(r, "Content-Type"));
        const std::string body = body_of(r);
        CPPUNIT_ASSERT_EQUAL(std::to_string(body.size()), header_of(r, "Content-Length"));
        CPPUNIT_ASSERT(body.starts_with("<!DOCTYPE html>"));
        CPPUNIT_ASSERT(body.find("<a href=\"/metrics\">") != std::string::npos);
        CPPUNIT_ASSERT(body.find("milter-verdict 1.2.3") != std::string::npos);
        CPPUNIT_ASSERT(exchange(server_->port(), "GET /?x=1 HTTP/1.0\r\n\r\n")
                           .starts_with("HTTP/1.1 200 OK\r\n"));

        const std::string head = exchange(server_->port(), "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
        CPPUNIT_ASSERT(head.starts_with("HTTP/1.1 200 OK\r\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("text/html; charset=utf-8"),
                             header_of(head, "Content-Type"));
        CPPUNIT_ASSERT_EQUAL(header_of(r, "Content-Length"), header_of(head, "Content-Length"));
        CPPUNIT_ASSERT(body_of(head).empty());

        const std::string post =
            exchange(server_->port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        CPPUNIT_ASSERT(post.starts_with("HTTP/1.1 405 "));
        CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD"), header_of(post, "Allow"));
    }

    void testOtherPathsAndMethodsAreRefused() {
        for (const char* path : {"/index.html", "/metric", "/metrics/", "/x/"})
            CPPUNIT_ASSERT_MESSAGE(
                path, exchange(server_->port(),
                               std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
                          .starts_with("HTTP/1.1 404 "));
        CPPUNIT_ASSERT(
            exchange(server_->port(), "GET /metrics/../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n")
                .starts_with("HTTP/1.1 404 "));
        const std::string post = exchange(
            server_->port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        CPPUNIT_ASSERT(post.starts_with("HTTP/1.1 405 "));
        CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD"), header_of(post, "Allow"));
    }

    // Issue 29 point 9, RFC 9110 section 9: a method HTTP defines that
    // /metrics does not allow is 405 with Allow (15.5.6: MUST); any other
    // method is 501 (15.6.2). TRACE and unknown tokens are refused by
    // civetweb with 400 before any handler runs: they must not be.
    void testMethodsFollowRfc9110() {
        for (const char* m : {"TRACE", "DELETE", "PUT", "OPTIONS", "PATCH"}) {
            const std::string r =
                exchange(server_->port(), std::string(m) + " /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            CPPUNIT_ASSERT_MESSAGE(m + std::string(": ") + r.substr(0, 40),
                                   r.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
            CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD"), header_of(r, "Allow"));
        }
        for (const char* m : {"FOO", "BREW", "PROPFIND", "get"}) {
            const std::string r =
                exchange(server_->port(), std::string(m) + " /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            CPPUNIT_ASSERT_MESSAGE(m + std::string(": ") + r.substr(0, 40),
                                   r.starts_with("HTTP/1.1 501 Not Implemented\r\n"));
            CPPUNIT_ASSERT_EQUAL(std::string(), header_of(r, "Allow"));
        }
        // Elsewhere: a known method is 404, an unknown one 501.
        CPPUNIT_ASSERT(exchange(server_->port(), "TRACE /other HTTP/1.1\r\nHost: x\r\n\r\n")
                           .starts_with("HTTP/1.1 404 "));
        CPPUNIT_ASSERT(exchange(server_->port(), "FOO /other HTTP/1.1\r\nHost: x\r\n\r\n")
                           .starts_with("HTTP/1.1 501 "));
        // TRACE never echoes the request back.
        const std::string t = exchange(
            server_->port(), "TRACE /metrics HTTP/1.1\r\nHost: x\r\nCookie: secret\r\n\r\n");
        CPPUNIT_ASSERT(t.find("secret") == std::string::npos);
        CPPUNIT_ASSERT(exchange(server_->port(), "GET /metrics HTTP/1.0\r\n\r\n")
                           .starts_with("HTTP/1.1 200 OK\r\n"));
    }

    // What is not a method problem stays civetweb's 400 (whose status line
    // echoes a bad version: "HTTP/FOO/1.1 400 Bad Request").
    void testMalformedRequestLineIsStill400() {
        for (const char* req : {"TRACE /metrics FOO/1.1\r\n\r\n", "FOO /metrics 1.1\r\n\r\n",
                                "GE@T /metrics HTTP/1.1\r\n\r\n" /* '@' is no tchar */,
                                "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n"}) {
            const std::string r = exchange(server_->port(), req);
            CPPUNIT_ASSERT_MESSAGE(req + std::string(" -> ") + r.substr(0, 40),
                                   r.find(" 400 Bad Request\r\n") < 16);
        }
    }

    void testOversizedRequestIsRefusedAndServerGoesOn() {
        const std::string big =
            "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(1 << 20, 'a') + "\r\n\r\n";
        const std::string r = exchange(server_->port(), big);
        // Refused (413) or the connection dropped; never a 200 with metrics.
        CPPUNIT_ASSERT_MESSAGE(r.substr(0, 60), r.empty() || r.find(" 413 ") != std::string::npos ||
                                                    r.find(" 400 ") != std::string::npos);
        CPPUNIT_ASSERT(exchange(server_->port(), "GET /metrics HTTP/1.0\r\n\r\n")
                           .starts_with("HTTP/1.1 200 OK\r\n"));
    }

    // A web page in a browser on this host must not be able to read the metrics.
    void testNoCorsHeader() {
        const std::string r =
            exchange(server_->port(),
                     "GET /metrics HTTP/1.1\r\nHost: x\r\nOrigin: http://evil.example\r\n\r\n");
        CPPUNIT_ASSERT(r.starts_with("HTTP/1.1 200 OK\r\n"));
        CPPUNIT_ASSERT(r.find("Access-Control-Allow-Origin") == std::string::npos);
    }

    void testAddressInUseIsReported() {
        const MetricsAddress taken{"127.0.0.1", server_->port(), false};
        const std::string probe = MetricsServer::probe(taken);
        CPPUNIT_ASSERT_EQUAL(std::string("cannot listen on 127.0.0.1:") +
                                 std::to_string(server_->port()) + ": Address already in use",
                             probe);
        std::string error;
        CPPUNIT_ASSERT(MetricsServer::start(taken, *metrics_, error) == nullptr);
        CPPUNIT_ASSERT(error.starts_with("cannot listen on 127.0.0.1:"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsServerTest);

}  // namespace mv::observability::test
