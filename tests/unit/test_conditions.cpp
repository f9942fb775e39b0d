// SPDX-License-Identifier: Apache-2.0
// test_conditions.cpp - the condition constructors of conditions.hpp.
#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

#include "fake_condition.hpp"
#include "policy/conditions.hpp"

using namespace mv::policy;
using mv::codes::Stage;
using mv::test::fake;

namespace {
StringMatch domains(std::vector<std::string> d) {
    StringMatch m;
    m.domains = std::move(d);
    return m;
}
std::vector<ConditionPtr> list(ConditionPtr a, ConditionPtr b) {
    std::vector<ConditionPtr> v;
    v.push_back(std::move(a));
    v.push_back(std::move(b));
    return v;
}
}  // namespace

class ConditionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConditionsTest);
    CPPUNIT_TEST(testStringFieldsHaveTheirStage);
    CPPUNIT_TEST(testSenderConditionReadsSender);
    CPPUNIT_TEST(testHeloConditionFoldsCase);
    CPPUNIT_TEST(testRecipientUsesCurrentRecipientAtRcpt);
    CPPUNIT_TEST(testRecipientMatchesAnyRecipientLater);
    CPPUNIT_TEST(testMacroConditionReadsMacroAndStage);
    CPPUNIT_TEST(testMacroWithoutNameThrows);
    CPPUNIT_TEST(testClientAddrMatchesMappedAddress);
    CPPUNIT_TEST(testClientAddrBadNetworkThrows);
    CPPUNIT_TEST(testAuthenticatedAndTls);
    CPPUNIT_TEST(testMacroPresent);
    CPPUNIT_TEST(testAllOfNothingIsYesAnyOfNothingIsNo);
    CPPUNIT_TEST(testAllIsNoDespiteTempErrorWhenDecided);
    CPPUNIT_TEST(testAllPropagatesTempErrorWhenUndecided);
    CPPUNIT_TEST(testAnyIsYesDespiteTempErrorWhenDecided);
    CPPUNIT_TEST(testAnyPropagatesTempErrorWhenUndecided);
    CPPUNIT_TEST(testNotInvertsAndKeepsTempError);
    CPPUNIT_TEST(testCombinatorStageIsLatestPart);
    CPPUNIT_TEST(testDescribeIsReadable);
    CPPUNIT_TEST(testNeededMacrosAreCollected);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testStringFieldsHaveTheirStage() {
        const StringMatch m = domains({"example.com"});
        CPPUNIT_ASSERT(make_string_condition(Field::ClientName, m)->stage() == Stage::Connect);
        CPPUNIT_ASSERT(make_string_condition(Field::ClientResolve, {})->stage() == Stage::Connect);
        CPPUNIT_ASSERT(make_string_condition(Field::Helo, m)->stage() == Stage::Helo);
        CPPUNIT_ASSERT(make_string_condition(Field::Sender, m)->stage() == Stage::Mail);
        CPPUNIT_ASSERT(make_string_condition(Field::AuthLogin, m)->stage() == Stage::Mail);
        CPPUNIT_ASSERT(make_string_condition(Field::Recipient, m)->stage() == Stage::Rcpt);
    }
    void testSenderConditionReadsSender() {
        auto c = make_string_condition(Field::Sender, domains({"example.com"}));
        Transaction t;
        t.sender = "a@Example.Com";
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
        t.sender = "a@example.org";
        CPPUNIT_ASSERT(c->match(t) == Match::No);
        t.helo = "example.com";  // other fields do not count
        CPPUNIT_ASSERT(c->match(t) == Match::No);
    }
    void testHeloConditionFoldsCase() {
        StringMatch m;
        m.subdomains = {"example.com"};
        auto c = make_string_condition(Field::Helo, m);
        Transaction t;
        t.helo = "MX.EXAMPLE.COM";
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
    }
    void testRecipientUsesCurrentRecipientAtRcpt() {
        auto c = make_string_condition(Field::Recipient, domains({"example.com"}));
        Transaction t;
        t.recipients = {"a@example.com", "b@example.org"};
        t.current_rcpt = "b@example.org";
        CPPUNIT_ASSERT(c->match(t) == Match::No);
        t.current_rcpt = "a@example.com";
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
    }
    void testRecipientMatchesAnyRecipientLater() {
        auto c = make_string_condition(Field::Recipient, domains({"example.com"}));
        Transaction t;
        t.recipients = {"b@example.org", "a@example.com"};
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
        t.recipients = {"b@example.org"};
        CPPUNIT_ASSERT(c->match(t) == Match::No);
    }
    void testMacroConditionReadsMacroAndStage() {
        StringMatch m;
        m.exact = {"smtpd-submission"};
        auto c = make_string_condition(Field::Macro, m, "{daemon_name}", Stage::Connect);
        CPPUNIT_ASSERT(c->stage() == Stage::Connect);
        Transaction t;
        t.macros["daemon_name"] = "smtpd-submission";
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
        t.macros["daemon_name"] = "smtpd";
        CPPUNIT_ASSERT(c->match(t) == Match::No);
        std::set<std::string> need;
        c->needed_macros(need);
        CPPUNIT_ASSERT(need == std::set<std::string>{"daemon_name"});
        CPPUNIT_ASSERT_EQUAL(std::string("macro {daemon_name} is smtpd-submission"), c->describe());
    }
    void testMacroWithoutNameThrows() {
        CPPUNIT_ASSERT_THROW(make_string_condition(Field::Macro, {}, ""), std::invalid_argument);
    }
    void testClientAddrMatchesMappedAddress() {
        auto c = make_client_addr_condition({"192.0.2.0/24", "2001:db8::/32"});
        CPPUNIT_ASSERT(c->stage() == Stage::Connect);
        Transaction t;
        t.client_addr = "::ffff:192.0.2.9";
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
        t.client_addr = "2001:db8::9";
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
        t.client_addr = "198.51.100.1";
        CPPUNIT_ASSERT(c->match(t) == Match::No);
        t.client_addr = "";
        CPPUNIT_ASSERT(c->match(t) == Match::No);
    }
    void testClientAddrBadNetworkThrows() {
        try {
            make_client_addr_condition({"192.0.2.0/24", "300.1.2.3/24"});
            CPPUNIT_FAIL("no exception");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT(std::string(e.what()).find("bad network '300.1.2.3/24'") == 0);
        }
    }
    void testAuthenticatedAndTls() {
        auto auth = make_authenticated_condition(true);
        auto noauth = make_authenticated_condition(false);
        auto tls = make_tls_condition(true);
        Transaction t;
        CPPUNIT_ASSERT(auth->match(t) == Match::No);
        CPPUNIT_ASSERT(noauth->match(t) == Match::Yes);
        CPPUNIT_ASSERT(tls->match(t) == Match::No);
        t.auth_login = "alice";
        t.tls_version = "TLSv1.3";
        CPPUNIT_ASSERT(auth->match(t) == Match::Yes);
        CPPUNIT_ASSERT(noauth->match(t) == Match::No);
        CPPUNIT_ASSERT(tls->match(t) == Match::Yes);
        CPPUNIT_ASSERT(auth->stage() == Stage::Mail);
    }
    void testMacroPresent() {
        auto c = make_macro_present_condition("{cert_subject}", Stage::Helo, true);
        auto absent = make_macro_present_condition("cert_subject", Stage::Helo, false);
        Transaction t;
        CPPUNIT_ASSERT(c->match(t) == Match::No);
        CPPUNIT_ASSERT(absent->match(t) == Match::Yes);
        t.macros["cert_subject"] = "CN=x";
        CPPUNIT_ASSERT(c->match(t) == Match::Yes);
        CPPUNIT_ASSERT(absent->match(t) == Match::No);
        CPPUNIT_ASSERT(c->stage() == Stage::Helo);
    }
    void testAllOfNothingIsYesAnyOfNothingIsNo() {
        Transaction t;
        CPPUNIT_ASSERT(make_all({})->match(t) == Match::Yes);
        CPPUNIT_ASSERT(make_any({})->match(t) == Match::No);
    }
    void testAllIsNoDespiteTempErrorWhenDecided() {
        Transaction t;
        CPPUNIT_ASSERT(make_all(list(fake(Match::TempError), fake(Match::No)))->match(t) ==
                       Match::No);
        CPPUNIT_ASSERT(make_all(list(fake(Match::No), fake(Match::TempError)))->match(t) ==
                       Match::No);
    }
    void testAllPropagatesTempErrorWhenUndecided() {
        Transaction t;
        CPPUNIT_ASSERT(make_all(list(fake(Match::Yes), fake(Match::TempError)))->match(t) ==
                       Match::TempError);
        CPPUNIT_ASSERT(make_all(list(fake(Match::Yes), fake(Match::Yes)))->match(t) == Match::Yes);
    }
    void testAnyIsYesDespiteTempErrorWhenDecided() {
        Transaction t;
        CPPUNIT_ASSERT(make_any(list(fake(Match::TempError), fake(Match::Yes)))->match(t) ==
                       Match::Yes);
    }
    void testAnyPropagatesTempErrorWhenUndecided() {
        Transaction t;
        CPPUNIT_ASSERT(make_any(list(fake(Match::No), fake(Match::TempError)))->match(t) ==
                       Match::TempError);
        CPPUNIT_ASSERT(make_any(list(fake(Match::No), fake(Match::No)))->match(t) == Match::No);
    }
    void testNotInvertsAndKeepsTempError() {
        Transaction t;
        CPPUNIT_ASSERT(make_not(fake(Match::Yes))->match(t) == Match::No);
        CPPUNIT_ASSERT(make_not(fake(Match::No))->match(t) == Match::Yes);
        CPPUNIT_ASSERT(make_not(fake(Match::TempError))->match(t) == Match::TempError);
    }
    void testCombinatorStageIsLatestPart() {
        auto c = make_all(list(fake(Match::Yes, Stage::Rcpt), fake(Match::Yes, Stage::Helo)));
        CPPUNIT_ASSERT(c->stage() == Stage::Rcpt);
        CPPUNIT_ASSERT(make_not(fake(Match::Yes, Stage::Mail))->stage() == Stage::Mail);
        CPPUNIT_ASSERT(make_any({})->stage() == Stage::Connect);
    }
    void testDescribeIsReadable() {
        std::vector<ConditionPtr> parts;
        parts.push_back(make_string_condition(Field::Sender, domains({"spam.example"})));
        parts.push_back(make_not(make_authenticated_condition(true)));
        auto c = make_all(std::move(parts));
        CPPUNIT_ASSERT_EQUAL(std::string("(sender domain spam.example and not authenticated)"),
                             c->describe());
        CPPUNIT_ASSERT_EQUAL(std::string("client address in 192.0.2.0/24"),
                             make_client_addr_condition({"192.0.2.0/24"})->describe());
    }
    void testNeededMacrosAreCollected() {
        std::vector<ConditionPtr> parts;
        parts.push_back(make_authenticated_condition(true));
        parts.push_back(make_not(make_tls_condition(true)));
        parts.push_back(make_string_condition(Field::ClientResolve, {}));
        std::set<std::string> need;
        make_any(std::move(parts))->needed_macros(need);
        CPPUNIT_ASSERT(need ==
                       (std::set<std::string>{"auth_authen", "tls_version", "client_resolve"}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConditionsTest);
