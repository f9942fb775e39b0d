// SPDX-License-Identifier: Apache-2.0
// test_socket_spec.cpp - socket strings and the refusal of a bare inet:PORT.
#include <cppunit/extensions/HelperMacros.h>

#include "milter/socket_spec.hpp"

namespace mv::milter::test {

class SocketSpecTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SocketSpecTest);
    CPPUNIT_TEST(testInetWithHostIsAccepted);
    CPPUNIT_TEST(testBareInetPortIsRefused);
    CPPUNIT_TEST(testBareInet6PortIsRefused);
    CPPUNIT_TEST(testExplicitWildcardIsAcceptedAndFlagged);
    CPPUNIT_TEST(testInet6WithHostIsAccepted);
    CPPUNIT_TEST(testUnixFormsAreAccepted);
    CPPUNIT_TEST(testRelativeUnixPathIsRefused);
    CPPUNIT_TEST(testBadPortsAreRefused);
    CPPUNIT_TEST(testUnknownSchemeIsRefused);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testInetWithHostIsAccepted() {
        const auto p = parse_socket("inet:8890@127.0.0.1");
        CPPUNIT_ASSERT(p.spec);
        CPPUNIT_ASSERT(p.spec->kind == SocketSpec::Kind::Inet);
        CPPUNIT_ASSERT_EQUAL(8890, p.spec->port);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), p.spec->host);
        CPPUNIT_ASSERT_EQUAL(std::string("inet:8890@127.0.0.1"), p.spec->connection());
        CPPUNIT_ASSERT(!p.spec->listens_everywhere());
    }
    void testBareInetPortIsRefused() {
        const auto p = parse_socket("inet:8890");
        CPPUNIT_ASSERT(!p.spec);
        CPPUNIT_ASSERT(p.error.find("every interface") != std::string::npos);
        CPPUNIT_ASSERT(p.error.find("inet:8890@127.0.0.1") != std::string::npos);
    }
    void testBareInet6PortIsRefused() {
        const auto p = parse_socket("inet6:8890");
        CPPUNIT_ASSERT(!p.spec);
        CPPUNIT_ASSERT(p.error.find("inet6:8890@::1") != std::string::npos);
    }
    void testExplicitWildcardIsAcceptedAndFlagged() {
        const auto p = parse_socket("inet:8890@0.0.0.0");
        CPPUNIT_ASSERT(p.spec);
        CPPUNIT_ASSERT(p.spec->listens_everywhere());
        const auto q = parse_socket("inet6:8890@::");
        CPPUNIT_ASSERT(q.spec);
        CPPUNIT_ASSERT(q.spec->listens_everywhere());
    }
    void testInet6WithHostIsAccepted() {
        const auto p = parse_socket("inet6:8890@::1");
        CPPUNIT_ASSERT(p.spec);
        CPPUNIT_ASSERT(p.spec->kind == SocketSpec::Kind::Inet6);
        CPPUNIT_ASSERT_EQUAL(std::string("inet6:8890@::1"), p.spec->connection());
    }
    void testUnixFormsAreAccepted() {
        for (const char* s : {"unix:/run/mv.sock", "local:/run/mv.sock", "/run/mv.sock"}) {
            const auto p = parse_socket(s);
            CPPUNIT_ASSERT_MESSAGE(s, p.spec);
            CPPUNIT_ASSERT(p.spec->kind == SocketSpec::Kind::Unix);
            CPPUNIT_ASSERT_EQUAL(std::string("/run/mv.sock"), p.spec->path);
            CPPUNIT_ASSERT_EQUAL(std::string("unix:/run/mv.sock"), p.spec->connection());
        }
    }
    void testRelativeUnixPathIsRefused() {
        CPPUNIT_ASSERT(!parse_socket("unix:mv.sock").spec);
        CPPUNIT_ASSERT(!parse_socket("unix:").spec);
    }
    void testBadPortsAreRefused() {
        for (const char* s : {"inet:0@127.0.0.1", "inet:65536@127.0.0.1", "inet:x@127.0.0.1",
                              "inet:@127.0.0.1", "inet:25@", "inet:25x@127.0.0.1"})
            CPPUNIT_ASSERT_MESSAGE(s, !parse_socket(s).spec);
    }
    void testUnknownSchemeIsRefused() {
        const auto p = parse_socket("tcp:8890@127.0.0.1");
        CPPUNIT_ASSERT(!p.spec);
        CPPUNIT_ASSERT(p.error.find("expected unix:/path") != std::string::npos);
        CPPUNIT_ASSERT(!parse_socket("").spec);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SocketSpecTest);

}  // namespace mv::milter::test
