// SPDX-License-Identifier: Apache-2.0
// test_validate.cpp - validate_reply(): each row of DESIGN.md section 2 is
// triggered once and shown to pass in its valid form.
#include <cppunit/extensions/HelperMacros.h>

#include "codes/validate.hpp"

using namespace mv::codes;

namespace {

ReplySpec spec(int basic, std::string enhanced, std::vector<std::string> text = {"Refused"}) {
    ReplySpec s;
    s.basic = basic;
    s.enhanced = std::move(enhanced);
    s.text = std::move(text);
    return s;
}

std::size_t count(const std::vector<Problem>& ps, Problem::Severity sev) {
    std::size_t n = 0;
    for (const auto& p : ps) n += p.severity == sev;
    return n;
}

std::size_t errors(const std::vector<Problem>& ps) {
    return count(ps, Problem::Severity::Error);
}
std::size_t warnings(const std::vector<Problem>& ps) {
    return count(ps, Problem::Severity::Warning);
}

// The message of the only problem; fails the test when there is not exactly one.
std::string only(const std::vector<Problem>& ps) {
    std::string all;
    for (const auto& p : ps) all += p.message + "\n";
    CPPUNIT_ASSERT_EQUAL_MESSAGE(all, std::size_t(1), ps.size());
    return ps.front().message;
}

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

const auto kReject = Disposition::Reject;
const auto kTempfail = Disposition::Tempfail;

}  // namespace

class ValidateTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ValidateTest);
    CPPUNIT_TEST(testTypicalRejectHasNoProblem);
    CPPUNIT_TEST(testSuccessCodeIsNotARefusal);
    CPPUNIT_TEST(testUnknownBasicCodeIsRejected);
    CPPUNIT_TEST(testMalformedEnhancedCodeIsRejected);
    CPPUNIT_TEST(testMismatchedClassIsRejected);
    CPPUNIT_TEST(testRejectWith4xxIsRejected);
    CPPUNIT_TEST(testTempfailWith5xxIsRejected);
    CPPUNIT_TEST(testTempfailWith4xxPasses);
    CPPUNIT_TEST(testUnregisteredEnhancedCodeIsRejected);
    CPPUNIT_TEST(testUnregisteredCodeAllowedWhenRuleSaysSo);
    CPPUNIT_TEST(testMissingEnhancedCodeIsAccepted);
    CPPUNIT_TEST(testUnknownVariableIsRejected);
    CPPUNIT_TEST(testUnterminatedVariableIsRejected);
    CPPUNIT_TEST(testKnownVariablesPass);
    CPPUNIT_TEST(testLineBreaksAndNulInTextAreRejected);
    CPPUNIT_TEST(testLineOf510OctetsWithCodePasses);
    CPPUNIT_TEST(testLineOver510OctetsIsRejected);
    CPPUNIT_TEST(testVariableWorstCaseCountsTowardLength);
    CPPUNIT_TEST(testMoreThan32LinesAreRejected);
    CPPUNIT_TEST(testThirtyTwoLinesPass);
    CPPUNIT_TEST(testPercentInTextIsAllowed);
    CPPUNIT_TEST(testPercentEscapingBeyondLibmilterLimitIsRejected);
    CPPUNIT_TEST(testClosingCodeWithoutDisconnectIsRejected);
    CPPUNIT_TEST(testClosingCodeWithDisconnectPasses);
    CPPUNIT_TEST(testDisconnectWithNonClosingCodeIsRejected);
    CPPUNIT_TEST(testCodeNotListedForStageWarns);
    CPPUNIT_TEST(testCodeListedForStagePasses);
    CPPUNIT_TEST(testEnhancedCodeRegisteredForOtherBasicCodesWarns);
    CPPUNIT_TEST(testWildcardAssociationPasses);
    CPPUNIT_TEST(testPermanentOnlyCodeWith4xxWarns);
    CPPUNIT_TEST(testTransientOnlyCodeWith5xxWarns);
    CPPUNIT_TEST(testDeprecatedCodeWarns);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testTypicalRejectHasNoProblem() {
        CPPUNIT_ASSERT(validate_reply(spec(550, "5.7.1"), kReject, Stage::Rcpt).empty());
        CPPUNIT_ASSERT(validate_reply(spec(554, "5.7.1"), kReject, Stage::Data).empty());
    }

    void testSuccessCodeIsNotARefusal() {
        const auto ps = validate_reply(spec(250, "2.0.0"), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(errors(ps) >= 1);
        CPPUNIT_ASSERT(has(ps.front().message, "basic code 250 is not a refusal"));
    }

    void testUnknownBasicCodeIsRejected() {
        const auto msg = only(validate_reply(spec(460, "4.7.1"), kTempfail, Stage::Rcpt));
        CPPUNIT_ASSERT(has(msg, "basic code 460 is not an SMTP reply code"));
        CPPUNIT_ASSERT(
            validate_reply(spec(460, "4.7.1"), kTempfail, Stage::Rcpt).front().severity ==
            Problem::Severity::Error);
    }

    void testMalformedEnhancedCodeIsRejected() {
        for (const char* bad : {"5.07.1", "5.7", "5.7.1000", "X.7.1", "5.7.1 "}) {
            const auto ps = validate_reply(spec(550, bad), kReject, Stage::Rcpt);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, std::size_t(1), errors(ps));
            CPPUNIT_ASSERT_MESSAGE(bad, has(only(ps), "is malformed"));
        }
    }

    void testMismatchedClassIsRejected() {
        const auto ps = validate_reply(spec(550, "4.7.1"), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT_EQUAL(std::string("enhanced code 4.7.1 has class 4 but basic code 550 has "
                                         "class 5; Postfix would answer 451 4.3.5 instead"),
                             only(ps));
        CPPUNIT_ASSERT(ps.front().severity == Problem::Severity::Error);
    }

    void testRejectWith4xxIsRejected() {
        const auto ps = validate_reply(spec(450, "4.7.1"), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(has(only(ps), "reject needs a 5xx code but 450 is 4xx"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
    }

    void testTempfailWith5xxIsRejected() {
        const auto ps = validate_reply(spec(550, "5.7.1"), kTempfail, Stage::Rcpt);
        CPPUNIT_ASSERT(has(only(ps), "tempfail needs a 4xx code but 550 is 5xx"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
    }

    void testTempfailWith4xxPasses() {
        CPPUNIT_ASSERT(validate_reply(spec(450, "4.7.1"), kTempfail, Stage::Rcpt).empty());
        CPPUNIT_ASSERT(validate_reply(spec(451, "4.7.1"), kTempfail, Stage::Mail).empty());
    }

    void testUnregisteredEnhancedCodeIsRejected() {
        const auto ps = validate_reply(spec(550, "5.7.99"), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(has(only(ps), "enhanced code 5.7.99 is not in the IANA registry"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
    }

    void testUnregisteredCodeAllowedWhenRuleSaysSo() {
        ReplySpec s = spec(550, "5.7.99");
        s.allow_unregistered = true;
        CPPUNIT_ASSERT(validate_reply(s, kReject, Stage::Rcpt).empty());
        // Allowing unregistered codes does not excuse a class mismatch.
        s.enhanced = "4.7.99";
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(validate_reply(s, kReject, Stage::Rcpt)));
    }

    void testMissingEnhancedCodeIsAccepted() {
        CPPUNIT_ASSERT(validate_reply(spec(550, ""), kReject, Stage::Rcpt).empty());
    }

    void testUnknownVariableIsRejected() {
        const auto ps =
            validate_reply(spec(550, "5.7.1", {"ok", "from ${nobody}"}), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT_EQUAL(std::string("text line 2: unknown variable ${nobody}"), only(ps));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
    }

    void testUnterminatedVariableIsRejected() {
        const auto ps = validate_reply(spec(550, "5.7.1", {"from ${sender"}), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(has(only(ps), "unterminated"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
    }

    void testKnownVariablesPass() {
        const auto ps = validate_reply(spec(550, "5.7.1",
                                            {"${client_addr} ${client_name}", "${helo}",
                                             "${sender}", "${rcpt} ${rule} ${retry} ${queue_id}"}),
                                       kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(ps.empty());
    }

    void testLineBreaksAndNulInTextAreRejected() {
        for (const std::string& bad :
             {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3)}) {
            const auto ps = validate_reply(spec(550, "5.7.1", {bad}), kReject, Stage::Rcpt);
            CPPUNIT_ASSERT(has(only(ps), "text line 1 contains a CR, LF or NUL byte"));
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
        }
    }

    void testLineOf510OctetsWithCodePasses() {
        // "550-5.7.1 " is 10 octets; 500 more make 510.
        const auto ps =
            validate_reply(spec(550, "5.7.1", {std::string(500, 'a')}), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(ps.empty());
    }

    void testLineOver510OctetsIsRejected() {
        const auto ps =
            validate_reply(spec(550, "5.7.1", {std::string(501, 'a')}), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(has(only(ps), "text line 1 can reach 511 octets"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
        // Without an enhanced code the prefix is "550-", so 506 octets fit.
        CPPUNIT_ASSERT(
            validate_reply(spec(550, "", {std::string(506, 'a')}), kReject, Stage::Rcpt).empty());
    }

    void testVariableWorstCaseCountsTowardLength() {
        // ${rcpt} may expand to 256 octets: 10 + 244 + 256 = 510 fits, one more does not.
        const auto fits = spec(550, "5.7.1", {std::string(244, 'a') + "${rcpt}"});
        CPPUNIT_ASSERT(validate_reply(fits, kReject, Stage::Rcpt).empty());
        const auto over = spec(550, "5.7.1", {std::string(245, 'a') + "${rcpt}"});
        CPPUNIT_ASSERT(has(only(validate_reply(over, kReject, Stage::Rcpt)), "511 octets"));
    }

    void testMoreThan32LinesAreRejected() {
        const auto ps = validate_reply(spec(550, "5.7.1", std::vector<std::string>(33, "x")),
                                       kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(has(only(ps), "text has 33 lines"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
    }

    void testThirtyTwoLinesPass() {
        CPPUNIT_ASSERT(validate_reply(spec(550, "5.7.1", std::vector<std::string>(32, "x")),
                                      kReject, Stage::Rcpt)
                           .empty());
    }

    void testPercentInTextIsAllowed() {
        // The glue doubles '%' for libmilter; here it is ordinary text.
        CPPUNIT_ASSERT(
            validate_reply(spec(550, "5.7.1", {"100% spam, %s %d"}), kReject, Stage::Rcpt).empty());
    }

    void testPercentEscapingBeyondLibmilterLimitIsRejected() {
        // 495 '%' are 990 octets once doubled: over libmilter's 980.
        const auto ps =
            validate_reply(spec(550, "5.7.1", {std::string(495, '%')}), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(has(only(ps), "can reach 990 octets once each '%' is doubled"));
        // A variable counts twice (its value may be all '%'): 235 + 2 x 256 = 747.
        CPPUNIT_ASSERT(validate_reply(spec(550, "5.7.1", {std::string(235, 'a') + "${rcpt}"}),
                                      kReject, Stage::Rcpt)
                           .empty());
        // 490 '%' escape to exactly 980: accepted.
        CPPUNIT_ASSERT(
            validate_reply(spec(550, "5.7.1", {std::string(490, '%')}), kReject, Stage::Rcpt)
                .empty());
    }

    void testClosingCodeWithoutDisconnectIsRejected() {
        const auto ps = validate_reply(spec(421, "4.7.0"), kTempfail, Stage::Rcpt);
        CPPUNIT_ASSERT(has(only(ps), "basic code 421 closes the session"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
        const auto p521 = validate_reply(spec(521, "5.3.2"), kReject, Stage::Connect);
        CPPUNIT_ASSERT(has(only(p521), "basic code 521 closes the session"));
    }

    void testClosingCodeWithDisconnectPasses() {
        ReplySpec s = spec(421, "4.7.0");
        s.disconnect = true;
        for (int i = 0; i < kStageCount; ++i)
            CPPUNIT_ASSERT(validate_reply(s, kTempfail, Stage(i)).empty());
        ReplySpec r = spec(521, "5.3.2");
        r.disconnect = true;
        CPPUNIT_ASSERT(validate_reply(r, kReject, Stage::Connect).empty());
    }

    void testDisconnectWithNonClosingCodeIsRejected() {
        ReplySpec s = spec(550, "5.7.1");
        s.disconnect = true;
        const auto ps = validate_reply(s, kReject, Stage::Rcpt);
        CPPUNIT_ASSERT(has(only(ps), "the rule disconnects but basic code 550 does not close"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors(ps));
    }

    void testCodeNotListedForStageWarns() {
        const auto ps = validate_reply(spec(550, "5.7.1"), kReject, Stage::Data);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), errors(ps));
        const std::string msg = only(ps);
        CPPUNIT_ASSERT(has(msg, "basic code 550 is not among RFC 5321 4.3.2's replies to DATA"));
        CPPUNIT_ASSERT(has(msg, "refusals listed there: 451, 503, 530, 554"));
        // 450 at MAIL: listed only at RCPT and end of data.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1),
                             warnings(validate_reply(spec(450, "4.7.1"), kTempfail, Stage::Mail)));
    }

    void testCodeListedForStagePasses() {
        CPPUNIT_ASSERT(validate_reply(spec(554, "5.7.1"), kReject, Stage::Connect).empty());
        CPPUNIT_ASSERT(validate_reply(spec(550, "5.7.1"), kReject, Stage::Helo).empty());
        CPPUNIT_ASSERT(validate_reply(spec(550, "5.7.1"), kReject, Stage::EndOfData).empty());
    }

    void testEnhancedCodeRegisteredForOtherBasicCodesWarns() {
        const auto ps = validate_reply(spec(554, "5.7.20"), kReject, Stage::EndOfData);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), errors(ps));
        CPPUNIT_ASSERT(has(only(ps),
                           "enhanced code 5.7.20 (No passing DKIM signature found) is "
                           "registered for basic code 550, not 554"));
        CPPUNIT_ASSERT(validate_reply(spec(550, "5.7.20"), kReject, Stage::EndOfData).empty());
    }

    void testWildcardAssociationPasses() {
        // X.7.17 lists only "5XX".
        CPPUNIT_ASSERT(validate_reply(spec(554, "5.7.17"), kReject, Stage::EndOfData).empty());
    }

    void testPermanentOnlyCodeWith4xxWarns() {
        // X.3.4 "Message too big for system" is useful only as a permanent error.
        const auto ps = validate_reply(spec(452, "4.3.4"), kTempfail, Stage::Rcpt);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), errors(ps));
        bool found = false;
        for (const auto& p : ps) found |= has(p.message, "useful only as a permanent error");
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT(validate_reply(spec(552, "5.3.4"), kReject, Stage::Rcpt).empty());
    }

    void testTransientOnlyCodeWith5xxWarns() {
        // X.4.5 "Mail system congestion": 451 only, transient only.
        const auto ps = validate_reply(spec(550, "5.4.5"), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), errors(ps));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), warnings(ps));  // association and permanence
        CPPUNIT_ASSERT(has(ps[1].message, "useful only as a persistent transient error"));
        CPPUNIT_ASSERT(validate_reply(spec(451, "4.4.5"), kTempfail, Stage::Rcpt).empty());
    }

    void testDeprecatedCodeWarns() {
        const auto ps = validate_reply(spec(553, "5.6.10"), kReject, Stage::Rcpt);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), errors(ps));
        const std::string msg = only(ps);
        CPPUNIT_ASSERT(has(msg, "enhanced code 5.6.10 is deprecated"));
        CPPUNIT_ASSERT(has(msg, "X.6.8"));
        CPPUNIT_ASSERT(validate_reply(spec(553, "5.6.8"), kReject, Stage::Rcpt).empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ValidateTest);
