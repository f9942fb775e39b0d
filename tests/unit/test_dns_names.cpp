// SPDX-License-Identifier: Apache-2.0
// test_dns_names.cpp - the names DNS is asked about (dns/names.hpp): RFC 5782
// 2.1 (IPv4, octets reversed) and 2.4 (IPv6, nibbles reversed) with the RFC's
// own examples, PTR names, and the checks that keep network input that is not
// a DNS name from being looked up.
#include <cppunit/extensions/HelperMacros.h>

#include "dns/names.hpp"

using namespace mv::dns;

class DnsNamesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DnsNamesTest);
    CPPUNIT_TEST(testIpv4OctetsAreReversed);
    CPPUNIT_TEST(testIpv6IsReversedByNibble);
    CPPUNIT_TEST(testIpv4MappedIpv6CountsAsIpv4);
    CPPUNIT_TEST(testPtrNames);
    CPPUNIT_TEST(testNotAnAddressGivesNothing);
    CPPUNIT_TEST(testDomainNamesAreCheckedAndLowered);
    CPPUNIT_TEST(testQueryNameOver253IsRefused);
    CPPUNIT_TEST(testAddressDomain);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testIpv4OctetsAreReversed() {
        // RFC 5782 2.1: 192.0.2.99 is looked up as 99.2.0.192.
        CPPUNIT_ASSERT_EQUAL(std::string("99.2.0.192"), *reversed_address("192.0.2.99"));
        CPPUNIT_ASSERT_EQUAL(std::string("2.0.0.127"), *reversed_address("127.0.0.2"));
    }

    void testIpv6IsReversedByNibble() {
        // RFC 5782 2.4's example.
        CPPUNIT_ASSERT_EQUAL(
            std::string("b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2"),
            *reversed_address("2001:db8:1:2:3:4:567:89ab"));
        // Compressed zeros expand to all 32 nibbles.
        const std::string one = *reversed_address("2001:db8::1");
        CPPUNIT_ASSERT_EQUAL(std::size_t(63), one.size());
        CPPUNIT_ASSERT_EQUAL(std::string("1.0.0.0"), one.substr(0, 7));
        CPPUNIT_ASSERT_EQUAL(std::string("8.b.d.0.1.0.0.2"), one.substr(one.size() - 15));
    }

    void testIpv4MappedIpv6CountsAsIpv4() {
        CPPUNIT_ASSERT_EQUAL(std::string("99.2.0.192"), *reversed_address("::ffff:192.0.2.99"));
        CPPUNIT_ASSERT(!parse_address("::ffff:192.0.2.99")->v6);
    }

    void testPtrNames() {
        CPPUNIT_ASSERT_EQUAL(std::string("99.2.0.192.in-addr.arpa"), *ptr_name("192.0.2.99"));
        const std::string v6 = *ptr_name("2001:db8::1");
        CPPUNIT_ASSERT_EQUAL(std::string(".ip6.arpa"), v6.substr(v6.size() - 9));
    }

    void testNotAnAddressGivesNothing() {
        for (const char* bad : {"", "unknown", "192.0.2", "192.0.2.300", "[192.0.2.1]",
                                "2001:db8::1::2", "mx.example.org"})
            CPPUNIT_ASSERT_MESSAGE(bad, !reversed_address(bad));
    }

    void testDomainNamesAreCheckedAndLowered() {
        CPPUNIT_ASSERT_EQUAL(std::string("mx.example.org"), *domain_name("MX.Example.ORG."));
        CPPUNIT_ASSERT_EQUAL(std::string("_dmarc.example.org"), *domain_name("_dmarc.example.org"));
        for (const char* bad : {"", ".", "localhost", "a..b", ".a.b", "a b.example",
                                "exa\xc3\xa9mple.org", "192.0.2.1", "[192.0.2.1]", "a.b-.c@d"})
            CPPUNIT_ASSERT_MESSAGE(bad, !domain_name(bad));
        CPPUNIT_ASSERT(domain_name("localhost", true));
        const std::string label63(63, 'a');
        CPPUNIT_ASSERT(domain_name(label63 + ".example"));
        CPPUNIT_ASSERT(!domain_name(label63 + "a.example"));
    }

    void testQueryNameOver253IsRefused() {
        const std::string key(200, 'a');
        CPPUNIT_ASSERT_EQUAL(std::string("99.2.0.192.zen.example"),
                             *query_name("99.2.0.192", "zen.example"));
        CPPUNIT_ASSERT(!query_name(key, std::string(60, 'b')));
    }

    void testAddressDomain() {
        CPPUNIT_ASSERT_EQUAL(std::string("example.org"), *address_domain_name("a@Example.Org"));
        CPPUNIT_ASSERT(!address_domain_name(""));  // the null sender is never looked up
        CPPUNIT_ASSERT(!address_domain_name("MAILER-DAEMON"));
        CPPUNIT_ASSERT(!address_domain_name("a@[192.0.2.1]"));
        CPPUNIT_ASSERT_EQUAL(std::string("c.example"), *address_domain_name("a@b@c.example"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DnsNamesTest);
