// SPDX-License-Identifier: Apache-2.0
// defaults.cpp - the table of default replies (defaults.hpp).
//
// Sources: RFC 5321 section 4.3.2 lists the replies each command may get
// (the stage lists of data/basic-codes.csv); RFC 3463 and the IANA "SMTP
// Enhanced Status Codes" registry give the enhanced codes (data/
// enhanced-codes.csv, with the project's additions justified in
// data/SOURCES.md). Each row names its source; the reasons for a choice that
// is not obvious from the source are next to the row.
#include "codes/defaults.hpp"

#include <initializer_list>

namespace mv::codes {

namespace {

StageSet stages(std::initializer_list<Stage> list) {
    StageSet s;
    for (Stage st : list) s.set(static_cast<int>(st));
    return s;
}

using S = Stage;
constexpr auto R = Disposition::Reject;
constexpr auto T = Disposition::Tempfail;

std::vector<DefaultRow> build_table() {
    const auto all = stages({S::Connect, S::Helo, S::Mail, S::Rcpt, S::Data, S::EndOfData});
    const auto envelope_and_data = stages({S::Mail, S::Rcpt, S::Data, S::EndOfData});
    return {
        // A rule's own refusal. 554 is the reply to a refused DATA command and
        // the greeting of a host that refuses the connection (RFC 5321 3.1,
        // 3.3, 4.3.2: 550 is not listed there); 550 everywhere else.
        {Reason::Policy,
         R,
         stages({S::Connect}),
         {554, "5.7.1", "Connection refused by policy",
          "RFC 5321 3.1, 4.3.2 (554 at the greeting); RFC 3463 X.7.1"}},
        {Reason::Policy,
         R,
         stages({S::Helo, S::Mail, S::Rcpt, S::EndOfData}),
         {550, "5.7.1", "Message refused by policy",
          "RFC 5321 4.3.2 (550 at HELO, MAIL, RCPT, end of data); RFC 3463 X.7.1"}},
        {Reason::Policy,
         R,
         stages({S::Data}),
         {554, "5.7.1", "Message refused by policy",
          "RFC 5321 3.3, 4.3.2 (554 at the DATA command); RFC 3463 X.7.1"}},
        // 450 "mailbox unavailable" is the temporary policy refusal at RCPT; at
        // MAIL and end of data RFC 5321 4.3.2 lists 451 but not 450 (at the
        // DATA command only RFC 2821 4.3.2 lists 451: data/SOURCES.md). At the
        // greeting and HELO no temporary refusal but 421 exists: such verdicts
        // are delivered at RCPT (delay_reject) and check-config warns otherwise.
        {Reason::Policy,
         T,
         stages({S::Rcpt}),
         {450, "4.7.1", "Temporarily refused by policy, please try again later",
          "RFC 5321 4.3.2 (450 at RCPT); RFC 3463 X.7.1"}},
        {Reason::Policy,
         T,
         stages({S::Connect, S::Helo, S::Mail, S::Data, S::EndOfData}),
         {451, "4.7.1", "Temporarily refused by policy, please try again later",
          "RFC 5321 4.3.2 (451 at MAIL, end of data), RFC 2821 4.3.2 (DATA); RFC 3463 X.7.1"}},

        // size (end of data) and declared_size (SIZE= at MAIL, delivered at
        // MAIL or RCPT): 552 "exceeded storage allocation" and X.3.4 "Message
        // too big for system", permanent only (RFC 3463); RFC 1870 6.1 gives 552
        // for a message over a fixed limit. At the DATA command 552 is not
        // listed; the registry lists 554 for X.3.4.
        {Reason::MessageTooBig,
         R,
         stages({S::Mail, S::Rcpt, S::EndOfData}),
         {552, "5.3.4", "Message too big",
          "RFC 5321 4.3.2 (552 at MAIL, RCPT, end of data); RFC 1870 6.1; RFC 3463 X.3.4"}},
        {Reason::MessageTooBig,
         R,
         stages({S::Data}),
         {554, "5.3.4", "Message too big",
          "RFC 5321 3.3, 4.3.2 (554 at the DATA command); RFC 3463 X.3.4 (IANA lists 554)"}},
        // A temporary size refusal is "insufficient system storage" (RFC 1870
        // 6.2: 452 for a SIZE the server cannot take now); X.3.4 is permanent
        // only, X.3.1 "Mail system full" the transient one (RFC 3463).
        {Reason::MessageTooBig,
         T,
         stages({S::Mail, S::Rcpt, S::EndOfData}),
         {452, "4.3.1", "Insufficient system storage for this message, please try again later",
          "RFC 5321 4.3.2 (452 at MAIL, RCPT, end of data); RFC 1870 6.2; RFC 3463 X.3.1"}},

        // rcpt_count and the engine's own recipient bound: RFC 5321 4.5.3.1.10
        // makes 452 the reply for too many recipients (the client sends the
        // rest in another transaction); X.5.3 "Too many recipients" (RFC 3463;
        // IANA lists 451, the project adds 452).
        {Reason::TooManyRecipients,
         T,
         stages({S::Rcpt, S::EndOfData}),
         {452, "4.5.3", "Too many recipients",
          "RFC 5321 4.5.3.1.10, 4.3.2 (452 at RCPT, end of data); RFC 3463 X.5.3"}},
        {Reason::TooManyRecipients,
         T,
         stages({S::Data}),
         {451, "4.5.3", "Too many recipients, please try again later",
          "RFC 2821 4.3.2 (451 at DATA); RFC 3463 X.5.3 (IANA lists 451)"}},
        // A permanent refusal goes against RFC 5321 4.5.3.1.10 (check-config
        // warns); 550 rather than RFC 821's 552, which clients must treat as
        // temporary here. The project adds 550 to X.5.3 (data/SOURCES.md).
        {Reason::TooManyRecipients,
         R,
         stages({S::Rcpt, S::EndOfData}),
         {550, "5.5.3", "Too many recipients",
          "RFC 5321 4.5.3.1.10, 4.3.2 (550 at RCPT, end of data); RFC 3463 X.5.3"}},

        // Greylisting: a temporary failure (RFC 6647 2.1), refused at RCPT or
        // at the DATA command (greylist refuse_at).
        {Reason::Greylist,
         T,
         stages({S::Rcpt, S::Data}),
         {451, "4.7.1", "Greylisted, please try again in ${retry} seconds",
          "RFC 6647 2.1; RFC 5321 4.3.2 (451 at RCPT), RFC 2821 4.3.2 (DATA); RFC 3463 X.7.1"}},

        {Reason::RateLimit,
         T,
         stages({S::Rcpt}),
         {450, "4.7.1", "Rate limit exceeded, please try again in ${retry} seconds",
          "RFC 5321 4.3.2 (450 at RCPT); RFC 3463 X.7.1"}},
        {Reason::RateLimit,
         T,
         stages({S::Connect, S::Helo, S::Mail, S::Data, S::EndOfData}),
         {451, "4.7.1", "Rate limit exceeded, please try again in ${retry} seconds",
          "RFC 5321 4.3.2 (451 at MAIL, end of data), RFC 2821 4.3.2 (DATA); RFC 3463 X.7.1"}},

        // A state backend or DNS failure of a rule that fails closed: X.4.3
        // "Directory server failure" (RFC 3463) covers lookup failures. At the
        // greeting and HELO only 421 is a temporary reply (RFC 5321 4.3.2); it
        // closes the session (the project adds 421 to X.4.3: data/SOURCES.md).
        {Reason::BackendFailure,
         T,
         stages({S::Connect, S::Helo}),
         {421, "4.4.3", "Temporary lookup failure, closing connection",
          "RFC 5321 3.8, 4.3.2 (421 at the greeting and HELO); RFC 3463 X.4.3"}},
        {Reason::BackendFailure,
         T,
         envelope_and_data,
         {451, "4.4.3", "Temporary lookup failure, please try again later",
          "RFC 5321 4.3.2 (451); RFC 3463 X.4.3"}},

        // reply.disconnect: 421 closes the session (RFC 5321 3.8, 4.2.2); X.7.0
        // "other security status" (the project adds 421 to X.7.0). A permanent
        // disconnect is 521 "does not accept mail" (RFC 7504), defined for the
        // greeting; the registry pairs it with X.3.2. Elsewhere a permanent
        // refusal cannot close the session (Postfix closes only after 421), so
        // check-config refuses reject + disconnect there.
        {Reason::Disconnect,
         T,
         all,
         {421, "4.7.0", "Service not available, closing connection",
          "RFC 5321 3.8, 4.2.2; RFC 3463 X.7.0"}},
        {Reason::Disconnect,
         R,
         stages({S::Connect}),
         {521, "5.3.2", "Host does not accept mail, closing connection",
          "RFC 7504 3; IANA X.3.2 (521)"}},

        // The daemon's own failure (on_error = tempfail) and data over a bound.
        // At the greeting and HELO only 421 (closes the session); the registry
        // lists 421 for X.3.0. The daemon sends it itself, at once.
        {Reason::InternalError,
         T,
         stages({S::Connect, S::Helo}),
         {421, "4.3.0", "Temporary internal error, closing connection",
          "RFC 5321 3.8, 4.2.3, 4.3.2 (421 at the greeting and HELO); RFC 3463 X.3.0 (IANA "
          "lists 421)"}},
        {Reason::InternalError,
         T,
         envelope_and_data,
         {451, "4.3.0", "Temporary internal error, please try again later",
          "RFC 5321 4.3.2 (451); RFC 3463 X.3.0"}},

        // DNS evidence. A DNS block list (dns_list over its threshold): the
        // policy code with Postfix's text of reject_rbl_client; Postfix sends
        // 554 there, which RFC 5321 4.3.2 does not list at RCPT. At the
        // greeting and the DATA command (554 5.7.1) and for a tempfail the
        // policy rows apply, with this text.
        {Reason::DnsBlockList,
         R,
         stages({S::Helo, S::Mail, S::Rcpt, S::EndOfData}),
         {550, "5.7.1", "Client host [${client_addr}] blocked using ${dns_zones}",
          "RFC 5782 (DNS lists); RFC 5321 4.3.2 (550 at HELO, MAIL, RCPT, end of data); RFC 3463 "
          "X.7.1"}},
        // reverse_dns: X.7.25 "Reverse DNS validation failed" (RFC 7372 3;
        // the registry lists 550). The cautious form is a tempfail, as
        // Postfix's reject_unknown_client_hostname with its default
        // unknown_client_reject_code = 450 answers 450 4.7.25; the project
        // adds 450 and 451 to X.7.25 (data/SOURCES.md).
        {Reason::ReverseDns,
         R,
         stages({S::Helo, S::Mail, S::Rcpt, S::EndOfData}),
         {550, "5.7.25", "Client host [${client_addr}] rejected: reverse DNS validation failed",
          "RFC 7372 3 (X.7.25, 550); RFC 5321 4.3.2 (550 at HELO, MAIL, RCPT, end of data)"}},
        {Reason::ReverseDns,
         T,
         stages({S::Rcpt}),
         {450, "4.7.25", "Client host [${client_addr}] rejected: reverse DNS validation failed",
          "Postfix reject_unknown_client_hostname (unknown_client_reject_code 450); RFC 5321 "
          "4.3.2 (450 at RCPT); RFC 7372 X.7.25"}},
        {Reason::ReverseDns,
         T,
         stages({S::Mail, S::EndOfData}),
         {451, "4.7.25", "Client host [${client_addr}] rejected: reverse DNS validation failed",
          "RFC 5321 4.3.2 (451 at MAIL, end of data); RFC 7372 X.7.25"}},
        // sender_domain unknown: NXDOMAIN, or no MX, A or AAAA - Postfix's
        // reject_unknown_sender_domain (450 4.1.8 with its default
        // unknown_address_reject_code, 550 5.1.8 when set to 550). X.1.8 "Bad
        // sender's system address" (RFC 3463); the registry lists 451 and
        // 501, the project adds 450 and 550 (data/SOURCES.md).
        {Reason::SenderDomain,
         R,
         stages({S::Mail, S::Rcpt, S::EndOfData}),
         {550, "5.1.8", "<${sender}>: Sender address rejected: Domain not found",
          "Postfix reject_unknown_sender_domain; RFC 5321 4.3.2 (550 at MAIL, RCPT, end of data); "
          "RFC 3463 X.1.8"}},
        {Reason::SenderDomain,
         T,
         stages({S::Rcpt}),
         {450, "4.1.8", "<${sender}>: Sender address rejected: Domain not found",
          "Postfix reject_unknown_sender_domain (unknown_address_reject_code 450); RFC 5321 4.3.2 "
          "(450 at RCPT); RFC 3463 X.1.8"}},
        {Reason::SenderDomain,
         T,
         stages({S::Mail, S::EndOfData}),
         {451, "4.1.8", "<${sender}>: Sender address rejected: Domain not found",
          "RFC 5321 4.3.2 (451 at MAIL, end of data); RFC 3463 X.1.8 (IANA lists 451)"}},
        // Null MX (RFC 7505): a sender domain that accepts no mail cannot take
        // bounces, 550 5.7.27 (RFC 7505 4.2); a recipient domain that accepts
        // none, 556 5.1.10 (RFC 7504 3, RFC 7505 3), a reply of RCPT only.
        {Reason::SenderNullMx,
         R,
         stages({S::Mail, S::Rcpt, S::EndOfData}),
         {550, "5.7.27", "<${sender}>: Sender address rejected: Domain does not accept mail",
          "RFC 7505 4.2 (550 5.7.27); RFC 5321 4.3.2 (550 at MAIL, RCPT, end of data)"}},
        {Reason::RecipientNullMx,
         R,
         stages({S::Rcpt}),
         {556, "5.1.10", "<${rcpt}>: Recipient address rejected: Domain does not accept mail",
          "RFC 7504 3, RFC 7505 3 (556 at RCPT); IANA X.1.10 (556)"}},
    };
}

const DefaultRow* find_row(Disposition disposition, Reason reason, Stage stage) {
    for (const auto& row : default_table())
        if (row.reason == reason && row.disposition == disposition &&
            row.stages.test(static_cast<int>(stage)))
            return &row;
    return nullptr;
}

}  // namespace

const std::vector<DefaultRow>& default_table() {
    static const std::vector<DefaultRow> table = build_table();
    return table;
}

DefaultReply default_reply(Disposition disposition, Reason reason, Stage stage) {
    if (const DefaultRow* row = find_row(disposition, reason, stage)) return row->reply;
    // No row of its own: the policy code of the action, with the reason's text.
    const DefaultRow* policy = find_row(disposition, Reason::Policy, stage);
    DefaultReply r = policy->reply;
    for (Disposition other :
         {disposition,
          disposition == Disposition::Reject ? Disposition::Tempfail : Disposition::Reject})
        for (const auto& row : default_table())
            if (row.reason == reason && row.disposition == other) {
                r.text = row.reply.text;
                return r;
            }
    return r;
}

std::string_view reason_name(Reason reason) {
    switch (reason) {
        case Reason::Policy:
            return "policy";
        case Reason::Greylist:
            return "greylist";
        case Reason::RateLimit:
            return "rate-limit";
        case Reason::TooManyRecipients:
            return "too-many-recipients";
        case Reason::MessageTooBig:
            return "message-too-big";
        case Reason::BackendFailure:
            return "backend-failure";
        case Reason::Disconnect:
            return "disconnect";
        case Reason::InternalError:
            return "internal-error";
        case Reason::DnsBlockList:
            return "dns-list";
        case Reason::ReverseDns:
            return "reverse-dns";
        case Reason::SenderDomain:
            return "sender-domain";
        case Reason::SenderNullMx:
            return "sender-null-mx";
        case Reason::RecipientNullMx:
            return "recipient-null-mx";
    }
    return "policy";
}

std::optional<Reason> parse_reason(std::string_view name) {
    for (Reason r : {Reason::Policy, Reason::Greylist, Reason::RateLimit, Reason::TooManyRecipients,
                     Reason::MessageTooBig, Reason::BackendFailure, Reason::Disconnect,
                     Reason::InternalError, Reason::DnsBlockList, Reason::ReverseDns,
                     Reason::SenderDomain, Reason::SenderNullMx, Reason::RecipientNullMx})
        if (reason_name(r) == name) return r;
    return std::nullopt;
}

std::string_view reason_trigger(Reason reason) {
    switch (reason) {
        case Reason::Policy:
            return "a rule without a reason-bearing condition (or with several kinds)";
        case Reason::Greylist:
            return "a rule whose reason-bearing condition is greylist";
        case Reason::RateLimit:
            return "a rule whose reason-bearing condition is rate_limit";
        case Reason::TooManyRecipients:
            return "a rule whose reason-bearing condition is rcpt_count; the engine's bound of "
                   "10000 recipients";
        case Reason::MessageTooBig:
            return "a rule whose reason-bearing conditions are size or declared_size";
        case Reason::BackendFailure:
            return "a state backend (or DNS) failure of a rule that fails closed";
        case Reason::Disconnect:
            return "a rule whose reply says disconnect = true";
        case Reason::InternalError:
            return "the daemon's own failure (on_error = tempfail) or data over a bound";
        case Reason::DnsBlockList:
            return "a rule whose reason-bearing condition is dns_list (the score reaches the "
                   "list's threshold)";
        case Reason::ReverseDns:
            return "a rule whose reason-bearing condition is reverse_dns (no PTR, not "
                   "forward-confirmed, or a PTR name on a list); tempfail is Postfix's cautious "
                   "reject_unknown_client_hostname";
        case Reason::SenderDomain:
            return "a rule whose reason-bearing condition is sender_domain = \"unknown\" "
                   "(NXDOMAIN, or no MX, A or AAAA)";
        case Reason::SenderNullMx:
            return "a rule whose reason-bearing condition is sender_domain = \"null_mx\" (RFC "
                   "7505)";
        case Reason::RecipientNullMx:
            return "a rule whose reason-bearing condition is rcpt_domain = \"null_mx\" (RFC "
                   "7505)";
    }
    return "";
}

std::string_view disposition_name(Disposition d) {
    return d == Disposition::Reject ? "reject" : "tempfail";
}

}  // namespace mv::codes
