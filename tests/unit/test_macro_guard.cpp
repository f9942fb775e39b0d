// SPDX-License-Identifier: Apache-2.0
// test_macro_guard.cpp - macro packets whose strings do not pair up never reach libmilter's engine.
//
// The predicate on its own, then the interposed mi_rd_cmd on a socket pair:
// packets written to one end as an MTA would, read through the reader
// libmilter's engine calls. And that the binary exports its mi_rd_cmd, so
// that libmilter's calls bind to it (the daemon links the same way).
#include <cppunit/extensions/HelperMacros.h>
#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "fake_milter_api.hpp"
#include "milter/macro_guard.hpp"

extern "C" char* mi_rd_cmd(int sd, struct timeval* timeout, char* cmd, std::size_t* rlen,
                           char* name);

namespace mv::milter::test {

namespace {

bool well_formed(const std::string& payload) {
    return macro_payload_well_formed(payload.data(), payload.size());
}

std::string frame(char cmd, const std::string& payload) {
    const std::size_t n = payload.size() + 1;
    std::string out;
    out.push_back(static_cast<char>(n >> 24));
    out.push_back(static_cast<char>(n >> 16));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
    out.push_back(cmd);
    return out + payload;
}

struct Read {
    char* buf = nullptr;
    char cmd = 0;
    std::size_t len = 0;
};

// Writes one packet to a socket pair and reads it back through mi_rd_cmd.
Read read_packet(char cmd, const std::string& payload) {
    int sv[2];
    CPPUNIT_ASSERT_EQUAL(0, ::socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    const std::string bytes = frame(cmd, payload);
    CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(bytes.size()),
                         ::write(sv[1], bytes.data(), bytes.size()));
    timeval timeout{5, 0};
    Read r;
    char name[] = "test";
    r.buf = mi_rd_cmd(sv[0], &timeout, &r.cmd, &r.len, name);
    ::close(sv[0]);
    ::close(sv[1]);
    return r;
}

}  // namespace

class MacroGuardTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MacroGuardTest);
    CPPUNIT_TEST(testPairedStringsAreWellFormed);
    CPPUNIT_TEST(testStageWithoutMacrosIsWellFormed);
    CPPUNIT_TEST(testOddStringCountIsMalformed);
    CPPUNIT_TEST(testUnterminatedLastStringIsMalformed);
    CPPUNIT_TEST(testEmptyPayloadIsMalformed);
    CPPUNIT_TEST(testBinaryExportsItsReader);
    CPPUNIT_TEST(testOddMacroPacketIsRefusedAndLogged);
    CPPUNIT_TEST(testWellFormedMacroPacketPassesUntouched);
    CPPUNIT_TEST(testOtherCommandsPassUntouched);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPairedStringsAreWellFormed() {
        CPPUNIT_ASSERT(well_formed(std::string("Cj\0mx.example.test\0", 19)));
        CPPUNIT_ASSERT(well_formed(std::string("M{mail_addr}\0a@b\0i\0Q1\0", 22)));
        CPPUNIT_ASSERT(well_formed(std::string("C\0\0", 3)));  // empty name, empty value
    }
    void testStageWithoutMacrosIsWellFormed() { CPPUNIT_ASSERT(well_formed("C")); }
    void testOddStringCountIsMalformed() {
        CPPUNIT_ASSERT(!well_formed(std::string("Cj\0", 3)));  // issue 29's packet
        CPPUNIT_ASSERT(!well_formed(std::string("Cj\0mx\0i\0", 8)));
        CPPUNIT_ASSERT(!well_formed(std::string("C\0", 2)));
        for (const char stage : std::string("CHMRTNE"))
            CPPUNIT_ASSERT(!well_formed(std::string(1, stage) + std::string("i\0", 2)));
    }
    void testUnterminatedLastStringIsMalformed() {
        CPPUNIT_ASSERT(!well_formed(std::string("Cj\0v", 4)));
        CPPUNIT_ASSERT(!well_formed(std::string("Cj\0v\0k", 6)));
        CPPUNIT_ASSERT(!well_formed("Cjunk"));  // no NUL at all
    }
    void testEmptyPayloadIsMalformed() {
        CPPUNIT_ASSERT(!macro_payload_well_formed("", 0));
        CPPUNIT_ASSERT(!macro_payload_well_formed(nullptr, 0));
    }
    void testBinaryExportsItsReader() {
        // The first definition in the global scope is what libmilter's PLT
        // binds to: ours only if the executable exports it.
        CPPUNIT_ASSERT(::dlsym(RTLD_DEFAULT, "mi_rd_cmd") == reinterpret_cast<void*>(&mi_rd_cmd));
        void* next = ::dlsym(RTLD_NEXT, "mi_rd_cmd");  // libmilter's own
        CPPUNIT_ASSERT(next != nullptr);
        CPPUNIT_ASSERT(next != reinterpret_cast<void*>(&mi_rd_cmd));
    }
    void testOddMacroPacketIsRefusedAndLogged() {
        RecordingLogger log;
        MacroGuard guard(log);
        const auto before = malformed_macro_packets();
        const Read r = read_packet('D', std::string("Cj\0", 3));
        CPPUNIT_ASSERT(r.buf == nullptr);
        CPPUNIT_ASSERT(r.cmd > 0 && r.cmd < ' ');  // an error code: the engine ends the connection
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), r.len);
        CPPUNIT_ASSERT_EQUAL(before + 1, malformed_macro_packets());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.lines.size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("warning: malformed macro packet from a unix socket client "
                        "(stage 'C', 1 string): names and values do not pair "
                        "up; closing the milter connection"),
            log.lines[0]);
    }
    void testWellFormedMacroPacketPassesUntouched() {
        const auto before = malformed_macro_packets();
        const std::string payload("Cj\0mx\0", 6);
        const Read r = read_packet('D', payload);
        CPPUNIT_ASSERT(r.buf != nullptr);
        CPPUNIT_ASSERT_EQUAL('D', r.cmd);
        CPPUNIT_ASSERT_EQUAL(payload, std::string(r.buf, r.len));
        CPPUNIT_ASSERT_EQUAL(before, malformed_macro_packets());
        std::free(r.buf);
    }
    void testOtherCommandsPassUntouched() {
        const std::string payload("j\0", 2);  // odd, but a HELO: not a macro packet
        const Read r = read_packet('H', payload);
        CPPUNIT_ASSERT(r.buf != nullptr);
        CPPUNIT_ASSERT_EQUAL('H', r.cmd);
        CPPUNIT_ASSERT_EQUAL(payload, std::string(r.buf, r.len));
        std::free(r.buf);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MacroGuardTest);

}  // namespace mv::milter::test
