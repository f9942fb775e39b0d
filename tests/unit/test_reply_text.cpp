// SPDX-License-Identifier: Apache-2.0
// test_reply_text.cpp - ${var} templates: checking, worst-case length,
// sanitising and bounded expansion.
#include <cppunit/extensions/HelperMacros.h>

#include "codes/reply_text.hpp"

using namespace mv::codes;

class ReplyTextTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReplyTextTest);
    CPPUNIT_TEST(testWellFormedTemplateHasNoError);
    CPPUNIT_TEST(testUnknownVariableIsReported);
    CPPUNIT_TEST(testUnterminatedVariableIsReported);
    CPPUNIT_TEST(testMaxExpandedLengthAddsEachVariableBound);
    CPPUNIT_TEST(testExpansionSubstitutesVariables);
    CPPUNIT_TEST(testControlAndEightBitBytesBecomeQuestionMarks);
    CPPUNIT_TEST(testLongValueIsCutWithEllipsis);
    CPPUNIT_TEST(testValueAtItsBoundIsKeptWhole);
    CPPUNIT_TEST(testTinyBoundStillMarksTheCut);
    CPPUNIT_TEST(testExpansionNeverContainsLineBreaks);
    CPPUNIT_TEST(testPercentIsKeptLiterally);
    CPPUNIT_TEST(testEachVariableIsCutAtItsDocumentedMaximum);
    CPPUNIT_TEST(testSenderDomainIsThePartAfterTheLastAt);
    CPPUNIT_TEST(testFirstNonAsciiByteIsNamedWithItsColumn);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testWellFormedTemplateHasNoError() {
        CPPUNIT_ASSERT_EQUAL(std::string(), check_template("plain text"));
        CPPUNIT_ASSERT_EQUAL(std::string(), check_template("${sender} to ${rcpt} by ${rule}"));
        CPPUNIT_ASSERT_EQUAL(std::string(), check_template("a $ sign and a } brace"));
    }

    void testUnknownVariableIsReported() {
        CPPUNIT_ASSERT_EQUAL(std::string("unknown variable ${from}"),
                             check_template("mail ${from} refused"));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown variable ${}"), check_template("${}"));
    }

    void testUnterminatedVariableIsReported() {
        CPPUNIT_ASSERT_EQUAL(std::string("unterminated \"${\" in text"),
                             check_template("mail from ${sender"));
    }

    void testMaxExpandedLengthAddsEachVariableBound() {
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), max_expanded_length("hello"));
        // "IP " (3) + client_addr (45) + " / " (3) + rcpt (256).
        CPPUNIT_ASSERT_EQUAL(std::size_t(3 + 45 + 3 + 256),
                             max_expanded_length("IP ${client_addr} / ${rcpt}"));
    }

    void testExpansionSubstitutesVariables() {
        TextVars v;
        v.sender = "a@example.org";
        v.rcpt = "b@example.net";
        v.rule = "no-spam";
        CPPUNIT_ASSERT_EQUAL(
            std::string("a@example.org -> b@example.net (no-spam), retry ''"),
            expand_template("${sender} -> ${rcpt} (${rule}), retry '${retry}'", v));
    }

    void testControlAndEightBitBytesBecomeQuestionMarks() {
        CPPUNIT_ASSERT_EQUAL(std::string("a?b?c?d?e"), sanitize_value(std::string("a\rb\nc\0d\xc3"
                                                                                  "e",
                                                                                  9),
                                                                      100));
        CPPUNIT_ASSERT_EQUAL(std::string("tab?del?"), sanitize_value("tab\tdel\x7f", 100));
    }

    void testLongValueIsCutWithEllipsis() {
        const std::string out = sanitize_value(std::string(300, 'x'), 256);
        CPPUNIT_ASSERT_EQUAL(std::size_t(256), out.size());
        CPPUNIT_ASSERT_EQUAL(std::string(253, 'x') + "...", out);
    }

    void testValueAtItsBoundIsKeptWhole() {
        CPPUNIT_ASSERT_EQUAL(std::string(45, '1'), sanitize_value(std::string(45, '1'), 45));
    }

    void testTinyBoundStillMarksTheCut() {
        CPPUNIT_ASSERT_EQUAL(std::string(".."), sanitize_value("abcdef", 2));
        CPPUNIT_ASSERT_EQUAL(std::string("..."), sanitize_value("abcdef", 3));
    }

    void testExpansionNeverContainsLineBreaks() {
        const std::string long_name(1000, 'n');  // TextVars holds views: keep it alive
        TextVars v;
        v.helo = "evil\r\n250 OK";
        v.client_name = long_name;
        const std::string out = expand_template("HELO ${helo} name ${client_name}\tend", v);
        CPPUNIT_ASSERT_EQUAL(std::string::npos, out.find_first_of(std::string("\r\n\0\t", 4)));
        CPPUNIT_ASSERT(out.find("evil??250 OK") != std::string::npos);
        CPPUNIT_ASSERT(out.size() <= max_expanded_length("HELO ${helo} name ${client_name}\tend"));
        CPPUNIT_ASSERT(out.find("...") != std::string::npos);
    }

    void testPercentIsKeptLiterally() {
        TextVars v;
        v.sender = "%s%n@example.org";
        CPPUNIT_ASSERT_EQUAL(std::string("100% %s%n@example.org"),
                             expand_template("100% ${sender}", v));
    }

    // The table of milter-verdict.conf(5), REPLIES: a value at its maximum is
    // kept whole, one character more is cut to the maximum ending in "...".
    void testEachVariableIsCutAtItsDocumentedMaximum() {
        struct Row {
            std::string_view TextVars::*field;
            const char* tmpl;
            std::size_t max;
        };
        const Row rows[] = {
            {&TextVars::client_addr, "${client_addr}", 45},
            {&TextVars::client_name, "${client_name}", 255},
            {&TextVars::helo, "${helo}", 255},
            {&TextVars::sender, "${sender}", 256},
            {&TextVars::rcpt, "${rcpt}", 256},
            {&TextVars::rule, "${rule}", 64},
            {&TextVars::retry, "${retry}", 20},
            {&TextVars::queue_id, "${queue_id}", 32},
        };
        for (const Row& row : rows) {
            const std::string at_max(row.max, 'v'), over(row.max + 1, 'v');
            TextVars v;
            v.*row.field = at_max;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(row.tmpl, at_max, expand_template(row.tmpl, v));
            v.*row.field = over;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(row.tmpl, std::string(row.max - 3, 'v') + "...",
                                         expand_template(row.tmpl, v));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(row.tmpl, row.max, max_expanded_length(row.tmpl));
        }
    }

    // ${sender_domain}: the sender after its last '@', bounded like a domain
    // name (255); empty for the null sender; made printable like the others.
    void testSenderDomainIsThePartAfterTheLastAt() {
        TextVars v;
        v.sender = "\"a@b\"@Spam.Example";
        CPPUNIT_ASSERT_EQUAL(std::string("domain Spam.Example"),
                             expand_template("domain ${sender_domain}", v));
        v.sender = "";
        CPPUNIT_ASSERT_EQUAL(std::string("domain "), expand_template("domain ${sender_domain}", v));
        v.sender = "a@b\xc3\xbc.example";
        CPPUNIT_ASSERT_EQUAL(std::string("b??.example"), expand_template("${sender_domain}", v));
        CPPUNIT_ASSERT_EQUAL(std::size_t{255}, max_expanded_length("${sender_domain}"));
    }

    // RFC 5321 2.4: replies are ASCII; a literal text names its first other
    // byte (the loader makes it a configuration error).
    void testFirstNonAsciiByteIsNamedWithItsColumn() {
        CPPUNIT_ASSERT_EQUAL(std::string(), first_non_ascii("Refused, see ${rule} ~ ok"));
        CPPUNIT_ASSERT_EQUAL(std::string("byte 0xC3 at column 4"), first_non_ascii("Zur\xc3\xbc"
                                                                                   "ckgewiesen"));
        CPPUNIT_ASSERT_EQUAL(std::string("byte 0x09 at column 2"), first_non_ascii("a\tb"));
        CPPUNIT_ASSERT_EQUAL(std::string("byte 0x7F at column 1"), first_non_ascii("\x7f"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReplyTextTest);
