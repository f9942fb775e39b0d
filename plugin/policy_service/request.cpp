// SPDX-License-Identifier: Apache-2.0
// request.cpp - framing and attribute parsing of policy requests (see request.hpp).
#include "policy_service/request.hpp"

#include <cstring>
#include <unordered_map>

#include "codes/reply_text.hpp"
#include "policy/transaction.hpp"

namespace mv::policy_service {

namespace {

constexpr std::string_view kStateNames[] = {"CONNECT", "EHLO",           "HELO", "MAIL", "RCPT",
                                            "DATA",    "END-OF-MESSAGE", "VRFY", "ETRN"};

constexpr std::string_view kAttrNames[kAttrCount] = {
    "request",
    "protocol_state",
    "protocol_name",
    "helo_name",
    "queue_id",
    "sender",
    "recipient",
    "recipient_count",
    "client_address",
    "client_name",
    "reverse_client_name",
    "instance",
    "sasl_method",
    "sasl_username",
    "sasl_sender",
    "size",
    "ccert_subject",
    "ccert_issuer",
    "ccert_fingerprint",
    "ccert_pubkey_fingerprint",
    "encryption_protocol",
    "encryption_cipher",
    "encryption_keysize",
    "etrn_domain",
    "stress",
    "client_port",
    "policy_context",
    "server_address",
    "server_port",
    "compatibility_level",
    "mail_version",
    "tls_sni",
};

// A decimal number of at most `digits` digits; "" is 0.
bool number(const std::string& v, std::size_t digits, std::uint64_t& out) {
    out = 0;
    if (v.size() > digits) return false;
    for (char c : v) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

}  // namespace

std::optional<ProtocolState> parse_protocol_state(std::string_view name) {
    for (std::size_t i = 0; i < std::size(kStateNames); ++i)
        if (kStateNames[i] == name) return static_cast<ProtocolState>(i);
    return std::nullopt;
}

std::string_view protocol_state_name(ProtocolState s) {
    return kStateNames[static_cast<std::size_t>(s)];
}

std::optional<codes::Stage> engine_stage(ProtocolState s) {
    switch (s) {
        case ProtocolState::Connect:
            return codes::Stage::Connect;
        case ProtocolState::Ehlo:
        case ProtocolState::Helo:
            return codes::Stage::Helo;
        case ProtocolState::Mail:
            return codes::Stage::Mail;
        case ProtocolState::Rcpt:
            return codes::Stage::Rcpt;
        case ProtocolState::Data:
            return codes::Stage::Data;
        case ProtocolState::EndOfMessage:
            return codes::Stage::EndOfData;
        case ProtocolState::Vrfy:
        case ProtocolState::Etrn:
            return std::nullopt;
    }
    return std::nullopt;
}

std::string_view attr_name(Attr a) {
    return kAttrNames[static_cast<std::size_t>(a)];
}

std::optional<Attr> parse_attr_name(std::string_view n) {
    static const std::unordered_map<std::string_view, Attr> table = [] {
        std::unordered_map<std::string_view, Attr> t;
        for (std::size_t i = 0; i < kAttrCount; ++i) t.emplace(kAttrNames[i], static_cast<Attr>(i));
        return t;
    }();
    const auto it = table.find(n);
    if (it == table.end()) return std::nullopt;
    return it->second;
}

RequestReader::Status RequestReader::fatal(std::string why) {
    error_ = std::move(why);
    buffer_.clear();
    pos_ = 0;
    return Status::Fatal;
}

void RequestReader::attribute(std::string_view line) {
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        if (current_.problem.empty())
            current_.problem =
                eq == 0 ? "attribute line without a name"
                        : "line without '=': \"" + codes::sanitize_value(line, 64) + "\"";
        return;
    }
    const std::string_view name = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    const auto a = parse_attr_name(name);
    if (!a) {
        if (current_.unknown++ == 0) current_.first_unknown = codes::sanitize_value(name, 64);
        return;
    }
    const auto i = static_cast<std::size_t>(*a);
    current_.values[i].assign(value.data(), value.size());
    current_.present[i] = true;
}

void RequestReader::finish(Request& r) {
    if (!r.problem.empty()) return;
    if (!r.has(Attr::Request)) {
        r.problem = "no request attribute";
        return;
    }
    if (r.get(Attr::Request) != "smtpd_access_policy") {
        r.problem = "request=" + codes::sanitize_value(r.get(Attr::Request), 64) +
                    " is not smtpd_access_policy";
        return;
    }
    if (!r.has(Attr::ProtocolState) || r.get(Attr::ProtocolState).empty()) {
        r.problem = "no protocol_state attribute";
        return;
    }
    const auto st = parse_protocol_state(r.get(Attr::ProtocolState));
    if (!st) {
        r.problem =
            "unknown protocol_state " + codes::sanitize_value(r.get(Attr::ProtocolState), 64);
        return;
    }
    r.state = *st;
    if (!number(r.get(Attr::Size), 19, r.size)) {
        r.problem = "size is not a number: " + codes::sanitize_value(r.get(Attr::Size), 32);
        return;
    }
    if (!number(r.get(Attr::RecipientCount), 19, r.recipient_count)) {
        r.problem = "recipient_count is not a number: " +
                    codes::sanitize_value(r.get(Attr::RecipientCount), 32);
        return;
    }
    std::uint64_t port = 0;
    for (Attr a : {Attr::ClientPort, Attr::ServerPort})
        if (!number(r.get(a), 5, port) || port > 65535) {
            r.problem = std::string(attr_name(a)) +
                        " is not a port: " + codes::sanitize_value(r.get(a), 32);
            return;
        }
}

RequestReader::Status RequestReader::next(Request& out) {
    if (!error_.empty()) return Status::Fatal;
    constexpr std::size_t kMaxLine = kMaxName + 1 + policy::Limits::kMaxValue + 1;  // + CR
    while (pos_ < buffer_.size()) {
        const char* start = buffer_.data() + pos_;
        const std::size_t avail = buffer_.size() - pos_;
        const std::size_t scan = avail < kMaxLine + 1 ? avail : kMaxLine + 1;
        const auto* nl = static_cast<const char*>(std::memchr(start, '\n', scan));
        const std::size_t len = nl ? static_cast<std::size_t>(nl - start) : scan;
        if (std::memchr(start, '\0', len)) return fatal("NUL byte in a request");
        if (!nl) {
            if (avail > kMaxLine)
                return fatal("attribute line longer than " + std::to_string(kMaxLine) + " bytes");
            break;  // the rest of the line has not arrived
        }
        std::string_view line(start, len);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos_ += len + 1;
        bytes_ += len + 1;
        if (bytes_ > kMaxRequest)
            return fatal("request longer than " + std::to_string(kMaxRequest) + " bytes");
        if (line.empty()) {
            if (lines_ == 0) continue;  // stray empty lines between requests
            out = std::move(current_);
            current_ = Request{};
            lines_ = bytes_ = 0;
            finish(out);
            if (pos_ == buffer_.size()) {
                buffer_.clear();
                pos_ = 0;
            }
            return Status::Complete;
        }
        if (++lines_ > kMaxAttributes)
            return fatal("more than " + std::to_string(kMaxAttributes) + " lines in a request");
        const auto eq = line.find('=');
        if (eq != std::string_view::npos && eq > kMaxName)
            return fatal("attribute name longer than " + std::to_string(kMaxName) + " bytes");
        if (eq != std::string_view::npos && line.size() - eq - 1 > policy::Limits::kMaxValue)
            return fatal("attribute " + codes::sanitize_value(line.substr(0, eq), kMaxName) +
                         " longer than " + std::to_string(policy::Limits::kMaxValue) + " bytes");
        attribute(line);
    }
    if (pos_ == buffer_.size()) {
        buffer_.clear();
        pos_ = 0;
    } else if (pos_ > 16 * 1024) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    return Status::NeedMore;
}

}  // namespace mv::policy_service
