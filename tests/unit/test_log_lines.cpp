// SPDX-License-Identifier: Apache-2.0
// test_log_lines.cpp - the log format an admin greps and ships (issue 25
// point 6): the queue id (else the connection id) first on every line of a
// connection, JSON lines with an RFC 3339 time, host and level, continue
// rules that add nothing at debug (observability/logger.hpp, recorder.hpp,
// decision_log.hpp).
#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "json_check.hpp"
#include "observability/logger.hpp"
#include "observability/recorder.hpp"
#include "policy/session.hpp"
#include "policy_builder.hpp"

namespace mv::observability::test {

using codes::Stage;
using mv::test::Json;
using mv::test::parse_json;
using policy::Action;

namespace {

// Records what a target would write: the line and its level; JSON objects
// stamped as the real targets stamp them.
class LevelsLogger final : public Logger {
  public:
    explicit LevelsLogger(LogFormat f = LogFormat::Text) : format_(f) {}
    std::vector<std::string> lines;
    std::vector<LogLevel> levels;
    void log(LogLevel level, std::string_view line) override {
        if (!enabled(level)) return;
        lines.push_back(format_ == LogFormat::Json ? json_log_line(level, line)
                                                   : std::string(line));
        levels.push_back(level);
    }
    void log_object(LogLevel level, std::string_view object) override {
        if (!enabled(level)) return;
        lines.push_back(json_stamped(level, object));
        levels.push_back(level);
    }
    LogFormat format() const override { return format_; }

