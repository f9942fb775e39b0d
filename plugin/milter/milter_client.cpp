// SPDX-License-Identifier: Apache-2.0
// milter_client.cpp - MTA side of the milter protocol: sessions, steps, replies.
#include "milter/milter_client.hpp"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mv::milter {

namespace {

constexpr std::size_t kChunk = 65535;  // libmilter's MILTER_CHUNK_SIZE

int open_unix(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) throw WireError("unix socket path too long: " + path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw WireError(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        const int e = errno;
        ::close(fd);
        throw WireError("connect " + path + ": " + std::strerror(e));
    }
    return fd;
}

int open_inet(const std::string& port, const std::string& host, int family) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) throw WireError("resolve " + host + ": " + gai_strerror(rc));
    int fd = -1;
    int err = 0;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        err = errno;
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(res);
    if (fd < 0) throw WireError("connect " + port + "@" + host + ": " + std::strerror(err));
    return fd;
}

// SMFIM_* index of each command's macros (-1: none).
int stage_of(char command) {
    switch (command) {
        case SMFIC_CONNECT:
            return SMFIM_CONNECT;
        case SMFIC_HELO:
            return SMFIM_HELO;
        case SMFIC_MAIL:
            return SMFIM_ENVFROM;
        case SMFIC_RCPT:
            return SMFIM_ENVRCPT;
        case SMFIC_DATA:
            return SMFIM_DATA;
        case SMFIC_BODYEOB:
            return SMFIM_EOM;
        case SMFIC_EOH:
            return SMFIM_EOH;
    }
    return -1;
}

}  // namespace

std::string_view kind_name(MilterReply::Kind k) {
    using K = MilterReply::Kind;
    switch (k) {
        case K::Skipped:
            return "skipped";
        case K::NoReply:
            return "no-reply";
        case K::Continue:
            return "continue";
        case K::Accept:
            return "accept";
        case K::Reject:
            return "reject";
        case K::Tempfail:
            return "tempfail";
        case K::Discard:
            return "discard";
        case K::ReplyCode:
            return "replycode";
        case K::Skip:
            return "skip";
        case K::ConnFail:
            return "conn-fail";
        case K::Shutdown:
            return "shutdown";
    }
    return "?";
}

MilterClient::~MilterClient() {
    close();
}

MilterClient::MilterClient(MilterClient&& o) noexcept
    : fd_(o.fd_),
      tcp_(o.tcp_),
      neg_(std::move(o.neg_)),
      reader_(std::move(o.reader_)),
      out_(std::move(o.out_)),
      buffer_size_(o.buffer_size_) {
    o.fd_ = -1;
}

MilterClient& MilterClient::operator=(MilterClient&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = o.fd_;
        tcp_ = o.tcp_;
        neg_ = std::move(o.neg_);
        reader_ = std::move(o.reader_);
        out_ = std::move(o.out_);
        buffer_size_ = o.buffer_size_;
        o.fd_ = -1;
    }
    return *this;
}

void MilterClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    out_.clear();
}

void MilterClient::send(char command, std::string_view data) {
    out_ += frame(command, data);
    // A full VSTREAM buffer is written out as it is; the rest waits.
    std::size_t done = 0;
    while (out_.size() - done >= buffer_size_) {
        write_all(fd_, std::string_view(out_).substr(done, buffer_size_));
        done += buffer_size_;
    }
    out_.erase(0, done);
}

void MilterClient::flush() {
    if (out_.empty()) return;
    write_all(fd_, out_);
    out_.clear();
}

