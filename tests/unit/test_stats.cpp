// SPDX-License-Identifier: Apache-2.0
// test_stats.cpp - reading an exposition back and the `stats` report
// (observability/scrape.hpp, cli/stats_table.hpp).
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "cli/stats_table.hpp"
#include "observability/scrape.hpp"

namespace mv::observability::test {

namespace {

const char* kScrape =
    "# HELP milter_verdict_build_info x\n"
    "# TYPE milter_verdict_build_info gauge\n"
    "milter_verdict_build_info{version=\"0.1.0\"} 1\n"
    "milter_verdict_decisions_total{front_end=\"milter\",rule=\"-\",action=\"accept\","
    "stage=\"end-of-data\",code=\"\",enhanced=\"\"} 7\n"
    "milter_verdict_decisions_total{front_end=\"milter\",rule=\"blocked\",action=\"reject\","
    "stage=\"rcpt\",code=\"550\",enhanced=\"5.7.1\"} 3\n"
    "milter_verdict_decisions_total{front_end=\"milter\",rule=\"blocked\",action=\"reject\","
    "stage=\"end-of-data\",code=\"550\",enhanced=\"5.7.1\"} 1\n"
    "milter_verdict_decisions_total{front_end=\"milter\",rule=\"later\",action=\"tempfail\","
    "stage=\"rcpt\",code=\"450\",enhanced=\"4.7.1\"} 2\n"
    "milter_verdict_decisions_total{front_end=\"milter\",rule=\"quiet\",action=\"reject\","
    "stage=\"rcpt\",code=\"550\",enhanced=\"5.7.1\"} 0\n"
    "milter_verdict_monitor_decisions_total{front_end=\"milter\",rule=\"trial\",action=\"reject\","
    "code=\"550\",enhanced=\"5.7.1\"} 5\n"
    "milter_verdict_connections_total{front_end=\"milter\"} 12\n"
    "milter_verdict_connections_active{front_end=\"milter\"} 1\n"
    "milter_verdict_transactions_total{front_end=\"milter\"} 10\n"
    "milter_verdict_transactions_active{front_end=\"milter\"} 0\n"
    "milter_verdict_policy_reloads_total{result=\"success\"} 2\n"
    "milter_verdict_policy_reloads_total{result=\"failure\"} 1\n"
    "milter_verdict_policy_last_reload_successful 1\n"
    "milter_verdict_policy_rules 4\n"
    "milter_verdict_policy_list_entries 1000\n"
    "milter_verdict_dns_lookups_total{zone=\"zen.example\"} 12\n"
    "milter_verdict_dns_cache_hits_total{zone=\"zen.example\"} 5\n"
    "milter_verdict_dns_timeouts_total{zone=\"zen.example\"} 1\n"
    "milter_verdict_dns_errors_total{zone=\"zen.example\"} 0\n"
    "milter_verdict_dns_zone_check_failures_total{zone=\"zen.example\"} 2\n"
    "milter_verdict_dns_zone_unhealthy{zone=\"zen.example\"} 0\n"
    "milter_verdict_dns_lookups_total{zone=\"bl.example\"} 3\n"
    "milter_verdict_dns_zone_check_failures_total{zone=\"bl.example\"} 1\n"
    "milter_verdict_dns_zone_unhealthy{zone=\"bl.example\"} 1\n";

}  // namespace

class StatsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StatsTest);
    CPPUNIT_TEST(testParsesLabelsEscapesAndTimestamps);
    CPPUNIT_TEST(testBadLinesAreCountedNotFatal);
    CPPUNIT_TEST(testReportSumsPerRuleBusiestFirst);
    CPPUNIT_TEST(testAllListsIdleRules);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testParsesLabelsEscapesAndTimestamps() {
        const Exposition e = parse_exposition(
            "# comment\n\nx_total{a=\"q\\\"uote\",b=\"back\\\\slash\",c=\"nl\\n\"} 3 1700000000\n"
            "y 0.25\r\nz{} +Inf\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, e.samples.size());
        CPPUNIT_ASSERT_EQUAL(std::string("x_total"), e.samples[0].name);
        CPPUNIT_ASSERT_EQUAL(std::string("q\"uote"), e.samples[0].label("a"));
        CPPUNIT_ASSERT_EQUAL(std::string("back\\slash"), e.samples[0].label("b"));
        CPPUNIT_ASSERT_EQUAL(std::string("nl\n"), e.samples[0].label("c"));
        CPPUNIT_ASSERT_EQUAL(3.0, e.samples[0].value);
        CPPUNIT_ASSERT_EQUAL(0.25, e.samples[1].value);
        CPPUNIT_ASSERT(e.samples[2].value > 1e308);
        CPPUNIT_ASSERT_EQUAL(std::size_t{0}, e.bad_lines);
    }

    void testBadLinesAreCountedNotFatal() {
        const Exposition e = parse_exposition("x{a=\"unterminated} 1\ny notanumber\nz 1\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, e.samples.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, e.bad_lines);
    }

    void testReportSumsPerRuleBusiestFirst() {
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "milter-verdict 0.1.0\n"
                "policy   4 rules, 1000 list entries; last load ok; reloads 2 ok, 1 failed\n"
                "traffic  milter: 12 connections (1 open), 10 transactions (0 open)\n"
                "dns      bl.example: 3 lookups, 0 from the cache, 0 timeouts, 0 errors; "
                "UNHEALTHY, skipped (RFC 5782 health check)\n"
                "dns      zen.example: 12 lookups, 5 from the cache, 1 timeouts, 0 errors; 2 "
                "failed health checks\n"
                "\n"
                "rule          reject  tempfail  accept  other  monitor  replies\n"
                "(no rule)          0         0       7      0        0\n"
                "trial              0         0       0      0        5  would 550 5.7.1 x5\n"
                "blocked            4         0       0      0        0  550 5.7.1 x4\n"
                "later              0         2       0      0        0  450 4.7.1 x2\n"
                "1 rules without decisions (--all lists them)\n"),
            cli::stats_report(parse_exposition(kScrape), false));
    }

    void testAllListsIdleRules() {
        const std::string all = cli::stats_report(parse_exposition(kScrape), true);
        CPPUNIT_ASSERT(all.find("\nquiet              0         0       0      0        0\n") !=
                       std::string::npos);
        CPPUNIT_ASSERT(all.find("without decisions") == std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StatsTest);

}  // namespace mv::observability::test
