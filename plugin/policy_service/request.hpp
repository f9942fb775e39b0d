// SPDX-License-Identifier: Apache-2.0
// request.hpp - one Postfix policy delegation request, read from a byte stream.
//
// The protocol (Postfix SMTPD_POLICY_README): a request is "name=value" lines
// ended by LF (a CR before it is accepted), terminated by an empty line; the
// answer is "action=..." and an empty line; a connection carries any number
// of requests, answered in order.
//
// RequestReader frames requests incrementally: append() the bytes read, then
// call next() until NeedMore. Bounds (Postfix itself never comes near them):
// an attribute name of kMaxName bytes, a value of policy::Limits::kMaxValue,
// kMaxAttributes lines and kMaxRequest bytes per request. What a reader
// cannot resynchronise after - a NUL byte, a line or request over a bound -
// is Fatal: the caller logs error() and closes the connection (Postfix then
// retries and, failing, answers its smtpd_policy_service_default_action).
// A request that is complete but unusable (a line without '=', an empty
// name, no or another `request`, a missing or unknown protocol_state, a bad
// number) comes back as a Request with `problem` set: the caller answers it
// as an internal error (per on_error) and logs the problem.
//
// Attributes the protocol defines but we do not use are kept; names it does
// not define are counted (the first one is kept for the log) and ignored, as
// SMTPD_POLICY_README asks. A repeated attribute keeps its last value.
//
// Thread contract: a RequestReader belongs to one connection; Request is a value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codes/stage.hpp"

namespace mv::policy_service {

enum class ProtocolState { Connect, Ehlo, Helo, Mail, Rcpt, Data, EndOfMessage, Vrfy, Etrn };

std::optional<ProtocolState> parse_protocol_state(std::string_view name);  // "RCPT", ...
std::string_view protocol_state_name(ProtocolState s);
// The engine stage a request is evaluated at; nullopt for VRFY and ETRN.
std::optional<codes::Stage> engine_stage(ProtocolState s);

// Every attribute of SMTPD_POLICY_README (Postfix 2.1 to 3.12).
enum class Attr : unsigned char {
    Request,
    ProtocolState,
    ProtocolName,
    HeloName,
    QueueId,
    Sender,
    Recipient,
    RecipientCount,
    ClientAddress,
    ClientName,
    ReverseClientName,
    Instance,
    SaslMethod,
    SaslUsername,
    SaslSender,
    Size,
    CcertSubject,
    CcertIssuer,
    CcertFingerprint,
    CcertPubkeyFingerprint,
    EncryptionProtocol,
    EncryptionCipher,
    EncryptionKeysize,
    EtrnDomain,
    Stress,
    ClientPort,
    PolicyContext,
    ServerAddress,
    ServerPort,
    CompatibilityLevel,
    MailVersion,
    TlsSni,
};
inline constexpr std::size_t kAttrCount = static_cast<std::size_t>(Attr::TlsSni) + 1;

std::string_view attr_name(Attr a);                       // "client_address"
std::optional<Attr> parse_attr_name(std::string_view n);  // nullopt: not a protocol attribute

struct Request {
    std::array<std::string, kAttrCount> values;  // "" when absent
    std::array<bool, kAttrCount> present{};
    ProtocolState state = ProtocolState::Rcpt;  // valid when problem is ""
    std::uint64_t size = 0;                     // `size`, 0 when absent
    std::uint64_t recipient_count = 0;          // `recipient_count`, 0 when absent
    std::size_t unknown = 0;                    // attributes of unknown name
    std::string first_unknown;                  // the first of them, sanitised
    std::string problem;                        // non-empty: malformed, see above

    const std::string& get(Attr a) const { return values[static_cast<std::size_t>(a)]; }
    bool has(Attr a) const { return present[static_cast<std::size_t>(a)]; }
};

class RequestReader {
  public:
    static constexpr std::size_t kMaxName = 64;
    static constexpr std::size_t kMaxAttributes = 128;
    static constexpr std::size_t kMaxRequest = 64 * 1024;

    enum class Status { NeedMore, Complete, Fatal };

    void append(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
    // Complete: `out` holds the next request. Fatal: see error(); the reader
    // is then unusable.
    Status next(Request& out);
    // Some bytes of a request arrived and its empty line did not (yet).
    bool mid_request() const { return lines_ > 0 || pos_ < buffer_.size(); }
    const std::string& error() const { return error_; }
    // Bytes held (unparsed input): bounded by the line bound plus one append.
    std::size_t buffered() const { return buffer_.size() - pos_; }

  private:
    Status fatal(std::string why);
    void attribute(std::string_view line);
    void finish(Request& out);

    std::string buffer_;
    std::size_t pos_ = 0;  // start of the first unparsed line
    Request current_;
    std::size_t lines_ = 0, bytes_ = 0;  // of the request being read
    std::string error_;
};

}  // namespace mv::policy_service
