// SPDX-License-Identifier: Apache-2.0
// test_redis_secret.cpp - a Redis password is refused in a file other users can read.
#include <cppunit/extensions/HelperMacros.h>
#include <sys/stat.h>

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

}  // namespace

class RedisSecretTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RedisSecretTest);
    CPPUNIT_TEST(testPasswordInAWorldReadableFileIsAnError);
    CPPUNIT_TEST(testPasswordInAFileOnlyOwnerAndGroupReadIsAccepted);
    CPPUNIT_TEST(testPasswordInAPrivateIncludeOfAPublicFileIsAccepted);
    CPPUNIT_TEST(testEmptyPasswordIsNoSecret);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPasswordInAWorldReadableFileIsAnError() {
        TempDir d;
        const auto f = d.write("a.conf",
                               "state = { backend = \"redis\";\n"
                               "  redis = { password = \"s3cret\"; }; };\n" +
                                   std::string(kRule));
        ::chmod(f.c_str(), 0644);
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2,
                                            "redis password in " + f +
                                                ", which every local user can read "
                                                "(mode 0644)"));
    }
    void testPasswordInAFileOnlyOwnerAndGroupReadIsAccepted() {
        TempDir d;
        const auto f = d.write("a.conf",
                               "state = { backend = \"redis\";\n"
                               "  redis = { password = \"s3cret\"; }; };\n" +
                                   std::string(kRule));
        ::chmod(f.c_str(), 0640);
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("s3cret"), r.policy->settings.state.redis.password);
    }
    void testPasswordInAPrivateIncludeOfAPublicFileIsAccepted() {
        TempDir d;
        const auto secret = d.write("redis-password.conf", "password = \"s3cret\";\n");
        ::chmod(secret.c_str(), 0640);
        const auto f = d.write("a.conf",
                               "state = { backend = \"redis\";\n  redis = {\n"
                               "@include \"redis-password.conf\"\n  }; };\n" +
                                   std::string(kRule));
        ::chmod(f.c_str(), 0644);
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("s3cret"), r.policy->settings.state.redis.password);
        // The same include made readable by all is refused at its own line.
        ::chmod(secret.c_str(), 0644);
        const LoadResult again = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(again),
                               has(again, secret, 1, "which every local user can read"));
    }
    void testEmptyPasswordIsNoSecret() {
        TempDir d;
        const auto f = d.write("a.conf",
                               "state = { backend = \"redis\";\n"
                               "  redis = { password = \"\"; }; };\n" +
                                   std::string(kRule));
        ::chmod(f.c_str(), 0644);
        CPPUNIT_ASSERT_MESSAGE(dump(load_policy(f)), load_policy(f).ok());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisSecretTest);
