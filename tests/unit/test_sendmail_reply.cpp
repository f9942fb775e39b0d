// SPDX-License-Identifier: Apache-2.0
// test_sendmail_reply.cpp - simulate --mta sendmail: a refusal as Sendmail sends it.
#include <cppunit/extensions/HelperMacros.h>

#include "cli/sendmail_reply.hpp"

namespace mv::cli::test {

using codes::Reply;
using codes::Stage;
using Lines = std::vector<std::string>;

class SendmailReplyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SendmailReplyTest);
    CPPUNIT_TEST(testRcptRefusalNamesTheAddressOnTheFirstLine);
    CPPUNIT_TEST(testOnlyMailboxCodesNameTheAddress);
    CPPUNIT_TEST(testReplyWithoutEnhancedCode);
    CPPUNIT_TEST(testConnectRefusalsAreSendmailsOwn);
    CPPUNIT_TEST(testHeloAndEndOfDataGoOutAsWritten);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testRcptRefusalNamesTheAddressOnTheFirstLine() {
        const Reply r{550, "5.7.1", {"first", "second"}};
        CPPUNIT_ASSERT(Lines({"550-5.7.1 <bob@example.org>... first", "550 5.7.1 second"}) ==
                       sendmail_view(r, true, Stage::Rcpt, "bob@example.org").lines);
        const Reply t{450, "4.7.1", {"later"}};
        CPPUNIT_ASSERT(Lines({"450 4.7.1 <>... later"}) ==
                       sendmail_view(t, false, Stage::Mail, "").lines);
    }
    void testOnlyMailboxCodesNameTheAddress() {
        CPPUNIT_ASSERT(Lines({"553 5.1.8 <a@b>... bad"}) ==
                       sendmail_view({553, "5.1.8", {"bad"}}, true, Stage::Mail, "a@b").lines);
        for (int basic : {451, 452, 421, 552, 554}) {
            const std::string e = std::to_string(basic / 100) + ".7.1";
            const Reply r{basic, e, {"x"}};
            CPPUNIT_ASSERT(Lines({std::to_string(basic) + " " + e + " x"}) ==
                           sendmail_view(r, basic >= 500, Stage::Rcpt, "a@b").lines);
        }
    }
    void testReplyWithoutEnhancedCode() {
        CPPUNIT_ASSERT(Lines({"550 <a@b>... no"}) ==
                       sendmail_view({550, "", {"no"}}, true, Stage::Rcpt, "a@b").lines);
    }
    void testConnectRefusalsAreSendmailsOwn() {
        CPPUNIT_ASSERT(
            Lines({"554 $j ESMTP not accepting messages", "550 5.0.0 Command rejected"}) ==
            sendmail_view({554, "5.7.1", {"go"}}, true, Stage::Connect, "").lines);
        CPPUNIT_ASSERT(Lines({"451 4.3.2 Please try again later"}) ==
                       sendmail_view({451, "4.7.1", {"go"}}, false, Stage::Connect, "").lines);
        const SendmailView bye = sendmail_view({421, "4.7.0", {"go"}}, false, Stage::Connect, "");
        CPPUNIT_ASSERT(Lines({"421 4.7.0 $j closing connection"}) == bye.lines);
        CPPUNIT_ASSERT(!bye.notes.empty());
    }
    void testHeloAndEndOfDataGoOutAsWritten() {
        const Reply r{550, "5.7.1", {"text"}};
        CPPUNIT_ASSERT(Lines({"550 5.7.1 text"}) == sendmail_view(r, true, Stage::Helo, "").lines);
        CPPUNIT_ASSERT(Lines({"550 5.7.1 text"}) ==
                       sendmail_view(r, true, Stage::EndOfData, "a@b").lines);
        CPPUNIT_ASSERT(Lines({"550 5.7.1 text"}) ==
                       sendmail_view(r, true, Stage::Data, "a@b").lines);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SendmailReplyTest);

}  // namespace mv::cli::test
