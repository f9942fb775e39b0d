// SPDX-License-Identifier: Apache-2.0
// fuzz_dns_answer.cpp - DNS answers, list specs and query names, through to the SMTP reply.
//
// Input (fuzz_input.hpp ByteReader values, in this order):
//   FLAGS          bit 0: IPv6 client, bits 1-2: dns.reverse (auto, mta, own),
//                  bit 3: health checks of the list zones (RFC 5782 5),
//                  bit 4: the client name is verified (client_resolve OK),
//                  bits 5-7: the list's threshold - 1 (its allow_threshold is -threshold)
//   CLIENT HELO SENDER RCPT CLIENT-NAME   strings: the session's values (the
//                  client address is used as given when it parses, else a
//                  documentation address built from CLIENT's first bytes)
//   N, N x ZONE    up to 6 zone entries in postscreen's syntax
//                  (zone=filter*weight), read by parse_zone_entry
//   N, N x RECORD  up to 8 records for classify() against the first entry
//   ANSWER...      the rest: one answer per question, in the order the
//                  resolver is asked (list lookups, health checks, PTR and
//                  forward lookups, MX/A/AAAA of the domains):
//                    MODE  bits 0-2: 0-2 NOERROR, 3 NXDOMAIN, 4 SERVFAIL,
//                          5 REFUSED, 6 timeout, 7 the rcode is the next byte;
//                          bit 3: no data; bit 4: the record count is a whole
//                          byte (up to 255, over kMaxRecords)
//                    TTL   u16;  COUNT (0..8, or 0..255);  COUNT x RDATA string
//                  When the input is used up every further question is NXDOMAIN.
// RDATA goes through answer_from_result(), the path libunbound's results take
// (unbound_resolver.cpp); libunbound parses the DNS messages themselves, the
// tree has no wire-format parser of its own.
//
// The zone entries that parse become the zones of two lists of a policy
// loaded by the real loader (a client-address list with an allow threshold
// and TXT, a name list keyed on client name, HELO and sender domain), with
// rules reading every DNS condition and reply templates using ${dns_zones},
// ${dns_score} and ${dns_txt}. One transaction runs connect to end of data,
// with a DNS service over a resolver answering from the input (at once).
//
// Properties: an accepted zone entry has a normalised zone (domain_name of
// itself), a weight in -1000..1000 other than 0 and filter ranges that run
// forwards; a record classify() calls a listing is an IPv4 address in 127/8
// outside 127.255.255/24; domain_name() is idempotent, lower case, at most 253
// octets; a reversed address has 4 decimal or 32 nibble labels; every Answer
// keeps at most kMaxRecords records (truncated said), TXT at most kMaxTxt
// octets, A/AAAA records read back as addresses, names only printable
// non-space bytes; every verdict's reply matches its action (5xx reject, 4xx
// tempfail) and is made of 1..32 printable ASCII lines.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "dns/answer.hpp"
#include "dns/evidence.hpp"
#include "dns/list_spec.hpp"
#include "dns/names.hpp"
#include "dns/service.hpp"
#include "fuzz_input.hpp"
#include "policy/session.hpp"

namespace {

using namespace mv;

bool printable_name(std::string_view s) {
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f) return false;
    return !s.empty();
}

void check_answer(dns::RrType type, const dns::Answer& a) {
    MV_FUZZ_CHECK(a.records.size() <= dns::kMaxRecords);
    if (a.truncated) MV_FUZZ_CHECK(!a.error.empty());
    if (a.outcome != dns::Outcome::Records) {
        MV_FUZZ_CHECK(a.records.empty());
        return;
    }
    MV_FUZZ_CHECK(!a.records.empty());
    for (const std::string& r : a.records) {
        switch (type) {
            case dns::RrType::A: {
                in_addr in{};
                MV_FUZZ_CHECK(inet_pton(AF_INET, r.c_str(), &in) == 1);
                break;
            }
            case dns::RrType::AAAA: {
                in6_addr in6{};
                MV_FUZZ_CHECK(inet_pton(AF_INET6, r.c_str(), &in6) == 1);
                break;
            }
            case dns::RrType::PTR:
                MV_FUZZ_CHECK(printable_name(r));
                break;
            case dns::RrType::MX: {
                const auto mx = dns::parse_mx(r);
                MV_FUZZ_CHECK(mx && printable_name(mx->host));
                break;
            }
            case dns::RrType::TXT:
                MV_FUZZ_CHECK(r.size() <= dns::kMaxTxt);
                break;
        }
    }
}

// Answers every question at once with the next answer the input describes.
class InputResolver final : public dns::Resolver {
  public:
    explicit InputResolver(fuzz::ByteReader& in) : in_(in) {}
    void resolve(const dns::Question& q, dns::TimePoint, Done done) override { done(next(q)); }
    std::string describe() const override { return "fuzz input"; }
    bool instant() const override { return true; }

