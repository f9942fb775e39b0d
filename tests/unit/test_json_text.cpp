// SPDX-License-Identifier: Apache-2.0
// test_json_text.cpp - JSON string literals from hostile bytes (observability/json_text.hpp).
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "json_check.hpp"
#include "observability/json_text.hpp"

namespace mv::observability::test {

using mv::test::parse_json;

namespace {

// The value json_string() wrote, read back by a strict parser.
std::string round_trip(const std::string& raw, std::size_t max = 4096) {
    const std::string lit = json_string(raw, max);
    const auto j = parse_json(lit);
    CPPUNIT_ASSERT_MESSAGE("not valid JSON: " + lit, j.has_value());
    CPPUNIT_ASSERT(j->kind == mv::test::Json::Kind::String);
    return j->text;
}

}  // namespace

class JsonTextTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JsonTextTest);
    CPPUNIT_TEST(testPlainAsciiIsQuotedUnchanged);
    CPPUNIT_TEST(testQuotesAndBackslashesAreEscaped);
    CPPUNIT_TEST(testControlCharactersBecomeUnicodeEscapes);
    CPPUNIT_TEST(testValidUtf8PassesThrough);
    CPPUNIT_TEST(testInvalidUtf8BecomesReplacementCharacter);
    CPPUNIT_TEST(testLineSeparatorsAreEscaped);
    CPPUNIT_TEST(testEveryByteValueGivesValidJson);
    CPPUNIT_TEST(testLongValueIsCutAtACharacterBoundary);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPlainAsciiIsQuotedUnchanged() {
        CPPUNIT_ASSERT_EQUAL(std::string("\"mx.example\""), json_string("mx.example", 255));
        CPPUNIT_ASSERT_EQUAL(std::string("\"\""), json_string("", 255));
    }

    void testQuotesAndBackslashesAreEscaped() {
        CPPUNIT_ASSERT_EQUAL(std::string("\"a\\\"b\\\\c\""), json_string("a\"b\\c", 255));
        // A value trying to close the string and add a field stays one string.
        const std::string evil = "x\",\"action\":\"accept";
        CPPUNIT_ASSERT_EQUAL(evil, round_trip(evil));
    }

    void testControlCharactersBecomeUnicodeEscapes() {
        CPPUNIT_ASSERT_EQUAL(std::string("\"a\\nb\\rc\\td\""), json_string("a\nb\rc\td", 255));
        CPPUNIT_ASSERT_EQUAL(std::string("\"\\u0000\\u001b\\u007f\""),
                             json_string(std::string("\0\x1b\x7f", 3), 255));
    }

    void testValidUtf8PassesThrough() {
        const std::string s =
            "b\xc3\xbc"
            "cher \xe2\x82\xac \xf0\x9f\x93\xa7";  // bücher € 📧
        CPPUNIT_ASSERT_EQUAL("\"" + s + "\"", json_string(s, 255));
        CPPUNIT_ASSERT_EQUAL(s, round_trip(s));
    }

    void testInvalidUtf8BecomesReplacementCharacter() {
        // Overlong '/', a UTF-16 surrogate, beyond U+10FFFF, a stray continuation
        // byte, a sequence cut short, and 0xFF.
        const char* bad[] = {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                             "\x80",     "\xe2\x82",     "\xff"};
        for (const char* b : bad) {
            const std::string lit = json_string(std::string("a") + b + "z", 255);
            CPPUNIT_ASSERT_MESSAGE(lit, parse_json(lit).has_value());
            CPPUNIT_ASSERT_MESSAGE(lit, lit.find("\\ufffd") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(lit, lit.front() == '"' && lit[1] == 'a');
        }
    }

    void testLineSeparatorsAreEscaped() {
        CPPUNIT_ASSERT_EQUAL(std::string("\"a\\u2028b\\u2029c\""), json_string("a\xe2\x80\xa8"
                                                                               "b\xe2\x80\xa9"
                                                                               "c",
                                                                               255));
    }

    void testEveryByteValueGivesValidJson() {
        std::string all;
        for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
        for (int i = 0; i < 256; ++i) all += static_cast<char>(255 - i);
        const std::string lit = json_string(all, 4096);
        CPPUNIT_ASSERT_MESSAGE(lit, parse_json(lit).has_value());
        CPPUNIT_ASSERT(lit.find('\n') == std::string::npos);  // one log line
    }

    void testLongValueIsCutAtACharacterBoundary() {
        CPPUNIT_ASSERT_EQUAL(std::string("\"abcdefg...\""), json_string("abcdefghijklmnop", 10));
        // "ü" is 2 bytes: cutting at 7 bytes would split the fourth one.
        const std::string u = "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc";  // 12 bytes
        const std::string lit = json_string(u, 10);
        CPPUNIT_ASSERT_EQUAL(std::string("\"\xc3\xbc\xc3\xbc\xc3\xbc...\""), lit);
        CPPUNIT_ASSERT(parse_json(lit).has_value());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonTextTest);

}  // namespace mv::observability::test
