// SPDX-License-Identifier: Apache-2.0
// milter_client.hpp - an MTA-side milter client (protocol version 6): `milter-verdict test`
// (cli/test_transaction.cpp) and the benchmarks' load generator (tests/bench).
//
// MilterClient plays the part Postfix plays: it connects to a milter socket
// ("unix:/path", "inet:PORT@HOST" or "inet6:PORT@HOST"), negotiates, and sends
// the stages of SMTP sessions. Like Postfix it honours the negotiation: a step
// negotiated away (SMFIP_NO*) is not sent, a step without reply (SMFIP_NR_*)
// is sent and not waited for, and macros are limited to the milter's macro
// lists (SMFIR_SETSYMLIST) when it sent them. Like Postfix (milter8.c), the
// macros of a step are sent even when the step itself is negotiated away.
// Writes go through an output buffer the way Postfix's VSTREAM does: packets
// accumulate, the buffer is written out in pieces of `buffer_size` (4096,
// VSTREAM_BUFSIZE; on TCP at least twice the MSS, as Postfix's
// vstream_tweak_tcp() sets it) when it fills, and completely before each reply
// is read.
// So the TCP segments are the ones Postfix sends, and Nagle/delayed-ACK
// stalls show up here as they would in the MTA (set_nodelay() turns Nagle off).
//
// Call order: open() -> negotiate() -> connect() -> helo() -> per message
// { mail() -> rcpt()+ -> data() -> header()* -> eoh() -> body()* -> eom() }
// -> quit(); abort() ends a message early. A reply other than continue ends
// the message (the caller decides what to do); the client does not check the
// order of calls.
//
// Errors: socket and protocol errors throw WireError; the connection is then
// unusable. The socket has a receive timeout (default 30 s).
//
// Thread contract: one client per thread; clients share nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "milter/milter_wire.hpp"

namespace mv::milter {

// One answer of the milter to a stage.
struct MilterReply {
    enum class Kind {
        Skipped,
        NoReply,
        Continue,
        Accept,
        Reject,
        Tempfail,
        Discard,
        ReplyCode,
        Skip,
        ConnFail,
        Shutdown
    };
    Kind kind = Kind::Continue;
    std::string text;  // ReplyCode: "550 5.7.1 ..." (as sent, without the NUL)
    // End of message: the modifications received before the final reply.
    std::vector<Packet> edits;
    bool final() const {
        return kind != Kind::Skipped && kind != Kind::NoReply && kind != Kind::Continue &&
               kind != Kind::Skip;
    }
};

std::string_view kind_name(MilterReply::Kind k);

class MilterClient {
  public:
    MilterClient() = default;
    ~MilterClient();
    MilterClient(const MilterClient&) = delete;
    MilterClient& operator=(const MilterClient&) = delete;
    MilterClient(MilterClient&& o) noexcept;
    MilterClient& operator=(MilterClient&& o) noexcept;

    // Opens the socket; `spec` as libmilter writes it.
    void open(const std::string& spec, int timeout_seconds = 30);
    // Call before open(): on TCP open() raises it to twice the MSS.
    void set_buffer_size(std::size_t bytes) { buffer_size_ = bytes < 1 ? 1 : bytes; }
    // Takes over a connected socket (tests use a socketpair); the client closes it.
    void attach(int fd, bool tcp);
    void set_nodelay(bool on);
    bool is_tcp() const { return tcp_; }

    // Offers what Postfix 3 offers (every action, every v6 step) unless given.
    const Negotiated& negotiate(std::uint32_t actions = 0x1ff, std::uint32_t protocol = 0x1fffff);
    const Negotiated& negotiated() const { return neg_; }

    MilterReply connect(std::string_view hostname, char family, std::uint16_t port,
                        std::string_view address, const MacroList& macros);
    MilterReply helo(std::string_view name, const MacroList& macros);
    MilterReply mail(const std::vector<std::string_view>& args, const MacroList& macros);
    MilterReply rcpt(const std::vector<std::string_view>& args, const MacroList& macros);
    MilterReply data(const MacroList& macros);
    MilterReply header(std::string_view name, std::string_view value, const MacroList& macros);
    MilterReply eoh(const MacroList& macros);
    // Splits into chunks of at most 65535 bytes; returns the last chunk's reply
    // (or the first one that is not continue).
    MilterReply body(std::string_view content);
    MilterReply eom(const MacroList& macros);
    void abort();
    void quit();
    void close();

  private:
    // Sends the macros (filtered by the symlist of `stage`), then the command
    // unless `skipped` (SMFIP_NO*), and waits for the reply unless `no_reply`
    // (SMFIP_NR_*).
    MilterReply step(char command, std::string_view data, int stage, const MacroList& macros,
                     bool skipped, bool no_reply);
    MilterReply read_reply(bool end_of_message);
    void send(char command, std::string_view data);
    void flush();
    bool has(std::uint32_t flag) const { return (neg_.protocol & flag) != 0; }

    int fd_ = -1;
    bool tcp_ = false;
    Negotiated neg_;
    PacketReader reader_{-1};
    std::string out_;
    std::size_t buffer_size_ = 4096;
};

}  // namespace mv::milter
