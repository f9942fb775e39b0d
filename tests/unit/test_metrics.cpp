// SPDX-License-Identifier: Apache-2.0
// test_metrics.cpp - Metrics, PolicyMetrics and Recorder: what is counted, and how labels stay
// bounded.
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_condition.hpp"
#include "json_check.hpp"
#include "metrics_probe.hpp"
#include "observability/metrics.hpp"
#include "observability/recorder.hpp"
#include "policy/session.hpp"
#include "policy_builder.hpp"
#include "state/store.hpp"

namespace mv::observability::test {

using codes::Stage;
using mv::test::decision;
using mv::test::MetricsProbe;
using mv::test::PolicyBuilder;
using mv::test::would;
using policy::Action;

namespace {

class LinesLogger final : public Logger {
  public:
    explicit LinesLogger(LogFormat f = LogFormat::Text) : format_(f) {}
    std::vector<std::string> lines;
    void log(LogLevel, std::string_view line) override {
        lines.push_back(format_ == LogFormat::Json ? json_log_line(LogLevel::Info, line)
                                                   : std::string(line));
    }
    void log_object(LogLevel, std::string_view object) override { lines.emplace_back(object); }
    LogFormat format() const override { return format_; }

  private:
    LogFormat format_;
};

Metrics::Options milter_only() {
    return {{FrontEnd::Milter}, "9.9.9"};
}

// One SMTP transaction through a Session, every verdict handed to `rec` as
// the milter glue does.
void transaction(policy::Session& s, SessionRecorder& rec, const std::string& sender,
                 const std::vector<std::string>& rcpts, const std::string& client = "192.0.2.1") {
    policy::Transaction& tx = s.transaction();
    tx.client_addr = client;
    tx.client_name = "unknown";
    rec.verdict(tx, s.connect(), Stage::Connect);
    rec.verdict(tx, s.helo("helo." + sender.substr(sender.find('@') + 1)), Stage::Helo);
    rec.verdict(tx, s.mail(sender), Stage::Mail);
    for (const auto& r : rcpts) rec.verdict(tx, s.rcpt(r), Stage::Rcpt);
    rec.verdict(tx, s.data(), Stage::Data);
    rec.verdict(tx, s.end_of_message(), Stage::EndOfData);
}

class FailingStore final : public state::Store {
  public:
    int calls = 0;
    state::RateResult rate(const state::RateRequest&) override {
        state::RateResult r;
        if (++calls % 2 == 0) r.error = "down";
        return r;
    }
    state::GreylistResult greylist(const state::GreylistRequest&) override { return {}; }
    std::string flush() override { return {}; }
    std::string describe() const override { return "failing"; }
};

}  // namespace

class MetricsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsTest);
    CPPUNIT_TEST(testRuleSeriesExistAtZeroAfterLoad);
    CPPUNIT_TEST(testDelayedRefusalSeriesIsAtRcpt);
    CPPUNIT_TEST(testThreeRefusalsCountExactlyThree);
    CPPUNIT_TEST(testThousandDistinctSendersMakeNoNewSeries);
    CPPUNIT_TEST(testMonitorWouldBeIsCountedByRule);
    CPPUNIT_TEST(testRcptAcceptAndMessagePassAreCounted);
    CPPUNIT_TEST(testOwnVerdictCountsAsNoRule);
    CPPUNIT_TEST(testSettledMessageIsLoggedAndCountedWhereItPasses);
    CPPUNIT_TEST(testCountersSurviveReloadWhileTheRuleKeepsItsName);
    CPPUNIT_TEST(testRemovedRuleStopsBeingExportedWhenItsPolicyIsGone);
    CPPUNIT_TEST(testHistogramsCountEveryEvaluatedStage);
    CPPUNIT_TEST(testConnectionsAndTransactionsAreCountedAndReleased);
    CPPUNIT_TEST(testAbortEndsTheTransaction);
    CPPUNIT_TEST(testStoreOperationsAndErrorsAreCounted);
    CPPUNIT_TEST(testPolicyLoadsAndReloadFailures);
    CPPUNIT_TEST(testOnlyEnabledFrontEndsHaveSeries);
    CPPUNIT_TEST(testExpositionsOfBothFormats);
    CPPUNIT_TEST(testWithoutMetricsTheRecorderOnlyLogs);
    CPPUNIT_TEST(testJsonLogLinesAreObjects);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testRuleSeriesExistAtZeroAfterLoad() {
        PolicyBuilder b;
        b.rule("block", Action::Reject, mv::test::rcpt_is("x@y"), 550, "5.7.1", "no");
        b.rule("defer", Action::Tempfail, mv::test::rcpt_is("z@y"));  // default 450 4.7.1
        b.rule("tag", Action::Continue, nullptr);                     // never a decision
        b.rule("trial", Action::Reject, mv::test::rcpt_is("t@y"), 550, "5.7.1", "t").monitor = true;
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        const MetricsProbe probe(m);
        const std::string d = "milter_verdict_decisions_total";
        CPPUNIT_ASSERT_EQUAL(0.0,
                             probe.value(d, decision("block", "reject", "rcpt", "550", "5.7.1")));
        CPPUNIT_ASSERT_EQUAL(0.0,
                             probe.value(d, decision("defer", "tempfail", "rcpt", "450", "4.7.1")));
        CPPUNIT_ASSERT_EQUAL(0.0, probe.value(d, decision("-", "accept", "end-of-data")));
        // block, defer, and rule "-" passing at MAIL, DATA and end of data; not
        // "tag" (no decision), not "trial" (monitor).
        CPPUNIT_ASSERT_EQUAL(std::size_t{5}, probe.count(d));
        CPPUNIT_ASSERT_EQUAL(0.0, probe.value(d, decision("-", "accept", "mail")));
        CPPUNIT_ASSERT_EQUAL(0.0, probe.value("milter_verdict_monitor_decisions_total",
                                              would("trial", "reject", "550", "5.7.1")));
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, probe.count("milter_verdict_monitor_decisions_total"));
        CPPUNIT_ASSERT_EQUAL(1.0, probe.value("milter_verdict_build_info", {{"version", "9.9.9"}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t{0}, probe.bad_lines());
    }

    void testDelayedRefusalSeriesIsAtRcpt() {
        PolicyBuilder b;
        b.rule("bad-client", Action::Reject, mv::test::client_in("192.0.2.0/24"), 550, "5.7.1",
               "c");
        const auto delayed = b.build();
        PolicyBuilder nb;
        nb.settings().delay_reject = false;
        nb.rule("bad-client", Action::Reject, mv::test::client_in("192.0.2.0/24"), 550, "5.7.1",
                "c");
        const auto at_once = nb.build();
        Metrics m(milter_only());
        m.adopt(delayed);
        m.adopt(at_once);
        const MetricsProbe probe(m);
        const std::string d = "milter_verdict_decisions_total";
        CPPUNIT_ASSERT_EQUAL(
            0.0, probe.value(d, decision("bad-client", "reject", "rcpt", "550", "5.7.1")));
        CPPUNIT_ASSERT_EQUAL(
            0.0, probe.value(d, decision("bad-client", "reject", "connect", "550", "5.7.1")));
    }

    void testThreeRefusalsCountExactlyThree() {
        PolicyBuilder b;
        b.rule("block", Action::Reject, mv::test::rcpt_is("blocked@y.example"), 550, "5.7.1", "no");
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        LinesLogger log;
        Recorder rec(log, &m);
        for (int i = 0; i < 3; ++i) {
            SessionRecorder s = rec.open(FrontEnd::Milter, p);
            policy::Session session(p);
            transaction(session, s, "a@b.example", {"blocked@y.example", "ok@y.example"});
        }
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(3.0, probe.value("milter_verdict_decisions_total",
                                              decision("block", "reject", "rcpt", "550", "5.7.1")));
        CPPUNIT_ASSERT_EQUAL(3.0, probe.value("milter_verdict_decisions_total",
                                              decision("-", "accept", "end-of-data")));
        CPPUNIT_ASSERT_EQUAL(
            3.0, probe.value("milter_verdict_transactions_total", {{"front_end", "milter"}}));
    }

    // Labels come from the policy, never from the client: 1,000 distinct
    // senders, clients, HELO names and recipients, refused with a reply that
    // names the sender, add no series.
    void testThousandDistinctSendersMakeNoNewSeries() {
        PolicyBuilder b;
        b.rule("block", Action::Reject, mv::test::rcpt_domain("y.example"), 550, "5.7.1",
               "Sender <${sender}> refused for ${rcpt}");
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        LinesLogger log;
        Recorder rec(log, &m);
        const std::size_t before = MetricsProbe(m).samples();
        for (int i = 0; i < 1000; ++i) {
            SessionRecorder s = rec.open(FrontEnd::Milter, p);
            policy::Session session(p);
            session.transaction().queue_id = "Q" + std::to_string(i);
            const std::string n = std::to_string(i);
            transaction(session, s, "sender" + n + "@d" + n + ".example",
                        {"r" + n + "@y.example", "ok" + n + "@z.example"},
                        "198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256));
        }
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(before, probe.samples());
        CPPUNIT_ASSERT_EQUAL(1000.0,
                             probe.value("milter_verdict_decisions_total",
                                         decision("block", "reject", "rcpt", "550", "5.7.1")));
    }

    void testMonitorWouldBeIsCountedByRule() {
        PolicyBuilder b;
        b.rule("trial", Action::Reject, mv::test::sender_domain("spam.example"), 550, "5.7.1", "t")
            .monitor = true;
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        LinesLogger log;
        Recorder rec(log, &m);
        SessionRecorder s = rec.open(FrontEnd::Milter, p);
        policy::Session session(p);
        transaction(session, s, "a@spam.example", {"x@y.example"});
        transaction(session, s, "b@spam.example", {"x@y.example"});
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(2.0, probe.value("milter_verdict_monitor_decisions_total",
                                              would("trial", "reject", "550", "5.7.1")));
        // Nothing was refused: the messages passed.
        CPPUNIT_ASSERT_EQUAL(2.0, probe.value("milter_verdict_decisions_total",
                                              decision("-", "accept", "end-of-data")));
    }

    void testRcptAcceptAndMessagePassAreCounted() {
        PolicyBuilder b;
        b.rule("postmaster", Action::Accept, mv::test::rcpt_is("postmaster@y.example"));
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        LinesLogger log;
        Recorder rec(log, &m);
        SessionRecorder s = rec.open(FrontEnd::Milter, p);
        policy::Session session(p);
        transaction(session, s, "a@b.example", {"postmaster@y.example", "other@y.example"});
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(1.0, probe.value("milter_verdict_decisions_total",
                                              decision("postmaster", "accept", "rcpt")));
        CPPUNIT_ASSERT_EQUAL(1.0, probe.value("milter_verdict_decisions_total",
                                              decision("-", "accept", "end-of-data")));
    }

    void testOwnVerdictCountsAsNoRule() {
        PolicyBuilder b;
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        LinesLogger log;
        Recorder rec(log, &m);
        SessionRecorder s = rec.open(FrontEnd::Milter, p);
        policy::Transaction tx;
        policy::Verdict v;
        v.action = Action::Tempfail;
        v.reply = {451, "4.3.0", {"Internal error"}};
        s.own_verdict(tx, v, Stage::Mail);
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(1.0, probe.value("milter_verdict_decisions_total",
                                              decision("-", "tempfail", "mail", "451", "4.3.0")));
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, log.lines.size());
        CPPUNIT_ASSERT(log.lines[0].find("stage=mail rule=- action=tempfail reply=\"451 4.3.0") !=
                       std::string::npos);
        // The refusal at MAIL ended the transaction it started.
        CPPUNIT_ASSERT_EQUAL(
            0.0, probe.value("milter_verdict_transactions_active", {{"front_end", "milter"}}));
    }

    // The milter answers SMFIS_ACCEPT once nothing is left to decide: no end
    // of data follows, so the message's line and count come at that stage.
    void testSettledMessageIsLoggedAndCountedWhereItPasses() {
        PolicyBuilder b;
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        LinesLogger log;
        Recorder rec(log, &m);
        SessionRecorder s = rec.open(FrontEnd::Milter, p);
        policy::Session session(p);
        policy::Transaction& tx = session.transaction();
        s.verdict(tx, session.connect(), Stage::Connect);
        s.verdict(tx, session.mail("a@b.example"), Stage::Mail, true);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, log.lines.size());
        CPPUNIT_ASSERT(log.lines[0].ends_with(" stage=mail rule=- action=accept reply=-"));
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(
            1.0, probe.value("milter_verdict_decisions_total", decision("-", "accept", "mail")));
        CPPUNIT_ASSERT_EQUAL(0.0, probe.value("milter_verdict_decisions_total",
                                              decision("-", "accept", "end-of-data")));
        CPPUNIT_ASSERT_EQUAL(
            0.0, probe.value("milter_verdict_transactions_active", {{"front_end", "milter"}}));
        CPPUNIT_ASSERT_EQUAL(
            1.0, probe.value("milter_verdict_transactions_total", {{"front_end", "milter"}}));
    }

    void testCountersSurviveReloadWhileTheRuleKeepsItsName() {
        PolicyBuilder a;
        a.rule("block", Action::Reject, mv::test::rcpt_is("x@y.example"), 550, "5.7.1", "no");
        const auto pa = a.build();
        Metrics m(milter_only());
        m.adopt(pa);
        LinesLogger log;
        Recorder rec(log, &m);
        {
            SessionRecorder s = rec.open(FrontEnd::Milter, pa);
            policy::Session session(pa);
            transaction(session, s, "a@b.example", {"x@y.example"});
            transaction(session, s, "a@b.example", {"x@y.example"});
        }
        PolicyBuilder nb;
        nb.rule("new-rule", Action::Reject, mv::test::rcpt_is("n@y.example"), 550, "5.7.1", "n");
        nb.rule("block", Action::Reject, mv::test::rcpt_is("x@y.example"), 550, "5.7.1", "no");
        auto pb = nb.build();
        m.adopt(pb);
        {
            SessionRecorder s = rec.open(FrontEnd::Milter, pb);
            policy::Session session(pb);
            transaction(session, s, "a@b.example", {"x@y.example"});
        }
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(3.0, probe.value("milter_verdict_decisions_total",
                                              decision("block", "reject", "rcpt", "550", "5.7.1")));
        CPPUNIT_ASSERT_EQUAL(0.0,
                             probe.value("milter_verdict_decisions_total",
                                         decision("new-rule", "reject", "rcpt", "550", "5.7.1")));
    }

    void testRemovedRuleStopsBeingExportedWhenItsPolicyIsGone() {
        Metrics m(milter_only());
        LinesLogger log;
        Recorder rec(log, &m);
        auto build = [](const std::string& name) {
            PolicyBuilder b;
            b.rule(name, Action::Reject, mv::test::rcpt_is("x@y.example"), 550, "5.7.1", "no");
            return b.build();
        };
        policy::PolicyPtr old_policy = build("old-rule");
        m.adopt(old_policy);
        auto pinned = std::make_unique<SessionRecorder>(rec.open(FrontEnd::Milter, old_policy));
        const auto labels = decision("old-rule", "reject", "rcpt", "550", "5.7.1");
        // Reload: the new policy no longer has old-rule.
        policy::PolicyPtr new_policy = build("new-rule");
        m.adopt(new_policy);
        // A connection that started on the old policy still counts into it.
        CPPUNIT_ASSERT_EQUAL(0.0, MetricsProbe(m).value("milter_verdict_decisions_total", labels));
        old_policy.reset();  // the store lets go of it
        CPPUNIT_ASSERT_EQUAL(0.0, MetricsProbe(m).value("milter_verdict_decisions_total", labels));
        pinned.reset();  // the last connection on it closes
        const MetricsProbe after(m);
        CPPUNIT_ASSERT_EQUAL(-1.0, after.value("milter_verdict_decisions_total", labels));
        CPPUNIT_ASSERT_EQUAL(0.0,
                             after.value("milter_verdict_decisions_total",
                                         decision("new-rule", "reject", "rcpt", "550", "5.7.1")));
    }

    void testHistogramsCountEveryEvaluatedStage() {
        PolicyBuilder b;
        b.rule("block", Action::Reject, mv::test::rcpt_is("x@y.example"), 550, "5.7.1", "no");
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        LinesLogger log;
        Recorder rec(log, &m);
        SessionRecorder s = rec.open(FrontEnd::Milter, p);
        policy::Session session(p);
        transaction(session, s, "a@b.example", {"x@y.example", "o@y.example", "p@y.example"});
        const MetricsProbe probe(m);
        const std::string h = "milter_verdict_decision_duration_seconds";
        const mv::test::Labels rcpt{{"front_end", "milter"}, {"stage", "rcpt"}};
        CPPUNIT_ASSERT_EQUAL(3.0, probe.value(h + "_count", rcpt));
        auto inf = rcpt;
        inf["le"] = "+Inf";
        CPPUNIT_ASSERT_EQUAL(3.0, probe.value(h + "_bucket", inf));
        CPPUNIT_ASSERT_EQUAL(
            1.0, probe.value(h + "_count", {{"front_end", "milter"}, {"stage", "mail"}}));
        // No state store was asked: no wait observed.
        CPPUNIT_ASSERT_EQUAL(
            0.0, probe.value("milter_verdict_evidence_wait_seconds_count",
                             {{"front_end", "milter"}, {"stage", "rcpt"}, {"evidence", "state"}}));
    }

    void testConnectionsAndTransactionsAreCountedAndReleased() {
        PolicyBuilder b;
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        LinesLogger log;
        Recorder rec(log, &m);
        const mv::test::Labels fe{{"front_end", "milter"}};
        auto one = std::make_unique<SessionRecorder>(rec.open(FrontEnd::Milter, p));
        auto two = std::make_unique<SessionRecorder>(rec.open(FrontEnd::Milter, p));
        policy::Session session(p);
        policy::Transaction& tx = session.transaction();
        one->verdict(tx, session.connect(), Stage::Connect);
        one->verdict(tx, session.mail("a@b.example"), Stage::Mail);
        {
            const MetricsProbe probe(m);
            CPPUNIT_ASSERT_EQUAL(2.0, probe.value("milter_verdict_connections_active", fe));
            CPPUNIT_ASSERT_EQUAL(1.0, probe.value("milter_verdict_transactions_active", fe));
        }
        one.reset();  // closed in the middle of the message
        two.reset();
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(0.0, probe.value("milter_verdict_connections_active", fe));
        CPPUNIT_ASSERT_EQUAL(0.0, probe.value("milter_verdict_transactions_active", fe));
        CPPUNIT_ASSERT_EQUAL(2.0, probe.value("milter_verdict_connections_total", fe));
        CPPUNIT_ASSERT_EQUAL(1.0, probe.value("milter_verdict_transactions_total", fe));
    }

    void testAbortEndsTheTransaction() {
        PolicyBuilder b;
        const auto p = b.build();
        Metrics m(milter_only());
        m.adopt(p);
        LinesLogger log;
        Recorder rec(log, &m);
        SessionRecorder s = rec.open(FrontEnd::Milter, p);
        policy::Session session(p);
        s.verdict(session.transaction(), session.mail("a@b.example"), Stage::Mail);
        s.end_message();
        s.end_message();  // twice is harmless
        s.verdict(session.transaction(), session.mail("a@b.example"), Stage::Mail);
        s.verdict(session.transaction(), session.mail("c@b.example"), Stage::Mail);  // no abort
        const mv::test::Labels fe{{"front_end", "milter"}};
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(1.0, probe.value("milter_verdict_transactions_active", fe));
        CPPUNIT_ASSERT_EQUAL(3.0, probe.value("milter_verdict_transactions_total", fe));
    }

    void testStoreOperationsAndErrorsAreCounted() {
        Metrics m(milter_only());
        auto inner = std::make_shared<FailingStore>();
        const auto store = m.instrument(inner);
        for (int i = 0; i < 5; ++i) store->rate(state::RateRequest{});
        store->greylist(state::GreylistRequest{});
        CPPUNIT_ASSERT_EQUAL(5, inner->calls);
        CPPUNIT_ASSERT_EQUAL(std::string("failing"), store->describe());
        const MetricsProbe probe(m);
        const mv::test::Labels rate{{"backend", "other"}, {"operation", "rate"}};
        CPPUNIT_ASSERT_EQUAL(5.0, probe.value("milter_verdict_state_operations_total", rate));
        CPPUNIT_ASSERT_EQUAL(2.0, probe.value("milter_verdict_state_errors_total", rate));
        CPPUNIT_ASSERT_EQUAL(1.0, probe.value("milter_verdict_state_operations_total",
                                              {{"backend", "other"}, {"operation", "greylist"}}));
        CPPUNIT_ASSERT_EQUAL(
            5.0, probe.value("milter_verdict_state_operation_duration_seconds_count", rate));
    }

    void testPolicyLoadsAndReloadFailures() {
        PolicyBuilder b;
        b.rule("a", Action::Reject, nullptr, 550, "5.7.1", "x");
        b.rule("b", Action::Reject, nullptr, 550, "5.7.1", "x");
        const auto p = b.build();
        Metrics m(milter_only());
        m.loaded(*p, 1234, false);  // start: not a reload
        MetricsProbe start(m);
        CPPUNIT_ASSERT_EQUAL(2.0, start.value("milter_verdict_policy_rules"));
        CPPUNIT_ASSERT_EQUAL(1234.0, start.value("milter_verdict_policy_list_entries"));
        CPPUNIT_ASSERT_EQUAL(1.0, start.value("milter_verdict_policy_last_reload_successful"));
        CPPUNIT_ASSERT(start.value("milter_verdict_policy_last_reload_success_timestamp_seconds") >
                       1e9);
        CPPUNIT_ASSERT_EQUAL(
            0.0, start.value("milter_verdict_policy_reloads_total", {{"result", "success"}}));
        m.reload_failed();
        m.loaded(*p, 10, true);
        m.reload_failed();
        const MetricsProbe probe(m);
        CPPUNIT_ASSERT_EQUAL(
            1.0, probe.value("milter_verdict_policy_reloads_total", {{"result", "success"}}));
        CPPUNIT_ASSERT_EQUAL(
            2.0, probe.value("milter_verdict_policy_reloads_total", {{"result", "failure"}}));
        CPPUNIT_ASSERT_EQUAL(0.0, probe.value("milter_verdict_policy_last_reload_successful"));
        CPPUNIT_ASSERT_EQUAL(10.0, probe.value("milter_verdict_policy_list_entries"));
    }

    void testOnlyEnabledFrontEndsHaveSeries() {
        PolicyBuilder b;
        b.rule("block", Action::Reject, mv::test::rcpt_is("x@y"), 550, "5.7.1", "no");
        const auto p = b.build();
        Metrics both({{FrontEnd::Milter, FrontEnd::PolicyService}, "1"});
        both.adopt(p);
        const MetricsProbe two(both);
        CPPUNIT_ASSERT_EQUAL(
            0.0, two.value("milter_verdict_connections_total", {{"front_end", "policy_service"}}));
        auto ps = decision("block", "reject", "rcpt", "550", "5.7.1");
        ps["front_end"] = "policy_service";
        CPPUNIT_ASSERT_EQUAL(0.0, two.value("milter_verdict_decisions_total", ps));
        Metrics one(milter_only());
        CPPUNIT_ASSERT(one.front_end(FrontEnd::PolicyService) == nullptr);
        CPPUNIT_ASSERT_EQUAL(-1.0, MetricsProbe(one).value("milter_verdict_connections_total",
                                                           {{"front_end", "policy_service"}}));
    }

    void testExpositionsOfBothFormats() {
        Metrics m(milter_only());
        const std::string text = m.render(ExpositionFormat::Text);
        CPPUNIT_ASSERT(text.find("# TYPE milter_verdict_decisions_total counter\n") !=
                       std::string::npos);
        CPPUNIT_ASSERT(text.find("# TYPE milter_verdict_build_info gauge\n") != std::string::npos);
        CPPUNIT_ASSERT(text.find("# EOF") == std::string::npos);
        // Every family is declared, with or without samples (DNS, Redis).
        for (const char* f :
             {"milter_verdict_dns_lookups_total", "milter_verdict_state_redis_reconnects_total",
              "process_open_fds", "milter_verdict_evidence_wait_seconds"})
            CPPUNIT_ASSERT_MESSAGE(
                f, text.find(std::string("# TYPE ") + f + " ") != std::string::npos);
        const std::string om = m.render(ExpositionFormat::OpenMetrics);
        CPPUNIT_ASSERT(om.ends_with("# EOF\n"));
        CPPUNIT_ASSERT(om.find("# TYPE milter_verdict_decisions counter\n") != std::string::npos);
        CPPUNIT_ASSERT(om.find("# TYPE milter_verdict_build info\n") != std::string::npos);
        CPPUNIT_ASSERT(om.find("milter_verdict_build_info{version=\"9.9.9\"} 1\n") !=
                       std::string::npos);
        CPPUNIT_ASSERT(om.find("milter_verdict_connections_total{front_end=\"milter\"} 0\n") !=
                       std::string::npos);
    }

    void testWithoutMetricsTheRecorderOnlyLogs() {
        PolicyBuilder b;
        b.rule("block", Action::Reject, mv::test::rcpt_is("x@y.example"), 550, "5.7.1", "no");
        const auto p = b.build();
        LinesLogger log;
        Recorder rec(log);
        SessionRecorder s = rec.open(FrontEnd::Milter, p);
        policy::Session session(p);
        transaction(session, s, "a@b.example", {"x@y.example"});
        // The rule line, its decision, and the end of data of an empty message.
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, log.lines.size());
        // No queue id in this transaction: the connection id first.
        CPPUNIT_ASSERT(log.lines[0].starts_with(s.conn_id() + ": rule #1 block matched: "));
        CPPUNIT_ASSERT(log.lines[1].starts_with(s.conn_id() + ": decision "));
        CPPUNIT_ASSERT(log.lines[1].find(" stage=rcpt rule=block action=reject ") !=
                       std::string::npos);
        CPPUNIT_ASSERT(log.lines[2].find(" stage=end-of-data rule=- action=accept ") !=
                       std::string::npos);
    }

    void testJsonLogLinesAreObjects() {
        PolicyBuilder b;
        b.rule("trial", Action::Reject, mv::test::sender_domain("spam.example"), 550, "5.7.1", "t")
            .monitor = true;
        b.rule("block", Action::Reject, mv::test::rcpt_is("x@y.example"), 550, "5.7.1", "no");
        const auto p = b.build();
        LinesLogger log(LogFormat::Json);
        Recorder rec(log);
        SessionRecorder s = rec.open(FrontEnd::Milter, p);
        policy::Session session(p);
        transaction(session, s, "a@spam.example", {"x@y.example"});
        int decisions = 0, monitor = 0;
        for (const auto& line : log.lines) {
            const auto j = mv::test::parse_json(line);
            CPPUNIT_ASSERT_MESSAGE(line, j && j->kind == mv::test::Json::Kind::Object);
            if (j->at("event").text == "decision") {
                ++decisions;
                if (j->at("monitor").boolean) {
                    ++monitor;
                    CPPUNIT_ASSERT_EQUAL(std::string("trial"), j->at("rule").text);
                }
            }
        }
        CPPUNIT_ASSERT_EQUAL(3, decisions);  // would-be at MAIL, reject at RCPT, end of data
        CPPUNIT_ASSERT_EQUAL(1, monitor);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsTest);

}  // namespace mv::observability::test
