// SPDX-License-Identifier: Apache-2.0
// milter_wire.hpp - the milter protocol's packet format, seen from the MTA side.
//
// A packet is a 4-byte big-endian length (the command byte plus the data),
// one command byte and the data. encode_*() build the data of the commands an
// MTA sends (protocol version 6, as Postfix and Sendmail 8.14+ send them);
// PacketReader reads whole packets from a socket with a bound on their size.
// The constants come from libmilter's <libmilter/mfdef.h>.
//
// Errors: PacketReader::read() throws WireError when the peer closes, sends a
// packet above the bound, or the socket fails: a broken milter ends the
// benchmark connection, never hangs it (the socket has a receive timeout).
//
// Thread contract: value types and free functions; one reader per socket.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mv::milter {

class WireError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// libmilter's largest negotiable packet (SMFIP_MDS_1M) plus the header.
inline constexpr std::size_t kMaxPacket = (1u << 20) + 16;

struct Packet {
    char command = 0;
    std::string data;
};

using MacroList = std::vector<std::pair<std::string, std::string>>;

// The whole packet (length, command, data) ready to write.
std::string frame(char command, std::string_view data);

void put_u32(std::string& out, std::uint32_t v);
std::uint32_t get_u32(std::string_view data, std::size_t offset);

// Data of SMFIC_OPTNEG: version, actions, protocol steps.
std::string encode_optneg(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol);
// Data of SMFIC_MACRO: the command the macros belong to, then name\0value\0...
std::string encode_macros(char for_command, const MacroList& macros);
// Data of SMFIC_CONNECT. family is SMFIA_INET, SMFIA_INET6, SMFIA_UNIX or SMFIA_UNKNOWN.
std::string encode_connect(std::string_view hostname, char family, std::uint16_t port,
                           std::string_view address);
// NUL-terminated strings one after another (HELO, MAIL and RCPT arguments, header name+value).
std::string encode_strings(const std::vector<std::string_view>& parts);

// What the milter answered to SMFIC_OPTNEG.
struct Negotiated {
    std::uint32_t version = 0;
    std::uint32_t actions = 0;
    std::uint32_t protocol = 0;
    // Macro names asked for per SMFIM_* stage (0..6); empty = MTA's default.
    std::vector<std::vector<std::string>> symlists;
};
Negotiated decode_optneg(std::string_view data);

class PacketReader {
  public:
    explicit PacketReader(int fd) : fd_(fd) {}
    Packet read();

  private:
    void fill(std::size_t want);
    int fd_;
    std::string buf_;
    std::size_t pos_ = 0;
};

// Writes all of `bytes` with one write() where the kernel allows it.
void write_all(int fd, std::string_view bytes);

}  // namespace mv::milter
