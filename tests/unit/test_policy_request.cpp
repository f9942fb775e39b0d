// SPDX-License-Identifier: Apache-2.0
// test_policy_request.cpp - RequestReader: framing, bounds and malformed requests.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "policy_request.hpp"
#include "policy_service/request.hpp"

namespace mv::policy_service::test {

namespace {

using mv::test::postfix_request;
using mv::test::request_text;
using Status = RequestReader::Status;

const std::string kRcpt =
    request_text(postfix_request("RCPT", "a@sender.example", "b@example.org", "1f.2.3.4"));

}  // namespace

class RequestReaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RequestReaderTest);
    CPPUNIT_TEST(testPostfixRequestIsParsed);
    CPPUNIT_TEST(testRequestSplitByteByByteIsParsedOnce);
    CPPUNIT_TEST(testPipelinedRequestsComeOutInOrder);
    CPPUNIT_TEST(testCrLfLineEndsAreAccepted);
    CPPUNIT_TEST(testIncompleteRequestWaits);
    CPPUNIT_TEST(testNulByteIsFatal);
    CPPUNIT_TEST(testOverlongValueIsFatal);
    CPPUNIT_TEST(testOverlongLineWithoutNewlineIsFatalAtItsBound);
    CPPUNIT_TEST(testOverlongNameIsFatal);
    CPPUNIT_TEST(testTooManyLinesIsFatal);
    CPPUNIT_TEST(testMegabyteOfGarbageIsFatalEarly);
    CPPUNIT_TEST(testMissingProtocolStateIsAProblem);
    CPPUNIT_TEST(testUnknownProtocolStateIsAProblem);
    CPPUNIT_TEST(testMissingRequestAttributeIsAProblem);
    CPPUNIT_TEST(testOtherRequestTypeIsAProblem);
    CPPUNIT_TEST(testLineWithoutEqualsIsAProblem);
    CPPUNIT_TEST(testBadNumbersAreProblems);
    CPPUNIT_TEST(testUnknownAttributesAreCountedAndIgnored);
    CPPUNIT_TEST(testRepeatedAttributeKeepsTheLastValue);
    CPPUNIT_TEST(testEveryProtocolStateMapsToItsStage);
    CPPUNIT_TEST(testValueAtTheBoundIsAccepted);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPostfixRequestIsParsed() {
        const Request r = mv::test::parse_request(kRcpt);
        CPPUNIT_ASSERT_EQUAL(std::string(), r.problem);
        CPPUNIT_ASSERT(r.state == ProtocolState::Rcpt);
        CPPUNIT_ASSERT_EQUAL(std::string("a@sender.example"), r.get(Attr::Sender));
        CPPUNIT_ASSERT_EQUAL(std::string("b@example.org"), r.get(Attr::Recipient));
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), r.get(Attr::ClientAddress));
        CPPUNIT_ASSERT_EQUAL(std::string("1f.2.3.4"), r.get(Attr::Instance));
        CPPUNIT_ASSERT(r.has(Attr::QueueId));
        CPPUNIT_ASSERT(!r.has(Attr::TlsSni));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), r.unknown);
    }

    void testRequestSplitByteByByteIsParsedOnce() {
        RequestReader reader;
        Request out;
        int complete = 0;
        for (char c : kRcpt) {
            reader.append(std::string_view(&c, 1));
            for (;;) {
                const Status s = reader.next(out);
                CPPUNIT_ASSERT(s != Status::Fatal);
                if (s == Status::NeedMore) break;
                ++complete;
            }
        }
        CPPUNIT_ASSERT_EQUAL(1, complete);
        CPPUNIT_ASSERT_EQUAL(std::string("b@example.org"), out.get(Attr::Recipient));
        CPPUNIT_ASSERT(!reader.mid_request());
    }

    void testPipelinedRequestsComeOutInOrder() {
        RequestReader reader;
        std::string all;
        for (int i = 0; i < 5; ++i)
            all += request_text(postfix_request("RCPT", "a@b.example",
                                                "r" + std::to_string(i) + "@example.org", "x"));
        reader.append(all);
        Request out;
        for (int i = 0; i < 5; ++i) {
            CPPUNIT_ASSERT(reader.next(out) == Status::Complete);
            CPPUNIT_ASSERT_EQUAL("r" + std::to_string(i) + "@example.org",
                                 out.get(Attr::Recipient));
        }
        CPPUNIT_ASSERT(reader.next(out) == Status::NeedMore);
    }

    void testCrLfLineEndsAreAccepted() {
        std::string crlf;
        for (char c : kRcpt) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
        const Request r = mv::test::parse_request(crlf);
        CPPUNIT_ASSERT_EQUAL(std::string(), r.problem);
        CPPUNIT_ASSERT_EQUAL(std::string("a@sender.example"), r.get(Attr::Sender));
    }

    void testIncompleteRequestWaits() {
        RequestReader reader;
        reader.append(kRcpt.substr(0, kRcpt.size() - 1));  // no empty line yet
        Request out;
        CPPUNIT_ASSERT(reader.next(out) == Status::NeedMore);
        CPPUNIT_ASSERT(reader.mid_request());
        reader.append("\n");
        CPPUNIT_ASSERT(reader.next(out) == Status::Complete);
    }

    void testNulByteIsFatal() {
        RequestReader reader;
        reader.append(std::string("request=smtpd_access_policy\nsender=a\0b@c\n\n", 43));
        Request out;
        CPPUNIT_ASSERT(reader.next(out) == Status::Fatal);
        CPPUNIT_ASSERT_EQUAL(std::string("NUL byte in a request"), reader.error());
        CPPUNIT_ASSERT(reader.next(out) == Status::Fatal);  // stays unusable
    }

    void testOverlongValueIsFatal() {
        RequestReader reader;
        reader.append("request=smtpd_access_policy\nhelo_name=" + std::string(4097, 'h') + "\n\n");
        Request out;
        CPPUNIT_ASSERT(reader.next(out) == Status::Fatal);
        CPPUNIT_ASSERT_EQUAL(std::string("attribute helo_name longer than 4096 bytes"),
                             reader.error());
    }

    void testOverlongLineWithoutNewlineIsFatalAtItsBound() {
        RequestReader reader;
        Request out;
        reader.append("sender=" + std::string(4000, 'x'));
        CPPUNIT_ASSERT(reader.next(out) == Status::NeedMore);
        reader.append(std::string(1000, 'x'));
        CPPUNIT_ASSERT(reader.next(out) == Status::Fatal);
        CPPUNIT_ASSERT_EQUAL(std::string("attribute line longer than 4162 bytes"), reader.error());
    }

    void testOverlongNameIsFatal() {
        RequestReader reader;
        reader.append(std::string(65, 'n') + "=v\n\n");
        Request out;
        CPPUNIT_ASSERT(reader.next(out) == Status::Fatal);
        CPPUNIT_ASSERT_EQUAL(std::string("attribute name longer than 64 bytes"), reader.error());
    }

    void testTooManyLinesIsFatal() {
        RequestReader reader;
        std::string s;
        for (int i = 0; i < 129; ++i) s += "x" + std::to_string(i) + "=1\n";
        reader.append(s);
        Request out;
        CPPUNIT_ASSERT(reader.next(out) == Status::Fatal);
        CPPUNIT_ASSERT_EQUAL(std::string("more than 128 lines in a request"), reader.error());
    }

    void testMegabyteOfGarbageIsFatalEarly() {
        // Printable garbage with line breaks but no '=' and no empty line.
        std::string garbage;
        unsigned x = 12345;
        while (garbage.size() < 1024 * 1024) {
            x = x * 1103515245 + 12345;
            garbage += (x >> 16) % 61 == 0 ? '\n' : static_cast<char>('!' + (x >> 16) % 90);
            if (garbage.size() >= 2 && garbage.back() == '\n' &&
                garbage[garbage.size() - 2] == '\n')
                garbage.back() = 'g';
        }
        RequestReader reader;
        Request out;
        std::size_t fed = 0;
        Status s = Status::NeedMore;
        while (fed < garbage.size() && s == Status::NeedMore) {
            reader.append(std::string_view(garbage).substr(fed, 16384));
            fed += 16384;
            s = reader.next(out);
            CPPUNIT_ASSERT(reader.buffered() <= 16384 + 4162);
        }
        CPPUNIT_ASSERT(s == Status::Fatal);
        CPPUNIT_ASSERT_MESSAGE("refused within the first chunk", fed == 16384);
        // Whichever bound the garbage meets first ('=' may come early or late).
        const std::string& e = reader.error();
        CPPUNIT_ASSERT_MESSAGE(e, e == "more than 128 lines in a request" ||
                                      e == "attribute name longer than 64 bytes");
    }

    void testMissingProtocolStateIsAProblem() {
        const Request r =
            mv::test::parse_request("request=smtpd_access_policy\nclient_address=192.0.2.1\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("no protocol_state attribute"), r.problem);
    }

    void testUnknownProtocolStateIsAProblem() {
        const Request r =
            mv::test::parse_request("request=smtpd_access_policy\nprotocol_state=QUIT\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown protocol_state QUIT"), r.problem);
    }

    void testMissingRequestAttributeIsAProblem() {
        const Request r = mv::test::parse_request("protocol_state=RCPT\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("no request attribute"), r.problem);
    }

    void testOtherRequestTypeIsAProblem() {
        const Request r = mv::test::parse_request("request=junk\nprotocol_state=RCPT\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("request=junk is not smtpd_access_policy"), r.problem);
    }

    void testLineWithoutEqualsIsAProblem() {
        const Request r = mv::test::parse_request(
            "request=smtpd_access_policy\nprotocol_state=RCPT\nhello world\n=x\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("line without '=': \"hello world\""), r.problem);
        const Request e =
            mv::test::parse_request("request=smtpd_access_policy\nprotocol_state=RCPT\n=x\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("attribute line without a name"), e.problem);
    }

    void testBadNumbersAreProblems() {
        const auto with = [](const std::string& k, const std::string& v) {
            return mv::test::parse_request("request=smtpd_access_policy\nprotocol_state=RCPT\n" +
                                           k + "=" + v + "\n\n")
                .problem;
        };
        CPPUNIT_ASSERT_EQUAL(std::string("size is not a number: 12k"), with("size", "12k"));
        CPPUNIT_ASSERT_EQUAL(std::string("recipient_count is not a number: -1"),
                             with("recipient_count", "-1"));
        CPPUNIT_ASSERT_EQUAL(std::string("client_port is not a port: 70000"),
                             with("client_port", "70000"));
        CPPUNIT_ASSERT_EQUAL(std::string(), with("size", ""));
        CPPUNIT_ASSERT_EQUAL(std::string(), with("size", "10485760"));
    }

    void testUnknownAttributesAreCountedAndIgnored() {
        const Request r = mv::test::parse_request(
            "request=smtpd_access_policy\nprotocol_state=RCPT\nfuture_thing=1\nsender=a@b\n"
            "other\x01=2\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string(), r.problem);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.unknown);
        CPPUNIT_ASSERT_EQUAL(std::string("future_thing"), r.first_unknown);
        CPPUNIT_ASSERT_EQUAL(std::string("a@b"), r.get(Attr::Sender));
    }

    void testRepeatedAttributeKeepsTheLastValue() {
        const Request r = mv::test::parse_request(
            "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=first@x\nsender=last@x\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("last@x"), r.get(Attr::Sender));
    }

    void testEveryProtocolStateMapsToItsStage() {
        using codes::Stage;
        const std::pair<const char*, std::optional<Stage>> want[] = {
            {"CONNECT", Stage::Connect},
            {"EHLO", Stage::Helo},
            {"HELO", Stage::Helo},
            {"MAIL", Stage::Mail},
            {"RCPT", Stage::Rcpt},
            {"DATA", Stage::Data},
            {"END-OF-MESSAGE", Stage::EndOfData},
            {"VRFY", std::nullopt},
            {"ETRN", std::nullopt}};
        for (const auto& [name, stage] : want) {
            const auto s = parse_protocol_state(name);
            CPPUNIT_ASSERT_MESSAGE(name, s.has_value());
            CPPUNIT_ASSERT_EQUAL(std::string(name), std::string(protocol_state_name(*s)));
            CPPUNIT_ASSERT_MESSAGE(name, engine_stage(*s) == stage);
        }
        CPPUNIT_ASSERT(!parse_protocol_state("rcpt"));  // Postfix sends upper case
    }

    void testValueAtTheBoundIsAccepted() {
        const Request r = mv::test::parse_request(
            "request=smtpd_access_policy\nprotocol_state=RCPT\n"
            "helo_name=" +
            std::string(4096, 'h') + "\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string(), r.problem);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4096), r.get(Attr::HeloName).size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RequestReaderTest);

}  // namespace mv::policy_service::test
