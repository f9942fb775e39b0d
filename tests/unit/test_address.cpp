// SPDX-License-Identifier: Apache-2.0
// test_address.cpp - address and domain normalisation helpers.
#include <cppunit/extensions/HelperMacros.h>

#include "policy/address.hpp"

using namespace mv::policy;

class AddressTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AddressTest);
    CPPUNIT_TEST(testBracketsAreStripped);
    CPPUNIT_TEST(testSourceRouteIsDropped);
    CPPUNIT_TEST(testDomainIsAfterLastAt);
    CPPUNIT_TEST(testDomainIsLowercasedWithoutTrailingDot);
    CPPUNIT_TEST(testLocalPartKeepsCase);
    CPPUNIT_TEST(testULabelDomainBecomesALabel);
    CPPUNIT_TEST(testUtf8LocalPartIsKeptByteForByte);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testBracketsAreStripped() {
        CPPUNIT_ASSERT_EQUAL(std::string("a@b"), std::string(strip_address("<a@b>")));
        CPPUNIT_ASSERT_EQUAL(std::string(""), std::string(strip_address("<>")));
        CPPUNIT_ASSERT_EQUAL(std::string("a@b"), std::string(strip_address("a@b")));
        CPPUNIT_ASSERT_EQUAL(std::string("<a@b"), std::string(strip_address("<a@b")));
    }
    void testSourceRouteIsDropped() {
        CPPUNIT_ASSERT_EQUAL(std::string("u@d.example"),
                             std::string(strip_address("<@r1.example,@r2.example:u@d.example>")));
    }
    void testDomainIsAfterLastAt() {
        CPPUNIT_ASSERT_EQUAL(std::string("c.example"),
                             std::string(address_domain("\"a@b\"@c.example")));
        CPPUNIT_ASSERT_EQUAL(std::string(""), std::string(address_domain("MAILER-DAEMON")));
    }
    void testDomainIsLowercasedWithoutTrailingDot() {
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), normalize_domain("ExAmPle.COM."));
    }
    void testLocalPartKeepsCase() {
        CPPUNIT_ASSERT_EQUAL(std::string("John.Doe@example.com"),
                             normalize_address("John.Doe@EXAMPLE.com"));
    }
    void testULabelDomainBecomesALabel() {
        CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher-kva.example"),
                             normalize_domain("B\u00dccher.Example."));
        CPPUNIT_ASSERT_EQUAL(std::string("a@xn--bcher-kva.example"),
                             normalize_address("a@b\u00fccher.example"));
        CPPUNIT_ASSERT_EQUAL(normalize_address("a@XN--BCHER-KVA.example"),
                             normalize_address("a@b\u00fccher.example"));
    }
    void testUtf8LocalPartIsKeptByteForByte() {
        // RFC 6531 3.2: the local part is not normalised, not even its case.
        CPPUNIT_ASSERT_EQUAL(std::string("\u00c4rger@xn--bcher-kva.example"),
                             normalize_address("\u00c4rger@b\u00fccher.example"));
        CPPUNIT_ASSERT(normalize_address("\u00c4@x.example") !=
                       normalize_address("\u00e4@x.example"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AddressTest);
