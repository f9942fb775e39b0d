// SPDX-License-Identifier: Apache-2.0
// answer.hpp - one DNS question and its answer, as the rest of milter-verdict sees them.
//
// A Question is a name and a record type (class IN). An Answer is what came
// back, reduced to what the policy uses: its outcome, the records as text and
// the TTL it may be cached for.
//
//   Records  NOERROR with data: A/AAAA "192.0.2.1" / "2001:db8::1", PTR and
//            the target of MX as a lower-case name without the trailing dot
//            ("." for the root, RFC 7505 null MX), MX as "PREF NAME", TXT as
//            the character-strings of one record joined (bounded)
//   NoData   NOERROR without records of the type
//   NxDomain the name does not exist
//   TempFail SERVFAIL, REFUSED, a resolver error, a DNSSEC failure
//   Timeout  no answer before the lookup's deadline
//   Malformed records that cannot be parsed (a confused or hostile server)
//
// parse_rdata() reads the RDATA of one record (RFC 1035 3.3, 3.4; RFC 3596;
// RFC 7505): names are uncompressed sequences of labels as libunbound hands
// them over; a compression pointer, a label or name over the RFC 1035 limits
// or bytes left over make the record Malformed. At most kMaxRecords records
// and kMaxTxt octets of TXT are kept; beyond that the answer says so in
// `error` and keeps the first ones (never silently: `truncated` is set).
//
// Thread contract: value types and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mv::dns {

enum class RrType : std::uint16_t { A = 1, PTR = 12, MX = 15, TXT = 16, AAAA = 28 };

std::string_view type_name(RrType t);  // "A", "PTR", ...
std::optional<RrType> parse_type(std::string_view name);

struct Question {
    std::string name;  // lower case, no trailing dot
    RrType type = RrType::A;
    bool operator==(const Question&) const = default;
    std::string key() const;  // "A name", for maps and logs
};

enum class Outcome { Records, NoData, NxDomain, TempFail, Timeout, Malformed };

std::string_view outcome_name(Outcome o);  // "records", "no data", "NXDOMAIN", ...

struct Answer {
    Outcome outcome = Outcome::TempFail;
    std::vector<std::string> records;
    std::uint32_t ttl = 0;  // seconds the answer may be cached; 0 = do not cache
    bool truncated = false;
    std::string error;  // TempFail / Malformed: why

    // Definite answers that may be cached: records, no data, NXDOMAIN.
    bool definite() const {
        return outcome == Outcome::Records || outcome == Outcome::NoData ||
               outcome == Outcome::NxDomain;
    }
    // "127.0.0.2 127.0.0.4 (ttl 300)", "NXDOMAIN (ttl 60)", "timeout", for logs.
    std::string summary(bool with_ttl = true) const;
};

inline constexpr std::size_t kMaxRecords = 64;
inline constexpr std::size_t kMaxTxt = 1024;

// One record's RDATA -> its text form; nullopt when malformed.
std::optional<std::string> parse_rdata(RrType type, std::string_view rdata);

// Builds an Answer of outcome Records from the RDATA of every record.
Answer answer_from_rdata(RrType type, const std::vector<std::string_view>& rdata,
                         std::uint32_t ttl);

// What a resolver library reports for a lookup it completed (libunbound's
// ub_result: rcode, havedata, ttl and the RDATA of each record) -> an Answer:
// rcode 0 (NOERROR) with data -> answer_from_rdata(), without -> NoData;
// 3 -> NxDomain; 2 (SERVFAIL), 5 (REFUSED) and any other rcode -> TempFail.
// A negative ttl is 0.
Answer answer_from_result(RrType type, int rcode, bool havedata, int ttl,
                          const std::vector<std::string_view>& rdata);

// An MX record's text "PREF NAME" -> its parts.
struct MxRecord {
    std::uint16_t preference = 0;
    std::string host;  // "." for the root (null MX)
};
std::optional<MxRecord> parse_mx(std::string_view text);

}  // namespace mv::dns
