// SPDX-License-Identifier: Apache-2.0
// test_idn.cpp - idn: the lookup form of domains from mail, the check of domains
// from the configuration, UTF-8 validation and printable messages.
//
// Expected A-labels are RFC 3492 Punycode computed independently (Python's
// punycode codec: "bücher" -> "bcher-kva", "münchen" -> "mnchen-3ya", "straße"
// -> "strae-oqa", "ü" -> "tda"), not the program's output. UTS #46 facts:
// non-transitional processing keeps "ß" (transitional would give "strasse"),
// maps upper case to lower case, and U+3002 IDEOGRAPHIC FULL STOP to '.'.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "idn/idn.hpp"

using namespace mv::idn;

class IdnTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IdnTest);
    CPPUNIT_TEST(testAsciiDomainIsOnlyLowerCased);
    CPPUNIT_TEST(testULabelBecomesItsALabel);
    CPPUNIT_TEST(testUpperCaseULabelIsMappedToLowerCase);
    CPPUNIT_TEST(testALabelAnyCaseIsTheSameDomain);
    CPPUNIT_TEST(testNonTransitionalSharpS);
    CPPUNIT_TEST(testIdeographicFullStopSeparatesLabels);
    CPPUNIT_TEST(testOneTrailingDotIsDropped);
    CPPUNIT_TEST(testInvalidLabelFromMailIsKeptAndTheRestConverted);
    CPPUNIT_TEST(testBadUtf8FromMailNeverBecomesAscii);
    CPPUNIT_TEST(testNulInsideALabelIsNotConverted);
    CPPUNIT_TEST(testHugeDomainIsConvertedOnlyAsFarAsAnEntryReaches);
    CPPUNIT_TEST(testRepeatedConversionGivesTheSameAnswer);
    CPPUNIT_TEST(testCheckAcceptsEitherFormAndGivesOneLookupForm);
    CPPUNIT_TEST(testCheckKeepsAcceptingOrdinaryAsciiLabels);
    CPPUNIT_TEST(testCheckRefusesInvalidALabel);
    CPPUNIT_TEST(testCheckRefusesDisallowedULabel);
    CPPUNIT_TEST(testCheckRefusesMappingToNonDomainCharacter);
    CPPUNIT_TEST(testCheckRefusesBadUtf8);
    CPPUNIT_TEST(testCheckRefusesSyntaxAsBefore);
    CPPUNIT_TEST(testCheckMeasuresLengthInALabelForm);
    CPPUNIT_TEST(testValidUtf8);
    CPPUNIT_TEST(testHasIdnLabel);
    CPPUNIT_TEST(testPrintableEscapesOnlyWhatIsNotText);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testAsciiDomainIsOnlyLowerCased() {
        CPPUNIT_ASSERT_EQUAL(std::string("mail.example.com"), lookup_form("Mail.EXAMPLE.com"));
        // Not validated: odd ASCII passes through as before IDN support.
        CPPUNIT_ASSERT_EQUAL(std::string("[192.0.2.1]"), lookup_form("[192.0.2.1]"));
        CPPUNIT_ASSERT_EQUAL(std::string("_x.a--b.example"), lookup_form("_X.A--B.example"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), lookup_form(""));
    }
    void testULabelBecomesItsALabel() {
        CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher-kva.example"), lookup_form("bücher.example"));
        CPPUNIT_ASSERT_EQUAL(std::string("mail.xn--mnchen-3ya.de"), lookup_form("mail.münchen.de"));
    }
    void testUpperCaseULabelIsMappedToLowerCase() {
        CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher-kva.example"), lookup_form("BÜCHER.Example"));
    }
    void testALabelAnyCaseIsTheSameDomain() {
        CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher-kva.example"),
                             lookup_form("XN--BCHER-KVA.EXAMPLE"));
    }
    void testNonTransitionalSharpS() {
        CPPUNIT_ASSERT_EQUAL(std::string("xn--strae-oqa.de"), lookup_form("straße.de"));
        CPPUNIT_ASSERT(lookup_form("straße.de") != lookup_form("strasse.de"));
    }
    void testIdeographicFullStopSeparatesLabels() {
        CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher-kva.example"),
                             lookup_form("bücher\u3002example"));
    }
    void testOneTrailingDotIsDropped() {
        CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher-kva.example"), lookup_form("bücher.example."));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), lookup_form("example.com."));
        CPPUNIT_ASSERT_EQUAL(std::string("example.com."), lookup_form("example.com.."));
    }
    void testInvalidLabelFromMailIsKeptAndTheRestConverted() {
        // U+1F4A9 is DISALLOWED in IDNA2008: that label stays as received,
        // the labels to its right are still converted.
        const std::string got = lookup_form("\U0001F4A9.bücher.example");
        CPPUNIT_ASSERT_EQUAL(std::string("\U0001F4A9.xn--bcher-kva.example"), got);
    }
    void testBadUtf8FromMailNeverBecomesAscii() {
        const std::string got = lookup_form(
            "b\xff"
            "cher.example");
        CPPUNIT_ASSERT_EQUAL(std::string("b\xff"
                                         "cher.example"),
                             got);
        CPPUNIT_ASSERT(!is_ascii(got));
    }
    void testNulInsideALabelIsNotConverted() {
        const std::string in("b\xc3\xbc\0x.example", 13);
        const std::string got = lookup_form(in);
        CPPUNIT_ASSERT_EQUAL(in, got);
    }
    void testHugeDomainIsConvertedOnlyAsFarAsAnEntryReaches() {
        // 1,000 U-labels before a real domain (a hostile client's padding):
        // the right-hand labels are converted, the far left is kept as sent.
        std::string pad;
        for (int i = 0; i < 1000; ++i) pad += "\u00fc" + std::to_string(i) + ".";
        const std::string got = lookup_form(pad + "mail.b\u00fccher.example");
        const std::string tail = ".mail.xn--bcher-kva.example";
        CPPUNIT_ASSERT(got.size() > tail.size());
        CPPUNIT_ASSERT_EQUAL(tail, got.substr(got.size() - tail.size()));
        CPPUNIT_ASSERT_EQUAL(std::string("\u00fc0.\u00fc1."), got.substr(0, 8));
        // A label longer than any U-label can be is not converted.
        const std::string long_label(300, 'a');
        const std::string in = long_label + "\u00fc.example";
        CPPUNIT_ASSERT_EQUAL(in, lookup_form(in));
    }
    void testRepeatedConversionGivesTheSameAnswer() {
        // The memo changes no result, also when its slots are reused: each
        // answer equals check_domain()'s, which converts without it.
        CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher199-65a.example"),
                             lookup_form("B\u00dcCHER199.example"));  // Punycode of "bücher199"
        for (int round = 0; round < 3; ++round)
            for (int i = 0; i < 200; ++i) {
                const std::string d = "B\u00dcCHER" + std::to_string(i) + ".example";
                CPPUNIT_ASSERT_EQUAL(check_domain(d).lookup, lookup_form(d));
            }
    }
    void testCheckAcceptsEitherFormAndGivesOneLookupForm() {
        for (const char* d : {"bücher.example", "BÜCHER.example.", "xn--bcher-kva.example",
                              "XN--Bcher-Kva.Example"}) {
            const CheckedDomain c = check_domain(d);
            CPPUNIT_ASSERT_MESSAGE(std::string(d) + ": " + c.error, c.ok());
            CPPUNIT_ASSERT_EQUAL(std::string("xn--bcher-kva.example"), c.lookup);
        }
        // The form a rule is checked into is the form mail is looked up in.
        CPPUNIT_ASSERT_EQUAL(check_domain("mail.münchen.de").lookup,
                             lookup_form("MAIL.MÜNCHEN.DE"));
    }
    void testCheckKeepsAcceptingOrdinaryAsciiLabels() {
        for (const char* d : {"example.com", "_dmarc.example.com", "a--b.example", "x-.example"}) {
            const CheckedDomain c = check_domain(d);
            CPPUNIT_ASSERT_MESSAGE(std::string(d) + ": " + c.error, c.ok());
        }
    }
    void testCheckRefusesInvalidALabel() {
        const CheckedDomain c = check_domain("mail.xn--zz.example");
        CPPUNIT_ASSERT(!c.ok());
        CPPUNIT_ASSERT(c.lookup.empty());
        CPPUNIT_ASSERT_MESSAGE(c.error, c.error.find("label 'xn--zz' is not a valid A-label") == 0);
        // Decodes, but to a code point IDNA2008 does not allow.
        CPPUNIT_ASSERT(!check_domain("xn--ls8h.example").ok());
        CPPUNIT_ASSERT(!check_domain("xn--.example").ok());
    }
    void testCheckRefusesDisallowedULabel() {
        const CheckedDomain c = check_domain("\U0001F4A9.example");
        CPPUNIT_ASSERT(!c.ok());
        CPPUNIT_ASSERT_MESSAGE(c.error, c.error.find("label '\U0001F4A9' is not valid IDNA") == 0);
        // RFC 5893 rule 1: a label may not start with an Arabic-Indic digit.
        CPPUNIT_ASSERT(!check_domain("\u0661\u0662.example").ok());
    }
    void testCheckRefusesMappingToNonDomainCharacter() {
        // U+FF20 FULLWIDTH COMMERCIAL AT maps to '@'.
        const CheckedDomain c = check_domain("a\uFF20b.example");
        CPPUNIT_ASSERT(!c.ok());
        CPPUNIT_ASSERT_MESSAGE(c.error, c.error.find("becomes 'a@b'") != std::string::npos);
        // Two ideographic full stops make an empty label.
        CPPUNIT_ASSERT(!check_domain("b\u00fc\u3002\u3002example").ok());
    }
    void testCheckRefusesBadUtf8() {
        const CheckedDomain c = check_domain("b\xc3(cher.example");
        CPPUNIT_ASSERT_EQUAL(std::string("not valid UTF-8"), c.error);
        CPPUNIT_ASSERT(!check_domain("\xed\xa0\x80.example").ok());  // a surrogate
        CPPUNIT_ASSERT(!check_domain("\xc0\xaf.example").ok());      // overlong '/'
    }
    void testCheckRefusesSyntaxAsBefore() {
        CPPUNIT_ASSERT_EQUAL(std::string("empty"), check_domain("").error);
        CPPUNIT_ASSERT_EQUAL(std::string("empty"), check_domain(".").error);
        CPPUNIT_ASSERT_EQUAL(std::string("empty label"), check_domain("a..b").error);
        CPPUNIT_ASSERT_EQUAL(std::string("empty label"), check_domain(".a").error);
        const std::string bad_char = "contains a space, '@' or a control character";
        CPPUNIT_ASSERT_EQUAL(bad_char, check_domain("a b.example").error);
        CPPUNIT_ASSERT_EQUAL(bad_char, check_domain("u@example.com").error);
        CPPUNIT_ASSERT_EQUAL(bad_char, check_domain("b\xc3\xbc\x01.example").error);
    }
    void testCheckMeasuresLengthInALabelForm() {
        // 60 labels "ü." are 180 bytes of UTF-8 but 60 * 8 bytes of A-labels
        // ("xn--tda."): over 255 in the form that is compared.
        std::string d;
        for (int i = 0; i < 60; ++i) d += "\u00fc.";
        d += "example";
        CPPUNIT_ASSERT(d.size() < 255);
        CPPUNIT_ASSERT_EQUAL(std::string("longer than 255 characters"), check_domain(d).error);
        CPPUNIT_ASSERT_EQUAL(std::string("xn--tda.example"), check_domain("ü.example").lookup);
    }
    void testValidUtf8() {
        CPPUNIT_ASSERT(valid_utf8(""));
        CPPUNIT_ASSERT(valid_utf8("ascii"));
        CPPUNIT_ASSERT(valid_utf8("b\u00fccher \u4e2d\u6587 \U0001F4A9"));
        CPPUNIT_ASSERT(!valid_utf8("\x80"));
        CPPUNIT_ASSERT(!valid_utf8("\xc3"));              // truncated
        CPPUNIT_ASSERT(!valid_utf8("\xe0\x80\xaf"));      // overlong
        CPPUNIT_ASSERT(!valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
        CPPUNIT_ASSERT(!valid_utf8("\xed\xbf\xbf"));      // surrogate
    }
    void testHasIdnLabel() {
        CPPUNIT_ASSERT(has_idn_label("b\u00fccher.example"));
        CPPUNIT_ASSERT(has_idn_label("mail.XN--bcher-kva.example"));
        CPPUNIT_ASSERT(!has_idn_label("example.com"));
        CPPUNIT_ASSERT(!has_idn_label("axn--b.example"));
    }
    void testPrintableEscapesOnlyWhatIsNotText() {
        CPPUNIT_ASSERT_EQUAL(std::string("b\u00fccher"), printable("b\u00fccher"));
        CPPUNIT_ASSERT_EQUAL(std::string("a\\x01b\\xffc\\x0a"), printable("a\x01"
                                                                          "b\xff"
                                                                          "c\n"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IdnTest);
