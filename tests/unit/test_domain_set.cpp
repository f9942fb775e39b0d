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
