// SPDX-License-Identifier: Apache-2.0
// negotiation.hpp - what milter-verdict asks of the MTA for one connection.
//
// negotiate() turns a Policy and what the MTA offers (xxfi_negotiate's f0
// actions and f1 protocol steps) into the actions and steps requested and the
// macro list for each stage (smfi_setsymlist). Stages the policy does not
// need are negotiated away (headers, end of header, body, unknown commands)
// and headers and body chunks get no reply (SMFIP_NR_HDR, SMFIP_NR_BODY), so a
// policy without content rules costs the MTA no round trip for them.
//
// DATA is always negotiated, never SMFIP_NODATA (DESIGN.md section 7):
// Postfix sends the DATA macros even for a skipped DATA stage, from smtpd,
// and then hands the milter connection to cleanup, whose first write of the
// message (headers, end of message) Nagle holds until that unanswered packet
// is acknowledged - about 40 ms later, by the milter host's delayed ACK, on
// every message of a TCP socket. Answered, the DATA stage costs one round
// trip, and it is where the glue answers SMFIS_ACCEPT when nothing is left
// to decide (Session::settled), so that no end-of-message round trip follows.
//
// Connect, HELO and MAIL get no reply (SMFIP_NR_CONN, _HELO, _MAIL) when no
// rule of the policy runs there or earlier (every rule's stage is later, so
// nothing can decide there and nothing is settled there): a recipient rule
// costs the MTA one round trip at RCPT and one at DATA, as many as a milter
// that ends the conversation at RCPT, and the connection does not wait on
// the milter before its banner. Postfix keeps the unanswered commands in its
// stream buffer and writes them with the next command that wants a reply,
// so no packet is left unanswered for Nagle to hold a later write behind
// (the no-stall e2e group times every reply, not only the final one). RCPT
// always replies: the recipient bound (Limits::kMaxRecipients) answers
// there whatever the policy. The handlers answer SMFIS_NOREPLY at a quiet
// stage; a failure there is answered at the next RCPT (milter.hpp).
//
// macros_for_stage() is the list a handler reads with smfi_getsymval at each
// stage: the fixed macros the glue uses plus Policy::macros_needed(stage).
//
// Thread contract: pure functions.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "codes/stage.hpp"
#include "policy/policy.hpp"

namespace mv::milter {

// SMFIM_CONNECT .. SMFIM_EOH
inline constexpr int kSymlistStages = 7;

struct Negotiation {
    unsigned long actions = 0;   // *pf0: SMFIF_* requested
    unsigned long protocol = 0;  // *pf1: SMFIP_* requested
    // Space-separated macro names per SMFIM_* index; "" = do not set.
    std::array<std::string, kSymlistStages> symlists;
};

// The macro lists of a policy, per SMTP stage (macros_for_stage) and as
// smfi_setsymlist strings per SMFIM_* index: the same for every connection
// of a policy, so the glue computes them once per policy (milter.cpp).
struct MacroPlan {
    std::array<std::vector<std::string>, codes::kStageCount> by_stage;
    std::array<std::string, kSymlistStages> symlists;
};
MacroPlan macro_plan(const policy::Policy& policy);

// `plan`: the policy's macro_plan(), or null to compute it here.
Negotiation negotiate(const policy::Policy& policy, unsigned long offered_actions,
                      unsigned long offered_protocol, const MacroPlan* plan = nullptr);

// The SMFIP_NR_* steps negotiate() asks for a policy, and the NR bit of a
// stage (0 for stages that always reply).
unsigned long quiet_steps(const policy::Policy& policy);
unsigned long quiet_bit(codes::Stage stage);

// Macro names in libmilter form ("i", "{client_addr}") read at `stage`.
std::vector<std::string> macros_for_stage(const policy::Policy& policy, codes::Stage stage);

// The SMFIM_* index of an SMTP stage.
int symlist_index(codes::Stage stage);

// "{client_addr}" -> "client_addr", "i" -> "i".
std::string macro_key(const std::string& libmilter_name);

}  // namespace mv::milter
