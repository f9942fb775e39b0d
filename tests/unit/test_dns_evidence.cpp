// SPDX-License-Identifier: Apache-2.0
// test_dns_evidence.cpp - one session's DNS evidence (dns/evidence.hpp) over the
// real Service and cache, with resolvers the tests drive: lookups start when
// their key is known, before any rule asks; one upstream query serves every
// session that asks at once; a timeout, an exhausted budget and an error
// answer (127.255.255.x, outside 127/8) are failures, never "not listed"; an
// error answer is logged once per zone; each zone counts once; a secret zone
// name never shows; an unhealthy zone (RFC 5782 5) is skipped with a log
// line; reverse DNS is forward-confirmed; domains with MX, null MX, no MX
// but an address, or nothing.
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <thread>

#include "dns/evidence.hpp"
#include "dns/table_resolver.hpp"
#include "policy/transaction.hpp"

using namespace mv::dns;
using mv::codes::Stage;
using mv::policy::Match;
using mv::policy::Transaction;

namespace {

ZoneEntry zone(const std::string& text, const std::string& show_as = {}) {
    std::string why;
    auto e = parse_zone_entry(text, why);
    if (!e) throw std::runtime_error(why);
    if (!show_as.empty()) e->show_as = show_as;
    return *e;
}

struct Fixture {
    std::shared_ptr<Config> config = std::make_shared<Config>();
    std::vector<std::string> logged;
    std::shared_ptr<Service> service;