  private:
    dns::Answer next(const dns::Question& q) {
        if (in_.empty()) return dns::answer_from_result(q.type, 3, false, 300, {});
        const std::uint8_t mode = in_.byte();
        const int ttl = in_.u16();
        const std::size_t count = mode & 0x10 ? in_.byte() : in_.byte() % 9;
        std::vector<std::string> bytes;
        for (std::size_t i = 0; i < count; ++i) bytes.push_back(in_.string());
        std::vector<std::string_view> rdata(bytes.begin(), bytes.end());
        static const int kRcodes[] = {0, 0, 0, 3, 2, 5};
        const unsigned kind = mode & 7;
        if (kind == 6) {
            dns::Answer a;
            a.outcome = dns::Outcome::Timeout;
            return a;
        }
        const int rcode = kind == 7 ? in_.byte() : kRcodes[kind];
        dns::Answer a = dns::answer_from_result(q.type, rcode, !(mode & 8), ttl, rdata);
        check_answer(q.type, a);
        return a;
    }
    fuzz::ByteReader& in_;
};

void check_zone_entry(const std::string& text, const dns::ZoneEntry& e) {
    const auto again = dns::domain_name(e.zone);
    MV_FUZZ_CHECK(again && *again == e.zone);
    MV_FUZZ_CHECK(e.show_as == e.zone && e.text == text);
    MV_FUZZ_CHECK(e.weight != 0 && e.weight >= -dns::kMaxWeight && e.weight <= dns::kMaxWeight);
    if (e.filter)
        for (const auto& octet : e.filter->octets) {
            MV_FUZZ_CHECK(!octet.ranges.empty());
            for (const auto& [lo, hi] : octet.ranges) MV_FUZZ_CHECK(lo <= hi);
        }
}

void check_record_meaning(const dns::ZoneEntry& e, const std::string& record) {
    const dns::RecordMeaning m = dns::classify(e, record);
    if (m == dns::RecordMeaning::Error) return;
    in_addr in{};
    MV_FUZZ_CHECK(inet_pton(AF_INET, record.c_str(), &in) == 1);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&in);
    MV_FUZZ_CHECK(b[0] == 127 && !(b[1] == 255 && b[2] == 255));
    if (!e.filter) MV_FUZZ_CHECK(m == dns::RecordMeaning::Listed);
}

void check_name(std::string_view value) {
    const auto n = dns::domain_name(value);
    if (!n) return;
    MV_FUZZ_CHECK(!n->empty() && n->size() <= 253 && n->back() != '.');
    MV_FUZZ_CHECK(n->find("..") == std::string::npos && n->front() != '.');
    for (char c : *n) MV_FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    const auto again = dns::domain_name(*n);
    MV_FUZZ_CHECK(again && *again == *n);
}

