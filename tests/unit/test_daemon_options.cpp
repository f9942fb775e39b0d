// SPDX-License-Identifier: Apache-2.0
// test_daemon_options.cpp - the daemon's command line.
#include <cppunit/extensions/HelperMacros.h>

#include "milter/daemon_options.hpp"

namespace mv::milter::test {

class DaemonOptionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DaemonOptionsTest);
    CPPUNIT_TEST(testDefaultsWithoutArguments);
    CPPUNIT_TEST(testEveryOptionSeparateAndAttached);
    CPPUNIT_TEST(testMissingValueIsAnError);
    CPPUNIT_TEST(testUnknownOptionAndStrayArgumentAreErrors);
    CPPUNIT_TEST(testLogTargetIsChecked);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testDefaultsWithoutArguments() {
        const auto p = parse_daemon_options({});
        CPPUNIT_ASSERT(p.options);
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/milter-verdict/milter-verdict.conf"),
                             p.options->config);
        CPPUNIT_ASSERT(!p.options->foreground);
        CPPUNIT_ASSERT(p.options->socket.empty());
    }
    void testEveryOptionSeparateAndAttached() {
        const auto p = parse_daemon_options({"-c", "a.conf", "-f", "-pinet:1@127.0.0.1", "-u", "mv",
                                             "-gmail", "-P", "/run/mv.pid", "-t", "-l", "syslog"});
        CPPUNIT_ASSERT_MESSAGE(p.error, p.options);
        const DaemonOptions& o = *p.options;
        CPPUNIT_ASSERT_EQUAL(std::string("a.conf"), o.config);
        CPPUNIT_ASSERT(o.foreground && o.test_only && !o.help);
        CPPUNIT_ASSERT_EQUAL(std::string("inet:1@127.0.0.1"), o.socket);
        CPPUNIT_ASSERT_EQUAL(std::string("mv"), o.user);
        CPPUNIT_ASSERT_EQUAL(std::string("mail"), o.group);
        CPPUNIT_ASSERT_EQUAL(std::string("/run/mv.pid"), o.pid_file);
        CPPUNIT_ASSERT_EQUAL(std::string("syslog"), o.log_target);
    }
    void testMissingValueIsAnError() {
        const auto p = parse_daemon_options({"-c"});
        CPPUNIT_ASSERT(!p.options);
        CPPUNIT_ASSERT_EQUAL(std::string("option -c needs a value"), p.error);
    }
    void testUnknownOptionAndStrayArgumentAreErrors() {
        CPPUNIT_ASSERT(!parse_daemon_options({"-x"}).options);
        CPPUNIT_ASSERT(!parse_daemon_options({"-fx"}).options);
        CPPUNIT_ASSERT(!parse_daemon_options({"stray"}).options);
    }
    void testLogTargetIsChecked() {
        CPPUNIT_ASSERT(!parse_daemon_options({"-l", "file"}).options);
        CPPUNIT_ASSERT(parse_daemon_options({"-l", "stderr"}).options);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonOptionsTest);

}  // namespace mv::milter::test
