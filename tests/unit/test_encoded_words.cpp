// SPDX-License-Identifier: Apache-2.0
// test_encoded_words.cpp - RFC 2047 decoding of header values.
#include <cppunit/extensions/HelperMacros.h>

#include "policy/encoded_words.hpp"

using mv::policy::decode_encoded_words;

class EncodedWordsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EncodedWordsTest);
    CPPUNIT_TEST(testPlainValueIsUnchanged);
    CPPUNIT_TEST(testBase64Utf8WordIsDecoded);
    CPPUNIT_TEST(testQEncodingUnderscoreIsSpaceAndHexIsByte);
    CPPUNIT_TEST(testLatin1IsConvertedToUtf8);
    CPPUNIT_TEST(testWhitespaceBetweenAdjacentWordsIsDropped);
    CPPUNIT_TEST(testTextAroundWordsIsKept);
    CPPUNIT_TEST(testUnknownCharsetIsKeptRaw);
    CPPUNIT_TEST(testMalformedWordsAreKeptRaw);
    CPPUNIT_TEST(testLowercaseEncodingAndLanguageSuffixAreAccepted);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPlainValueIsUnchanged() {
        CPPUNIT_ASSERT_EQUAL(std::string("Quarterly report = 3?"),
                             decode_encoded_words("Quarterly report = 3?"));
    }
    void testBase64Utf8WordIsDecoded() {
        CPPUNIT_ASSERT_EQUAL(std::string("Casino night"),
                             decode_encoded_words("=?UTF-8?B?Q2FzaW5vIG5pZ2h0?="));
        // "Grüße" in UTF-8.
        CPPUNIT_ASSERT_EQUAL(std::string("Gr\xc3\xbc\xc3\x9f"
                                         "e"),
                             decode_encoded_words("=?utf-8?B?R3LDvMOfZQ==?="));
    }
    void testQEncodingUnderscoreIsSpaceAndHexIsByte() {
        CPPUNIT_ASSERT_EQUAL(std::string("cheap pills!"),
                             decode_encoded_words("=?US-ASCII?Q?cheap_pills=21?="));
    }
    void testLatin1IsConvertedToUtf8() {
        CPPUNIT_ASSERT_EQUAL(std::string("caf\xc3\xa9"),
                             decode_encoded_words("=?ISO-8859-1?Q?caf=E9?="));
    }
    void testWhitespaceBetweenAdjacentWordsIsDropped() {
        CPPUNIT_ASSERT_EQUAL(std::string("Viagra"),
                             decode_encoded_words("=?UTF-8?Q?Via?=  \t=?UTF-8?Q?gra?="));
    }
    void testTextAroundWordsIsKept() {
        CPPUNIT_ASSERT_EQUAL(std::string("Re: Casino night today"),
                             decode_encoded_words("Re: =?UTF-8?B?Q2FzaW5vIG5pZ2h0?= today"));
    }
    void testUnknownCharsetIsKeptRaw() {
        const std::string v = "=?KOI8-R?B?8NLJ18XU?=";
        CPPUNIT_ASSERT_EQUAL(v, decode_encoded_words(v));
    }
    void testMalformedWordsAreKeptRaw() {
        for (const std::string v :
             {"=?UTF-8?B?not*base64?=", "=?UTF-8?Q?bad=G1?=", "=?UTF-8?X?abc?=",
              "=?UTF-8?B?Q2FzaW5v", "=??B?Q2FzaW5v?=", "=?UTF-8?Q?has space?="})
            CPPUNIT_ASSERT_EQUAL(v, decode_encoded_words(v));
    }
    void testLowercaseEncodingAndLanguageSuffixAreAccepted() {
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), decode_encoded_words("=?utf-8*en?q?hello?="));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EncodedWordsTest);
