// SPDX-License-Identifier: Apache-2.0
// test_string_match.cpp - StringMatcher: the StringMatch rules per kind of value.
#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

#include "policy/string_matcher.hpp"

using namespace mv::policy;

namespace {
StringMatch exact(std::vector<std::string> v) {
    StringMatch m;
    m.exact = std::move(v);
    return m;
}
}  // namespace

class StringMatcherTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StringMatcherTest);
    CPPUNIT_TEST(testAddressExactFoldsDomainCaseOnly);
    CPPUNIT_TEST(testAddressDomainIsAfterLastAt);
    CPPUNIT_TEST(testAddressInBracketsMatches);
    CPPUNIT_TEST(testExactEntryIsStrippedLikeTheValue);
    CPPUNIT_TEST(testAddressWithoutAtHasNoDomain);
    CPPUNIT_TEST(testNullSenderMatchesOnlyNullFlag);
    CPPUNIT_TEST(testNullFlagDoesNotMatchRealAddress);
    CPPUNIT_TEST(testRegexSeesWholeAddress);
    CPPUNIT_TEST(testRegexCaseSensitiveWhenAsked);
    CPPUNIT_TEST(testHostnameExactIsCaseInsensitive);
    CPPUNIT_TEST(testHostnameTrailingDotTolerated);
    CPPUNIT_TEST(testPlainExactIsCaseSensitive);
    CPPUNIT_TEST(testNulBytesDoNotMatchTruncatedValue);
    CPPUNIT_TEST(testDescribeIsBounded);
    CPPUNIT_TEST(testBadRegexThrows);
    CPPUNIT_TEST(testExactAddressIsTheSameInULabelAndALabelForm);
    CPPUNIT_TEST(testDomainListsMatchEitherFormOfTheValue);
    CPPUNIT_TEST(testHostnameExactMatchesEitherForm);
    CPPUNIT_TEST(testExactEntryWithInvalidIdnaThrows);
    CPPUNIT_TEST(testRegexSeesTheULabelAsReceived);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testAddressExactFoldsDomainCaseOnly() {
        StringMatcher m(exact({"John@Example.COM"}), ValueKind::Address);
        CPPUNIT_ASSERT(m.matches("John@example.com"));
        CPPUNIT_ASSERT(m.matches("John@EXAMPLE.com."));
        CPPUNIT_ASSERT(!m.matches("john@example.com"));
    }
    void testAddressDomainIsAfterLastAt() {
        StringMatch s;
        s.domains = {"example.com"};
        s.subdomains = {"spam.example"};
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(m.matches("a@EXAMPLE.com"));
        CPPUNIT_ASSERT(!m.matches("a@mail.example.com"));
        CPPUNIT_ASSERT(m.matches("a@x.spam.example"));
        CPPUNIT_ASSERT(m.matches("\"x@spam.example\"@spam.example"));
        CPPUNIT_ASSERT(!m.matches("a@spam.example@other.example"));
    }
    void testAddressInBracketsMatches() {
        StringMatch s;
        s.domains = {"example.com"};
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(m.matches("<a@example.com>"));
    }
    void testExactEntryIsStrippedLikeTheValue() {
        // Entry and value go through strip_address() once each, so an odd
        // entry (two source routes) still matches the same value.
        StringMatch s;
        s.exact = {"@a:@b:x@example.com"};
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(m.matches("@a:@b:x@example.com"));
        CPPUNIT_ASSERT(m.matches("<@a:@b:x@EXAMPLE.com>"));
        CPPUNIT_ASSERT(!m.matches("x@example.com"));
    }
    void testAddressWithoutAtHasNoDomain() {
        StringMatch s;
        s.domains = {"mailer-daemon"};
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(!m.matches("MAILER-DAEMON"));
    }
    void testNullSenderMatchesOnlyNullFlag() {
        StringMatch s;
        s.domains = {"example.com"};
        StringMatcher without(s, ValueKind::Address);
        CPPUNIT_ASSERT(!without.matches(""));
        CPPUNIT_ASSERT(!without.matches("<>"));
        s.null_sender = true;
        StringMatcher with(s, ValueKind::Address);
        CPPUNIT_ASSERT(with.matches(""));
        CPPUNIT_ASSERT(with.matches("<>"));
    }
    void testNullFlagDoesNotMatchRealAddress() {
        StringMatch s;
        s.null_sender = true;
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(!m.matches("a@example.com"));
    }
    void testRegexSeesWholeAddress() {
        StringMatch s;
        s.regexes = {"^bounce-[0-9]+@"};
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(m.matches("BOUNCE-123@example.com"));
        CPPUNIT_ASSERT(m.matches("<bounce-1@example.com>"));
        CPPUNIT_ASSERT(!m.matches("x-bounce-1@example.com"));
    }
    void testRegexCaseSensitiveWhenAsked() {
        StringMatch s;
        s.regexes = {"^Bounce"};
        s.icase_regex = false;
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(m.matches("Bounce@x"));
        CPPUNIT_ASSERT(!m.matches("bounce@x"));
    }
    void testHostnameExactIsCaseInsensitive() {
        StringMatcher m(exact({"mail.Example.com"}), ValueKind::Hostname);
        CPPUNIT_ASSERT(m.matches("MAIL.example.COM"));
        CPPUNIT_ASSERT(!m.matches("mx.example.com"));
    }
    void testHostnameTrailingDotTolerated() {
        StringMatch s;
        s.subdomains = {"example.com"};
        StringMatcher m(s, ValueKind::Hostname);
        CPPUNIT_ASSERT(m.matches("mx1.example.com."));
        CPPUNIT_ASSERT(!m.matches("example.co"));
    }
    void testPlainExactIsCaseSensitive() {
        StringMatcher m(exact({"OK"}), ValueKind::Plain);
        CPPUNIT_ASSERT(m.matches("OK"));
        CPPUNIT_ASSERT(!m.matches("ok"));
    }
    void testNulBytesDoNotMatchTruncatedValue() {
        StringMatch s;
        s.exact = {"a@example.com"};
        s.domains = {"example.com"};
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(!m.matches(std::string("a@example.com\0.evil", 19)));
        CPPUNIT_ASSERT(!m.matches(std::string("a@example.com\0", 14)));
    }
    void testDescribeIsBounded() {
        StringMatch s;
        for (int i = 0; i < 1000; ++i) s.domains.push_back("d" + std::to_string(i) + ".example");
        s.regexes = {"^x"};
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT_EQUAL(
            std::string("domain d0.example, d1.example, d2.example (+997 more) or matches /^x/"),
            m.describe());
    }
    void testBadRegexThrows() {
        StringMatch s;
        s.regexes = {"(unclosed"};
        CPPUNIT_ASSERT_THROW(StringMatcher(s, ValueKind::Address), std::invalid_argument);
    }
    void testExactAddressIsTheSameInULabelAndALabelForm() {
        StringMatcher u(exact({"a@b\u00fccher.example"}), ValueKind::Address);
        CPPUNIT_ASSERT(u.matches("a@xn--bcher-kva.example"));
        CPPUNIT_ASSERT(u.matches("<a@B\u00dcCHER.example>"));
        CPPUNIT_ASSERT(!u.matches("A@b\u00fccher.example"));  // local part: case-sensitive
        StringMatcher a(exact({"a@XN--BCHER-KVA.example"}), ValueKind::Address);
        CPPUNIT_ASSERT(a.matches("a@b\u00fccher.example"));
    }
    void testDomainListsMatchEitherFormOfTheValue() {
        StringMatch s;
        s.domains = {"xn--bcher-kva.example"};
        s.subdomains = {"m\u00fcnchen.example"};
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(m.matches("a@b\u00fccher.example"));
        CPPUNIT_ASSERT(m.matches("a@mx.xn--mnchen-3ya.example"));
        CPPUNIT_ASSERT(m.matches("a@mx.M\u00dcNCHEN.example"));
        CPPUNIT_ASSERT(!m.matches("a@mx.b\u00fccher.example"));
        StringMatcher plain(s, ValueKind::Plain);  // a macro holding an address
        CPPUNIT_ASSERT(plain.matches("x@b\u00fccher.example"));
    }
    void testHostnameExactMatchesEitherForm() {
        StringMatcher m(exact({"mx.b\u00fccher.example"}), ValueKind::Hostname);
        CPPUNIT_ASSERT(m.matches("MX.XN--BCHER-KVA.EXAMPLE."));
        CPPUNIT_ASSERT(m.matches("mx.b\u00fccher.example"));
    }
    void testExactEntryWithInvalidIdnaThrows() {
        CPPUNIT_ASSERT_THROW(StringMatcher(exact({"a@xn--zz.example"}), ValueKind::Address),
                             std::invalid_argument);
        CPPUNIT_ASSERT_THROW(StringMatcher(exact({"\U0001F4A9.example"}), ValueKind::Hostname),
                             std::invalid_argument);
        // Plain (macro) values are not domains: taken as written.
        StringMatcher plain(exact({"xn--zz"}), ValueKind::Plain);
        CPPUNIT_ASSERT(plain.matches("xn--zz"));
        // ASCII exact addresses are not checked further, as before.
        StringMatcher odd(exact({"a@b..c"}), ValueKind::Address);
        CPPUNIT_ASSERT(odd.matches("a@B..C"));
    }
    void testRegexSeesTheULabelAsReceived() {
        StringMatch s;
        s.regexes = {"@b\u00fccher\\."};
        StringMatcher m(s, ValueKind::Address);
        CPPUNIT_ASSERT(m.matches("a@b\u00fccher.example"));
        CPPUNIT_ASSERT(!m.matches("a@xn--bcher-kva.example"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StringMatcherTest);
