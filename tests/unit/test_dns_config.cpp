// SPDX-License-Identifier: Apache-2.0
// test_dns_config.cpp - the `dns` group and the DNS conditions in the loader:
// every problem at its file:line, the reason each DNS condition gives its rule
// (so the default reply of DESIGN.md section 2), what the rules use, and which
// rules the engine may evaluate later (no state in them).
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>

#include "config/loader.hpp"
#include "config_scratch.hpp"
#include "dns/config.hpp"

using mv::config::Diagnostic;
using mv::config::load_policy;
using mv::config::LoadResult;
using mv::test::dump;
using mv::test::has;
using ScratchDir = mv::test::TempDir;

namespace {

const char* kLists = R"(
dns = {
  resolver = ["127.0.0.1@5353"];
  lists = {
    spam = { zones = ( "zen.example=127.0.0.[2..11]*3", "bl.example*2",
                       { zone = "KEY.dq.example=127.0.0.2"; show_as = "dq.example"; },
                       "wl.example*-5" );
             threshold = 3; allow_threshold = -1; };
    rhs = { zones = ( "dbl.example=127.0.1.[2..99]" ); query = ["helo", "sender_domain"]; };
  };
};
)";

// The line of the first line of kLists holding `text`, and of the first rule after it.
int line_of(const std::string& text) {
    const std::string all(kLists);
    return 1 + static_cast<int>(std::count(all.begin(), all.begin() + all.find(text), '\n'));
}
int first_rule_line() {
    const std::string all(kLists);
    return static_cast<int>(std::count(all.begin(), all.end(), '\n')) + 2;
}

std::string code(const LoadResult& r, std::size_t i) {
    const auto& rule = r.policy->rules.at(i);
    return std::to_string(rule.reply.basic) + " " + rule.reply.enhanced;
}

}  // namespace

class DnsConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DnsConfigTest);
    CPPUNIT_TEST(testListsAreCompiled);
    CPPUNIT_TEST(testEachDnsConditionBearsItsReason);
    CPPUNIT_TEST(testStagesFollowTheKeys);
    CPPUNIT_TEST(testDeferrableOnlyWithoutState);
    CPPUNIT_TEST(testBadEntriesAtTheirLines);
    CPPUNIT_TEST(testBadSettings);
    CPPUNIT_TEST(testConditionProblems);
    CPPUNIT_TEST(testUnusedListWarns);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testListsAreCompiled() {
        ScratchDir d;
        const auto f = d.write("a.conf", std::string(kLists) + R"(rules = (
  { name = "bl"; when = { dns_list = "spam"; }; action = "reject"; },
  { name = "rhs"; when = { dns_list = "rhs"; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok() && r.diagnostics.empty());
        const auto& cfg = *r.policy->dns;
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), cfg.lists.size());
        const auto& spam = cfg.lists[0];
        CPPUNIT_ASSERT_EQUAL(std::string("spam"), spam.name);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), spam.zones.size());
        CPPUNIT_ASSERT_EQUAL(std::string("key.dq.example"), spam.zones[2].zone);
        CPPUNIT_ASSERT_EQUAL(std::string("dq.example"), spam.zones[2].show_as);
        CPPUNIT_ASSERT_EQUAL(-5, spam.zones[3].weight);
        CPPUNIT_ASSERT_EQUAL(-1, *spam.allow_threshold);
        CPPUNIT_ASSERT(cfg.lists[1].has(mv::dns::ListKey::Helo));
        CPPUNIT_ASSERT(!cfg.lists[1].has(mv::dns::ListKey::ClientAddr));
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1@5353"), cfg.resolver.forward.at(0));
        CPPUNIT_ASSERT(r.policy->dns_slot->needed());
        CPPUNIT_ASSERT(cfg.list_used[0] && cfg.list_used[1]);
    }

    void testEachDnsConditionBearsItsReason() {
        ScratchDir d;
        const auto f = d.write("a.conf", std::string(kLists) + R"(rules = (
  { name = "bl"; when = { dns_list = "spam"; }; action = "reject"; },
  { name = "rdns"; when = { reverse_dns = "unconfirmed"; }; action = "reject"; },
  { name = "rdns-cautious"; when = { reverse_dns = "missing"; }; action = "tempfail"; },
  { name = "unknown"; when = { sender_domain = "unknown"; }; action = "reject"; },
  { name = "unknown-soft"; when = { sender_domain = "unknown"; }; action = "tempfail"; },
  { name = "nullmx"; when = { sender_domain = "null_mx"; }; action = "reject"; },
  { name = "rnullmx"; when = { rcpt_domain = "null_mx"; }; action = "reject"; },
  { name = "allowed"; when = { dns_list = { list = "spam"; allowed = true; }; sender = "a@b.example"; };
    action = "reject"; },
  { name = "mixed"; when = { dns_list = "spam"; reverse_dns = "missing"; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        // DESIGN.md section 2, delivered at RCPT (delay_reject).
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1"), code(r, 0));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.25"), code(r, 1));
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.25"), code(r, 2));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.1.8"), code(r, 3));
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.1.8"), code(r, 4));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.27"), code(r, 5));
        CPPUNIT_ASSERT_EQUAL(std::string("556 5.1.10"), code(r, 6));
        // An allow list bears no reason: the policy's own code.
        CPPUNIT_ASSERT(r.policy->rules[7].reason == mv::codes::Reason::Policy);
        CPPUNIT_ASSERT(r.policy->rules[8].reason == mv::codes::Reason::Policy);
        CPPUNIT_ASSERT(r.policy->rules[0].reply.text.at(0).find("${dns_zones}") !=
                       std::string::npos);
        CPPUNIT_ASSERT(r.policy->dns->uses_reverse && r.policy->dns->uses_sender_domain &&
                       r.policy->dns->uses_rcpt_domain);
    }

    void testStagesFollowTheKeys() {
        ScratchDir d;
        const auto f = d.write("a.conf", std::string(kLists) + R"(rules = (
  { name = "bl"; when = { dns_list = "spam"; }; action = "reject"; },
  { name = "rhs"; when = { dns_list = "rhs"; }; action = "reject"; },
  { name = "sd"; when = { sender_domain = "null_mx"; }; action = "reject"; },
  { name = "rd"; when = { rcpt_domain = "null_mx"; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        using mv::codes::Stage;
        CPPUNIT_ASSERT(r.policy->rules[0].stage == Stage::Connect);
        CPPUNIT_ASSERT(r.policy->rules[1].stage == Stage::Mail);  // sender_domain key
        CPPUNIT_ASSERT(r.policy->rules[2].stage == Stage::Mail);
        CPPUNIT_ASSERT(r.policy->rules[3].stage == Stage::Rcpt);
        // reverse_dns asks the MTA's name facts at connect.
        const auto macros = r.policy->macros_needed(Stage::Connect);
        CPPUNIT_ASSERT(macros.count("client_resolve"));
    }

    void testDeferrableOnlyWithoutState() {
        ScratchDir d;
        const auto f = d.write("a.conf", std::string(kLists) + R"(rules = (
  { name = "bl"; when = { dns_list = "spam"; }; action = "reject"; },
  { name = "bl-limited"; when = { dns_list = "spam";
      rate_limit = { key = "client"; count = "connection"; limit = "10/1h"; }; };
    action = "tempfail"; on_backend_error = "open"; },
  { name = "plain"; when = { sender = "a@b.example"; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT(r.policy->rules[0].dns_deferrable);
        CPPUNIT_ASSERT(!r.policy->rules[1].dns_deferrable);
        CPPUNIT_ASSERT(!r.policy->rules[2].dns_deferrable);
    }

    void testBadEntriesAtTheirLines() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(dns = {
  lists = {
    spam = { zones = ( "zen.example=127.0.0.[2..11",
                       "bl.example*x",
                       "zen.example=127.0.0.[2..11]",
                       "zen.example=127.0.0.[2..11]*2",
                       { zone = "k.dq.example"; show_as = "not a name"; } );
             threshold = 3; allow_threshold = 3; query = "nothing"; };
  };
};
rules = ( { name = "bl"; when = { dns_list = "spam"; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "unterminated '['"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "bad weight 'x'"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 6, "is listed twice"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 7, "show_as must be a domain name"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 8, "must be below threshold 3"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 8, "unknown query 'nothing'"));
    }

    void testBadSettings() {
        ScratchDir d;
        const auto f = d.write("a.conf", R"(dns = {
  resolver = ["127.0.0.1@99999", "not-an-address"];
  resolv_conf = "relative/path";
  timeout_ms = 5;
  budget_ms = 30000;
  reverse = "sometimes";
  stub_zones = ( { zone = "bl.example"; servers = ["::1@5300"]; }, { zone = "x"; } );
  cache_max_ttl = "forever";
  lists = { };
};)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "bad port '99999'"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 2, "'not-an-address': not an IP address"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 3, "absolute path"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 4, "timeout_ms must be between 10 and 60000"));
        CPPUNIT_ASSERT_MESSAGE(
            dump(r), has(r, f, 5, "milter_command_timeout", Diagnostic::Severity::Warning));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 6, "reverse must be"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 7, "a stub zone needs zone and servers"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, 8, "bad duration 'forever'"));
    }

    void testConditionProblems() {
        ScratchDir d;
        const auto f = d.write("a.conf", std::string(kLists) + R"(rules = (
  { name = "a"; when = { dns_list = "nosuch"; }; action = "reject"; },
  { name = "b"; when = { dns_list = { list = "rhs"; allowed = true; }; }; action = "accept"; },
  { name = "c"; when = { reverse_dns = "sometimes"; }; action = "reject"; },
  { name = "d"; when = { sender_domain = "gone"; }; action = "reject"; },
  { name = "e"; when = { rcpt_domain = "unknown"; }; action = "reject"; },
  { name = "f"; when = { reverse_dns = { name = "/(unclosed/"; }; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT(!r.ok());
        const int base = first_rule_line();
        CPPUNIT_ASSERT_MESSAGE(
            dump(r), has(r, f, base, "no DNS list 'nosuch' (dns.lists defines spam, rhs)"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, base + 1, "the list has no allow_threshold"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, base + 2, "reverse_dns must be"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, base + 3, "sender_domain must be"));
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, base + 4, "rcpt_domain must be \"null_mx\""));
        bool regex = false;
        for (const auto& dg : r.diagnostics) regex = regex || dg.line == base + 5;
        CPPUNIT_ASSERT_MESSAGE(dump(r), regex);
    }

    void testUnusedListWarns() {
        ScratchDir d;
        const auto f = d.write("a.conf", std::string(kLists) + R"(rules = (
  { name = "bl"; when = { dns_list = "spam"; }; action = "reject"; } );)");
        const LoadResult r = load_policy(f);
        CPPUNIT_ASSERT_MESSAGE(dump(r), r.ok());
        CPPUNIT_ASSERT_MESSAGE(dump(r), has(r, f, line_of("rhs ="), "DNS list 'rhs' is not used",
                                            Diagnostic::Severity::Warning));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DnsConfigTest);
