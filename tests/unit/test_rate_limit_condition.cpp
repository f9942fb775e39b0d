// SPDX-License-Identifier: Apache-2.0
// test_rate_limit_condition.cpp - rate_limit rules from configuration to reply.
#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "policy/state_conditions.hpp"
#include "state_policy.hpp"

using namespace mv::policy;
using namespace mv::test;
using namespace std::chrono_literals;

namespace {

// A store whose backend is down.
class DownStore final : public mv::state::Store {
  public:
    mv::state::RateResult rate(const mv::state::RateRequest&) override {
        mv::state::RateResult r;
        r.error = "redis 127.0.0.1:6379: Connection refused";
        return r;
    }
    mv::state::GreylistResult greylist(const mv::state::GreylistRequest&) override {
        mv::state::GreylistResult r;
        r.error = "redis 127.0.0.1:6379: Connection refused";
        return r;
    }
    std::string flush() override { return {}; }
    std::string describe() const override { return "down"; }
};

const char* kPerRecipient = R"(
rules = ( { name = "per-rcpt";
            when = { rate_limit = { key = "client"; count = "recipient"; limit = ["2/1m", "3/1h"]; }; };
            action = "tempfail"; } );
)";

}  // namespace

class RateLimitConditionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RateLimitConditionTest);
    CPPUNIT_TEST(testPerRecipientLimitRefusesWithRateLimitReply);
    CPPUNIT_TEST(testLongerWindowStillRefusesAfterShortOneReopens);
    CPPUNIT_TEST(testPerMessageLimitCountsOnceForManyRecipients);
    CPPUNIT_TEST(testConditionsBeforeItSelectWhatIsCounted);
    CPPUNIT_TEST(testMissingKeyValueIsNotCounted);
    CPPUNIT_TEST(testClientNetworkGroupsNeighbours);
    CPPUNIT_TEST(testClientNetworkOfIpv6AndMappedAddresses);
    CPPUNIT_TEST(testKeyPartsEscapeSoDifferentTuplesNeverShareAKey);
    CPPUNIT_TEST(testBackendErrorFailsOpenWhenRuleSaysOpen);
    CPPUNIT_TEST(testBackendErrorFailsClosedWith443);
    CPPUNIT_TEST(testNoStoreAttachedIsABackendError);
    CPPUNIT_TEST(testParallelTransactionsAcceptExactlyTheLimit);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPerRecipientLimitRefusesWithRateLimitReply() {
        StatePolicy p(kPerRecipient);
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        CPPUNIT_ASSERT(!s.rcpt("r1@example.net").final());
        CPPUNIT_ASSERT(!s.rcpt("r2@example.net").final());
        p.clock->advance(20s);
        const Verdict v = s.rcpt("r3@example.net");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1 Rate limit exceeded, please try again in 40 "
                                         "seconds"),
                             wire(v));
    }

    void testLongerWindowStillRefusesAfterShortOneReopens() {
        StatePolicy p(kPerRecipient);
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        s.rcpt("r1@example.net");
        s.rcpt("r2@example.net");
        p.clock->advance(60s);
        CPPUNIT_ASSERT(!s.rcpt("r3@example.net").final());  // minute reopened: 1/2, hour 3/3
        const Verdict v = s.rcpt("r4@example.net");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT(wire(v).find("in 3540 seconds") != std::string::npos);
    }

    void testPerMessageLimitCountsOnceForManyRecipients() {
        StatePolicy p(R"(
rules = ( { name = "per-msg";
            when = { rate_limit = { key = "sender_domain"; count = "message"; limit = "1/1h"; }; };
            action = "tempfail"; } );
)");
        Session s = p.session();
        s.connect();
        s.mail("a@Example.ORG");
        for (int i = 0; i < 5; ++i)
            CPPUNIT_ASSERT(!s.rcpt("r" + std::to_string(i) + "@example.net").final());
        s.data();
        s.end_of_message();
        s.mail("b@example.org");  // the same domain, the second message
        const Verdict v = s.rcpt("r@example.net");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT_EQUAL(std::string("per-msg"), v.rule);
        CPPUNIT_ASSERT(wire(v).rfind("450 4.7.1 ", 0) == 0);
    }

    void testConditionsBeforeItSelectWhatIsCounted() {
        StatePolicy p(R"(
rules = ( { name = "only-x";
            when = { sender = { domain = "x.example"; };
                     rate_limit = { key = "client"; count = "message"; limit = "1/1h"; }; };
            action = "tempfail"; } );
)");
        Session s = p.session();
        s.connect();
        for (int i = 0; i < 3; ++i) {
            s.mail("a@other.example");  // not counted: the sender condition comes first
            CPPUNIT_ASSERT(!s.rcpt("r@example.net").final());
            s.abort();
        }
        s.mail("a@x.example");
        CPPUNIT_ASSERT(!s.rcpt("r@example.net").final());
        s.abort();
        s.mail("b@x.example");
        CPPUNIT_ASSERT(s.rcpt("r@example.net").action == Action::Tempfail);
    }

    void testMissingKeyValueIsNotCounted() {
        StatePolicy p(R"(
rules = ( { name = "sasl";
            when = { rate_limit = { key = "sasl_login"; count = "recipient"; limit = "1/1h"; }; };
            action = "tempfail"; } );
)");
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        CPPUNIT_ASSERT(!s.rcpt("r1@example.net").final());
        CPPUNIT_ASSERT(!s.rcpt("r2@example.net").final());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), p.store->size());
    }

    void testClientNetworkGroupsNeighbours() {
        StatePolicy p(R"(
rules = ( { name = "net";
            when = { rate_limit = { key = "client_net"; count = "connection"; limit = "1/1h"; }; };
            action = "reject"; reply = { code = 554; enhanced = "5.7.1"; }; } );
policy = { delay_reject = false; };
)");
        Session a = p.session("192.0.2.1");
        CPPUNIT_ASSERT(!a.connect().final());
        Session b = p.session("192.0.2.200");
        CPPUNIT_ASSERT(b.connect().action == Action::Reject);
        Session c = p.session("198.51.100.1");
        CPPUNIT_ASSERT(!c.connect().final());
    }

    void testClientNetworkOfIpv6AndMappedAddresses() {
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.0/24"), client_network("192.0.2.77", 24, 64));
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.0/24"),
                             client_network("::ffff:192.0.2.77", 24, 64));
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8:1:2::/64"),
                             client_network("2001:db8:1:2:aaaa::1", 24, 64));
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8:1:2::/64"),
                             client_network("IPv6:2001:db8:1:2::9", 24, 64));
        CPPUNIT_ASSERT_EQUAL(std::string("10.1.0.0/20"), client_network("10.1.15.3", 20, 64));
        CPPUNIT_ASSERT_EQUAL(std::string(), client_network("unknown", 24, 64));
    }

    void testKeyPartsEscapeSoDifferentTuplesNeverShareAKey() {
        const auto key = [](std::initializer_list<std::string_view> parts) {
            std::string k = "rule";
            for (auto p : parts) append_key_part(k, p);
            return k;
        };
        CPPUNIT_ASSERT_EQUAL(std::string("rule|a\\|b|c"), key({"a|b", "c"}));
        CPPUNIT_ASSERT(key({"a|b", "c"}) != key({"a", "b|c"}));
        CPPUNIT_ASSERT(key({"a\\", "b"}) != key({"a", "\\b"}));
        CPPUNIT_ASSERT(key({"a\\|b"}) != key({"a\\", "b"}));
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.org"), key_lower("Alice@EXAMPLE.org"));
    }

    void testBackendErrorFailsOpenWhenRuleSaysOpen() {
        StatePolicy p(R"(
rules = ( { name = "lim"; on_backend_error = "open";
            when = { rate_limit = { key = "client"; count = "recipient"; limit = "1/1h"; }; };
            action = "tempfail"; } );
)");
        p.policy->state_slot->attach(std::make_shared<DownStore>());
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        const Verdict v = s.rcpt("r@example.net");
        CPPUNIT_ASSERT(!v.final());
        bool logged = false;
        for (const auto& l : v.log)
            logged |= l.text.find("Connection refused") != std::string::npos &&
                      l.text.find("fail open") != std::string::npos;
        CPPUNIT_ASSERT(logged);
    }

    void testBackendErrorFailsClosedWith443() {
        StatePolicy p(R"(
policy = { on_error = "accept"; };
rules = ( { name = "lim"; on_backend_error = "closed";
            when = { rate_limit = { key = "client"; count = "recipient"; limit = "1/1h"; }; };
            action = "tempfail"; } );
)");
        p.policy->state_slot->attach(std::make_shared<DownStore>());
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        const Verdict v = s.rcpt("r@example.net");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT(wire(v).rfind("451 4.4.3 ", 0) == 0);
    }

    void testNoStoreAttachedIsABackendError() {
        StatePolicy p(kPerRecipient);
        p.policy->state_slot->attach(nullptr);
        Session s = p.session();
        s.connect();
        s.mail("a@example.org");
        const Verdict v = s.rcpt("r@example.net");
        CPPUNIT_ASSERT(v.action == Action::Tempfail);
        CPPUNIT_ASSERT(wire(v).rfind("451 4.4.3 ", 0) == 0);
    }

    void testParallelTransactionsAcceptExactlyTheLimit() {
        StatePolicy p(R"(
rules = ( { name = "lim";
            when = { rate_limit = { key = "sender_domain"; count = "message"; limit = "100/1h"; }; };
            action = "tempfail"; } );
)");
        std::atomic<int> accepted{0}, refused{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 16; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 20; ++i) {
                    Session s = p.session("203.0.113." + std::to_string(t));
                    s.connect();
                    s.mail("user" + std::to_string(i) + "@busy.example");
                    const Verdict v = s.rcpt("r@example.net");
                    (v.final() ? refused : accepted).fetch_add(1);
                }
            });
        }
        for (auto& th : threads) th.join();
        CPPUNIT_ASSERT_EQUAL(100, accepted.load());
        CPPUNIT_ASSERT_EQUAL(220, refused.load());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RateLimitConditionTest);