    // The Service owns the resolver; the test keeps a plain pointer to drive it.
    explicit Fixture(Resolver* r, bool health = false) {
        config->timeout_ms = 2000;
        config->budget_ms = 5000;
        ServiceOptions o;
        o.health_checks = health;
        service = std::make_shared<Service>(
            std::unique_ptr<Resolver>(r), o,
            [this](Severity, const std::string& l) { logged.push_back(l); });
    }
    ListSpec& list(std::initializer_list<ZoneEntry> zones, int threshold = 1,
                   unsigned keys = static_cast<unsigned>(ListKey::ClientAddr)) {
        ListSpec s;
        s.name = "l" + std::to_string(config->lists.size());
        s.zones = zones;
        s.threshold = threshold;
        s.keys = keys;
        config->lists.push_back(s);
        config->list_used.push_back(true);
        return config->lists.back();
    }
    std::unique_ptr<TransactionDns> open() {
        return std::make_unique<TransactionDns>(config, service);
    }
};

Transaction client(const std::string& addr) {
    Transaction t;
    t.client_addr = addr;
    return t;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
        if (x.find(s) != std::string::npos) return true;
    return false;
}

// What the zone meters (dns/zone_meter.hpp) were told, by shown zone name.
struct CountingMeters final : ZoneMeters {
    struct Counts {
        int lookups = 0, cache_hits = 0, timeouts = 0, errors = 0;
        int check_failures = 0, unhealthy = -1;  // -1: never reported
    };
    struct Meter final : ZoneMeter {
        Counts& c;
        explicit Meter(Counts& counts) : c(counts) {}
        void lookup(bool from_cache) override {
            ++c.lookups;
            c.cache_hits += from_cache;
        }
        void timeout() override { ++c.timeouts; }
        void error() override { ++c.errors; }
        void health(bool ok, bool unhealthy) override {
            c.check_failures += !ok;
            c.unhealthy = unhealthy;
        }
    };
    std::map<std::string, Counts> zones;
    std::shared_ptr<ZoneMeter> zone(std::string_view shown) override {
        return std::make_shared<Meter>(zones[std::string(shown)]);
    }
};

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

class DnsEvidenceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DnsEvidenceTest);
    CPPUNIT_TEST(testClientLookupsStartAtConnect);
    CPPUNIT_TEST(testOneUpstreamQueryForEverySessionThenTheCache);
    CPPUNIT_TEST(testTimeoutIsAFailureNeverNotListed);
    CPPUNIT_TEST(testBudgetBoundsEveryWait);
    CPPUNIT_TEST(testNotWaitingGivesPending);
    CPPUNIT_TEST(testListDecidedWithoutWaitingForTheRest);
    CPPUNIT_TEST(testErrorAnswerIsALookupErrorLoggedOncePerZone);
    CPPUNIT_TEST(testEachZoneCountsOnce);
    CPPUNIT_TEST(testAllowListPullsTheScoreDown);
    CPPUNIT_TEST(testSecretZoneNameNeverShows);
    CPPUNIT_TEST(testTxtOfTheHit);
    CPPUNIT_TEST(testUnhealthyZoneIsSkippedWithALogLine);
    CPPUNIT_TEST(testHealthCheckWithoutAnswerIsAWarningAndAMetric);
    CPPUNIT_TEST(testIpv6ClientUsesNibbles);
    CPPUNIT_TEST(testReverseIsForwardConfirmed);
    CPPUNIT_TEST(testForwardLookupsStartWithThePtrAnswer);
    CPPUNIT_TEST(testReverseFromTheMtaMacro);
    CPPUNIT_TEST(testDomains);
    CPPUNIT_TEST(testWaitFiguresShowTheHiddenLatency);
    CPPUNIT_TEST(testZoneMetersCountLookupsCacheHitsTimeoutsAndErrors);
    CPPUNIT_TEST(testWaitedIsTheTimeRulesWaited);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testClientLookupsStartAtConnect() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.list({zone("zen.example"), zone("bl.example")});
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        const auto pending = r->pending();
        CPPUNIT_ASSERT(contains(pending, "A 10.2.0.192.zen.example"));
        CPPUNIT_ASSERT(contains(pending, "A 10.2.0.192.bl.example"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), pending.size());
    }

    void testOneUpstreamQueryForEverySessionThenTheCache() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.list({zone("zen.example")});
        const Transaction t = client("192.0.2.10");
        auto a = f.open();
        auto b = f.open();
        a->start(Stage::Connect, t);
        b->start(Stage::Connect, t);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r->asked());
        CPPUNIT_ASSERT(r->answer("A 10.2.0.192.zen.example", records({"127.0.0.2"})));
        CPPUNIT_ASSERT(a->list(0, false, t).match == Match::Yes);
        CPPUNIT_ASSERT(b->list(0, false, t).match == Match::Yes);
        auto c = f.open();
        c->start(Stage::Connect, t);
        CPPUNIT_ASSERT(c->list(0, false, t).match == Match::Yes);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r->asked());
        const Stats s = f.service->stats();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), s.lookups);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), s.shared);
        CPPUNIT_ASSERT(s.cache_hits >= 1);
        CPPUNIT_ASSERT(contains(c->take_trace(), "from the cache"));
    }

    void testTimeoutIsAFailureNeverNotListed() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.config->timeout_ms = 50;
        f.list({zone("zen.example")});
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        const auto t0 = std::chrono::steady_clock::now();
        const auto facts = ev->list(0, false, t);
        const double took = ms_since(t0);
        CPPUNIT_ASSERT(facts.match == Match::TempError);
        CPPUNIT_ASSERT(!facts.pending);
        CPPUNIT_ASSERT_MESSAGE(facts.error,
                               facts.error.find("timeout after 50 ms") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 40 && took < 1000);
        // Also when asked the other way round: an allow list never "allows" on a timeout.
        f.config->lists[0].allow_threshold = 0;
        CPPUNIT_ASSERT(ev->list(0, true, t).match == Match::TempError);
    }

    void testBudgetBoundsEveryWait() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.config->timeout_ms = 2000;
        f.config->budget_ms = 100;
        f.list({zone("a.example")});
        f.list({zone("b.example")});
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        const auto t0 = std::chrono::steady_clock::now();
        const auto first = ev->list(0, false, t);
        const auto second = ev->list(1, false, t);
        const double took = ms_since(t0);
        CPPUNIT_ASSERT(first.match == Match::TempError && second.match == Match::TempError);
        CPPUNIT_ASSERT_MESSAGE(second.error,
                               second.error.find("budget of 100 ms") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(took), took >= 90 && took < 600);
        // A new message has a new budget.
        ev->new_message();
        const auto t1 = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT(ev->list(1, false, t).match == Match::TempError);
        CPPUNIT_ASSERT(ms_since(t1) >= 90);
    }

    void testNotWaitingGivesPending() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.list({zone("zen.example")});
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        ev->set_waiting(false);
        const auto t0 = std::chrono::steady_clock::now();
        const auto facts = ev->list(0, false, t);
        CPPUNIT_ASSERT(facts.match == Match::TempError && facts.pending);
        CPPUNIT_ASSERT(ms_since(t0) < 20);
        r->answer("A 10.2.0.192.zen.example", nxdomain());
        CPPUNIT_ASSERT(ev->list(0, false, t).match == Match::No);
    }

    void testListDecidedWithoutWaitingForTheRest() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.list({zone("a.example*3"), zone("b.example")}, 3);
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        r->answer("A 10.2.0.192.a.example", records({"127.0.0.2"}));
        const auto t0 = std::chrono::steady_clock::now();
        const auto facts = ev->list(0, false, t);
        CPPUNIT_ASSERT(facts.match == Match::Yes);
        CPPUNIT_ASSERT(ms_since(t0) < 50);
        CPPUNIT_ASSERT_EQUAL(std::string("a.example"), facts.zones);
        CPPUNIT_ASSERT_EQUAL(std::string("3"), facts.score);
    }

    void testErrorAnswerIsALookupErrorLoggedOncePerZone() {
        auto* r = new TableResolver;
        r->add({"10.2.0.192.zen.example", RrType::A}, records({"127.255.255.254"}));
        r->add({"11.2.0.192.zen.example", RrType::A}, records({"10.0.0.1"}));
        Fixture f(r);
        f.list({zone("zen.example")});
        for (const char* addr : {"192.0.2.10", "192.0.2.11", "192.0.2.10"}) {
            auto ev = f.open();
            const Transaction t = client(addr);
            ev->start(Stage::Connect, t);
            const auto facts = ev->list(0, false, t);
            CPPUNIT_ASSERT_MESSAGE(addr, facts.match == Match::TempError);
            CPPUNIT_ASSERT(facts.error.find("an error code, not a listing") != std::string::npos);
        }
        int lines = 0;
        for (const auto& l : f.logged) lines += l.find("zen.example answered") != std::string::npos;
        CPPUNIT_ASSERT_EQUAL(1, lines);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), f.service->stats().zones["zen.example"].errors);
    }

    void testEachZoneCountsOnce() {
        auto* r = new TableResolver;
        // The same zone lists both the HELO name and the sender domain, with two records.
        r->add({"spam.example.dbl.example", RrType::A}, records({"127.0.1.2", "127.0.1.3"}));
        r->add({"mx.spam.example.dbl.example", RrType::A}, records({"127.0.1.2"}));
        Fixture f(r);
        f.list({zone("dbl.example=127.0.1.[2..99]*2")}, 3,
               static_cast<unsigned>(ListKey::Helo) | static_cast<unsigned>(ListKey::SenderDomain));
        auto ev = f.open();
        Transaction t = client("192.0.2.10");
        t.helo = "mx.spam.example";
        t.sender = "a@spam.example";
        ev->start(Stage::Helo, t);
        ev->start(Stage::Mail, t);
        const auto facts = ev->list(0, false, t);
        CPPUNIT_ASSERT(facts.match == Match::No);
        CPPUNIT_ASSERT_EQUAL(std::string("2"), facts.score);
    }

    void testAllowListPullsTheScoreDown() {
        auto* r = new TableResolver;
        r->add({"10.2.0.192.zen.example", RrType::A}, records({"127.0.0.2"}));
        r->add({"10.2.0.192.wl.example", RrType::A}, records({"127.0.10.2"}));
        Fixture f(r);
        ListSpec& l =
            f.list({zone("zen.example*3"), zone("wl.example=127.0.[0..255].[1..3]*-5")}, 3);
        l.allow_threshold = -1;
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        const auto blocked = ev->list(0, false, t);
        CPPUNIT_ASSERT(blocked.match == Match::No);
        CPPUNIT_ASSERT_EQUAL(std::string("-2"), blocked.score);
        const auto allowed = ev->list(0, true, t);
        CPPUNIT_ASSERT(allowed.match == Match::Yes);
        CPPUNIT_ASSERT_EQUAL(std::string("wl.example"), allowed.zones);
    }

    void testSecretZoneNameNeverShows() {
        auto* r = new TableResolver;
        r->add({"10.2.0.192.k3y.dq.example", RrType::A}, records({"127.0.0.2"}));
        Fixture f(r);
        f.list({zone("K3Y.dq.example=127.0.0.[2..11]", "zen.example")});
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        const auto facts = ev->list(0, false, t);
        CPPUNIT_ASSERT(facts.match == Match::Yes);
        CPPUNIT_ASSERT_EQUAL(std::string("zen.example"), facts.zones);
        CPPUNIT_ASSERT(facts.detail.find("k3y") == std::string::npos);
        for (const auto& line : ev->take_trace())
            CPPUNIT_ASSERT_MESSAGE(line, line.find("k3y") == std::string::npos);
        for (const auto& [name, counters] : f.service->stats().zones)
            CPPUNIT_ASSERT(name.find("k3y") == std::string::npos);
    }

    void testTxtOfTheHit() {
        auto* r = new TableResolver;
        r->add({"10.2.0.192.zen.example", RrType::A}, records({"127.0.0.2"}));
        r->add({"10.2.0.192.zen.example", RrType::TXT},
               records({"https://example.org/q?ip=192.0.2.10"}));
        Fixture f(r);
        f.list({zone("zen.example")}).txt = true;
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        CPPUNIT_ASSERT_EQUAL(std::string("https://example.org/q?ip=192.0.2.10"),
                             ev->list(0, false, t).txt);
    }

    void testUnhealthyZoneIsSkippedWithALogLine() {
        auto* r = new TableResolver;
        // A wildcard zone lists everything, 127.0.0.1 included.
        r->add({"2.0.0.127.wild.example", RrType::A}, records({"127.0.0.2"}));
        r->add({"1.0.0.127.wild.example", RrType::A}, records({"127.0.0.2"}));
        r->add({"10.2.0.192.wild.example", RrType::A}, records({"127.0.0.2"}));
        r->add({"2.0.0.127.good.example", RrType::A}, records({"127.0.0.2"}));
        Fixture f(r, true);
        f.list({zone("wild.example"), zone("good.example")});
        f.service->check(f.config->lists[0].zones[0], ZoneKind::Ipv4);
        f.service->check(f.config->lists[0].zones[1], ZoneKind::Ipv4);
        CPPUNIT_ASSERT(f.service->health("wild.example", ZoneKind::Ipv4) == Health::Unhealthy);
        CPPUNIT_ASSERT(f.service->health("good.example", ZoneKind::Ipv4) == Health::Healthy);
        CPPUNIT_ASSERT(contains(f.logged, "zone wild.example (IPv4) is unhealthy and skipped"));
        CPPUNIT_ASSERT(contains(f.logged, "lists everything"));
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        const auto facts = ev->list(0, false, t);
        CPPUNIT_ASSERT(facts.match == Match::No);
        CPPUNIT_ASSERT(facts.detail.find("wild.example skipped (unhealthy)") != std::string::npos);
        for (const auto& q : r->asked()) CPPUNIT_ASSERT(q != "A 10.2.0.192.wild.example");
    }

    // No answer for a zone's test entries (the resolver down at start): a
    // warning once per streak, a failed check on the zone's metric; the zone
    // stays in use. An unhealthy zone: a failed check and the unhealthy gauge.
    void testHealthCheckWithoutAnswerIsAWarningAndAMetric() {
        auto* r = new TableResolver;
        r->add({"2.0.0.127.down.example", RrType::A}, failure(Outcome::Timeout));
        r->add({"1.0.0.127.down.example", RrType::A}, failure(Outcome::Timeout));
        r->add({"2.0.0.127.wild.example", RrType::A}, records({"127.0.0.2"}));
        r->add({"1.0.0.127.wild.example", RrType::A}, records({"127.0.0.2"}));
        std::vector<std::pair<Severity, std::string>> logged;
        ServiceOptions o;
        o.health_checks = true;
        o.retry_failed_check = std::chrono::seconds(0);
        auto service = std::make_shared<Service>(
            std::unique_ptr<Resolver>(r), o,
            [&](Severity s, const std::string& l) { logged.emplace_back(s, l); });
        auto meters = std::make_shared<CountingMeters>();
        service->set_meters(meters);
        const ZoneEntry down = zone("down.example"), wild = zone("wild.example");
        service->check(down, ZoneKind::Ipv4);
        service->check(down, ZoneKind::Ipv4);
        service->check(wild, ZoneKind::Ipv4);
        int warnings = 0;
        for (const auto& [sev, line] : logged)
            if (line.find("down.example") != std::string::npos) {
                CPPUNIT_ASSERT_MESSAGE(
                    line, line.find("is the resolver reachable?") != std::string::npos ||
                              sev == Severity::Info);
                warnings += sev == Severity::Warning;
            }
        CPPUNIT_ASSERT_EQUAL(1, warnings);
        CPPUNIT_ASSERT_EQUAL(2, meters->zones["down.example"].check_failures);
        CPPUNIT_ASSERT_EQUAL(0, meters->zones["down.example"].unhealthy);
        CPPUNIT_ASSERT(service->health("down.example", ZoneKind::Ipv4) == Health::Unknown);
        CPPUNIT_ASSERT_EQUAL(1, meters->zones["wild.example"].check_failures);
        CPPUNIT_ASSERT_EQUAL(1, meters->zones["wild.example"].unhealthy);
    }

    void testIpv6ClientUsesNibbles() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.list({zone("zen.example")});
        auto ev = f.open();
        const Transaction t = client("2001:db8::1");
        ev->start(Stage::Connect, t);
        const auto pending = r->pending();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), pending.size());
        CPPUNIT_ASSERT(pending[0].find("A 1.0.0.0.") == 0);
        CPPUNIT_ASSERT(pending[0].find(".8.b.d.0.1.0.0.2.zen.example") != std::string::npos);
    }

    void testReverseIsForwardConfirmed() {
        auto* r = new TableResolver;
        r->add({"10.2.0.192.in-addr.arpa", RrType::PTR}, records({"mx.good.example"}));
        r->add({"mx.good.example", RrType::A}, records({"192.0.2.10"}));
        r->add({"11.2.0.192.in-addr.arpa", RrType::PTR}, records({"forged.example"}));
        r->add({"forged.example", RrType::A}, records({"198.51.100.1"}));
        r->add({"13.2.0.192.in-addr.arpa", RrType::PTR}, failure(Outcome::TempFail));
        Fixture f(r);
        f.config->uses_reverse = true;
        const auto status = [&](const std::string& addr) {
            auto ev = f.open();
            const Transaction t = client(addr);
            ev->start(Stage::Connect, t);
            return ev->reverse(t);
        };
        const auto ok = status("192.0.2.10");
        CPPUNIT_ASSERT(ok.known == Match::Yes && ok.status == mv::policy::ReverseStatus::Confirmed);
        CPPUNIT_ASSERT_EQUAL(std::string("mx.good.example"), ok.names.at(0));
        const auto forged = status("192.0.2.11");
        CPPUNIT_ASSERT(forged.status == mv::policy::ReverseStatus::Unconfirmed);
        CPPUNIT_ASSERT_EQUAL(std::string("forged.example"), forged.names.at(0));
        CPPUNIT_ASSERT(status("192.0.2.12").status == mv::policy::ReverseStatus::Missing);
        CPPUNIT_ASSERT(status("192.0.2.13").known == Match::TempError);
    }

    void testForwardLookupsStartWithThePtrAnswer() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.config->uses_reverse = true;
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        CPPUNIT_ASSERT(contains(r->pending(), "PTR 10.2.0.192.in-addr.arpa"));
        r->answer("PTR 10.2.0.192.in-addr.arpa", records({"mx.good.example"}));
        // No rule asked yet: the forward lookup is already out.
        CPPUNIT_ASSERT(contains(r->pending(), "A mx.good.example"));
        r->answer("A mx.good.example", records({"192.0.2.10"}));
        CPPUNIT_ASSERT(ev->reverse(t).status == mv::policy::ReverseStatus::Confirmed);
    }

    void testReverseFromTheMtaMacro() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.config->uses_reverse = true;
        const auto with = [&](const std::string& resolve, const std::string& ptr = "") {
            auto ev = f.open();
            Transaction t = client("192.0.2.10");
            t.client_resolve = resolve;
            t.client_name = resolve == "OK" ? "mx.good.example" : "unknown";
            if (!ptr.empty()) t.macros["client_ptr"] = ptr;
            ev->start(Stage::Connect, t);
            return ev->reverse(t);
        };
        CPPUNIT_ASSERT(with("OK").status == mv::policy::ReverseStatus::Confirmed);
        const auto forged = with("FORGED", "liar.example");
        CPPUNIT_ASSERT(forged.status == mv::policy::ReverseStatus::Unconfirmed);
        CPPUNIT_ASSERT_EQUAL(std::string("liar.example"), forged.names.at(0));
        CPPUNIT_ASSERT(with("FAIL").status == mv::policy::ReverseStatus::Missing);
        CPPUNIT_ASSERT(with("TEMP").known == Match::TempError);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), r->asked());  // the MTA answered: no lookup
        // Without the macro (Sendmail without it configured): own lookups.
        with("");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r->asked());
        // reverse = "own": even with the macro.
        f.config->reverse = ReverseSource::Own;
        with("OK");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r->asked());  // the same PTR, shared
        CPPUNIT_ASSERT(contains(r->pending(), "PTR 10.2.0.192.in-addr.arpa"));
    }

    void testDomains() {
        auto* r = new TableResolver;
        r->add({"good.example", RrType::MX}, records({"10 mx.good.example"}));
        r->add({"nullmx.example", RrType::MX}, records({"0 ."}));
        r->add({"aonly.example", RrType::MX}, nodata());
        r->add({"aonly.example", RrType::A}, records({"192.0.2.25"}));
        r->add({"aonly.example", RrType::AAAA}, nodata());
        r->add({"nomail.example", RrType::MX}, nodata());
        r->add({"nomail.example", RrType::A}, nodata());
        r->add({"nomail.example", RrType::AAAA}, nodata());
        r->add({"broken.example", RrType::MX}, failure(Outcome::TempFail));
        Fixture f(r);
        f.config->uses_sender_domain = true;
        auto ev = f.open();
        using mv::policy::DomainStatus;
        using mv::policy::DomainTest;
        CPPUNIT_ASSERT(ev->domain("good.example", DomainTest::Unknown).status ==
                       DomainStatus::Exists);
        CPPUNIT_ASSERT(ev->domain("nullmx.example", DomainTest::NullMx).status ==
                       DomainStatus::NullMx);
        CPPUNIT_ASSERT(ev->domain("aonly.example", DomainTest::Unknown).status ==
                       DomainStatus::Exists);
        CPPUNIT_ASSERT(ev->domain("nomail.example", DomainTest::Unknown).status ==
                       DomainStatus::Unknown);
        CPPUNIT_ASSERT(ev->domain("nxdomain.example", DomainTest::Unknown).status ==
                       DomainStatus::Unknown);
        CPPUNIT_ASSERT(ev->domain("broken.example", DomainTest::Unknown).known == Match::TempError);
        CPPUNIT_ASSERT(ev->domain("not a name", DomainTest::Unknown).status ==
                       DomainStatus::Exists);
        // The sender domain is asked at MAIL, the null sender never.
        auto ev2 = f.open();
        Transaction t = client("192.0.2.10");
        const std::size_t before = r->asked().size();
        ev2->start(Stage::Mail, t);
        CPPUNIT_ASSERT_EQUAL(before, r->asked().size());
        t.sender = "a@new.example";
        ev2->start(Stage::Mail, t);
        CPPUNIT_ASSERT_EQUAL(std::string("MX new.example"), r->asked().at(before));
    }

    void testWaitFiguresShowTheHiddenLatency() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.list({zone("zen.example")});
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        std::this_thread::sleep_for(std::chrono::milliseconds(30));  // the client's HELO and MAIL
        r->answer("A 10.2.0.192.zen.example", nxdomain());
        CPPUNIT_ASSERT(ev->list(0, false, t).match == Match::No);
        const Stats s = f.service->stats();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), s.answers_needed);
        CPPUNIT_ASSERT(s.needed_us >= 30000);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), s.waited_us);
        CPPUNIT_ASSERT(s.summary().find("100.0% hidden") != std::string::npos);
    }

    // milter_verdict_dns_*_total{zone}: each lookup a session asks of a list
    // zone (once per session and name), the cache's answers, the timeouts, the
    // error answers (127.255.255.0/24 and outside 127/8, RFC 5782 2.3) and
    // failures; by the shown name of a secret zone.
    void testZoneMetersCountLookupsCacheHitsTimeoutsAndErrors() {
        // Before the Fixture: the Service's end completes any lookup still
        // out, whose continuation counts into the meters.
        CountingMeters meters;
        auto* r = new ManualResolver;
        Fixture f(r);
        f.config->timeout_ms = 50;
        f.list({zone("bl.example"), zone("k3y.dq.example", "dq.example"), zone("slow.example")}, 3);
        mv::policy::Policy policy;
        policy.dns = f.config;
        policy.dns_slot->set_needed();
        attach_dns(policy, f.service, &meters);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), meters.zones.size());
        CPPUNIT_ASSERT(meters.zones.count("dq.example") && !meters.zones.count("k3y.dq.example"));

        const auto session = [&](const std::string& addr) {
            const Transaction t = client(addr);
            auto ev = policy.dns_slot->get()->open();
            ev->start(Stage::Connect, t);
            r->answer(
                "A " + std::string(addr == "192.0.2.10" ? "10" : "11") + ".2.0.192.bl.example",
                records({addr == "192.0.2.10" ? "127.0.0.2" : "127.255.255.254"}));
            r->answer(
                "A " + std::string(addr == "192.0.2.10" ? "10" : "11") + ".2.0.192.k3y.dq.example",
                failure(Outcome::TempFail));
            ev->list(0, false, t);  // waits 50 ms for slow.example
            // The resolver ends it by its deadline with Timeout (resolver.hpp).
            r->answer(
                "A " + std::string(addr == "192.0.2.10" ? "10" : "11") + ".2.0.192.slow.example",
                failure(Outcome::Timeout));
            ev->list(0, false, t);  // asked again: the same lookups, not counted again
            // The daemon's sessions (attach_dns without trace) build no trace.
            CPPUNIT_ASSERT(ev->take_trace().empty());
        };
        session("192.0.2.10");
        CPPUNIT_ASSERT_EQUAL(1, meters.zones["bl.example"].lookups);
        CPPUNIT_ASSERT_EQUAL(0, meters.zones["bl.example"].cache_hits);
        CPPUNIT_ASSERT_EQUAL(0, meters.zones["bl.example"].errors);
        CPPUNIT_ASSERT_EQUAL(1, meters.zones["dq.example"].errors);
        CPPUNIT_ASSERT_EQUAL(1, meters.zones["slow.example"].lookups);
        CPPUNIT_ASSERT_EQUAL(1, meters.zones["slow.example"].timeouts);
        CPPUNIT_ASSERT_EQUAL(0, meters.zones["slow.example"].errors);
        // The same client again: bl.example's answer is in the cache.
        session("192.0.2.10");
        CPPUNIT_ASSERT_EQUAL(2, meters.zones["bl.example"].lookups);
        CPPUNIT_ASSERT_EQUAL(1, meters.zones["bl.example"].cache_hits);
        CPPUNIT_ASSERT_EQUAL(2, meters.zones["slow.example"].timeouts);
        // An error answer is an error, never a listing.
        session("192.0.2.11");
        CPPUNIT_ASSERT_EQUAL(3, meters.zones["bl.example"].lookups);
        CPPUNIT_ASSERT_EQUAL(1, meters.zones["bl.example"].errors);
    }

    void testWaitedIsTheTimeRulesWaited() {
        auto* r = new ManualResolver;
        Fixture f(r);
        f.config->timeout_ms = 60;
        f.list({zone("zen.example")});
        auto ev = f.open();
        const Transaction t = client("192.0.2.10");
        ev->start(Stage::Connect, t);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), static_cast<std::int64_t>(ev->waited().count()));
        ev->list(0, false, t);  // waits for the 60 ms timeout
        const double ms = std::chrono::duration<double, std::milli>(ev->waited()).count();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(ms), ms >= 50 && ms < 1000);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DnsEvidenceTest);
