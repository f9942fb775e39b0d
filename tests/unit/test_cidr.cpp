// SPDX-License-Identifier: Apache-2.0
// test_cidr.cpp - CidrSet: parsing, IPv4/IPv6/mapped lookup, errors, scale.
#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>
#include <string>

#include "policy/cidr_set.hpp"

using mv::policy::CidrSet;

class CidrSetTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CidrSetTest);
    CPPUNIT_TEST(testIpv4NetworkContainsItsAddressesOnly);
    CPPUNIT_TEST(testBareAddressesAreHostRoutes);
    CPPUNIT_TEST(testIpv6NetworkMatches);
    CPPUNIT_TEST(testIpv4MappedClientMatchesIpv4Network);
    CPPUNIT_TEST(testMappedNetworkMatchesIpv4Client);
    CPPUNIT_TEST(testShortIpv6NetworkCoversMappedClients);
    CPPUNIT_TEST(testZeroLengthMatchesEverything);
    CPPUNIT_TEST(testInvalidAddressThrowsWithMessage);
    CPPUNIT_TEST(testBadPrefixLengthThrows);
    CPPUNIT_TEST(testHostBitsSetIsRejected);
    CPPUNIT_TEST(testUnparsableClientIsNotContained);
    CPPUNIT_TEST(testSendmailClientFormsAreAccepted);
    CPPUNIT_TEST(testMillionEntries);
    CPPUNIT_TEST(testOverlappingPrefixesMatchEither);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testOverlappingPrefixesMatchEither() {
        CidrSet s;
        s.add("10.1.2.0/24");
        s.add("10.0.0.0/8");  // wider, added after the narrower one
        s.add("10.1.0.0/16");
        s.add("2001:db8:1::/48");
        s.add("2001:db8::/32");
        CPPUNIT_ASSERT(s.contains("10.1.2.3"));
        CPPUNIT_ASSERT(s.contains("10.200.0.1"));
        CPPUNIT_ASSERT(!s.contains("11.1.2.3"));
        CPPUNIT_ASSERT(s.contains("2001:db8:1::5"));
        CPPUNIT_ASSERT(s.contains("2001:db8:ffff::5"));
        CPPUNIT_ASSERT(s.contains("::ffff:10.9.9.9"));
        CPPUNIT_ASSERT(!s.contains("2001:db9::1"));
    }
    void testIpv4NetworkContainsItsAddressesOnly() {
        CidrSet s;
        s.add("192.0.2.0/24");
        CPPUNIT_ASSERT(s.contains("192.0.2.0"));
        CPPUNIT_ASSERT(s.contains("192.0.2.255"));
        CPPUNIT_ASSERT(!s.contains("192.0.3.0"));
        CPPUNIT_ASSERT(!s.contains("192.0.1.255"));
    }

    void testBareAddressesAreHostRoutes() {
        CidrSet s;
        s.add("198.51.100.7");
        s.add("2001:db8::1");
        CPPUNIT_ASSERT(s.contains("198.51.100.7"));
        CPPUNIT_ASSERT(!s.contains("198.51.100.8"));
        CPPUNIT_ASSERT(s.contains("2001:db8::1"));
        CPPUNIT_ASSERT(s.contains("2001:0db8:0:0:0:0:0:1"));
        CPPUNIT_ASSERT(!s.contains("2001:db8::2"));
    }

    void testIpv6NetworkMatches() {
        CidrSet s;
        s.add("2001:db8::/32");
        s.add("2001:db8:ffff:1::/64");
        CPPUNIT_ASSERT(s.contains("2001:db8:1234::5"));
        CPPUNIT_ASSERT(!s.contains("2001:db9::1"));
        CidrSet t;
        t.add("2001:db8:0:1::/65");
        CPPUNIT_ASSERT(t.contains("2001:db8:0:1:7fff::1"));
        CPPUNIT_ASSERT(!t.contains("2001:db8:0:1:8000::1"));
    }

    void testIpv4MappedClientMatchesIpv4Network() {
        CidrSet s;
        s.add("192.0.2.0/24");
        CPPUNIT_ASSERT(s.contains("::ffff:192.0.2.1"));
        CPPUNIT_ASSERT(s.contains("::FFFF:c000:0201"));
        CPPUNIT_ASSERT(!s.contains("::ffff:192.0.3.1"));
        // Not mapped: ::192.0.2.1 (deprecated compatible form) is another address.
        CPPUNIT_ASSERT(!s.contains("::192.0.2.1"));
    }

    void testMappedNetworkMatchesIpv4Client() {
        CidrSet s;
        s.add("::ffff:192.0.2.0/120");
        CPPUNIT_ASSERT(s.contains("192.0.2.44"));
        CPPUNIT_ASSERT(!s.contains("192.0.3.44"));
    }

    void testShortIpv6NetworkCoversMappedClients() {
        CidrSet s;
        s.add("::ffff:0:0/96");
        CPPUNIT_ASSERT(s.contains("203.0.113.9"));
        CPPUNIT_ASSERT(!s.contains("2001:db8::1"));
    }

    void testZeroLengthMatchesEverything() {
        CidrSet s;
        s.add("0.0.0.0/0");
        CPPUNIT_ASSERT(s.contains("1.2.3.4"));
        CPPUNIT_ASSERT(!s.contains("2001:db8::1"));
        s.add("::/0");
        CPPUNIT_ASSERT(s.contains("2001:db8::1"));
    }

    void testInvalidAddressThrowsWithMessage() {
        CidrSet s;
        try {
            s.add("300.1.2.3/24");
            CPPUNIT_FAIL("no exception");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_EQUAL(
                std::string("bad network '300.1.2.3/24': not an IPv4 or IPv6 address"),
                std::string(e.what()));
        }
        CPPUNIT_ASSERT_THROW(s.add(""), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add("example.com"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add("1.2.3"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add("2001:db8:::1"), std::invalid_argument);
        CPPUNIT_ASSERT_EQUAL(std::size_t{0}, s.size());
    }

    void testBadPrefixLengthThrows() {
        CidrSet s;
        CPPUNIT_ASSERT_THROW(s.add("192.0.2.0/33"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add("192.0.2.0/"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add("192.0.2.0/-1"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add("192.0.2.0/24x"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add("2001:db8::/129"), std::invalid_argument);
    }

    void testHostBitsSetIsRejected() {
        CidrSet s;
        try {
            s.add("192.0.2.1/24");
            CPPUNIT_FAIL("no exception");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT(std::string(e.what()).find("did you mean 192.0.2.0/24") !=
                           std::string::npos);
        }
        CPPUNIT_ASSERT_THROW(s.add("2001:db8::1/32"), std::invalid_argument);
        CPPUNIT_ASSERT(!s.contains("192.0.2.1"));
    }

    void testUnparsableClientIsNotContained() {
        CidrSet s;
        s.add("0.0.0.0/0");
        s.add("::/0");
        CPPUNIT_ASSERT(!s.contains(""));
        CPPUNIT_ASSERT(!s.contains("unknown"));
        CPPUNIT_ASSERT(!s.contains(std::string("1.2.3.4\0junk", 12)));
        CPPUNIT_ASSERT(!s.contains(std::string(100000, '1')));
    }

    void testSendmailClientFormsAreAccepted() {
        CidrSet s;
        s.add("2001:db8::/32");
        s.add("192.0.2.0/24");
        CPPUNIT_ASSERT(s.contains("IPv6:2001:db8::5"));
        CPPUNIT_ASSERT(s.contains("[192.0.2.5]"));
        CPPUNIT_ASSERT(!s.contains("fe80::1%eth0"));
        CPPUNIT_ASSERT(s.contains("2001:db8::5%eth0"));
    }

    void testMillionEntries() {
        CidrSet s;
        for (std::uint32_t i = 0; i < 1000000; ++i) {
            const std::uint32_t a = 0x0a000000u + i * 2;  // 10.0.0.0, 10.0.0.2, ...
            s.add(std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
                  std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t{1000000}, s.size());
        CPPUNIT_ASSERT(s.contains("10.0.0.2"));
        CPPUNIT_ASSERT(!s.contains("10.0.0.3"));
        CPPUNIT_ASSERT(s.contains("10.30.132.126"));  // 10.0.0.0 + 999999*2 = 0x0a1e847e
        CPPUNIT_ASSERT(!s.contains("10.30.132.128"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CidrSetTest);
