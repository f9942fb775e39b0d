// SPDX-License-Identifier: Apache-2.0
// test_stage.cpp - stage names and their parsing.
#include <cppunit/extensions/HelperMacros.h>

#include "codes/stage.hpp"

using namespace mv::codes;

class StageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StageTest);
    CPPUNIT_TEST(testEveryNameParsesBackToItsStage);
    CPPUNIT_TEST(testEndOfDataAliasesAreAccepted);
    CPPUNIT_TEST(testUnknownNameIsRefused);
    CPPUNIT_TEST(testCommandNamesAreWhatTheClientSent);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testEveryNameParsesBackToItsStage() {
        for (int i = 0; i < kStageCount; ++i) {
            const auto s = parse_stage(stage_name(Stage(i)));
            CPPUNIT_ASSERT(s && *s == Stage(i));
        }
        CPPUNIT_ASSERT_EQUAL(std::string_view("end-of-data"), stage_name(Stage::EndOfData));
    }

    void testEndOfDataAliasesAreAccepted() {
        CPPUNIT_ASSERT(parse_stage("eom") == Stage::EndOfData);
        CPPUNIT_ASSERT(parse_stage("end_of_data") == Stage::EndOfData);
    }

    void testUnknownNameIsRefused() {
        CPPUNIT_ASSERT(!parse_stage("body"));
        CPPUNIT_ASSERT(!parse_stage("RCPT"));
        CPPUNIT_ASSERT(!parse_stage(""));
    }

    void testCommandNamesAreWhatTheClientSent() {
        CPPUNIT_ASSERT_EQUAL(std::string_view("greeting"), stage_command(Stage::Connect));
        CPPUNIT_ASSERT_EQUAL(std::string_view("DATA"), stage_command(Stage::Data));
        CPPUNIT_ASSERT_EQUAL(std::string_view("RCPT TO"), stage_command(Stage::Rcpt));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StageTest);