void MilterClient::open(const std::string& spec, int timeout_seconds) {
    close();
    const auto colon = spec.find(':');
    const std::string proto = colon == std::string::npos ? "unix" : spec.substr(0, colon);
    const std::string rest = colon == std::string::npos ? spec : spec.substr(colon + 1);
    if (proto == "unix" || proto == "local") {
        fd_ = open_unix(rest);
        tcp_ = false;
    } else if (proto == "inet" || proto == "inet6") {
        const auto at = rest.find('@');
        const std::string port = rest.substr(0, at);
        const std::string host = at == std::string::npos ? "127.0.0.1" : rest.substr(at + 1);
        fd_ = open_inet(port, host, proto == "inet" ? AF_INET : AF_INET6);
        tcp_ = true;
    } else {
        throw WireError("unknown socket type in '" + spec + "'");
    }
    if (tcp_) {
        // Postfix grows the stream buffer of a TCP milter connection to twice
        // the MSS (vstream_tweak_tcp), so on loopback a whole message goes out
        // in one write; do the same or the floor would stall where Postfix does not.
        int mss = 0;
        socklen_t len = sizeof mss;
        if (::getsockopt(fd_, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) == 0 && mss > 0)
            buffer_size_ = std::max<std::size_t>(buffer_size_, 2 * static_cast<std::size_t>(mss));
    }
    timeval tv{timeout_seconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    reader_ = PacketReader(fd_);
}

void MilterClient::attach(int fd, bool tcp) {
    close();
    fd_ = fd;
    tcp_ = tcp;
    reader_ = PacketReader(fd_);
}

void MilterClient::set_nodelay(bool on) {
    if (!tcp_) return;
    const int v = on ? 1 : 0;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
}

const Negotiated& MilterClient::negotiate(std::uint32_t actions, std::uint32_t protocol) {
    send(SMFIC_OPTNEG, encode_optneg(6, actions, protocol));
    flush();
    const Packet p = reader_.read();
    if (p.command != SMFIC_OPTNEG) throw WireError("no option negotiation reply");
    neg_ = decode_optneg(p.data);
    if (neg_.version < 2) throw WireError("milter speaks protocol version < 2");
    // A milter may only take what was offered; libmilter refuses otherwise too.
    if ((neg_.protocol & ~protocol) != 0) throw WireError("milter asked for steps not offered");
    return neg_;
}

MilterReply MilterClient::step(char command, std::string_view data, int stage,
                               const MacroList& macros, bool skipped, bool no_reply) {
    if (!macros.empty()) {
        const std::vector<std::string>* wanted = nullptr;
        if (stage >= 0 && static_cast<std::size_t>(stage) < neg_.symlists.size() &&
            !neg_.symlists[stage].empty())
            wanted = &neg_.symlists[stage];
        if (!wanted) {
            send(SMFIC_MACRO, encode_macros(command, macros));
        } else {
            MacroList kept;
            for (const auto& m : macros)
                for (const auto& w : *wanted)
                    if (w == m.first) kept.push_back(m);
            if (!kept.empty()) send(SMFIC_MACRO, encode_macros(command, kept));
        }
    }
    if (skipped) return {MilterReply::Kind::Skipped, {}, {}};
    send(command, data);
    if (no_reply) return {MilterReply::Kind::NoReply, {}, {}};
    flush();
    return read_reply(command == SMFIC_BODYEOB);
}

MilterReply MilterClient::read_reply(bool end_of_message) {
    using K = MilterReply::Kind;
    MilterReply r;
    for (;;) {
        Packet p = reader_.read();
        switch (p.command) {
            case SMFIR_CONTINUE:
                r.kind = K::Continue;
                return r;
            case SMFIR_ACCEPT:
                r.kind = K::Accept;
                return r;
            case SMFIR_REJECT:
                r.kind = K::Reject;
                return r;
            case SMFIR_TEMPFAIL:
                r.kind = K::Tempfail;
                return r;
            case SMFIR_DISCARD:
                r.kind = K::Discard;
                return r;
            case SMFIR_SKIP:
                r.kind = K::Skip;
                return r;
            case SMFIR_CONN_FAIL:
                r.kind = K::ConnFail;
                return r;
            case SMFIR_SHUTDOWN:
                r.kind = K::Shutdown;
                return r;
            case SMFIR_REPLYCODE: {
                r.kind = K::ReplyCode;
                const auto nul = p.data.find('\0');
                r.text = p.data.substr(0, nul);
                return r;
            }
            case SMFIR_PROGRESS:
                continue;
            case SMFIR_ADDHEADER:
            case SMFIR_INSHEADER:
            case SMFIR_CHGHEADER:
            case SMFIR_ADDRCPT:
            case SMFIR_ADDRCPT_PAR:
            case SMFIR_DELRCPT:
            case SMFIR_REPLBODY:
            case SMFIR_CHGFROM:
            case SMFIR_QUARANTINE:
                if (!end_of_message) throw WireError("modification outside end of message");
                if (r.edits.size() >= 10000) throw WireError("more than 10000 modifications");
                r.edits.push_back(std::move(p));
                continue;
            default:
                throw WireError(std::string("unknown reply command '") + p.command + "'");
        }
    }
}

MilterReply MilterClient::connect(std::string_view hostname, char family, std::uint16_t port,
                                  std::string_view address, const MacroList& macros) {
    return step(SMFIC_CONNECT, encode_connect(hostname, family, port, address),
                stage_of(SMFIC_CONNECT), macros, has(SMFIP_NOCONNECT), has(SMFIP_NR_CONN));
}

MilterReply MilterClient::helo(std::string_view name, const MacroList& macros) {
    return step(SMFIC_HELO, encode_strings({name}), stage_of(SMFIC_HELO), macros, has(SMFIP_NOHELO),
                has(SMFIP_NR_HELO));
}

MilterReply MilterClient::mail(const std::vector<std::string_view>& args, const MacroList& macros) {
    return step(SMFIC_MAIL, encode_strings(args), stage_of(SMFIC_MAIL), macros, has(SMFIP_NOMAIL),
                has(SMFIP_NR_MAIL));
}

MilterReply MilterClient::rcpt(const std::vector<std::string_view>& args, const MacroList& macros) {
    return step(SMFIC_RCPT, encode_strings(args), stage_of(SMFIC_RCPT), macros, has(SMFIP_NORCPT),
                has(SMFIP_NR_RCPT));
}

MilterReply MilterClient::data(const MacroList& macros) {
    return step(SMFIC_DATA, {}, stage_of(SMFIC_DATA), macros, has(SMFIP_NODATA),
                has(SMFIP_NR_DATA));
}

MilterReply MilterClient::header(std::string_view name, std::string_view value,
                                 const MacroList& macros) {
    // Without SMFIP_HDR_LEADSPC the MTA drops the space after the colon.
    std::string v(value);
    if (!has(SMFIP_HDR_LEADSPC) && !v.empty() && v.front() == ' ') v.erase(0, 1);
    return step(SMFIC_HEADER, encode_strings({name, v}), -1, macros, has(SMFIP_NOHDRS),
                has(SMFIP_NR_HDR));
}

MilterReply MilterClient::eoh(const MacroList& macros) {
    return step(SMFIC_EOH, {}, stage_of(SMFIC_EOH), macros, has(SMFIP_NOEOH), has(SMFIP_NR_EOH));
}

MilterReply MilterClient::body(std::string_view content) {
    if (has(SMFIP_NOBODY)) return {MilterReply::Kind::Skipped, {}, {}};
    MilterReply last{MilterReply::Kind::Continue, {}, {}};
    while (!content.empty()) {
        const auto n = std::min(content.size(), kChunk);
        last = step(SMFIC_BODY, content.substr(0, n), -1, {}, false, has(SMFIP_NR_BODY));
        content.remove_prefix(n);
        // SMFIR_SKIP: the milter wants no more body; anything final ends the message.
        if (last.kind == MilterReply::Kind::Skip || last.final()) break;
    }
    return last;
}

MilterReply MilterClient::eom(const MacroList& macros) {
    return step(SMFIC_BODYEOB, {}, stage_of(SMFIC_BODYEOB), macros, false, false);
}

void MilterClient::abort() {
    send(SMFIC_ABORT, {});
}

void MilterClient::quit() {
    if (fd_ < 0) return;
    try {
        send(SMFIC_QUIT, {});
        flush();
    } catch (const WireError&) {
        // The milter may already be gone; quitting is best effort.
    }
    close();
}

}  // namespace mv::milter
