// SPDX-License-Identifier: Apache-2.0
// test_defaults.cpp - the table of default replies (codes/defaults.hpp): every
// default validates where it is delivered, the table answers every lookup, and
// its codes are the ones DESIGN.md section 2 and the RFCs name (the expected
// values below are typed from there, not from the table).
#include <cppunit/extensions/HelperMacros.h>

#include "codes/defaults.hpp"
#include "codes/reply_text.hpp"
#include "codes/validate.hpp"

using namespace mv::codes;

namespace {

const std::vector<Stage> kAll = {Stage::Connect, Stage::Helo, Stage::Mail,
                                 Stage::Rcpt,    Stage::Data, Stage::EndOfData};

const std::vector<Reason> kReasons = {
    Reason::Policy,         Reason::Greylist,       Reason::RateLimit,    Reason::TooManyRecipients,
    Reason::MessageTooBig,  Reason::BackendFailure, Reason::Disconnect,   Reason::InternalError,
    Reason::DnsBlockList,   Reason::ReverseDns,     Reason::SenderDomain, Reason::SenderNullMx,
    Reason::RecipientNullMx};

ReplySpec to_spec(const DefaultReply& d, Reason reason) {
    ReplySpec s;
    s.basic = d.basic;
    s.enhanced = d.enhanced;
    s.text = {d.text};
    // A closing code is only valid where the reply says it disconnects.
    s.disconnect = reason == Reason::Disconnect || d.basic == 421 || d.basic == 521;
    return s;
}

std::string describe(Disposition d, Reason r, Stage s, const DefaultReply& reply) {
    return std::string(disposition_name(d)) + " " + std::string(reason_name(r)) + " at " +
           std::string(stage_name(s)) + ": " + std::to_string(reply.basic) + " " + reply.enhanced;
}

// The one documented gap: RFC 5321 4.3.2 has no non-closing 4xx at the
// greeting or HELO; such verdicts are delivered at RCPT (delay_reject), and
// check-config warns when delay_reject = false delivers one there.
bool greeting_tempfail(const DefaultRow& row, Stage s) {
    return row.disposition == Disposition::Tempfail && row.reply.basic != 421 &&
           (s == Stage::Connect || s == Stage::Helo);
}

std::string code(Disposition d, Reason r, Stage s) {
    const DefaultReply x = default_reply(d, r, s);
    return std::to_string(x.basic) + " " + x.enhanced;
}

}  // namespace

class DefaultsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DefaultsTest);
    CPPUNIT_TEST(testEveryRowValidatesCleanlyWhereItIsDelivered);
    CPPUNIT_TEST(testNoLookupGivesAnError);
    CPPUNIT_TEST(testPolicyRowsCoverEveryStage);
    CPPUNIT_TEST(testRowsDoNotOverlap);
    CPPUNIT_TEST(testDesignDefaultsAreTheDocumentedCodes);
    CPPUNIT_TEST(testReasonOfTheOtherClassFallsBackToPolicyCode);
    CPPUNIT_TEST(testTempfailAtGreetingOnlyWarnsAboutTheStage);
    CPPUNIT_TEST(testEveryDefaultHasTextAndSource);
    CPPUNIT_TEST(testReasonNamesRoundTrip);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testEveryRowValidatesCleanlyWhereItIsDelivered() {
        for (const auto& row : default_table())
            for (Stage s : kAll) {
                if (!row.stages.test(static_cast<int>(s)) || greeting_tempfail(row, s)) continue;
                std::string problems;
                for (const auto& p :
                     validate_reply(to_spec(row.reply, row.reason), row.disposition, s))
                    problems += " | " + p.message;
                CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(row.disposition, row.reason, s, row.reply),
                                             std::string(), problems);
            }
    }

    void testNoLookupGivesAnError() {
        for (Disposition disp : {Disposition::Reject, Disposition::Tempfail})
            for (Reason r : kReasons)
                for (Stage s : kAll) {
                    // check-config refuses reject + disconnect after the greeting.
                    if (r == Reason::Disconnect && disp == Disposition::Reject &&
                        s != Stage::Connect)
                        continue;
                    const DefaultReply d = default_reply(disp, r, s);
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(disp, r, s, d),
                                                 disp == Disposition::Reject, d.basic >= 500);
                    for (const auto& p : validate_reply(to_spec(d, r), disp, s))
                        CPPUNIT_ASSERT_MESSAGE(describe(disp, r, s, d) + ": " + p.message,
                                               p.severity == Problem::Severity::Warning);
                }
    }

    void testPolicyRowsCoverEveryStage() {
        for (Disposition disp : {Disposition::Reject, Disposition::Tempfail}) {
            StageSet covered;
            for (const auto& row : default_table())
                if (row.reason == Reason::Policy && row.disposition == disp) covered |= row.stages;
            CPPUNIT_ASSERT_EQUAL(std::size_t(kStageCount), covered.count());
        }
    }

    void testRowsDoNotOverlap() {
        const auto& t = default_table();
        for (std::size_t i = 0; i < t.size(); ++i)
            for (std::size_t j = i + 1; j < t.size(); ++j)
                if (t[i].reason == t[j].reason && t[i].disposition == t[j].disposition)
                    CPPUNIT_ASSERT_MESSAGE(std::string(reason_name(t[i].reason)),
                                           (t[i].stages & t[j].stages).none());
    }

    void testDesignDefaultsAreTheDocumentedCodes() {
        const auto R = Disposition::Reject;
        const auto T = Disposition::Tempfail;
        // DESIGN.md section 2: policy reject 550 5.7.1; policy tempfail 450 4.7.1
        // at RCPT and 451 4.7.1 elsewhere; reject at the DATA command 554 5.7.1.
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1"), code(R, Reason::Policy, Stage::Rcpt));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1"), code(R, Reason::Policy, Stage::Mail));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1"), code(R, Reason::Policy, Stage::EndOfData));
        CPPUNIT_ASSERT_EQUAL(std::string("554 5.7.1"), code(R, Reason::Policy, Stage::Data));
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1"), code(T, Reason::Policy, Stage::Rcpt));
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.7.1"), code(T, Reason::Policy, Stage::Mail));
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.7.1"), code(T, Reason::Policy, Stage::Data));
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.7.1"), code(T, Reason::Policy, Stage::EndOfData));
        // greylisting 451 4.7.1; rate limit 450 4.7.1 (at RCPT).
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.7.1"), code(T, Reason::Greylist, Stage::Rcpt));
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.7.1"), code(T, Reason::Greylist, Stage::Data));
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.1"), code(T, Reason::RateLimit, Stage::Rcpt));
        // too many recipients 452 4.5.3 (RFC 5321 4.5.3.1.10, RFC 3463 X.5.3).
        CPPUNIT_ASSERT_EQUAL(std::string("452 4.5.3"),
                             code(T, Reason::TooManyRecipients, Stage::Rcpt));
        // message too big 552 5.3.4 (RFC 1870 6.1, RFC 3463 X.3.4), at end of
        // data and for SIZE= at MAIL, or at RCPT with delay_reject.
        for (Stage s : {Stage::Mail, Stage::Rcpt, Stage::EndOfData})
            CPPUNIT_ASSERT_EQUAL(std::string("552 5.3.4"), code(R, Reason::MessageTooBig, s));
        // RFC 1870 6.2: a size the server cannot take now is 452; X.3.1 is the
        // transient storage code (X.3.4 is permanent only, RFC 3463).
        CPPUNIT_ASSERT_EQUAL(std::string("452 4.3.1"),
                             code(T, Reason::MessageTooBig, Stage::EndOfData));
        // a state backend or DNS failure 451 4.4.3; disconnect 421 4.7.0.
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.4.3"),
                             code(T, Reason::BackendFailure, Stage::Rcpt));
        CPPUNIT_ASSERT_EQUAL(std::string("421 4.7.0"), code(T, Reason::Disconnect, Stage::Helo));
        CPPUNIT_ASSERT_EQUAL(std::string("421 4.7.0"), code(T, Reason::Disconnect, Stage::Rcpt));
        // the daemon's own error: 421 where RFC 5321 4.3.2 has no other 4xx.
        CPPUNIT_ASSERT_EQUAL(std::string("421 4.3.0"),
                             code(T, Reason::InternalError, Stage::Connect));
        CPPUNIT_ASSERT_EQUAL(std::string("421 4.3.0"), code(T, Reason::InternalError, Stage::Helo));
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.3.0"), code(T, Reason::InternalError, Stage::Mail));
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.3.0"),
                             code(T, Reason::InternalError, Stage::EndOfData));
        // DNS block list 550 5.7.1 (delivered at RCPT with delay_reject, or
        // at HELO/MAIL without); at the greeting the policy's 554.
        for (Stage s : {Stage::Helo, Stage::Mail, Stage::Rcpt})
            CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1"), code(R, Reason::DnsBlockList, s));
        CPPUNIT_ASSERT_EQUAL(std::string("554 5.7.1"),
                             code(R, Reason::DnsBlockList, Stage::Connect));
        // reverse DNS missing or not forward-confirmed 550 5.7.25 (RFC 7372);
        // 450 4.7.25 when the rule is cautious (tempfail), as Postfix's
        // reject_unknown_client_hostname.
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.25"), code(R, Reason::ReverseDns, Stage::Rcpt));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.25"), code(R, Reason::ReverseDns, Stage::Helo));
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.7.25"), code(T, Reason::ReverseDns, Stage::Rcpt));
        // sender domain unknown 450 4.1.8 / 550 5.1.8.
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.1.8"), code(R, Reason::SenderDomain, Stage::Rcpt));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.1.8"), code(R, Reason::SenderDomain, Stage::Mail));
        CPPUNIT_ASSERT_EQUAL(std::string("450 4.1.8"), code(T, Reason::SenderDomain, Stage::Rcpt));
        // null MX (RFC 7505): sender 550 5.7.27, recipient 556 5.1.10.
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.27"), code(R, Reason::SenderNullMx, Stage::Rcpt));
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.27"), code(R, Reason::SenderNullMx, Stage::Mail));
        CPPUNIT_ASSERT_EQUAL(std::string("556 5.1.10"),
                             code(R, Reason::RecipientNullMx, Stage::Rcpt));
        // a DNS failure is a backend failure: 451 4.4.3.
        CPPUNIT_ASSERT_EQUAL(std::string("451 4.4.3"),
                             code(T, Reason::BackendFailure, Stage::Mail));
    }

    void testReasonOfTheOtherClassFallsBackToPolicyCode() {
        const DefaultReply a = default_reply(Disposition::Reject, Reason::RateLimit, Stage::Rcpt);
        CPPUNIT_ASSERT_EQUAL(550, a.basic);
        CPPUNIT_ASSERT_EQUAL(std::string("5.7.1"), a.enhanced);
        CPPUNIT_ASSERT(a.text.find("Rate limit") != std::string::npos);
        const DefaultReply b =
            default_reply(Disposition::Tempfail, Reason::MessageTooBig, Stage::Data);
        CPPUNIT_ASSERT_EQUAL(451, b.basic);
        CPPUNIT_ASSERT_EQUAL(std::string("4.7.1"), b.enhanced);
        CPPUNIT_ASSERT(b.text.find("storage") != std::string::npos);
    }

    void testTempfailAtGreetingOnlyWarnsAboutTheStage() {
        for (Stage s : {Stage::Connect, Stage::Helo}) {
            const DefaultReply d = default_reply(Disposition::Tempfail, Reason::Policy, s);
            const auto ps = validate_reply(to_spec(d, Reason::Policy), Disposition::Tempfail, s);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), ps.size());
            CPPUNIT_ASSERT(ps[0].severity == Problem::Severity::Warning);
            CPPUNIT_ASSERT(ps[0].message.find("RFC 5321 4.3.2") != std::string::npos);
        }
    }

    void testEveryDefaultHasTextAndSource() {
        for (Disposition disp : {Disposition::Reject, Disposition::Tempfail})
            for (Reason r : kReasons)
                for (Stage s : kAll) {
                    const DefaultReply d = default_reply(disp, r, s);
                    CPPUNIT_ASSERT(!d.text.empty());
                    CPPUNIT_ASSERT(d.source.find("RFC") != std::string::npos);
                    CPPUNIT_ASSERT_EQUAL(std::string(), check_template(d.text));
                }
    }

    void testReasonNamesRoundTrip() {
        for (Reason r : kReasons) {
            const auto back = parse_reason(reason_name(r));
            CPPUNIT_ASSERT(back && *back == r);
            CPPUNIT_ASSERT(!reason_trigger(r).empty());
        }
        CPPUNIT_ASSERT(!parse_reason("nonsense"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DefaultsTest);