void check_reversed(const std::string& addr) {
    const auto r = dns::reversed_address(addr);
    const auto a = dns::parse_address(addr);
    MV_FUZZ_CHECK(r.has_value() == a.has_value());
    if (!r) return;
    std::size_t labels = 1;
    for (char c : *r) {
        if (c == '.')
            ++labels;
        else
            MV_FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
    MV_FUZZ_CHECK(labels == (a->v6 ? 32u : 4u));
    const auto p = dns::ptr_name(addr);
    MV_FUZZ_CHECK(p && p->size() > r->size());
}

void check(const policy::Verdict& v) {
    using policy::Action;
    if (v.action == Action::Reject) MV_FUZZ_CHECK(v.reply.basic / 100 == 5);
    if (v.action == Action::Tempfail) MV_FUZZ_CHECK(v.reply.basic / 100 == 4);
    if (v.reply.empty()) return;
    MV_FUZZ_CHECK(!v.reply.lines.empty() && v.reply.lines.size() <= 32);
    for (const std::string& line : v.reply.wire_lines())
        for (unsigned char c : line) MV_FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
}

std::string policy_text(const std::vector<std::string>& zones, unsigned flags) {
    static const char* const kReverse[] = {"auto", "mta", "own", "auto"};
    const std::string threshold = std::to_string((flags >> 5) + 1);
    std::string list;
    for (const std::string& z : zones) list += (list.empty() ? "\"" : ", \"") + z + "\"";
    std::string text = R"conf(
policy = { delay_reject = true; on_error = "tempfail"; };
dns = {
  resolver = ["127.0.0.1@53"];
  reverse = "REVERSE";
  lists = {
    clients = { zones = ( ZONES ); threshold = THRESHOLD; allow_threshold = -THRESHOLD;
                txt = true; };
    names = { zones = ( ZONES ); query = ["client_name", "helo", "sender_domain"]; txt = true; };
  };
};
rules = (
  { name = "dnswl"; when = { dns_list = { list = "clients"; allowed = true; }; }; action = "accept"; },
  { name = "dnsbl"; when = { dns_list = "clients"; }; action = "reject";
    reply = { text = ["Client [${client_addr}] blocked using ${dns_zones} (score ${dns_score})",
                      "${dns_txt} 100%"]; }; },
  { name = "rhsbl"; on_backend_error = "closed"; when = { dns_list = "names"; };
    action = "tempfail";
    reply = { text = ["HELO ${helo} listed", "<${sender}>: ${dns_txt}",
                      "${dns_zones} (${dns_score})"]; }; },
  { name = "rdns"; when = { reverse_dns = "unconfirmed"; }; action = "tempfail"; },
  { name = "no-rdns"; when = { reverse_dns = "missing"; rcpt = "/^norev/"; }; action = "reject"; },
  { name = "dynamic"; when = { reverse_dns = { name = { regex = "(^|[.-])dyn[0-9.-]"; }; }; };
    action = "reject"; },
  { name = "sender-null-mx"; when = { sender_domain = "null_mx"; }; action = "reject"; },
  { name = "sender-domain"; when = { sender_domain = "unknown"; }; action = "reject";
    on_backend_error = "closed"; },
  { name = "rcpt-null-mx"; when = { rcpt_domain = "null_mx"; }; action = "reject"; }
);
)conf";
    const auto put = [&](std::string_view key, const std::string& value) {
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
            text.replace(at, key.size(), value);
            at += value.size();
        }
    };
    put("REVERSE", kReverse[(flags >> 1) & 3]);
    put("ZONES", list);
    put("THRESHOLD", threshold);
    return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::ByteReader in(data, size);
    const unsigned flags = in.byte();
    std::string client = in.string();
    const std::string helo = in.string(), sender = in.string(), rcpt = in.string();
    const std::string client_name = in.string();

    check_reversed(client);
    for (const std::string& v : {helo, client_name, client}) check_name(v);
    check_name(sender.substr(sender.rfind('@') + 1));
    if (const auto d = dns::address_domain_name(sender)) check_name(*d);
    if (!dns::parse_address(client)) {
        // A documentation address (RFC 5737, RFC 3849) from the value's bytes.
        const auto b = [&](std::size_t i) {
            return i < client.size() ? std::uint8_t(client[i]) : 0;
        };
        client = flags & 1 ? "2001:db8::" + std::to_string(b(0) % 10) + ":" + std::to_string(b(1))
                           : "192.0.2." + std::to_string(b(0));
    }

    std::vector<std::string> zones;
    std::vector<dns::ZoneEntry> entries;
    const std::size_t nzones = in.byte() % 7;
    for (std::size_t i = 0; i < nzones; ++i) {
        const std::string text = in.string();
        std::string why;
        const auto e = dns::parse_zone_entry(text, why);
        if (!e) {
            MV_FUZZ_CHECK(!why.empty());
            continue;
        }
        check_zone_entry(text, *e);
        entries.push_back(*e);
        // A zone twice in one list is a configuration error: the first one stays.
        bool twice = false;
        for (std::size_t j = 0; j + 1 < entries.size(); ++j)
            twice = twice || entries[j].zone == e->zone;
        if (!twice) zones.push_back(text);
    }
    const std::size_t nrecords = in.byte() % 9;
    for (std::size_t i = 0; i < nrecords; ++i) {
        const std::string record = in.string();
        for (const auto& e : entries) check_record_meaning(e, record);
    }
    if (zones.empty()) zones.push_back("zen.example=127.0.0.[2..11]*3");

    const std::string path = fuzz::scratch_dir() + "/dns.conf";
    fuzz::write_file(path, policy_text(zones, flags));
    config::LoadResult loaded = config::load_policy(path);
    if (!loaded.ok()) {  // every zone entry parsed: the policy must load
        for (const auto& d : loaded.diagnostics)
            std::fprintf(stderr, "%s\n", d.to_string().c_str());
        MV_FUZZ_CHECK(loaded.ok());
    }
    MV_FUZZ_CHECK(loaded.policy->dns_slot->needed());

    dns::ServiceOptions options = dns::service_options(*loaded.policy->dns);
    options.health_checks = flags & 8;
    auto service = std::make_shared<dns::Service>(std::make_unique<InputResolver>(in), options);
    dns::attach_dns(*loaded.policy, service);
    {
        policy::Session s(loaded.policy);
        policy::Transaction& tx = s.transaction();
        tx.client_addr = client;
        tx.client_name = client_name.empty() ? "unknown" : client_name;
        tx.client_resolve = flags & 16 ? "OK" : (client_name.empty() ? "FAIL" : "FORGED");
        tx.macros.emplace("client_resolve", tx.client_resolve);
        if (!(flags & 16)) tx.macros.emplace("client_ptr", client_name);
        check(s.connect());
        check(s.helo(helo));
        check(s.mail(sender));
        check(s.rcpt(rcpt));
        check(s.rcpt("norev@" + helo));
        check(s.data());
        s.header("Subject", "hello");
        check(s.end_of_message());
    }
    loaded.policy->dns_slot->attach(nullptr);
    return 0;
}
