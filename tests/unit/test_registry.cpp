// SPDX-License-Identifier: Apache-2.0
// test_registry.cpp - the compiled code registry: embedded data, lookups, syntax.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

#include "codes/csv_line.hpp"
#include "codes/registry.hpp"

using namespace mv::codes;

class RegistryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RegistryTest);
    CPPUNIT_TEST(testEmbeddedDataParsesWithoutBadLines);
    CPPUNIT_TEST(testBadLineIsReportedWithFileAndLine);
    CPPUNIT_TEST(testEnhancedNamingUnknownBasicCodeIsReported);
    CPPUNIT_TEST(testBasicLookupGivesStagesAndClosing);
    CPPUNIT_TEST(testUnknownBasicCodeIsNotFound);
    CPPUNIT_TEST(testEnhancedLookupGivesRegistryFacts);
    CPPUNIT_TEST(testWildcardAndAnyAssociations);
    CPPUNIT_TEST(testProjectAdditionsAreNotRegistryEntries);
    CPPUNIT_TEST(testParseEnhancedAcceptsRfc3463Syntax);
    CPPUNIT_TEST(testParseEnhancedRejectsBadSyntax);
    CPPUNIT_TEST(testParseEnhancedAcceptsClassXOnlyWhenAllowed);
    CPPUNIT_TEST(testParseBasicFollowsRfc5321Grammar);
    CPPUNIT_TEST(testCsvLineSplitsQuotedFields);
    CPPUNIT_TEST(testCsvLineReportsUnterminatedQuote);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testEmbeddedDataParsesWithoutBadLines() {
        const Registry& r = Registry::get();
        std::string all;
        for (const auto& e : r.load_errors()) all += e + "\n";
        CPPUNIT_ASSERT_EQUAL(std::string(), all);
        // Every RFC 5321 4.2.3 code and every registry entry up to X.7.30.
        CPPUNIT_ASSERT(r.basics().size() >= 44);
        CPPUNIT_ASSERT(r.enhanceds().size() >= 80);
        CPPUNIT_ASSERT(r.enhanced(7, 30) != nullptr);
        CPPUNIT_ASSERT(r.basic(556) != nullptr);
    }

    void testBadLineIsReportedWithFileAndLine() {
        const std::string basic =
            "code,meaning,stages,closes,source,notes\n"
            "550,Refused,rcpt,no,RFC 5321,\n"
            "550x,Bad,rcpt,no,RFC 5321,\n"
            "551,Moved,nowhere,no,RFC 5321,\n"
            "552,\"unterminated,rcpt,no,RFC 5321,\n";
        const Registry r = Registry::parse(basic,
                                           "code,title,associated,added,permanence,"
                                           "deprecated,reference,notes\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), r.load_errors().size());
        CPPUNIT_ASSERT(r.load_errors()[0].rfind("basic-codes.csv:3: ", 0) == 0);
        CPPUNIT_ASSERT(r.load_errors()[1].find("unknown stage \"nowhere\"") != std::string::npos);
        CPPUNIT_ASSERT(r.load_errors()[2].rfind("basic-codes.csv:5: ", 0) == 0);
        CPPUNIT_ASSERT(r.basic(550) != nullptr);  // the good line is kept
        CPPUNIT_ASSERT(r.basic(551) == nullptr);
    }

    void testEnhancedNamingUnknownBasicCodeIsReported() {
        const Registry r = Registry::parse(
            "code,meaning,stages,closes,source,notes\n550,Refused,rcpt,no,RFC 5321,\n",
            "code,title,associated,added,permanence,deprecated,reference,notes\n"
            "X.7.1,Refused,550 551,,either,no,RFC 3463,\n"
            "X.7.2,Other,550,,sometimes,no,RFC 3463,\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.load_errors().size());
        CPPUNIT_ASSERT(r.load_errors()[0].find("permanence") != std::string::npos);
        CPPUNIT_ASSERT(r.load_errors()[1].find("X.7.1 names basic code 551") != std::string::npos);
    }

    void testBasicLookupGivesStagesAndClosing() {
        const Registry& r = Registry::get();
        const BasicCode* c550 = r.basic(550);
        CPPUNIT_ASSERT(c550);
        CPPUNIT_ASSERT(c550->valid_at(Stage::Rcpt));
        CPPUNIT_ASSERT(c550->valid_at(Stage::Helo));
        CPPUNIT_ASSERT(!c550->valid_at(Stage::Data));
        CPPUNIT_ASSERT(!c550->valid_at(Stage::Connect));
        CPPUNIT_ASSERT(!c550->closes);
        const BasicCode* c554 = r.basic(554);
        CPPUNIT_ASSERT(c554->valid_at(Stage::Connect) && c554->valid_at(Stage::Data));
        CPPUNIT_ASSERT(!c554->valid_at(Stage::Rcpt));
        const BasicCode* c421 = r.basic(421);
        CPPUNIT_ASSERT(c421->any_stage && c421->closes);
        for (int i = 0; i < kStageCount; ++i) CPPUNIT_ASSERT(c421->valid_at(Stage(i)));
        CPPUNIT_ASSERT(r.basic(521)->closes);
        CPPUNIT_ASSERT(r.basic(521)->valid_at(Stage::Connect));
        CPPUNIT_ASSERT(r.basic(450)->valid_at(Stage::Rcpt));
        CPPUNIT_ASSERT(!r.basic(450)->valid_at(Stage::Mail));
        CPPUNIT_ASSERT(r.basic(535)->stages.none() && !r.basic(535)->any_stage);
    }

    void testUnknownBasicCodeIsNotFound() {
        const Registry& r = Registry::get();
        CPPUNIT_ASSERT(r.basic(460) == nullptr);
        CPPUNIT_ASSERT(r.basic(599) == nullptr);
        CPPUNIT_ASSERT(r.basic(0) == nullptr);
    }

    void testEnhancedLookupGivesRegistryFacts() {
        const Registry& r = Registry::get();
        const EnhancedCode* e = r.enhanced(7, 1);
        CPPUNIT_ASSERT(e);
        CPPUNIT_ASSERT_EQUAL(std::string("Delivery not authorized, message refused"), e->title);
        CPPUNIT_ASSERT_EQUAL(std::string("X.7.1"), e->name());
        CPPUNIT_ASSERT(e->permanence == Permanence::Either);
        CPPUNIT_ASSERT(r.enhanced(6, 10)->deprecated);
        CPPUNIT_ASSERT(!r.enhanced(6, 8)->deprecated);
        CPPUNIT_ASSERT(r.enhanced(3, 4)->permanence == Permanence::PermanentOnly);
        CPPUNIT_ASSERT(r.enhanced(4, 1)->permanence == Permanence::TransientOnly);
        CPPUNIT_ASSERT(r.enhanced(7, 31) == nullptr);
        CPPUNIT_ASSERT(r.enhanced(8, 0) == nullptr);
    }

    void testWildcardAndAnyAssociations() {
        const Registry& r = Registry::get();
        const EnhancedCode* rrvs = r.enhanced(7, 17);  // 5XX
        CPPUNIT_ASSERT(rrvs->associates(550) && rrvs->associates(554));
        CPPUNIT_ASSERT(!rrvs->associates(450));
        const EnhancedCode* prio = r.enhanced(7, 15);  // 450 550 4XX 5XX
        CPPUNIT_ASSERT(prio->associates(452) && prio->associates(553));
        CPPUNIT_ASSERT(r.enhanced(0, 0)->associates(421));  // Any
        CPPUNIT_ASSERT(r.enhanced(1, 0)->associates(553));  // none listed: no constraint
        CPPUNIT_ASSERT(!r.enhanced(7, 20)->associates(554));
    }

    void testProjectAdditionsAreNotRegistryEntries() {
        const EnhancedCode* e = Registry::get().enhanced(7, 1);
        CPPUNIT_ASSERT(e->associates(450) && !e->registry_lists(450));
        CPPUNIT_ASSERT(e->associates(554) && !e->registry_lists(554));
        CPPUNIT_ASSERT(e->registry_lists(550));
        CPPUNIT_ASSERT(Registry::get().enhanced(5, 3)->associates(452));
    }

    void testParseEnhancedAcceptsRfc3463Syntax() {
        const auto a = parse_enhanced("5.7.1");
        CPPUNIT_ASSERT(a && a->cls == '5' && a->subject == 7 && a->detail == 1);
        const auto b = parse_enhanced("4.999.100");
        CPPUNIT_ASSERT(b && b->subject == 999 && b->detail == 100);
        CPPUNIT_ASSERT(parse_enhanced("2.0.0"));
        CPPUNIT_ASSERT_EQUAL(std::string("4.7.30"), parse_enhanced("4.7.30")->str());
    }

    void testParseEnhancedRejectsBadSyntax() {
        for (const char* bad :
             {"3.7.1", "6.0.0", "5.07.1", "5.7.01", "5.1000.1", "5.7.1000", "5.7", "5.7.1.", "5..1",
              "5.7.", "5.7.a", "", " 5.7.1", "5.7.1 ", "X.7.1", "55.7.1", "5,7,1", "5.-7.1"})
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_enhanced(bad));
    }

    void testParseEnhancedAcceptsClassXOnlyWhenAllowed() {
        CPPUNIT_ASSERT(!parse_enhanced("X.7.1", false));
        const auto x = parse_enhanced("X.7.1", true);
        CPPUNIT_ASSERT(x && x->cls == 'X');
        CPPUNIT_ASSERT_EQUAL('X', parse_enhanced("x.7.1", true)->cls);
        CPPUNIT_ASSERT(!parse_enhanced("Y.7.1", true));
    }

    void testParseBasicFollowsRfc5321Grammar() {
        CPPUNIT_ASSERT_EQUAL(550, *parse_basic("550"));
        CPPUNIT_ASSERT_EQUAL(221, *parse_basic("221"));
        for (const char* bad : {"650", "150", "560", "55", "5500", "5a0", "", "-50"})
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_basic(bad));
    }

    void testCsvLineSplitsQuotedFields() {
        std::string err;
        const auto f = split_csv_line("a,\"b, c\",\"say \"\"hi\"\"\",,", &err);
        CPPUNIT_ASSERT(f);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), f->size());
        CPPUNIT_ASSERT_EQUAL(std::string("b, c"), (*f)[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("say \"hi\""), (*f)[2]);
        CPPUNIT_ASSERT_EQUAL(std::string(), (*f)[4]);
    }

    void testCsvLineReportsUnterminatedQuote() {
        std::string err;
        CPPUNIT_ASSERT(!split_csv_line("a,\"b,c", &err));
        CPPUNIT_ASSERT_EQUAL(std::string("unterminated quoted field"), err);
        CPPUNIT_ASSERT(!split_csv_line("a,\"b\"c", &err));
        CPPUNIT_ASSERT_EQUAL(std::string("text after a closing quote"), err);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RegistryTest);
