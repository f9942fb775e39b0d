// SPDX-License-Identifier: Apache-2.0
// test_sentinel_settings.cpp - the Redis Sentinel keys of the `state.redis` group.
#include <cppunit/extensions/HelperMacros.h>

#include "config/loader.hpp"
#include "config_scratch.hpp"

using namespace mv::config;
using mv::test::dump;
using mv::test::has;
using mv::test::TempDir;

namespace {

const char* const kRule =
    "rules = ( { name = \"r\"; when = { rate_limit = { key = \"sender\"; count = \"message\"; "
    "limit = \"5/1m\"; }; }; action = \"tempfail\"; } );\n";

std::string conf(const std::string& redis) {
    return "state = { backend = \"redis\";\n redis = { " + redis + " }; };\n" + kRule;
}

}  // namespace

class SentinelSettingsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SentinelSettingsTest);
    CPPUNIT_TEST(testSentinelsAndMasterNameAreRead);
    CPPUNIT_TEST(testOneSentinelAsAStringWithTheDefaultPort);
    CPPUNIT_TEST(testSentinelsNeedAMasterNameAndTheReverse);
    CPPUNIT_TEST(testHostAndPortCannotBeGivenWithSentinels);
    CPPUNIT_TEST(testBadSentinelAddressesAreReported);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testSentinelsAndMasterNameAreRead() {
        TempDir d;
        const auto f =
            d.write("a.conf", conf("sentinels = [\"127.0.0.1:26379\", \"[::1]:26380\", "
                                   "\"sentinel-3.example\"]; master_name = \"mx-state\";"));
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        const auto& o = r.policy->settings.state.redis;
        CPPUNIT_ASSERT_EQUAL(std::string("mx-state"), o.master_name);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), o.sentinels.size());
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), o.sentinels[0].host);
        CPPUNIT_ASSERT_EQUAL(26379, o.sentinels[0].port);
        CPPUNIT_ASSERT_EQUAL(std::string("::1"), o.sentinels[1].host);
        CPPUNIT_ASSERT_EQUAL(26380, o.sentinels[1].port);
        CPPUNIT_ASSERT_EQUAL(std::string("[::1]:26380"), o.sentinels[1].text());
        CPPUNIT_ASSERT_EQUAL(26379, o.sentinels[2].port);
    }
    void testOneSentinelAsAStringWithTheDefaultPort() {
        TempDir d;
        const auto f = d.write("a.conf", conf("sentinels = \"10.0.0.5\"; master_name = \"m\";"));
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.5:26379"),
                             r.policy->settings.state.redis.sentinels.at(0).text());
    }
    void testSentinelsNeedAMasterNameAndTheReverse() {
        TempDir d;
        const auto a = d.write("a.conf", conf("sentinels = [\"127.0.0.1\"];"));
        LoadResult r = load_policy(a);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, a, 2, "sentinels need master_name"));
        const auto b = d.write("b.conf", conf("master_name = \"m\";"));
        r = load_policy(b);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, b, 2, "master_name needs sentinels"));
    }
    void testHostAndPortCannotBeGivenWithSentinels() {
        TempDir d;
        const auto f = d.write(
            "a.conf", conf("sentinels = [\"127.0.0.1\"]; master_name = \"m\"; host = \"h\"; "
                           "port = 6380;"));
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "host names one server; with sentinels"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "remove port"));
    }
    void testBadSentinelAddressesAreReported() {
        TempDir d;
        const auto f =
            d.write("a.conf", conf("sentinels = [\"::1\", \"h:0\", \"[::1\", \"\", \"a b\"]; "
                                   "master_name = \"no spaces allowed\";"));
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "bad sentinel '::1': write an IPv6"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "bad sentinel 'h:0': bad port '0'"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "bad sentinel '[::1': missing ']'"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "bad sentinel '': empty host"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "bad sentinel 'a b': bad host"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "master_name must be 1 to 64 characters"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SentinelSettingsTest);
