// negotiation.hpp - what milter-verdict asks of the MTA for one connection.
//
// negotiate() turns a Policy and what the MTA offers (xxfi_negotiate's f0
// actions and f1 protocol steps) into the actions and steps requested and the
// macro list for each stage (smfi_setsymlist). Stages the policy does not
// need are negotiated away (headers, end of header, body, unknown commands,
// and DATA when `allow_skip_data`), headers and body chunks get no reply
// (SMFIP_NR_HDR, SMFIP_NR_BODY), so a policy without content rules costs the
// MTA no round trip for them. DESIGN.md section 7: skipping DATA on TCP stalls
// the MTA ~40 ms unless the listening socket has TCP_NODELAY, so the daemon
// passes allow_skip_data = false when it could not set it.
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

Negotiation negotiate(const policy::Policy& policy, unsigned long offered_actions,
                      unsigned long offered_protocol, bool allow_skip_data);

// Macro names in libmilter form ("i", "{client_addr}") read at `stage`.
std::vector<std::string> macros_for_stage(const policy::Policy& policy, codes::Stage stage);

// The SMFIM_* index of an SMTP stage.
int symlist_index(codes::Stage stage);

// "{client_addr}" -> "client_addr", "i" -> "i".
std::string macro_key(const std::string& libmilter_name);

}  // namespace mv::milter
