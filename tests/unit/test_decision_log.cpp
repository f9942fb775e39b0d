// SPDX-License-Identifier: Apache-2.0
// test_decision_log.cpp - the decision lines, text and JSON (observability/decision_log.hpp).
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <string>

#include "json_check.hpp"
#include "observability/decision_log.hpp"

namespace mv::observability::test {

using codes::Stage;
using mv::test::Json;
using mv::test::parse_json;
using policy::Action;

namespace {

policy::Transaction envelope() {
    policy::Transaction tx;
    tx.queue_id = "4XyZ1";
    tx.client_name = "mx.example";
    tx.client_addr = "192.0.2.1";
    tx.helo = "mx.example";
    tx.sender = "a@b.example";
    tx.recipients = {"c@d.example", "e@d.example"};
    tx.current_rcpt = "e@d.example";
    return tx;
}

policy::Verdict reject(const std::string& rule) {
    policy::Verdict v;
    v.action = Action::Reject;
    v.rule = rule;
    v.reply = {550, "5.7.1", {"Refused"}};
    return v;
}

policy::WouldBe would_reject(const std::string& rule) {
    return {rule, Action::Reject, {550, "5.7.1", {"Sender <a@b.example> refused"}}};
}

Json parsed(const std::string& line) {
    const auto j = parse_json(line);
    CPPUNIT_ASSERT_MESSAGE("not one valid JSON object: " + line,
                           j && j->kind == Json::Kind::Object);
    return *j;
}

}  // namespace

class DecisionLogTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DecisionLogTest);
    CPPUNIT_TEST(testRcptRefusalLineIsTheDocumentedFormat);
    CPPUNIT_TEST(testConnectionIdFirstUntilThereIsAQueueId);
    CPPUNIT_TEST(testSaslLoginIsAField);
    CPPUNIT_TEST(testJsonRuleLineAndNoteHaveTheirFields);
    CPPUNIT_TEST(testEndOfDataListsEveryRecipientAndPassIsAccept);
    CPPUNIT_TEST(testAbsentValuesAreDashes);
    CPPUNIT_TEST(testMoreThanTwentyRecipientsAreCounted);
    CPPUNIT_TEST(testMonitorLineNamesTheRuleAndWhatItWouldDo);
    CPPUNIT_TEST(testMonitorLineOfANonRefusal);
    CPPUNIT_TEST(testNonSmtpIsMarked);
    CPPUNIT_TEST(testJsonDecisionHasEveryField);
    CPPUNIT_TEST(testJsonMonitorLineHasWould);
    CPPUNIT_TEST(testJsonAbsentValuesAreNull);
    CPPUNIT_TEST(testJsonStaysOneValidObjectWithHostileValues);
    CPPUNIT_TEST_SUITE_END();

  public:
    // Issue 25 point 6: the queue id first, as Postfix's lines ("ID: ..."),
    // the connection id as a field (decision_log.hpp).
    void testRcptRefusalLineIsTheDocumentedFormat() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("4XyZ1: decision conn=conn-00000000aa client=mx.example[192.0.2.1] "
                        "helo=mx.example from=<a@b.example> rcpt=<e@d.example> stage=rcpt "
                        "rule=block-spam action=reject reply=\"550 5.7.1 Refused\""),
            format_decision(envelope(), reject("block-spam"), Stage::Rcpt, FrontEnd::Milter,
                            "conn-00000000aa"));
    }

    // Before the MTA sends a queue id the connection id comes first; no
    // "queue=-" anywhere; NOQUEUE (as Postfix) when there is not even that.
    void testConnectionIdFirstUntilThereIsAQueueId() {
        policy::Transaction tx = envelope();
        tx.queue_id.clear();
        const std::string line =
            format_decision(tx, reject("r"), Stage::Mail, FrontEnd::Milter, "conn-00000000aa");
        CPPUNIT_ASSERT_EQUAL(std::string("conn-00000000aa: decision client=mx.example[192.0.2.1] "
                                         "helo=mx.example from=<a@b.example> stage=mail rule=r "
                                         "action=reject reply=\"550 5.7.1 Refused\""),
                             line);
        CPPUNIT_ASSERT_EQUAL(std::string("conn-00000000aa"), log_prefix(tx, "conn-00000000aa"));
        CPPUNIT_ASSERT_EQUAL(std::string("NOQUEUE"), log_prefix(tx, ""));
        CPPUNIT_ASSERT_EQUAL(std::string("4XyZ1"), log_prefix(envelope(), "conn-00000000aa"));
        CPPUNIT_ASSERT_EQUAL(std::string("conn-00000000aa: rule #1 r matched: always"),
                             format_note(tx, "rule #1 r matched: always", "conn-00000000aa"));
        CPPUNIT_ASSERT_EQUAL(std::string("4XyZ1: could not add header X"),
                             format_note(envelope(), "could not add header X", "conn-00000000aa"));
        CPPUNIT_ASSERT(line.find("queue=") == std::string::npos);
    }

    // Issue 25 point 6: decisions carry the SASL login (text and JSON).
    void testSaslLoginIsAField() {
        policy::Transaction tx = envelope();
        tx.auth_login = "alice";
        CPPUNIT_ASSERT(format_decision(tx, reject("r"), Stage::Rcpt)
                           .find(" helo=mx.example sasl_username=alice from=<a@b.example> ") !=
                       std::string::npos);
        CPPUNIT_ASSERT(
            format_would_be(tx, would_reject("r"), Stage::Rcpt).find(" sasl_username=alice ") !=
            std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"),
                             parsed(json_decision(FrontEnd::Milter, tx, reject("r"), Stage::Rcpt))
                                 .at("sasl_username")
                                 .text);
        // None: no field in the text, null in JSON.
        CPPUNIT_ASSERT(format_decision(envelope(), reject("r"), Stage::Rcpt).find("sasl") ==
                       std::string::npos);
        CPPUNIT_ASSERT(parsed(json_decision(FrontEnd::Milter, envelope(), reject("r"), Stage::Rcpt))
                           .at("sasl_username")
                           .kind == Json::Kind::Null);
    }

    void testEndOfDataListsEveryRecipientAndPassIsAccept() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("4XyZ1: decision client=mx.example[192.0.2.1] helo=mx.example "
                        "from=<a@b.example> rcpt=<c@d.example>,<e@d.example> stage=end-of-data "
                        "rule=- action=accept reply=-"),
            format_decision(envelope(), policy::Verdict{}, Stage::EndOfData));
    }

    void testAbsentValuesAreDashes() {
        policy::Transaction tx;
        tx.client_addr = "192.0.2.9";
        policy::Verdict v = reject("r");
        CPPUNIT_ASSERT_EQUAL(
            std::string("NOQUEUE: decision client=-[192.0.2.9] helo=- stage=connect rule=r "
                        "action=reject reply=\"550 5.7.1 Refused\""),
            format_decision(tx, v, Stage::Connect));
    }

    void testMoreThanTwentyRecipientsAreCounted() {
        policy::Transaction tx = envelope();
        tx.recipients.clear();
        for (int i = 0; i < 23; ++i) tx.recipients.push_back("r" + std::to_string(i) + "@x");
        const std::string line = format_decision(tx, policy::Verdict{}, Stage::EndOfData);
        CPPUNIT_ASSERT(line.find(",<r19@x>,+3 stage=") != std::string::npos);
        CPPUNIT_ASSERT(line.find("<r20@x>") == std::string::npos);
    }

    // Issue 10 point 4: `grep rule=NAME` must find what a monitor rule would do.
    void testMonitorLineNamesTheRuleAndWhatItWouldDo() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("4XyZ1: decision client=mx.example[192.0.2.1] helo=mx.example "
                        "from=<a@b.example> stage=mail rule=trial-block action=continue reply=- "
                        "monitor=yes would=\"reject 550 5.7.1 Sender <a@b.example> refused\""),
            format_would_be(envelope(), would_reject("trial-block"), Stage::Mail));
    }

    void testMonitorLineOfANonRefusal() {
        const std::string line =
            format_would_be(envelope(), {"trial-hold", Action::Quarantine, {}}, Stage::Rcpt);
        CPPUNIT_ASSERT(line.ends_with(
            " rule=trial-hold action=continue reply=- monitor=yes would=\"quarantine\""));
    }

    void testNonSmtpIsMarked() {
        policy::Transaction tx = envelope();
        tx.non_smtp = true;
        CPPUNIT_ASSERT(
            format_decision(tx, reject("r"), Stage::EndOfData).ends_with(" non_smtp=yes"));
        CPPUNIT_ASSERT(
            format_would_be(tx, would_reject("r"), Stage::EndOfData).ends_with(" non_smtp=yes"));
    }

    void testJsonDecisionHasEveryField() {
        policy::Verdict v = reject("block-spam");
        v.timing.evaluated = true;
        v.timing.engine = std::chrono::microseconds(41);
        const Json j = parsed(json_decision(FrontEnd::Milter, envelope(), v, Stage::Rcpt));
        CPPUNIT_ASSERT_EQUAL(std::string("decision"), j.at("event").text);
        CPPUNIT_ASSERT_EQUAL(std::string("milter"), j.at("front_end").text);
        CPPUNIT_ASSERT_EQUAL(std::string("4XyZ1"), j.at("queue").text);
        CPPUNIT_ASSERT_EQUAL(std::string("mx.example"), j.at("client_name").text);
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), j.at("client_addr").text);
        CPPUNIT_ASSERT_EQUAL(std::string("mx.example"), j.at("helo").text);
        CPPUNIT_ASSERT_EQUAL(std::string("a@b.example"), j.at("sender").text);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, j.at("recipients").items.size());
        CPPUNIT_ASSERT_EQUAL(std::string("e@d.example"), j.at("recipients").items[0].text);
        CPPUNIT_ASSERT_EQUAL(std::string("rcpt"), j.at("stage").text);
        CPPUNIT_ASSERT_EQUAL(std::string("block-spam"), j.at("rule").text);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), j.at("action").text);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Refused"), j.at("reply").text);
        CPPUNIT_ASSERT_EQUAL(std::string("550"), j.at("reply_code").text);
        CPPUNIT_ASSERT(j.at("reply_code").kind == Json::Kind::Number);
        CPPUNIT_ASSERT_EQUAL(std::string("5.7.1"), j.at("reply_enhanced").text);
        CPPUNIT_ASSERT_EQUAL(std::string("e@d.example"), j.at("recipient").text);
        CPPUNIT_ASSERT(j.at("conn").kind == Json::Kind::Null);  // none given
        CPPUNIT_ASSERT(j.at("monitor").kind == Json::Kind::Bool && !j.at("monitor").boolean);
        CPPUNIT_ASSERT(!j.at("non_smtp").boolean);
        CPPUNIT_ASSERT_EQUAL(std::string("41"), j.at("latency_us").text);
        CPPUNIT_ASSERT(!j.has("would"));
        // End of data: every recipient, the pass is "accept".
        const Json e = parsed(json_decision(FrontEnd::PolicyService, envelope(), policy::Verdict{},
                                            Stage::EndOfData));
        CPPUNIT_ASSERT_EQUAL(std::string("policy_service"), e.at("front_end").text);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, e.at("recipients").items.size());
        CPPUNIT_ASSERT_EQUAL(std::string("accept"), e.at("action").text);
        CPPUNIT_ASSERT(e.at("rule").kind == Json::Kind::Null);
        CPPUNIT_ASSERT(e.at("reply").kind == Json::Kind::Null);
        CPPUNIT_ASSERT(e.at("reply_code").kind == Json::Kind::Null);
        CPPUNIT_ASSERT(e.at("reply_enhanced").kind == Json::Kind::Null);
        CPPUNIT_ASSERT(!e.has("recipient"));
        const Json c = parsed(json_decision(FrontEnd::Milter, envelope(), reject("r"), Stage::Rcpt,
                                            "conn-00000000aa"));
        CPPUNIT_ASSERT_EQUAL(std::string("conn-00000000aa"), c.at("conn").text);
    }

    // Issue 25 point 6: rule lines and notes carry the queue id, connection
    // id, rule, action and envelope as fields, not in the free text only.
    void testJsonRuleLineAndNoteHaveTheirFields() {
        policy::Transaction tx = envelope();
        tx.auth_login = "alice";
        const policy::LogLine l{"rule #2 block-spam matched: sender domain b.example => reject",
                                "block-spam", "reject", false};
        const Json r =
            parsed(json_rule_line(FrontEnd::PolicyService, tx, l, Stage::Rcpt, "conn-00000000aa"));
        CPPUNIT_ASSERT_EQUAL(std::string("rule"), r.at("event").text);
        CPPUNIT_ASSERT_EQUAL(std::string("policy_service"), r.at("front_end").text);
        CPPUNIT_ASSERT_EQUAL(std::string("4XyZ1"), r.at("queue").text);
        CPPUNIT_ASSERT_EQUAL(std::string("conn-00000000aa"), r.at("conn").text);
        CPPUNIT_ASSERT_EQUAL(std::string("block-spam"), r.at("rule").text);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), r.at("action").text);
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), r.at("client_addr").text);
        CPPUNIT_ASSERT_EQUAL(std::string("mx.example"), r.at("helo").text);
        CPPUNIT_ASSERT_EQUAL(std::string("a@b.example"), r.at("sender").text);
        CPPUNIT_ASSERT_EQUAL(std::string("e@d.example"), r.at("recipient").text);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), r.at("sasl_username").text);
        CPPUNIT_ASSERT_EQUAL(l.text, r.at("message").text);
        // A line about no rule: rule and action null.
        const Json n = parsed(json_rule_line(FrontEnd::Milter, tx, policy::LogLine("body: kept"),
                                             Stage::EndOfData, "conn-00000000aa"));
        CPPUNIT_ASSERT(n.at("rule").kind == Json::Kind::Null);
        CPPUNIT_ASSERT(n.at("action").kind == Json::Kind::Null);
        // An error note before there is a queue id.
        policy::Transaction early;
        early.client_addr = "192.0.2.9";
        const Json e = parsed(json_note(FrontEnd::Milter, early, "helo: internal error: x",
                                        Stage::Helo, "conn-00000000aa"));
        CPPUNIT_ASSERT_EQUAL(std::string("log"), e.at("event").text);
        CPPUNIT_ASSERT(e.at("queue").kind == Json::Kind::Null);
        CPPUNIT_ASSERT_EQUAL(std::string("conn-00000000aa"), e.at("conn").text);
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.9"), e.at("client_addr").text);
        CPPUNIT_ASSERT_EQUAL(std::string("helo"), e.at("stage").text);
        CPPUNIT_ASSERT_EQUAL(std::string("helo: internal error: x"), e.at("message").text);
        CPPUNIT_ASSERT(!e.has("sender"));
        const Json s = parsed(json_note(FrontEnd::Milter, tx, "m", std::nullopt, ""));
        CPPUNIT_ASSERT(!s.has("stage"));
        CPPUNIT_ASSERT_EQUAL(std::string("a@b.example"), s.at("sender").text);
    }

    void testJsonMonitorLineHasWould() {
        const Json j = parsed(json_would_be(FrontEnd::Milter, envelope(), policy::Verdict{},
                                            would_reject("trial-block"), Stage::Mail));
        CPPUNIT_ASSERT_EQUAL(std::string("trial-block"), j.at("rule").text);
        CPPUNIT_ASSERT_EQUAL(std::string("continue"), j.at("action").text);
        CPPUNIT_ASSERT(j.at("monitor").boolean);
        CPPUNIT_ASSERT(j.at("reply").kind == Json::Kind::Null);
        CPPUNIT_ASSERT_EQUAL(std::string("reject"), j.at("would").at("action").text);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 Sender <a@b.example> refused"),
                             j.at("would").at("reply").text);
        CPPUNIT_ASSERT_EQUAL(std::string("550"), j.at("would").at("reply_code").text);
        CPPUNIT_ASSERT_EQUAL(std::string("5.7.1"), j.at("would").at("reply_enhanced").text);
        CPPUNIT_ASSERT(j.at("reply_code").kind == Json::Kind::Null);
        CPPUNIT_ASSERT(!j.has("recipients"));  // at MAIL there are none yet
    }

    void testJsonAbsentValuesAreNull() {
        policy::Transaction tx;
        const Json j = parsed(json_decision(FrontEnd::Milter, tx, reject("r"), Stage::Connect));
        for (const char* k :
             {"queue", "conn", "client_name", "client_addr", "helo", "sasl_username"})
            CPPUNIT_ASSERT_MESSAGE(k, j.at(k).kind == Json::Kind::Null);
        CPPUNIT_ASSERT(!j.has("sender"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), j.at("latency_us").text);
        // The null sender is "", not null.
        tx.sender.clear();
        const Json m = parsed(json_decision(FrontEnd::Milter, tx, reject("r"), Stage::Mail));
        CPPUNIT_ASSERT(m.at("sender").kind == Json::Kind::String);
        CPPUNIT_ASSERT_EQUAL(std::string(), m.at("sender").text);
    }

    // Whatever the client sends, the line is one JSON object that reads back
    // to the values sent (quotes, backslashes, controls, NUL, broken UTF-8,
    // a forged closing of the object).
    void testJsonStaysOneValidObjectWithHostileValues() {
        policy::Transaction tx;
        tx.queue_id = "Q\"}";
        tx.client_name = "evil\r\n{\"event\":\"decision\"}";
        tx.client_addr = "192.0.2.1";
        tx.helo = std::string("h\0\x01\x1f\x7f\\\"", 7) + "\xff\xfe" + "\xe2\x80\xa8";
        tx.sender = "\"quoted\\\"local\"@b.example";
        tx.current_rcpt = "x\",\"rule\":\"accept-all@y";
        policy::Verdict v = reject("block");
        v.reply = {550, "5.7.1", {"Sender \"\\ refused", "second line"}};
        const std::string line = json_decision(FrontEnd::Milter, tx, v, Stage::Rcpt);
        CPPUNIT_ASSERT(line.find('\n') == std::string::npos);
        CPPUNIT_ASSERT(line.find('\r') == std::string::npos);
        const Json j = parsed(line);
        CPPUNIT_ASSERT_EQUAL(tx.queue_id, j.at("queue").text);
        CPPUNIT_ASSERT_EQUAL(tx.client_name, j.at("client_name").text);
        CPPUNIT_ASSERT_EQUAL(tx.sender, j.at("sender").text);
        CPPUNIT_ASSERT_EQUAL(tx.current_rcpt, j.at("recipients").items[0].text);
        CPPUNIT_ASSERT_EQUAL(std::string("block"), j.at("rule").text);
        CPPUNIT_ASSERT_EQUAL(std::string("h") + std::string("\0\x01\x1f\x7f\\\"", 6) +
                                 "\xef\xbf\xbd\xef\xbf\xbd" + "\xe2\x80\xa8",
                             j.at("helo").text);
        // An over-long value is bounded and still parses.
        tx.helo = std::string(100000, '"');
        const std::string big = json_decision(FrontEnd::Milter, tx, v, Stage::Rcpt);
        CPPUNIT_ASSERT(big.size() < 4096);
        CPPUNIT_ASSERT(parse_json(big).has_value());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DecisionLogTest);

}  // namespace mv::observability::test
