// SPDX-License-Identifier: Apache-2.0
// test_domain_set.cpp - DomainSet: exact domains, subdomain trees, errors, scale.
#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

#include "policy/domain_set.hpp"

using mv::policy::DomainSet;

class DomainSetTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DomainSetTest);
    CPPUNIT_TEST(testExactDomainDoesNotMatchSubdomain);
    CPPUNIT_TEST(testSubdomainEntryMatchesEveryLevel);
    CPPUNIT_TEST(testSuffixThatIsNotALabelDoesNotMatch);
    CPPUNIT_TEST(testCaseAndTrailingDotAreIgnored);
    CPPUNIT_TEST(testLeadingAtOrDotIsAccepted);
    CPPUNIT_TEST(testBadDomainsThrow);
    CPPUNIT_TEST(testLargeListLookup);
    CPPUNIT_TEST(testIdnALabelsMatchCaseInsensitively);
    CPPUNIT_TEST(testALabelEntryMatchesULabelValue);
    CPPUNIT_TEST(testULabelEntryMatchesALabelValue);
    CPPUNIT_TEST(testIdnSubdomainsAtEveryLevel);
    CPPUNIT_TEST(testInvalidLabelOnTheLeftDoesNotHideABlockedSuffix);
    CPPUNIT_TEST(testInvalidIdnaEntriesThrowNamingTheLabel);
    CPPUNIT_TEST(testLargeIdnListLookup);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testIdnALabelsMatchCaseInsensitively() {
        // Lists hold internationalised domains in A-label form (RFC 5890),
        // as they travel in SMTP without SMTPUTF8.
        DomainSet s;
        s.add_with_subdomains("xn--bcher-kva.example");
        CPPUNIT_ASSERT(s.contains("XN--BCHER-KVA.example"));
        CPPUNIT_ASSERT(s.contains("mail.xn--bcher-kva.example"));
        CPPUNIT_ASSERT(!s.contains("xn--bcher-kvb.example"));
    }
    void testALabelEntryMatchesULabelValue() {
        // The rule a man page reader writes, against SMTPUTF8 mail.
        DomainSet s;
        s.add_domain("xn--bcher-kva.example");
        CPPUNIT_ASSERT(s.contains("b\u00fccher.example"));
        CPPUNIT_ASSERT(s.contains("B\u00dcCHER.EXAMPLE."));
        CPPUNIT_ASSERT(!s.contains("mail.b\u00fccher.example"));
        CPPUNIT_ASSERT(!s.contains("bucher.example"));
    }
    void testULabelEntryMatchesALabelValue() {
        DomainSet s;
        s.add_domain("B\u00dcCHER.example");
        CPPUNIT_ASSERT(s.contains("xn--bcher-kva.example"));
        CPPUNIT_ASSERT(s.contains("XN--BCHER-KVA.example"));
        CPPUNIT_ASSERT(s.contains("b\u00fccher.example"));
    }
    void testIdnSubdomainsAtEveryLevel() {
        DomainSet s;
        s.add_with_subdomains("m\u00fcnchen.example");
        s.add_with_subdomains("xn--strae-oqa.example");
        CPPUNIT_ASSERT(s.contains("a.b.xn--mnchen-3ya.example"));
        CPPUNIT_ASSERT(s.contains("mx.M\u00dcNCHEN.example"));
        CPPUNIT_ASSERT(s.contains("stra\u00dfe.example"));
        CPPUNIT_ASSERT(!s.contains("strasse.example"));  // non-transitional: not the same
        CPPUNIT_ASSERT(!s.contains("xn--mnchen-3ya.example.org"));
    }
    void testInvalidLabelOnTheLeftDoesNotHideABlockedSuffix() {
        DomainSet s;
        s.add_with_subdomains("b\u00fccher.example");
        CPPUNIT_ASSERT(s.contains("\U0001F4A9.b\u00fccher.example"));  // disallowed code point
        CPPUNIT_ASSERT(s.contains("x\xff.b\u00fccher.example"));       // bad UTF-8
        std::string pad;  // longer than any entry: kept unconverted, suffix still found
        for (int i = 0; i < 500; ++i) pad += "\u00fc" + std::to_string(i) + ".";
        CPPUNIT_ASSERT(s.contains(pad + "mail.b\u00fccher.example"));
        CPPUNIT_ASSERT(!s.contains(pad + "mail.bucher.example"));
    }
    void testInvalidIdnaEntriesThrowNamingTheLabel() {
        DomainSet s;
        const auto message = [&](const char* entry) -> std::string {
            try {
                s.add_domain(entry);
            } catch (const std::invalid_argument& e) {
                return e.what();
            }
            return "(accepted)";
        };
        CPPUNIT_ASSERT_EQUAL(std::string("bad domain 'xn--zz.example': label 'xn--zz' is not a "
                                         "valid A-label: string contains invalid punycode data"),
                             message("xn--zz.example"));
        const std::string emoji = message("\U0001F4A9.example");
        CPPUNIT_ASSERT_MESSAGE(
            emoji, emoji.find("label '\U0001F4A9' is not valid IDNA") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("bad domain 'b\\xffcher.example': not valid UTF-8"),
                             message("b\xff"
                                     "cher.example"));
        CPPUNIT_ASSERT(s.empty());
    }
    void testLargeIdnListLookup() {
        // U-label entries are converted once, when the list is built; lookups
        // stay hash probes of the A-label form.
        DomainSet s;
        for (int i = 0; i < 20000; ++i)
            s.add_with_subdomains("b\u00fccher" + std::to_string(i) + ".example");
        CPPUNIT_ASSERT(s.contains("mx.B\u00dcCHER19999.example"));
        CPPUNIT_ASSERT(!s.contains("mx.b\u00fccher20000.example"));
        CPPUNIT_ASSERT_EQUAL(std::size_t{20000}, s.size());
    }
    void testExactDomainDoesNotMatchSubdomain() {
        DomainSet s;
        s.add_domain("example.com");
        CPPUNIT_ASSERT(s.contains("example.com"));
        CPPUNIT_ASSERT(!s.contains("mail.example.com"));
        CPPUNIT_ASSERT(!s.contains("com"));
    }
    void testSubdomainEntryMatchesEveryLevel() {
        DomainSet s;
        s.add_with_subdomains("example.com");
        CPPUNIT_ASSERT(s.contains("example.com"));
        CPPUNIT_ASSERT(s.contains("a.b.c.example.com"));
        CPPUNIT_ASSERT(!s.contains("example.org"));
        CPPUNIT_ASSERT(!s.contains("com"));
    }
    void testSuffixThatIsNotALabelDoesNotMatch() {
        DomainSet s;
        s.add_with_subdomains("example.com");
        CPPUNIT_ASSERT(!s.contains("badexample.com"));
    }
    void testCaseAndTrailingDotAreIgnored() {
        DomainSet s;
        s.add_domain("Example.COM.");
        s.add_with_subdomains("spam.EXAMPLE");
        CPPUNIT_ASSERT(s.contains("EXAMPLE.com"));
        CPPUNIT_ASSERT(s.contains("example.com."));
        CPPUNIT_ASSERT(s.contains("X.Spam.Example."));
    }
    void testLeadingAtOrDotIsAccepted() {
        DomainSet s;
        s.add_domain("@example.net");
        s.add_with_subdomains(".example.org");
        CPPUNIT_ASSERT(s.contains("example.net"));
        CPPUNIT_ASSERT(s.contains("a.example.org"));
    }
    void testBadDomainsThrow() {
        DomainSet s;
        CPPUNIT_ASSERT_THROW(s.add_domain(""), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add_domain("a..b"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add_domain("example.org.."), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add_with_subdomains("e.."), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add_domain("a b.com"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(s.add_with_subdomains("user@example.com"), std::invalid_argument);
        CPPUNIT_ASSERT(s.empty());
    }
    void testLargeListLookup() {
        DomainSet s;
        for (int i = 0; i < 200000; ++i)
            s.add_with_subdomains("d" + std::to_string(i) + ".example");
        CPPUNIT_ASSERT(s.contains("mx.d199999.example"));
        CPPUNIT_ASSERT(!s.contains("mx.d200000.example"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DomainSetTest);
