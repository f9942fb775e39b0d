// SPDX-License-Identifier: Apache-2.0
// test_milter_client.cpp - the MTA-side milter client (milter/milter_client.hpp):
// packet framing, negotiation replies, and that it honours what the milter
// negotiated (steps skipped, steps without reply, macro lists) like Postfix.
#include <cppunit/extensions/HelperMacros.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "milter/milter_client.hpp"
#include "milter/milter_wire.hpp"

using namespace mv::milter;

namespace {

std::string optneg_reply(std::uint32_t protocol, int stage, const std::string& macros) {
    std::string d = encode_optneg(6, 0, protocol);
    if (stage >= 0) {
        put_u32(d, static_cast<std::uint32_t>(stage));
        d += macros;
        d.push_back('\0');
    }
    return frame(SMFIC_OPTNEG, d);
}

}  // namespace

class MilterClientTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MilterClientTest);
    CPPUNIT_TEST(testFrameHasLengthCommandAndData);
    CPPUNIT_TEST(testOptnegReplyWithMacroListsIsDecoded);
    CPPUNIT_TEST(testOversizedPacketIsRefused);
    CPPUNIT_TEST(testClientHonoursNegotiatedStepsAndMacroLists);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testFrameHasLengthCommandAndData() {
        const std::string f = frame('H', encode_strings({"mx.example"}));
        CPPUNIT_ASSERT_EQUAL(std::string("\0\0\0\x0cHmx.example\0", 16), f);
    }
    void testOptnegReplyWithMacroListsIsDecoded() {
        std::string d = encode_optneg(6, SMFIF_ADDHDRS, SMFIP_NOBODY | SMFIP_NR_HDR);
        put_u32(d, SMFIM_CONNECT);
        d += std::string("{client_addr} j") + '\0';
        const Negotiated n = decode_optneg(d);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{6}, n.version);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{SMFIP_NOBODY | SMFIP_NR_HDR}, n.protocol);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, n.symlists[SMFIM_CONNECT].size());
        CPPUNIT_ASSERT_EQUAL(std::string("j"), n.symlists[SMFIM_CONNECT][1]);
        CPPUNIT_ASSERT_THROW(decode_optneg(std::string(8, '\0')), WireError);
    }
    void testOversizedPacketIsRefused() {
        int sv[2];
        CPPUNIT_ASSERT_EQUAL(0, ::socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
        std::string huge;
        put_u32(huge, 64u << 20);  // 64 MiB announced
        huge += 'c';
        write_all(sv[1], huge);
        PacketReader r(sv[0]);
        CPPUNIT_ASSERT_THROW(r.read(), WireError);
        ::close(sv[0]);
        ::close(sv[1]);
    }
    void testClientHonoursNegotiatedStepsAndMacroLists() {
        int sv[2];
        CPPUNIT_ASSERT_EQUAL(0, ::socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
        std::vector<Packet> seen;  // what the fake milter received, in order
        std::thread milter([&] {
            PacketReader in(sv[1]);
            auto next = [&] {
                seen.push_back(in.read());
                return seen.back().command;
            };
            next();  // OPTNEG
            write_all(sv[1], optneg_reply(SMFIP_NOHDRS | SMFIP_NR_BODY | SMFIP_NOHELO,
                                          SMFIM_CONNECT, "{client_addr}"));
            while (next() != SMFIC_CONNECT) {
            }
            write_all(sv[1], frame(SMFIR_CONTINUE, {}));
            while (next() != SMFIC_BODYEOB) {
            }
            write_all(sv[1], frame(SMFIR_ADDHEADER, encode_strings({"X-Test", "yes"})) +
                                 frame(SMFIR_REPLYCODE, encode_strings({"550 5.7.1 no"})));
        });
        MilterClient c;
        c.attach(sv[0], false);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{SMFIP_NOHDRS | SMFIP_NR_BODY | SMFIP_NOHELO},
                             c.negotiate().protocol);
        const MilterReply r1 = c.connect("host.example", SMFIA_INET, 25, "192.0.2.1",
                                         {{"j", "mx"}, {"{client_addr}", "192.0.2.1"}});
        CPPUNIT_ASSERT(r1.kind == MilterReply::Kind::Continue);
        CPPUNIT_ASSERT(c.helo("host.example", {}).kind == MilterReply::Kind::Skipped);
        CPPUNIT_ASSERT(c.header("Subject", " hi", {}).kind == MilterReply::Kind::Skipped);
        CPPUNIT_ASSERT(c.body("hello\r\n").kind == MilterReply::Kind::NoReply);
        const MilterReply end = c.eom({});
        milter.join();
        CPPUNIT_ASSERT(end.kind == MilterReply::Kind::ReplyCode);
        CPPUNIT_ASSERT_EQUAL(std::string("550 5.7.1 no"), end.text);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, end.edits.size());
        CPPUNIT_ASSERT_EQUAL(static_cast<int>(SMFIR_ADDHEADER),
                             static_cast<int>(end.edits[0].command));
        // OPTNEG, macros (only {client_addr}), CONNECT, BODY, BODYEOB: no HELO, no header.
        std::string order;
        for (const auto& p : seen) order += p.command;
        CPPUNIT_ASSERT_EQUAL(std::string("ODCBE"), order);
        const std::string want = std::string("C{client_addr}") + '\0' + "192.0.2.1" + '\0';
        CPPUNIT_ASSERT_EQUAL(want, seen[1].data);
        c.close();
        ::close(sv[1]);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MilterClientTest);
