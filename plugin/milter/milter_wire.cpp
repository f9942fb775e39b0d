// SPDX-License-Identifier: Apache-2.0
// milter_wire.cpp - milter packets: framing, command encoding, reply reading.
#include "milter/milter_wire.hpp"

#include <libmilter/mfdef.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mv::milter {

void put_u32(std::string& out, std::uint32_t v) {
    out.push_back(static_cast<char>((v >> 24) & 0xff));
    out.push_back(static_cast<char>((v >> 16) & 0xff));
    out.push_back(static_cast<char>((v >> 8) & 0xff));
    out.push_back(static_cast<char>(v & 0xff));
}

std::uint32_t get_u32(std::string_view data, std::size_t offset) {
    if (offset + 4 > data.size()) throw WireError("short packet: a 32-bit field is missing");
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + offset);
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

std::string frame(char command, std::string_view data) {
    std::string out;
    out.reserve(5 + data.size());
    put_u32(out, static_cast<std::uint32_t>(data.size() + 1));
    out.push_back(command);
    out.append(data);
    return out;
}

std::string encode_optneg(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol) {
    std::string out;
    put_u32(out, version);
    put_u32(out, actions);
    put_u32(out, protocol);
    return out;
}

std::string encode_macros(char for_command, const MacroList& macros) {
    std::string out(1, for_command);
    for (const auto& [name, value] : macros) {
        out.append(name);
        out.push_back('\0');
        out.append(value);
        out.push_back('\0');
    }
    return out;
}

std::string encode_connect(std::string_view hostname, char family, std::uint16_t port,
                           std::string_view address) {
    std::string out(hostname);
    out.push_back('\0');
    out.push_back(family);
    if (family == SMFIA_UNKNOWN) return out;
    out.push_back(static_cast<char>(port >> 8));
    out.push_back(static_cast<char>(port & 0xff));
    out.append(address);
    out.push_back('\0');
    return out;
}

std::string encode_strings(const std::vector<std::string_view>& parts) {
    std::string out;
    for (auto p : parts) {
        out.append(p);
        out.push_back('\0');
    }
    return out;
}

Negotiated decode_optneg(std::string_view data) {
    Negotiated n;
    n.version = get_u32(data, 0);
    n.actions = get_u32(data, 4);
    n.protocol = get_u32(data, 8);
    n.symlists.resize(7);
    // Optional macro lists: a stage number, then a NUL-terminated list of names.
    std::size_t off = 12;
    while (off < data.size()) {
        const std::uint32_t stage = get_u32(data, off);
        off += 4;
        const auto end = data.find('\0', off);
        if (end == std::string_view::npos) throw WireError("macro list without its NUL");
        if (stage >= n.symlists.size()) throw WireError("macro list for an unknown stage");
        std::string_view names = data.substr(off, end - off);
        auto& list = n.symlists[stage];
        std::size_t i = 0;
        while (i < names.size()) {
            const auto sp = names.find(' ', i);
            const auto stop = sp == std::string_view::npos ? names.size() : sp;
            if (stop > i) list.emplace_back(names.substr(i, stop - i));
            i = stop + 1;
        }
        off = end + 1;
    }
    return n;
}

void PacketReader::fill(std::size_t want) {
    while (buf_.size() - pos_ < want) {
        if (pos_ > 0 && pos_ == buf_.size()) {
            buf_.clear();
            pos_ = 0;
        }
        char tmp[65536];
        const ssize_t n = ::read(fd_, tmp, sizeof tmp);
        if (n == 0) throw WireError("milter closed the connection");
        if (n < 0) {
            if (errno == EINTR) continue;
            throw WireError(std::string("read from milter: ") + std::strerror(errno));
        }
        buf_.append(tmp, static_cast<std::size_t>(n));
    }
}

Packet PacketReader::read() {
    fill(4);
    const std::uint32_t len = get_u32(std::string_view(buf_).substr(pos_, 4), 0);
    if (len == 0) throw WireError("milter sent a packet of length 0");
    if (len > kMaxPacket) throw WireError("milter sent an oversized packet");
    fill(4 + len);
    Packet p;
    p.command = buf_[pos_ + 4];
    p.data.assign(buf_, pos_ + 5, len - 1);
    pos_ += 4 + len;
    if (pos_ == buf_.size()) {
        buf_.clear();
        pos_ = 0;
    }
    return p;
}

void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw WireError(std::string("write to milter: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace mv::milter
