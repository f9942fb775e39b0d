// SPDX-License-Identifier: Apache-2.0
// test_dns_list_spec.cpp - postscreen's zone=filter*weight syntax, answer
// classification and scores (dns/list_spec.hpp). Entries are the examples of
// Postfix's postscreen_dnsbl_sites documentation; error answers are RFC 5782
// 2.3's and Spamhaus's 127.255.255.0/24.
#include <cppunit/extensions/HelperMacros.h>

#include "dns/list_spec.hpp"

using namespace mv::dns;

namespace {

ZoneEntry entry(const std::string& text) {
    std::string why;
    auto e = parse_zone_entry(text, why);
    if (!e) throw std::runtime_error(text + ": " + why);
    return *e;
}

std::string error_of(const std::string& text) {
    std::string why;
    return parse_zone_entry(text, why) ? std::string() : why;
}

ListSpec spec_of(std::initializer_list<const char*> zones, int threshold) {
    ListSpec s;
    s.name = "test";
    for (const char* z : zones) s.zones.push_back(entry(z));
    s.threshold = threshold;
    return s;
}

}  // namespace

class DnsListSpecTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DnsListSpecTest);
    CPPUNIT_TEST(testZoneAloneWeighsOneAndHasNoFilter);
    CPPUNIT_TEST(testFilterAndWeight);
    CPPUNIT_TEST(testNegativeWeightIsAnAllowList);
    CPPUNIT_TEST(testFilterLists);
    CPPUNIT_TEST(testBadEntriesSayWhy);
    CPPUNIT_TEST(testErrorAnswersAreNeverListings);
    CPPUNIT_TEST(testFilterDecidesWhatIsListed);
    CPPUNIT_TEST(testScoreIsTheSumOfListedWeights);
    CPPUNIT_TEST(testUnknownEntriesBoundTheScore);
    CPPUNIT_TEST(testAllowThreshold);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testZoneAloneWeighsOneAndHasNoFilter() {
        const ZoneEntry e = entry("bl.spamcop.example");
        CPPUNIT_ASSERT_EQUAL(std::string("bl.spamcop.example"), e.zone);
        CPPUNIT_ASSERT_EQUAL(1, e.weight);
        CPPUNIT_ASSERT(!e.filter);
        CPPUNIT_ASSERT_EQUAL(std::string("bl.spamcop.example"), e.show_as);
    }

    void testFilterAndWeight() {
        const ZoneEntry e = entry("Zen.Spamhaus.Example=127.0.0.[2..11]*3");
        CPPUNIT_ASSERT_EQUAL(std::string("zen.spamhaus.example"), e.zone);
        CPPUNIT_ASSERT_EQUAL(3, e.weight);
        CPPUNIT_ASSERT(e.filter->matches({127, 0, 0, 2}));
        CPPUNIT_ASSERT(e.filter->matches({127, 0, 0, 11}));
        CPPUNIT_ASSERT(!e.filter->matches({127, 0, 0, 12}));
        CPPUNIT_ASSERT(!e.filter->matches({127, 0, 1, 2}));
    }

    void testNegativeWeightIsAnAllowList() {
        const ZoneEntry e = entry("list.dnswl.example=127.[0..255].[0..255].[2..3]*-4");
        CPPUNIT_ASSERT_EQUAL(-4, e.weight);
        CPPUNIT_ASSERT(e.filter->matches({127, 0, 15, 3}));
        CPPUNIT_ASSERT(!e.filter->matches({127, 0, 15, 1}));
    }

    void testFilterLists() {
        const ZoneEntry e = entry("bl.example=127.0.0.[2;4..5;9]");
        for (std::uint8_t v : {2, 4, 5, 9}) CPPUNIT_ASSERT(e.filter->matches({127, 0, 0, v}));
        for (std::uint8_t v : {1, 3, 6, 10}) CPPUNIT_ASSERT(!e.filter->matches({127, 0, 0, v}));
    }

    void testBadEntriesSayWhy() {
        CPPUNIT_ASSERT(error_of("bl.example=127.0.0.[2..11").find("unterminated") !=
                       std::string::npos);
        CPPUNIT_ASSERT(error_of("bl.example=127.0.0").find("four octets") != std::string::npos);
        CPPUNIT_ASSERT(error_of("bl.example=127.0.0.256").find("bad filter octet") !=
                       std::string::npos);
        CPPUNIT_ASSERT(error_of("bl.example=127.0.0.[11..2]").find("backwards") !=
                       std::string::npos);
        CPPUNIT_ASSERT(error_of("bl.example*x").find("bad weight") != std::string::npos);
        CPPUNIT_ASSERT(error_of("bl.example*1001").find("bad weight") != std::string::npos);
        CPPUNIT_ASSERT(error_of("bl.example*0").find("weight 0") != std::string::npos);
        CPPUNIT_ASSERT(error_of("not a zone*2").find("bad zone") != std::string::npos);
        CPPUNIT_ASSERT(error_of("=127.0.0.2").find("bad zone") != std::string::npos);
        CPPUNIT_ASSERT(error_of("bl.example=127.0.0.2;3").find("';' outside") != std::string::npos);
    }

    void testErrorAnswersAreNeverListings() {
        const ZoneEntry any = entry("zen.example");
        const ZoneEntry wide = entry("zen.example=127.[0..255].[0..255].[0..255]");
        for (const ZoneEntry* e : {&any, &wide}) {
            // Spamhaus: 127.255.255.252 typing error, .254 public resolver, .255 over quota.
            CPPUNIT_ASSERT(classify(*e, "127.255.255.254") == RecordMeaning::Error);
            CPPUNIT_ASSERT(classify(*e, "127.255.255.0") == RecordMeaning::Error);
            // RFC 5782 2.3: answers are in 127.0.0.0/8.
            CPPUNIT_ASSERT(classify(*e, "10.0.0.1") == RecordMeaning::Error);
            CPPUNIT_ASSERT(classify(*e, "192.0.2.1") == RecordMeaning::Error);
            CPPUNIT_ASSERT(classify(*e, "not an address") == RecordMeaning::Error);
            CPPUNIT_ASSERT(classify(*e, "127.0.0.2") == RecordMeaning::Listed);
        }
    }

    void testFilterDecidesWhatIsListed() {
        const ZoneEntry e = entry("zen.example=127.0.0.[2..11]");
        CPPUNIT_ASSERT(classify(e, "127.0.0.4") == RecordMeaning::Listed);
        CPPUNIT_ASSERT(classify(e, "127.0.0.12") == RecordMeaning::NotListed);
    }

    void testScoreIsTheSumOfListedWeights() {
        const ListSpec s = spec_of({"a.example*3", "b.example*2", "c.example", "w.example*-5"}, 3);
        using E = EntryState;
        const Score x = score(s, {E::Listed, E::Listed, E::NotListed, E::NotListed});
        CPPUNIT_ASSERT_EQUAL(5, x.known);
        CPPUNIT_ASSERT(x.complete());
        CPPUNIT_ASSERT(*holds(s, x, false));
        const Score y = score(s, {E::Listed, E::Listed, E::Listed, E::Listed});
        CPPUNIT_ASSERT_EQUAL(1, y.known);  // the allow list pulls it under the threshold
        CPPUNIT_ASSERT(!*holds(s, y, false));
        const Score z = score(s, {E::NotListed, E::Listed, E::Listed, E::Skipped});
        CPPUNIT_ASSERT_EQUAL(3, z.known);  // exactly the threshold holds
        CPPUNIT_ASSERT(*holds(s, z, false));
    }

    void testUnknownEntriesBoundTheScore() {
        const ListSpec s = spec_of({"a.example*3", "b.example*2", "w.example*-5"}, 3);
        using E = EntryState;
        // a listed, the allow list unknown: it could still pull the score to -2.
        const Score x = score(s, {E::Listed, E::NotListed, E::Unknown});
        CPPUNIT_ASSERT_EQUAL(-2, x.low);
        CPPUNIT_ASSERT_EQUAL(3, x.high);
        CPPUNIT_ASSERT(!holds(s, x, false));  // undecided: a timeout is never "not listed"
        // The allow list answered "not listed": decided without b.
        const Score y = score(s, {E::Listed, E::Unknown, E::NotListed});
        CPPUNIT_ASSERT(*holds(s, y, false));
        // Nothing listed and only b unknown: 2 < 3 whatever b says.
        const Score z = score(s, {E::NotListed, E::Unknown, E::NotListed});
        CPPUNIT_ASSERT(!*holds(s, z, false));
    }

    void testAllowThreshold() {
        ListSpec s = spec_of({"a.example*3", "w.example*-5"}, 3);
        s.allow_threshold = -1;
        using E = EntryState;
        CPPUNIT_ASSERT(*holds(s, score(s, {E::NotListed, E::Listed}), true));
        CPPUNIT_ASSERT(!*holds(s, score(s, {E::Listed, E::NotListed}), true));
        CPPUNIT_ASSERT(!holds(s, score(s, {E::NotListed, E::Unknown}), true));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DnsListSpecTest);
