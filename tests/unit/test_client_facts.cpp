// SPDX-License-Identifier: Apache-2.0
// test_client_facts.cpp - the client's name and reverse-DNS status as rules see
// them, from Postfix's and Sendmail's ways of saying it.
#include <cppunit/extensions/HelperMacros.h>

#include "milter/client_facts.hpp"

namespace mv::milter::test {

class ClientFactsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ClientFactsTest);
    CPPUNIT_TEST(testSentResolveIsKept);
    CPPUNIT_TEST(testSendmailBracketNameIsUnknown);
    CPPUNIT_TEST(testUnresolvedUnderscoreIsFail);
    CPPUNIT_TEST(testForgedUnderscoreIsForged);
    CPPUNIT_TEST(testNamedUnderscoreIsOk);
    CPPUNIT_TEST(testNothingKnownLeavesResolveEmpty);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testSentResolveIsKept() {
        // {client_resolve} wins over what `_` suggests.
        const ClientFacts f = client_facts("[192.0.2.1]", "TEMP", "[192.0.2.1]");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), f.name);
        CPPUNIT_ASSERT_EQUAL(std::string("TEMP"), f.resolve);
    }
    void testSendmailBracketNameIsUnknown() {
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), client_facts("[2001:db8::1]", "", "").name);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), client_facts(nullptr, "", "").name);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), client_facts("", "", "").name);
        CPPUNIT_ASSERT_EQUAL(std::string("mx.example.org"),
                             client_facts("mx.example.org", "OK", "").name);
    }
    void testUnresolvedUnderscoreIsFail() {
        CPPUNIT_ASSERT_EQUAL(std::string("FAIL"),
                             client_facts("[192.0.2.1]", "", "[192.0.2.1]").resolve);
        // Postfix's form of the same.
        CPPUNIT_ASSERT_EQUAL(std::string("FAIL"),
                             client_facts("unknown", "", "unknown [192.0.2.1]").resolve);
    }
    void testForgedUnderscoreIsForged() {
        const ClientFacts f =
            client_facts("[192.0.2.1]", "", "host.example.org [192.0.2.1] (may be forged)");
        CPPUNIT_ASSERT_EQUAL(std::string("FORGED"), f.resolve);
    }
    void testNamedUnderscoreIsOk() {
        const ClientFacts f = client_facts("localhost", "", "localhost [127.0.0.1]");
        CPPUNIT_ASSERT_EQUAL(std::string("localhost"), f.name);
        CPPUNIT_ASSERT_EQUAL(std::string("OK"), f.resolve);
    }
    void testNothingKnownLeavesResolveEmpty() {
        CPPUNIT_ASSERT_EQUAL(std::string(""), client_facts("localhost", "", "").resolve);
        CPPUNIT_ASSERT_EQUAL(std::string(""), client_facts("localhost", "", "garbage").resolve);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClientFactsTest);

}  // namespace mv::milter::test
