// SPDX-License-Identifier: Apache-2.0
// test_content_conditions.cpp - header, body, size and recipient-count conditions,
// through Session as the glue drives them.
#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

#include "policy/conditions.hpp"
#include "policy/session.hpp"
#include "policy_builder.hpp"

using namespace mv::policy;
using namespace mv::test;
using mv::codes::Stage;

namespace {

StringMatch regex(std::string r) {
    StringMatch m;
    m.regexes.push_back(std::move(r));
    return m;
}

StringMatch exact(std::string v) {
    StringMatch m;
    m.exact.push_back(std::move(v));
    return m;
}

// A session at end of data of one message with `headers` and `body`.
Transaction message_with(const std::vector<std::pair<std::string, std::string>>& headers,
                         const std::string& body, std::size_t body_limit = 64 * 1024) {
    PolicyBuilder b;
    b.settings().body_limit = body_limit;
    Session s(b.build());
    s.connect();
    s.mail("a@b.example");
    s.rcpt("x@c.example");
    s.data();
    for (const auto& [n, v] : headers) s.header(n, v);
    if (!body.empty()) s.body(body);
    return s.transaction();
}

}  // namespace

class ContentConditionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ContentConditionsTest);
    CPPUNIT_TEST(testHeaderMatchesAnyOccurrence);
    CPPUNIT_TEST(testHeaderNameIsCaseInsensitive);
    CPPUNIT_TEST(testEncodedSubjectMatchesDecodedText);
    CPPUNIT_TEST(testRawHeaderSeesEncodedForm);
    CPPUNIT_TEST(testFoldedHeaderIsUnfolded);
    CPPUNIT_TEST(testHeaderPresentAndAbsent);
    CPPUNIT_TEST(testBodyLineEndsAreNormalisedAcrossChunks);
    CPPUNIT_TEST(testBodyBeyondLimitIsNotMatched);
    CPPUNIT_TEST(testDeclaredSizeComparesMailSize);
    CPPUNIT_TEST(testUnannouncedSizeNeverMatches);
    CPPUNIT_TEST(testMessageSizeCountsHeadersAndBody);
    CPPUNIT_TEST(testRcptCountCountsRecipients);
    CPPUNIT_TEST(testEmptyOrImpossibleBoundsThrow);
    CPPUNIT_TEST(testStagesAreWhereTheDataExists);
    CPPUNIT_TEST(testPolicyNeedsOnlyTheContentItsRulesRead);
    CPPUNIT_TEST(testBodyRuleRefusesAtEndOfMessage);
    CPPUNIT_TEST(testHeaderExactValueIsCaseSensitiveAndWhole);
    CPPUNIT_TEST(testHeaderRegexIsCaseInsensitiveUnlessAsked);
    CPPUNIT_TEST(testHeaderDomainIsCaseInsensitive);
    CPPUNIT_TEST(testOverAndUnderAreStrict);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testHeaderMatchesAnyOccurrence() {
        const auto c = make_header_condition("Received", regex("from evil\\.example"));
        const auto t = message_with(
            {{"Received", "from good.example by mx"}, {"Received", "from evil.example by relay"}},
            "");
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
        const auto t2 = message_with({{"Received", "from good.example by mx"}}, "");
        CPPUNIT_ASSERT(c->match(t2) == Match::No);
    }
    void testHeaderNameIsCaseInsensitive() {
        const auto c = make_header_condition("subject", exact("hello"));
        CPPUNIT_ASSERT(c->match(message_with({{"SUBJECT", "hello"}}, "")) == Match::Yes);
        CPPUNIT_ASSERT(c->match(message_with({{"Subjects", "hello"}}, "")) == Match::No);
    }
    void testEncodedSubjectMatchesDecodedText() {
        const auto c = make_header_condition("Subject", regex("casino"));
        CPPUNIT_ASSERT(c->match(message_with({{"Subject", "=?UTF-8?B?Q2FzaW5vIG5pZ2h0?="}}, "")) ==
                       Match::Yes);
    }
    void testRawHeaderSeesEncodedForm() {
        const auto raw = make_header_condition("Subject", regex("casino"), true);
        const auto t = message_with({{"Subject", "=?UTF-8?B?Q2FzaW5vIG5pZ2h0?="}}, "");
        CPPUNIT_ASSERT(raw->match(t) == Match::No);
        const auto raw_b = make_header_condition("Subject", regex("^=\\?utf-8\\?b\\?"), true);
        CPPUNIT_ASSERT(raw_b->match(t) == Match::Yes);
    }
    void testFoldedHeaderIsUnfolded() {
        const auto c = make_header_condition("Subject", regex("lottery winner"));
        CPPUNIT_ASSERT(c->match(message_with({{"Subject", "You are our lottery\r\n winner"}},
                                             "")) == Match::Yes);
    }
    void testHeaderPresentAndAbsent() {
        const auto t = message_with({{"X-Spam-Flag", "YES"}}, "");
        CPPUNIT_ASSERT(make_header_present_condition("x-spam-flag", true)->match(t) == Match::Yes);
        CPPUNIT_ASSERT(make_header_present_condition("x-spam-flag", false)->match(t) == Match::No);
        CPPUNIT_ASSERT(make_header_present_condition("Date", false)->match(t) == Match::Yes);
    }
    void testBodyLineEndsAreNormalisedAcrossChunks() {
        PolicyBuilder b;
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        s.rcpt("x@c.example");
        s.body("first line\r");  // CRLF split between two chunks
        s.body("\nsecond\rthird\r\n");
        CPPUNIT_ASSERT_EQUAL(std::string("first line\nsecond\nthird\n"), s.transaction().body);
        const auto c = make_body_condition({"^second$"});
        CPPUNIT_ASSERT(c->match(s.transaction()) == Match::No);  // RE2 default: not multi-line
        CPPUNIT_ASSERT(make_body_condition({"(?m)^second$"})->match(s.transaction()) == Match::Yes);
        CPPUNIT_ASSERT(make_body_condition({"line\nsecond"})->match(s.transaction()) == Match::Yes);
    }
    void testBodyBeyondLimitIsNotMatched() {
        const std::string body = std::string(3000, 'x') + "verify your account";
        const auto c = make_body_condition({"verify your account"});
        CPPUNIT_ASSERT(c->match(message_with({}, body, 1024)) == Match::No);
        CPPUNIT_ASSERT(c->match(message_with({}, body, 4096)) == Match::Yes);
    }
    void testDeclaredSizeComparesMailSize() {
        const auto c = make_size_condition(SizeOf::Declared, Bounds{1000, std::nullopt});
        Transaction t;
        t.declared_size = 1001;
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
        t.declared_size = 1000;
        CPPUNIT_ASSERT(c->match(t) == Match::No);
    }
    void testUnannouncedSizeNeverMatches() {
        const auto c = make_size_condition(SizeOf::Declared, Bounds{std::nullopt, 100});
        Transaction t;  // declared_size 0: the client sent no SIZE=
        CPPUNIT_ASSERT(c->match(t) == Match::No);
    }
    void testMessageSizeCountsHeadersAndBody() {
        // "Subject: hi\r\n" is 13 bytes, the body 100.
        const auto t = message_with({{"Subject", "hi"}}, std::string(100, 'b'));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{113}, t.size);
        CPPUNIT_ASSERT(make_size_condition(SizeOf::Message, Bounds{112, std::nullopt})->match(t) ==
                       Match::Yes);
        CPPUNIT_ASSERT(make_size_condition(SizeOf::Message, Bounds{113, std::nullopt})->match(t) ==
                       Match::No);
    }
    void testRcptCountCountsRecipients() {
        const auto c = make_rcpt_count_condition(Bounds{2, std::nullopt});
        Transaction t;
        t.recipients = {"a@x", "b@x"};
        CPPUNIT_ASSERT(c->match(t) == Match::No);
        t.recipients.push_back("c@x");
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
    }
    void testEmptyOrImpossibleBoundsThrow() {
        CPPUNIT_ASSERT_THROW(make_rcpt_count_condition(Bounds{}), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(make_size_condition(SizeOf::Message, Bounds{10, 11}),
                             std::invalid_argument);
        CPPUNIT_ASSERT_NO_THROW(make_size_condition(SizeOf::Message, Bounds{10, 12}));
        CPPUNIT_ASSERT_THROW(make_body_condition({"("}), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(make_header_condition("", exact("x")), std::invalid_argument);
    }
    void testStagesAreWhereTheDataExists() {
        CPPUNIT_ASSERT(make_header_condition("Subject", exact("x"))->stage() == Stage::EndOfData);
        CPPUNIT_ASSERT(make_body_condition({"x"})->stage() == Stage::EndOfData);
        CPPUNIT_ASSERT(make_size_condition(SizeOf::Declared, Bounds{1, std::nullopt})->stage() ==
                       Stage::Mail);
        CPPUNIT_ASSERT(make_size_condition(SizeOf::Message, Bounds{1, std::nullopt})->stage() ==
                       Stage::EndOfData);
        CPPUNIT_ASSERT(make_rcpt_count_condition(Bounds{1, std::nullopt})->stage() == Stage::Rcpt);
    }
    void testPolicyNeedsOnlyTheContentItsRulesRead() {
        PolicyBuilder none;
        none.rule("env", Action::Reject, sender_domain("spam.example"), 550, "5.7.1", "no");
        none.rule("declared", Action::Reject,
                  make_size_condition(SizeOf::Declared, Bounds{1000, std::nullopt}), 552, "5.3.4",
                  "big");
        CPPUNIT_ASSERT(!none.build()->needs_headers());
        CPPUNIT_ASSERT(!none.build()->needs_body());

        PolicyBuilder headers;
        std::vector<ConditionPtr> parts;
        parts.push_back(sender_domain("x.example"));
        parts.push_back(make_not(make_header_condition("Subject", exact("x"))));
        headers.rule("hdr", Action::Reject, make_all(std::move(parts)), 550, "5.7.1", "no");
        CPPUNIT_ASSERT(headers.build()->needs_headers());
        CPPUNIT_ASSERT(!headers.build()->needs_body());

        PolicyBuilder body;
        std::vector<ConditionPtr> any;
        any.push_back(make_body_condition({"x"}));
        body.rule("body", Action::Reject, make_any(std::move(any)), 550, "5.7.1", "no");
        CPPUNIT_ASSERT(body.build()->needs_body());
        CPPUNIT_ASSERT(!body.build()->needs_headers());

        PolicyBuilder size;
        size.rule("size", Action::Reject,
                  make_size_condition(SizeOf::Message, Bounds{1000, std::nullopt}), 552, "5.3.4",
                  "big");
        CPPUNIT_ASSERT(size.build()->needs_body() && size.build()->needs_headers());
    }
    void testBodyRuleRefusesAtEndOfMessage() {
        PolicyBuilder b;
        b.rule("phish", Action::Reject, make_body_condition({"verify your account"}), 550, "5.7.1",
               "phishing");
        Session s(b.build());
        s.connect();
        s.mail("a@b.example");
        CPPUNIT_ASSERT(s.rcpt("x@c.example").action == Action::Continue);
        s.data();
        s.header("Subject", "hello");
        s.body("Dear user,\r\nplease verify your\r\n");
        s.body("account today\r\n");  // the phrase spans a line end: no match
        CPPUNIT_ASSERT(s.end_of_message().action == Action::Continue);
        s.mail("a@b.example");
        s.rcpt("x@c.example");
        s.data();
        s.body("Dear user, please verify your account today\r\n");
        const Verdict v = s.end_of_message();
        CPPUNIT_ASSERT(v.action == Action::Reject);
        CPPUNIT_ASSERT_EQUAL(std::string("phish"), v.rule);
    }
    // milter-verdict.conf(5), header: exact values compare the whole value,
    // case-sensitively.
    void testHeaderExactValueIsCaseSensitiveAndWhole() {
        const auto c = make_header_condition("X-Spam-Flag", exact("YES"));
        CPPUNIT_ASSERT(c->match(message_with({{"X-Spam-Flag", "YES"}}, "")) == Match::Yes);
        CPPUNIT_ASSERT(c->match(message_with({{"X-Spam-Flag", "yes"}}, "")) == Match::No);
        CPPUNIT_ASSERT(c->match(message_with({{"X-Spam-Flag", "Yes"}}, "")) == Match::No);
        CPPUNIT_ASSERT(c->match(message_with({{"X-Spam-Flag", "YES, score 9"}}, "")) == Match::No);
    }
    void testHeaderRegexIsCaseInsensitiveUnlessAsked() {
        const auto icase = make_header_condition("Subject", regex("casino"));
        CPPUNIT_ASSERT(icase->match(message_with({{"Subject", "Big CASINO win"}}, "")) ==
                       Match::Yes);
        StringMatch cs = regex("casino");
        cs.icase_regex = false;  // case_sensitive = true
        const auto sensitive = make_header_condition("Subject", cs);
        CPPUNIT_ASSERT(sensitive->match(message_with({{"Subject", "Big CASINO win"}}, "")) ==
                       Match::No);
        CPPUNIT_ASSERT(sensitive->match(message_with({{"Subject", "Big casino win"}}, "")) ==
                       Match::Yes);
    }
    void testHeaderDomainIsCaseInsensitive() {
        StringMatch m;
        m.domains.push_back("example.org");
        const auto c = make_header_condition("Reply-To", m);
        CPPUNIT_ASSERT(c->match(message_with({{"Reply-To", "Sales@EXAMPLE.Org"}}, "")) ==
                       Match::Yes);
        CPPUNIT_ASSERT(c->match(message_with({{"Reply-To", "sales@example.net"}}, "")) ==
                       Match::No);
    }
    // milter-verdict.conf(5), size: over and under are strict, for all three
    // counted values.
    void testOverAndUnderAreStrict() {
        const Bounds between{100, 200};
        const auto size = make_size_condition(SizeOf::Message, between);
        const auto declared = make_size_condition(SizeOf::Declared, between);
        const auto count = make_rcpt_count_condition(between);
        for (std::uint64_t v : {100u, 101u, 199u, 200u}) {
            const Match want = v > 100 && v < 200 ? Match::Yes : Match::No;
            Transaction t;
            t.size = v;
            t.declared_size = v;
            t.recipients.assign(v, "r@x.example");
            CPPUNIT_ASSERT_MESSAGE(std::to_string(v), size->match(t) == want);
            CPPUNIT_ASSERT_MESSAGE(std::to_string(v), declared->match(t) == want);
            CPPUNIT_ASSERT_MESSAGE(std::to_string(v), count->match(t) == want);
        }
        Transaction t;
        t.size = 1000;
        CPPUNIT_ASSERT(make_size_condition(SizeOf::Message, Bounds{std::nullopt, 1000})->match(t) ==
                       Match::No);
        t.size = 999;
        CPPUNIT_ASSERT(make_size_condition(SizeOf::Message, Bounds{std::nullopt, 1000})->match(t) ==
                       Match::Yes);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ContentConditionsTest);
