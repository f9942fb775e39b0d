// SPDX-License-Identifier: Apache-2.0
// test_options.cpp - the command table and its parser (cli/options.hpp).
#include <cppunit/extensions/HelperMacros.h>

#include <set>

#include "cli/options.hpp"
#include "cli/sim_input.hpp"

namespace mv::cli::test {

class OptionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OptionsTest);
    CPPUNIT_TEST(testEveryFormNamesOptionsOfItsCommand);
    CPPUNIT_TEST(testEveryOptionAppearsInASynopsisForm);
    CPPUNIT_TEST(testEveryCommandTakesHelp);
    CPPUNIT_TEST(testNamesAreUniqueWithinACommand);
    CPPUNIT_TEST(testValueFormsAttachedSeparateAndEquals);
    CPPUNIT_TEST(testRepeatedOptionsKeepTheirOrder);
    CPPUNIT_TEST(testUsageErrors);
    CPPUNIT_TEST(testDoubleDashEndsOptions);
    CPPUNIT_TEST(testSimulateTransactionOptionsAreTheFileKeys);
    CPPUNIT_TEST(testTestTransactionOptionsAreSimulates);
    CPPUNIT_TEST(testStateActionIsAnOperand);
    CPPUNIT_TEST(testUsageStartsWithTheSynopsisAndListsEveryOption);
    CPPUNIT_TEST(testCompletionNamesEveryCommandAndOption);
    CPPUNIT_TEST_SUITE_END();

    static std::string names(const OptionSpec& o) {
        std::string s;
        if (o.short_name) s = std::string("-") + o.short_name;
        if (o.long_name) s += (s.empty() ? "--" : " --") + std::string(o.long_name);
        return s;
    }

  public:
    void testEveryFormNamesOptionsOfItsCommand() {
        for (const auto& c : commands())
            for (const auto& line : synopsis(c))
                CPPUNIT_ASSERT_MESSAGE(line, line.find('<') == std::string::npos);
    }
    void testEveryOptionAppearsInASynopsisForm() {
        for (const auto& c : commands()) {
            std::string all;
            for (const auto& line : synopsis(c)) all += line + " ";
            for (const auto& o : c.options) {
                if (o.long_name && std::string(o.long_name) == "help" && *c.name) continue;
                const std::string s = o.short_name ? std::string("-") + o.short_name : "";
                const std::string l = o.long_name ? std::string("--") + o.long_name : "";
                const bool found = (!s.empty() && (all.find(s + " ") != std::string::npos ||
                                                   all.find(s + "]") != std::string::npos)) ||
                                   (!l.empty() && (all.find(l + " ") != std::string::npos ||
                                                   all.find(l + "]") != std::string::npos));
                CPPUNIT_ASSERT_MESSAGE(std::string(c.name) + ": " + names(o), found);
            }
        }
    }
    void testEveryCommandTakesHelp() {
        for (const auto& c : commands()) {
            const ParsedArgs p = parse_args(c, {"--help"});
            CPPUNIT_ASSERT_MESSAGE(c.name, p.ok() && p.help());
            CPPUNIT_ASSERT_MESSAGE(c.name, parse_args(c, {"-h"}).help());
        }
    }
    void testNamesAreUniqueWithinACommand() {
        std::set<std::string> commands_seen;
        for (const auto& c : commands()) {
            CPPUNIT_ASSERT(commands_seen.insert(c.name).second);
            std::set<std::string> seen;
            for (const auto& o : c.options) {
                if (o.short_name)
                    CPPUNIT_ASSERT_MESSAGE(names(o),
                                           seen.insert(std::string(1, o.short_name)).second);
                if (o.long_name) CPPUNIT_ASSERT_MESSAGE(names(o), seen.insert(o.long_name).second);
            }
        }
    }
    void testValueFormsAttachedSeparateAndEquals() {
        const CommandSpec& stats = *find_command("stats");
        CPPUNIT_ASSERT_EQUAL(std::string("a.conf"),
                             parse_args(stats, {"-c", "a.conf"}).value("config"));
        CPPUNIT_ASSERT_EQUAL(std::string("a.conf"),
                             parse_args(stats, {"-ca.conf"}).value("config"));
        CPPUNIT_ASSERT_EQUAL(std::string("a.conf"),
                             parse_args(stats, {"--config", "a.conf"}).value("config"));
        CPPUNIT_ASSERT_EQUAL(std::string("a.conf"),
                             parse_args(stats, {"--config=a.conf"}).value("config"));
        // A value is taken as it is, even one that looks like an option.
        CPPUNIT_ASSERT_EQUAL(std::string("--all"),
                             parse_args(stats, {"-m", "--all"}).value("metrics"));
        // The last of a single-valued option counts.
        CPPUNIT_ASSERT_EQUAL(std::string("b"),
                             parse_args(stats, {"-c", "a", "-c", "b"}).value("config"));
    }
    void testRepeatedOptionsKeepTheirOrder() {
        const ParsedArgs p = parse_args(*find_command("simulate"),
                                        {"--rcpt", "a@x", "--tls", "--rcpt=b@x", "--rcpt", "c@x"});
        CPPUNIT_ASSERT(p.ok());
        const std::vector<std::string> want = {"a@x", "b@x", "c@x"};
        CPPUNIT_ASSERT(want == p.values("rcpt"));
        CPPUNIT_ASSERT(p.has("tls"));
    }
    void testUsageErrors() {
        const CommandSpec& cc = *find_command("check-config");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown option '--nope'"),
                             parse_args(cc, {"--nope"}).error);
        CPPUNIT_ASSERT_EQUAL(std::string("option -c needs a value"), parse_args(cc, {"-c"}).error);
        CPPUNIT_ASSERT_EQUAL(std::string("--mta must be postfix or sendmail"),
                             parse_args(cc, {"--mta", "exim"}).error);
        CPPUNIT_ASSERT_EQUAL(std::string("option --strict takes no value"),
                             parse_args(cc, {"--strict=yes"}).error);
        CPPUNIT_ASSERT_EQUAL(std::string("unexpected argument 'x.conf'"),
                             parse_args(cc, {"x.conf"}).error);
        const CommandSpec& daemon = *find_command("");
        CPPUNIT_ASSERT(!parse_args(daemon, {"-ft"}).ok());  // flags do not bundle
        CPPUNIT_ASSERT_EQUAL(std::string("-l must be syslog or stderr"),
                             parse_args(daemon, {"-l", "file"}).error);
        CPPUNIT_ASSERT_EQUAL(std::string("--format must be text, tsv or man"),
                             parse_args(*find_command("explain"), {"--format", "x"}).error);
    }
    void testDoubleDashEndsOptions() {
        const ParsedArgs p = parse_args(*find_command("explain"), {"550", "--", "--defaults"});
        CPPUNIT_ASSERT(p.ok());
        CPPUNIT_ASSERT(!p.has("defaults"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), p.operands.size());
        CPPUNIT_ASSERT_EQUAL(std::string("--defaults"), p.operands[1]);
    }
    // The transactions file's keys (sim_input.hpp) are simulate's options of
    // the same name, flags where the file's key takes no value.
    void testSimulateTransactionOptionsAreTheFileKeys() {
        const CommandSpec& sim = *find_command("simulate");
        int keys = 0;
        for (const char* k :
             {"client", "client-name", "client-resolve", "helo", "from", "rcpt", "auth", "tls",
              "macro", "header", "body", "non-smtp", "size", "dns-answer"}) {
            CPPUNIT_ASSERT_MESSAGE(k, sim_key(k));
            bool found = false;
            for (const auto& o : sim.options)
                if (o.long_name && std::string(o.long_name) == k) {
                    found = true;
                    CPPUNIT_ASSERT_MESSAGE(k, sim_flag(k) == (o.value == nullptr));
                }
            CPPUNIT_ASSERT_MESSAGE(k, found);
            ++keys;
        }
        int in_table = 0;
        for (const auto& o : sim.options)
            if (o.long_name && sim_key(o.long_name)) ++in_table;
        CPPUNIT_ASSERT_EQUAL(keys, in_table);
    }
    // test runs the transaction simulate runs, against the daemon: the same
    // options (value or flag alike) but --non-smtp and --dns-answer, which
    // only an offline run can honour (DESIGN: the daemon does its own lookups).
    void testTestTransactionOptionsAreSimulates() {
        const CommandSpec& sim = *find_command("simulate");
        const CommandSpec& tst = *find_command("test");
        std::set<std::string> want, got;
        for (const auto& o : sim.options)
            if (o.long_name && sim_key(o.long_name) && std::string(o.long_name) != "non-smtp" &&
                std::string(o.long_name) != "dns-answer")
                want.insert(std::string(o.long_name) + (o.value ? "=" : ""));
        for (const auto& o : tst.options)
            if (o.long_name && sim_key(o.long_name))
                got.insert(std::string(o.long_name) + (o.value ? "=" : ""));
        CPPUNIT_ASSERT(want == got);
        CPPUNIT_ASSERT_EQUAL(std::size_t(12), got.size());
        CPPUNIT_ASSERT_EQUAL(std::string("unknown option '--non-smtp'"),
                             parse_args(tst, {"--non-smtp"}).error);
        const ParsedArgs p = parse_args(tst, {"-p", "inet:8890@127.0.0.1", "--timeout=5"});
        CPPUNIT_ASSERT(p.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("inet:8890@127.0.0.1"), p.value("socket"));
        CPPUNIT_ASSERT_EQUAL(std::string("5"), p.value("timeout"));
    }
    // state's verb and its operands are the operands, options anywhere.
    void testStateActionIsAnOperand() {
        const ParsedArgs p =
            parse_args(*find_command("state"), {"-s", "/run/c", "list", "--kind", "rate", "*"});
        CPPUNIT_ASSERT(p.ok());
        const std::vector<std::string> want = {"list", "*"};
        CPPUNIT_ASSERT(want == p.operands);
        CPPUNIT_ASSERT_EQUAL(std::string("/run/c"), p.value("socket"));
        CPPUNIT_ASSERT_EQUAL(std::string("rate"), p.value("kind"));
        CPPUNIT_ASSERT_EQUAL(std::string("option --limit needs a value"),
                             parse_args(*find_command("state"), {"list", "--limit"}).error);
    }
    void testUsageStartsWithTheSynopsisAndListsEveryOption() {
        for (const auto& c : commands()) {
            const std::string u = usage(c);
            CPPUNIT_ASSERT_MESSAGE(c.name, u.rfind("usage: " + program_name(c), 0) == 0);
            for (const auto& o : c.options) {
                const std::string n =
                    o.long_name ? std::string("--") + o.long_name : std::string("-") + o.short_name;
                CPPUNIT_ASSERT_MESSAGE(
                    std::string(c.name) + " " + n,
                    u.find("  " + n) != std::string::npos || u.find(", " + n) != std::string::npos);
            }
        }
    }
    void testCompletionNamesEveryCommandAndOption() {
        const std::string s = bash_completion();
        for (const auto& c : commands()) {
            // Each command has its case arm ("" the daemon).
            CPPUNIT_ASSERT_MESSAGE(c.name,
                                   s.find("\"" + std::string(c.name) + "\")") != std::string::npos);
            for (const auto& o : c.options)
                if (o.long_name)
                    CPPUNIT_ASSERT_MESSAGE(
                        o.long_name, s.find(std::string("--") + o.long_name) != std::string::npos);
        }
        CPPUNIT_ASSERT(s.find("complete -F _milter_verdict milter-verdict") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OptionsTest);

}  // namespace mv::cli::test
