// SPDX-License-Identifier: Apache-2.0
// macro_guard.cpp - mi_rd_cmd() in front of libmilter's: malformed macro packets end the
// connection.
//
// See macro_guard.hpp for why. The signature and the error convention are
// libmilter's (libmilter/comm.c, mi_rd_cmd; libmilter/engine.c, mi_engine):
// it returns the packet's data (malloc()ed; the engine frees it or keeps it
// as the stage's macros), or NULL with *cmd set to the command or to an
// internal error code below ' ' (SMFIC_VALIDCMD). On such a code mi_engine
// stops reading, calls the abort callback inside a message and the close
// callback, frees the macros and closes the socket.
#include "milter/macro_guard.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mv::milter {

namespace {

// libmilter's SMFIC_UNKNERR ("unknown error", libmilter/libmilter.h); that
// header is private, and mi_engine treats every value below ' ' alike.
constexpr char kReadError = 6;

using ReadCommand = char* (*)(int, struct timeval*, char*, std::size_t*, char*);

std::atomic<observability::Logger*> g_log{nullptr};
std::atomic<std::uint64_t> g_refused{0};

ReadCommand libmilter_reader() {
    static const ReadCommand next = reinterpret_cast<ReadCommand>(::dlsym(RTLD_NEXT, "mi_rd_cmd"));
    return next;
}

std::string peer_of(int sd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(sd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "an unknown peer";
    char buf[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
        if (!inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf)) return "an unknown peer";
        return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (ss.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        if (!inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf)) return "an unknown peer";
        return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    if (ss.ss_family == AF_UNIX) return "a unix socket client";
    return "an unknown peer";
}

std::size_t nul_count(const char* p, std::size_t len) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < len; ++i) n += p[i] == '\0';
    return n;
}

void report(int sd, const char* payload, std::size_t len) {
    g_refused.fetch_add(1, std::memory_order_relaxed);
    observability::Logger* log = g_log.load(std::memory_order_acquire);
    if (!log || len == 0) return;
    const unsigned char stage = static_cast<unsigned char>(payload[0]);
    char stage_text[8];
    std::snprintf(stage_text, sizeof stage_text, stage > 0x20 && stage < 0x7f ? "'%c'" : "0x%02x",
                  stage);
    const std::size_t strings = nul_count(payload + 1, len - 1);
    const bool terminated = payload[len - 1] == '\0';
    log->log(observability::LogLevel::Warning,
             "malformed macro packet from " + peer_of(sd) + " (stage " + stage_text + ", " +
                 std::to_string(strings) + (strings == 1 ? " string" : " strings") +
                 (terminated ? "" : ", last one unterminated") +
                 "): names and values do not pair up; closing the milter connection");
}

}  // namespace

bool macro_payload_well_formed(const char* payload, std::size_t len) {
    if (payload == nullptr || len == 0) return false;  // no stage byte
    if (len == 1) return true;                         // a stage without macros
    return payload[len - 1] == '\0' && nul_count(payload + 1, len - 1) % 2 == 0;
}

std::uint64_t malformed_macro_packets() {
    return g_refused.load(std::memory_order_relaxed);
}

MacroGuard::MacroGuard(observability::Logger& log) {
    g_log.store(&log, std::memory_order_release);
}

MacroGuard::~MacroGuard() {
    g_log.store(nullptr, std::memory_order_release);
}

}  // namespace mv::milter

// Interposes on libmilter's mi_rd_cmd (macro_guard.hpp). The parameter types
// are libmilter's: socket_t is int on POSIX.
extern "C" char* mi_rd_cmd(int sd, struct timeval* timeout, char* cmd, std::size_t* rlen,
                           char* name) {
    using namespace mv::milter;
    const ReadCommand next = libmilter_reader();
    if (next == nullptr) {  // cannot happen with libmilter linked; fail the connection
        *cmd = kReadError;
        *rlen = 0;
        return nullptr;
    }
    char* buf = next(sd, timeout, cmd, rlen, name);
    if (buf == nullptr || *cmd != SMFIC_MACRO || macro_payload_well_formed(buf, *rlen)) return buf;
    report(sd, buf, *rlen);
    std::free(buf);
    *cmd = kReadError;
    *rlen = 0;
    return nullptr;
}
