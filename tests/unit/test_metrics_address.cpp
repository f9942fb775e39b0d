// SPDX-License-Identifier: Apache-2.0
// test_metrics_address.cpp - the `metrics` setting (observability/metrics_address.hpp).
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "observability/metrics_address.hpp"

namespace mv::observability::test {

class MetricsAddressTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsAddressTest);
    CPPUNIT_TEST(testLoopbackAddress);
    CPPUNIT_TEST(testEveryInterfaceOnlyWhenWritten);
    CPPUNIT_TEST(testBarePortIsRefused);
    CPPUNIT_TEST(testHostNamesAreRefused);
    CPPUNIT_TEST(testBadPortsAreRefused);
    CPPUNIT_TEST(testIpv6NeedsBracketsAndSupport);
    CPPUNIT_TEST_SUITE_END();

    static std::string error(const std::string& s) { return parse_metrics_address(s).error; }

  public:
    void testLoopbackAddress() {
        const auto p = parse_metrics_address("127.0.0.1:9809");
        CPPUNIT_ASSERT(p.address);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), p.address->host);
        CPPUNIT_ASSERT_EQUAL(9809, p.address->port);
        CPPUNIT_ASSERT(!p.address->every_interface());
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:9809"), p.address->listening_ports());
        CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:9809/metrics"), p.address->url());
    }

    void testEveryInterfaceOnlyWhenWritten() {
        const auto p = parse_metrics_address("0.0.0.0:9809");
        CPPUNIT_ASSERT(p.address && p.address->every_interface());
    }

    void testBarePortIsRefused() {
        CPPUNIT_ASSERT_EQUAL(std::string("a bare port would listen on every interface; write "
                                         "127.0.0.1:9809 (or 0.0.0.0:9809 if you mean every "
                                         "interface)"),
                             error("9809"));
        CPPUNIT_ASSERT(!parse_metrics_address(":9809").address);
    }

    void testHostNamesAreRefused() {
        CPPUNIT_ASSERT(error("localhost:9809").find("is not an IPv4 address") != std::string::npos);
        CPPUNIT_ASSERT(!parse_metrics_address("127.0.0.1").address);
        CPPUNIT_ASSERT(!parse_metrics_address("").address);
    }

    void testBadPortsAreRefused() {
        CPPUNIT_ASSERT_EQUAL(std::string("bad port '0' (1 to 65535)"), error("127.0.0.1:0"));
        CPPUNIT_ASSERT(!parse_metrics_address("127.0.0.1:65536").address);
        CPPUNIT_ASSERT(!parse_metrics_address("127.0.0.1:99999999999").address);
        CPPUNIT_ASSERT(!parse_metrics_address("127.0.0.1:12a").address);
    }

    void testIpv6NeedsBracketsAndSupport() {
        CPPUNIT_ASSERT(error("::1:9809").find("needs brackets") != std::string::npos);
        const auto p = parse_metrics_address("[::1]:9809");
        // Debian 12's civetweb has no IPv6: refused with that reason; a build
        // with IPv6 accepts it.
        if (p.address)
            CPPUNIT_ASSERT_EQUAL(std::string("[::1]:9809"), p.address->listening_ports());
        else
            CPPUNIT_ASSERT(p.error.find("without IPv6") != std::string::npos);
        CPPUNIT_ASSERT(!parse_metrics_address("[::1:9809").address);
        CPPUNIT_ASSERT(!parse_metrics_address("[zz]:9809").address);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsAddressTest);

}  // namespace mv::observability::test
