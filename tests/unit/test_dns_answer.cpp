// SPDX-License-Identifier: Apache-2.0
// test_dns_answer.cpp - RDATA parsing (dns/answer.hpp): the wire forms of RFC
// 1035 3.3 (PTR, MX, TXT), 3.4.1 (A) and RFC 3596 (AAAA), the null MX of RFC
// 7505, and what a confused or hostile server's records become (Malformed,
// never a crash or an unbounded answer).
#include <cppunit/extensions/HelperMacros.h>

#include <cstring>

#include "dns/answer.hpp"
#include "dns/table_resolver.hpp"

using namespace mv::dns;

namespace {

std::string wire_name(std::initializer_list<const char*> labels) {
    std::string out;
    for (const char* l : labels) {
        out += static_cast<char>(std::strlen(l));
        out += l;
    }
    out += '\0';
    return out;
}

std::string parsed(RrType t, const std::string& rdata) {
    const auto r = parse_rdata(t, rdata);
    return r ? *r : std::string("(malformed)");
}

}  // namespace

class DnsAnswerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DnsAnswerTest);
    CPPUNIT_TEST(testAddresses);
    CPPUNIT_TEST(testPtrIsLoweredWithoutTheRoot);
    CPPUNIT_TEST(testMxAndNullMx);
    CPPUNIT_TEST(testTxtStringsAreJoinedAndBounded);
    CPPUNIT_TEST(testMalformedRecords);
    CPPUNIT_TEST(testOddOctetsInNamesAreEscaped);
    CPPUNIT_TEST(testRecordsAreBounded);
    CPPUNIT_TEST(testResponseCodes);
    CPPUNIT_TEST(testAnswerSpecs);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testAddresses() {
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.2"),
                             parsed(RrType::A, std::string("\x7f\0\0\x02", 4)));
        std::string v6(16, '\0');
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = static_cast<char>(0xb8);
        v6[15] = 1;
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::1"), parsed(RrType::AAAA, v6));
    }

    void testPtrIsLoweredWithoutTheRoot() {
        CPPUNIT_ASSERT_EQUAL(std::string("mx.example.org"),
                             parsed(RrType::PTR, wire_name({"MX", "Example", "org"})));
    }

    void testMxAndNullMx() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("10 mx.example.org"),
            parsed(RrType::MX, std::string("\0\x0a", 2) + wire_name({"mx", "example", "org"})));
        // RFC 7505 3: preference 0, exchange "." (the root label alone).
        CPPUNIT_ASSERT_EQUAL(std::string("0 ."), parsed(RrType::MX, std::string("\0\0\0", 3)));
        const auto mx = parse_mx("0 .");
        CPPUNIT_ASSERT(mx && mx->preference == 0 && mx->host == ".");
        CPPUNIT_ASSERT(!parse_mx("x ."));
        CPPUNIT_ASSERT(!parse_mx("70000 a.example"));
    }

    void testTxtStringsAreJoinedAndBounded() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("Listed: see https://example.org"),
            parsed(RrType::TXT, std::string("\x08Listed: ") + "\x17see https://example.org"));
        std::string big;
        for (int i = 0; i < 10; ++i) big += std::string("\xff") + std::string(255, 'x');
        CPPUNIT_ASSERT_EQUAL(kMaxTxt, parsed(RrType::TXT, big).size());
    }

    void testMalformedRecords() {
        CPPUNIT_ASSERT_EQUAL(std::string("(malformed)"),
                             parsed(RrType::A, std::string("\x7f\0\0", 3)));
        CPPUNIT_ASSERT_EQUAL(std::string("(malformed)"),
                             parsed(RrType::AAAA, std::string(15, '\0')));
        // A compression pointer: libunbound hands names over uncompressed.
        CPPUNIT_ASSERT_EQUAL(std::string("(malformed)"),
                             parsed(RrType::PTR, std::string("\xc0\x0c", 2)));
        // A label running past the end, bytes after the name, no root label.
        CPPUNIT_ASSERT_EQUAL(std::string("(malformed)"), parsed(RrType::PTR,
                                                                "\x05"
                                                                "ab"));
        CPPUNIT_ASSERT_EQUAL(std::string("(malformed)"),
                             parsed(RrType::PTR, wire_name({"a", "example"}) + "x"));
        CPPUNIT_ASSERT_EQUAL(std::string("(malformed)"), parsed(RrType::PTR,
                                                                "\x01"
                                                                "a"));
        CPPUNIT_ASSERT_EQUAL(std::string("(malformed)"), parsed(RrType::MX, std::string("\0", 1)));
        CPPUNIT_ASSERT_EQUAL(std::string("(malformed)"), parsed(RrType::TXT,
                                                                "\x05"
                                                                "ab"));
        // A name over 255 octets.
        std::string longname;
        for (int i = 0; i < 5; ++i) longname += std::string("\x3f") + std::string(63, 'a');
        longname += '\0';
        CPPUNIT_ASSERT_EQUAL(std::string("(malformed)"), parsed(RrType::PTR, longname));
        const Answer a =
            answer_from_rdata(RrType::A, {std::string_view("\x7f\0\0\x02", 4), "xx"}, 300);
        CPPUNIT_ASSERT(a.outcome == Outcome::Malformed);
        CPPUNIT_ASSERT(a.records.empty());
        CPPUNIT_ASSERT_EQUAL(0u, a.ttl);  // never cached
    }

    void testOddOctetsInNamesAreEscaped() {
        const std::string r = parsed(RrType::PTR, wire_name({"a b\r\n", "example"}));
        CPPUNIT_ASSERT_EQUAL(std::string("a\\x20b\\x0d\\x0a.example"), r);
    }

    void testRecordsAreBounded() {
        std::vector<std::string> owned(kMaxRecords + 5, std::string("\x7f\0\0\x02", 4));
        std::vector<std::string_view> rdata(owned.begin(), owned.end());
        const Answer a = answer_from_rdata(RrType::A, rdata, 60);
        CPPUNIT_ASSERT(a.outcome == Outcome::Records);
        CPPUNIT_ASSERT_EQUAL(kMaxRecords, a.records.size());
        CPPUNIT_ASSERT(a.truncated);
        CPPUNIT_ASSERT(!a.error.empty());
        CPPUNIT_ASSERT(answer_from_rdata(RrType::A, {}, 60).outcome == Outcome::NoData);
    }

    // RFC 1035 4.1.1 RCODE (0 no error, 2 server failure, 3 name error, 5
    // refused), RFC 2308 (a negative answer carries its TTL); 4 (not
    // implemented) stands for any other code.
    void testResponseCodes() {
        const std::string_view rec("\x7f\0\0\x02", 4);
        Answer a = answer_from_result(RrType::A, 0, true, 300, {rec});
        CPPUNIT_ASSERT(a.outcome == Outcome::Records);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.2"), a.records.at(0));
        CPPUNIT_ASSERT_EQUAL(300u, a.ttl);
        a = answer_from_result(RrType::A, 0, false, 60, {});
        CPPUNIT_ASSERT(a.outcome == Outcome::NoData);
        CPPUNIT_ASSERT_EQUAL(60u, a.ttl);
        a = answer_from_result(RrType::TXT, 3, false, 900, {});
        CPPUNIT_ASSERT(a.outcome == Outcome::NxDomain);
        CPPUNIT_ASSERT_EQUAL(900u, a.ttl);
        a = answer_from_result(RrType::A, 2, false, 300, {});
        CPPUNIT_ASSERT(a.outcome == Outcome::TempFail && a.error == "SERVFAIL" && !a.definite());
        a = answer_from_result(RrType::A, 5, false, 300, {});
        CPPUNIT_ASSERT(a.outcome == Outcome::TempFail && a.error == "REFUSED");
        a = answer_from_result(RrType::A, 4, true, 300, {rec});
        CPPUNIT_ASSERT(a.outcome == Outcome::TempFail && a.records.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("rcode 4"), a.error);
        CPPUNIT_ASSERT_EQUAL(0u, answer_from_result(RrType::A, 3, false, -1, {}).ttl);
    }

    void testAnswerSpecs() {
        Question q;
        Answer a;
        CPPUNIT_ASSERT_EQUAL(
            std::string(), parse_answer_spec("2.0.0.127.Zen.Example. a 127.0.0.2 127.0.0.4", q, a));
        CPPUNIT_ASSERT_EQUAL(std::string("A 2.0.0.127.zen.example"), q.key());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), a.records.size());
        CPPUNIT_ASSERT_EQUAL(std::string(), parse_answer_spec("nomail.example MX 0 .", q, a));
        CPPUNIT_ASSERT_EQUAL(std::string("0 ."), a.records.at(0));
        CPPUNIT_ASSERT_EQUAL(std::string(), parse_answer_spec("x.example AAAA TIMEOUT", q, a));
        CPPUNIT_ASSERT(a.outcome == Outcome::Timeout);
        CPPUNIT_ASSERT_EQUAL(std::string(), parse_answer_spec("x.example TXT two words", q, a));
        CPPUNIT_ASSERT_EQUAL(std::string("two words"), a.records.at(0));
        CPPUNIT_ASSERT(!parse_answer_spec("x.example A 2001:db8::1", q, a).empty());
        CPPUNIT_ASSERT(!parse_answer_spec("x.example SRV 1", q, a).empty());
        CPPUNIT_ASSERT(!parse_answer_spec("x.example", q, a).empty());
        CPPUNIT_ASSERT(!parse_answer_spec("x.example MX mx.example", q, a).empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DnsAnswerTest);