  private:
    LogFormat format_;
};

Json parsed(const std::string& line) {
    const auto j = parse_json(line);
    CPPUNIT_ASSERT_MESSAGE("not one valid JSON object: " + line,
                           j && j->kind == Json::Kind::Object);
    return *j;
}

// `s` matches `pattern`, where 'D' is a digit, 'h' a lowercase hex digit,
// '+' one or more digits, anything else itself. (std::regex warns under
// GCC 12's -Wmaybe-uninitialized.)
bool shaped(std::string_view s, std::string_view pattern) {
    std::size_t i = 0;
    for (char p : pattern) {
        if (p == '+') {
            const std::size_t start = i;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
            if (i == start) return false;
            continue;
        }
        if (i >= s.size()) return false;
        const char c = s[i++];
        if (p == 'D'   ? !(c >= '0' && c <= '9')
            : p == 'h' ? !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                       : c != p)
            return false;
    }
    return i == s.size();
}

// RFC 3339 section 5.6 date-time, in UTC ("Z") with a fraction.
bool is_rfc3339_utc(std::string_view s) {
    return shaped(s, "DDDD-DD-DDTDD:DD:DD.+Z");
}

bool is_conn_id(std::string_view s) {
    return shaped(s, "conn-hhhhhhhhhh");
}

std::string hostname() {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    return buf;
}

// Seconds since the epoch of an RFC 3339 UTC time (fraction ignored).
std::time_t seconds_of(const std::string& t) {
    std::tm tm{};
    CPPUNIT_ASSERT(strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr);
    return timegm(&tm);
}

// A policy with a quiet continue rule at connect, a tagging rule with a log
// text at HELO, and a refusal of one recipient.
policy::PolicyPtr tagging_policy() {
    mv::test::PolicyBuilder b;
    b.rule("seen", Action::Continue, nullptr);  // always, at connect
    b.rule("tag-helo", Action::Continue, mv::test::helo_is("mx.example")).log = "tagged";
    b.rule("block", Action::Reject, mv::test::rcpt_is("x@y.example"), 550, "5.7.1", "no");
    return b.build();
}

// One connection: connect, HELO, MAIL without a queue id (as Postfix before
// {i}), then the queue id arrives and two RCPTs and end of data follow.
void connection(policy::Session& s, SessionRecorder& rec, const std::string& qid) {
    policy::Transaction& tx = s.transaction();
    tx.client_addr = "192.0.2.1";
    tx.client_name = "mx.example";
    rec.verdict(tx, s.connect(), Stage::Connect);
    rec.verdict(tx, s.helo("mx.example"), Stage::Helo);
    rec.verdict(tx, s.mail("a@b.example"), Stage::Mail);
    tx.queue_id = qid;
    rec.verdict(tx, s.rcpt("x@y.example"), Stage::Rcpt);
    rec.verdict(tx, s.rcpt("ok@y.example"), Stage::Rcpt);
    rec.verdict(tx, s.data(), Stage::Data);
    rec.verdict(tx, s.end_of_message(), Stage::EndOfData);
}

}  // namespace

class LogLinesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogLinesTest);
    CPPUNIT_TEST(testRfc3339TimeIsUtcWithMicroseconds);
    CPPUNIT_TEST(testJsonLineStartsWithTimeHostLevel);
    CPPUNIT_TEST(testStderrJsonLineIsOneStampedObject);
    CPPUNIT_TEST(testLevelNamesAndThreshold);
    CPPUNIT_TEST(testConnectionIdsAreDistinctAndCannotBeQueueIds);
    CPPUNIT_TEST(testEveryTextLineStartsWithTheIdOfItsConnection);
    CPPUNIT_TEST(testContinueRuleThatAddsNothingLogsAtDebug);
    CPPUNIT_TEST(testJsonLinesOfAConnectionCarryTheirFields);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testRfc3339TimeIsUtcWithMicroseconds() {
        using namespace std::chrono;
        CPPUNIT_ASSERT_EQUAL(std::string("1970-01-01T00:00:00.000000Z"),
                             rfc3339_utc(system_clock::time_point{}));
        const auto t =
            sys_days{year{2026} / 12 / 8} + hours{0} + minutes{48} + microseconds{123456};
        CPPUNIT_ASSERT_EQUAL(std::string("2026-12-08T00:48:00.123456Z"),
                             rfc3339_utc(time_point_cast<system_clock::duration>(t)));
    }

    void testJsonLineStartsWithTimeHostLevel() {
        // system_clock, not time(): glibc's time() reads a coarse clock.
        using std::chrono::system_clock;
        const std::time_t before = system_clock::to_time_t(system_clock::now());
        const std::string line = json_stamped(LogLevel::Warning, "{\"event\":\"x\",\"n\":1}");
        CPPUNIT_ASSERT(line.starts_with("{\"time\":\""));
        const Json j = parsed(line);
        CPPUNIT_ASSERT_MESSAGE(j.at("time").text, is_rfc3339_utc(j.at("time").text));
        const std::time_t at = seconds_of(j.at("time").text);
        CPPUNIT_ASSERT(at >= before &&
                       at <= system_clock::to_time_t(system_clock::now()));  // UTC: the same clock
        CPPUNIT_ASSERT_EQUAL(hostname(), j.at("host").text);
        CPPUNIT_ASSERT_EQUAL(std::string("warning"), j.at("level").text);
        CPPUNIT_ASSERT_EQUAL(std::string("x"), j.at("event").text);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), j.at("n").text);
        const Json m = parsed(json_log_line(LogLevel::Error, "dns: \"down\"\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), m.at("level").text);
        CPPUNIT_ASSERT_EQUAL(std::string("log"), m.at("event").text);
        CPPUNIT_ASSERT_EQUAL(std::string("dns: \"down\"\n"), m.at("message").text);
        CPPUNIT_ASSERT(is_rfc3339_utc(m.at("time").text));
    }

    // The real stderr target: one line, one object, stamped; the text form
    // unchanged ("milter-verdict[PID]: LEVEL: message").
    void testStderrJsonLineIsOneStampedObject() {
        std::FILE* tmp = std::tmpfile();
        CPPUNIT_ASSERT(tmp);
        std::fflush(stderr);
        const int saved = dup(fileno(stderr));
        dup2(fileno(tmp), fileno(stderr));
        {
            StderrLogger json(LogFormat::Json);
            json.log_object(LogLevel::Info, "{\"event\":\"decision\",\"queue\":\"4QX9Yz1AbC\"}");
            json.log(LogLevel::Debug, "not written at the default threshold");
            StderrLogger text(LogFormat::Text);
            text.log(LogLevel::Warning, "4QX9Yz1AbC: could not add header X");
        }
        std::fflush(stderr);
        dup2(saved, fileno(stderr));
        close(saved);
        std::rewind(tmp);
        std::vector<std::string> lines;
        char buf[4096];
        while (std::fgets(buf, sizeof buf, tmp)) lines.emplace_back(buf);
        std::fclose(tmp);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, lines.size());
        CPPUNIT_ASSERT(lines[0].ends_with("}\n"));
        const Json j = parsed(lines[0].substr(0, lines[0].size() - 1));
        CPPUNIT_ASSERT(is_rfc3339_utc(j.at("time").text));
        CPPUNIT_ASSERT_EQUAL(hostname(), j.at("host").text);
        CPPUNIT_ASSERT_EQUAL(std::string("info"), j.at("level").text);
        CPPUNIT_ASSERT_EQUAL(std::string("4QX9Yz1AbC"), j.at("queue").text);
        CPPUNIT_ASSERT_EQUAL("milter-verdict[" + std::to_string(getpid()) +
                                 "]: warning: 4QX9Yz1AbC: could not add header X\n",
                             lines[1]);
    }

    void testLevelNamesAndThreshold() {
        for (LogLevel l : {LogLevel::Error, LogLevel::Warning, LogLevel::Info, LogLevel::Debug})
            CPPUNIT_ASSERT(parse_log_level(level_name(l)) == l);
        CPPUNIT_ASSERT(!parse_log_level("verbose"));
        LevelsLogger log;
        CPPUNIT_ASSERT(log.enabled(LogLevel::Info));
        CPPUNIT_ASSERT(!log.enabled(LogLevel::Debug));
        log.set_threshold(LogLevel::Warning);
        CPPUNIT_ASSERT(!log.enabled(LogLevel::Info));
        CPPUNIT_ASSERT(log.enabled(LogLevel::Error));
    }

    void testConnectionIdsAreDistinctAndCannotBeQueueIds() {
        std::set<std::string> seen;
        for (int i = 0; i < 1000; ++i) {
            const std::string id = next_connection_id();
            CPPUNIT_ASSERT_MESSAGE(id, is_conn_id(id));
            seen.insert(id);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t{1000}, seen.size());
        // Postfix queue ids (short: hex; long: [0-9B-Zb-z] without vowels)
        // and Sendmail's are letters and digits only: the '-' keeps apart.
        CPPUNIT_ASSERT(!shaped("4QX9Yz1AbC", "conn-hhhhhhhhhh"));
        CPPUNIT_ASSERT(shaped("2026-12-08T00:48:00.123456Z", "DDDD-DD-DDTDD:DD:DD.+Z"));
        CPPUNIT_ASSERT(!is_rfc3339_utc("2026-12-08 00:48:00"));
    }

    // Every line of a connection starts with its connection id until the
    // queue id is known, then with the queue id; the decision lines under
    // the queue id name the connection (conn=); another connection has
    // another id; no line has "queue=".
    void testEveryTextLineStartsWithTheIdOfItsConnection() {
        const auto p = tagging_policy();
        LevelsLogger log;
        log.set_threshold(LogLevel::Debug);
        Recorder rec(log);
        SessionRecorder s1 = rec.open(FrontEnd::Milter, p);
        const std::string id = s1.conn_id();
        CPPUNIT_ASSERT_MESSAGE(id, is_conn_id(id));
        policy::Session session(p);
        // A note before the queue id, as the milter writes for an error.
        s1.note(session.transaction(), LogLevel::Error, "helo: internal error: x", Stage::Helo);
        connection(session, s1, "4QX9Yz1AbC");
        std::size_t early = 0, late = 0;
        bool tied = false;
        for (const auto& l : log.lines) {
            CPPUNIT_ASSERT_MESSAGE(l, l.find("queue=") == std::string::npos);
            if (l.starts_with(id + ": ")) {
                ++early;
            } else {
                CPPUNIT_ASSERT_MESSAGE(l, l.starts_with("4QX9Yz1AbC: "));
                ++late;
                if (l.starts_with("4QX9Yz1AbC: decision "))
                    tied = tied || l.find(" conn=" + id + " ") != std::string::npos;
            }
        }
        CPPUNIT_ASSERT_EQUAL(id + ": helo: internal error: x", log.lines[0]);
        CPPUNIT_ASSERT(early >= 3);  // the note, the connect and HELO rule lines
        CPPUNIT_ASSERT(late >= 3);   // the rule line, decision at RCPT, end of data
        CPPUNIT_ASSERT(tied);
        CPPUNIT_ASSERT_EQUAL(std::string("4QX9Yz1AbC: decision conn=" + id +
                                         " client=mx.example[192.0.2.1] helo=mx.example "
                                         "from=<a@b.example> rcpt=<x@y.example> stage=rcpt "
                                         "rule=block action=reject reply=\"550 5.7.1 no\""),
                             [&] {
                                 for (const auto& l : log.lines)
                                     if (l.find(" stage=rcpt rule=block ") != std::string::npos)
                                         return l;
                                 return std::string();
                             }());
        // The next connection: another id on its lines.
        log.lines.clear();
        SessionRecorder s2 = rec.open(FrontEnd::Milter, p);
        CPPUNIT_ASSERT(s2.conn_id() != id);
        policy::Session session2(p);
        connection(session2, s2, "4QX9Yz1AbD");
        CPPUNIT_ASSERT(log.lines.front().starts_with(s2.conn_id() + ": "));
    }

    // "Adds something" = a header (added, or would be in monitor mode) or a
    // log text of its own (policy::LogLine::detail).
    void testContinueRuleThatAddsNothingLogsAtDebug() {
        const auto p = tagging_policy();
        LevelsLogger info;  // default threshold: info
        Recorder rec(info);
        {
            SessionRecorder s = rec.open(FrontEnd::Milter, p);
            policy::Session session(p);
            connection(session, s, "4QX9Yz1AbC");
        }
        for (const auto& l : info.lines)
            CPPUNIT_ASSERT_MESSAGE(l, l.find(" seen matched") == std::string::npos);
        bool tagged = false;
        for (const auto& l : info.lines)
            tagged = tagged || l.find(" tag-helo matched") != std::string::npos;
        CPPUNIT_ASSERT(tagged);

        LevelsLogger debug;
        debug.set_threshold(LogLevel::Debug);
        Recorder rec2(debug);
        SessionRecorder s = rec2.open(FrontEnd::Milter, p);
        policy::Session session(p);
        connection(session, s, "4QX9Yz1AbC");
        int quiet = 0;
        for (std::size_t i = 0; i < debug.lines.size(); ++i) {
            if (debug.lines[i].find(" seen matched") != std::string::npos) {
                ++quiet;
                CPPUNIT_ASSERT(debug.levels[i] == LogLevel::Debug);
            } else {
                CPPUNIT_ASSERT_MESSAGE(debug.lines[i], debug.levels[i] == LogLevel::Info);
            }
        }
        CPPUNIT_ASSERT_EQUAL(1, quiet);
    }

    // JSON: every line one object with time, host, level, and the ids and
    // envelope as fields; rule lines name their rule and action.
    void testJsonLinesOfAConnectionCarryTheirFields() {
        const auto p = tagging_policy();
        LevelsLogger log(LogFormat::Json);
        Recorder rec(log);
        SessionRecorder s = rec.open(FrontEnd::PolicyService, p);
        policy::Session session(p);
        session.transaction().auth_login = "alice";
        connection(session, s, "4QX9Yz1AbC");
        int rules = 0, decisions = 0;
        for (const auto& l : log.lines) {
            const Json j = parsed(l);
            CPPUNIT_ASSERT(is_rfc3339_utc(j.at("time").text));
            CPPUNIT_ASSERT_EQUAL(hostname(), j.at("host").text);
            CPPUNIT_ASSERT_EQUAL(std::string("info"), j.at("level").text);
            CPPUNIT_ASSERT_EQUAL(s.conn_id(), j.at("conn").text);
            CPPUNIT_ASSERT_EQUAL(std::string("policy_service"), j.at("front_end").text);
            CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), j.at("client_addr").text);
            CPPUNIT_ASSERT_EQUAL(std::string("alice"), j.at("sasl_username").text);
            const std::string stage = j.at("stage").text;
            if (stage == "rcpt" || stage == "data" || stage == "end-of-data")
                CPPUNIT_ASSERT_EQUAL(std::string("4QX9Yz1AbC"), j.at("queue").text);
            else
                CPPUNIT_ASSERT(j.at("queue").kind == Json::Kind::Null);
            if (j.at("event").text == "rule") {
                ++rules;
                CPPUNIT_ASSERT(j.at("message").text.starts_with("rule #"));
                if (j.at("rule").text == "block") {
                    CPPUNIT_ASSERT_EQUAL(std::string("reject"), j.at("action").text);
                    CPPUNIT_ASSERT_EQUAL(std::string("x@y.example"), j.at("recipient").text);
                }
            } else if (j.at("event").text == "decision") {
                ++decisions;
                if (j.at("action").text == "reject") {
                    CPPUNIT_ASSERT_EQUAL(std::string("550"), j.at("reply_code").text);
                    CPPUNIT_ASSERT_EQUAL(std::string("5.7.1"), j.at("reply_enhanced").text);
                    CPPUNIT_ASSERT_EQUAL(std::string("block"), j.at("rule").text);
                    CPPUNIT_ASSERT_EQUAL(std::string("a@b.example"), j.at("sender").text);
                }
            }
        }
        CPPUNIT_ASSERT_EQUAL(2, rules);      // tag-helo, block (seen is debug)
        CPPUNIT_ASSERT_EQUAL(2, decisions);  // reject at RCPT, end of data
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogLinesTest);

}  // namespace mv::observability::test
