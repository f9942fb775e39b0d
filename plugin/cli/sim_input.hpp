// SPDX-License-Identifier: Apache-2.0
// sim_input.hpp - one simulated SMTP transaction, from options or a file.
//
// The same keys serve the command line (`--client 192.0.2.1`) and the
// transactions file of `simulate --file` (`client 192.0.2.1`): one key and
// its value per line, '#' comment lines, a blank line between transactions.
// Keys: client, client-name, client-resolve, helo, from, rcpt (repeatable),
// auth, tls (no value), macro NAME=VALUE (repeatable), header 'Name: value'
// (repeatable), body FILE, non-smtp (no value), dns-answer 'NAME TYPE VALUE'
// (repeatable; dns/table_resolver.hpp). A body path in a file is
// relative to that file's directory.
//
// Errors: apply() and parse_sim_file() return a one-line message (the file
// form prefixed "file:line: ") and the caller exits 64 (EX_USAGE).
//
// Thread contract: plain data and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mv::cli {

struct SimInput {
    std::string client_addr, client_name, client_resolve, helo, sender, auth;
    bool has_sender = false;
    bool tls = false;
    bool non_smtp = false;
    std::vector<std::string> rcpts;
    std::vector<std::pair<std::string, std::string>> macros;   // name without braces, value
    std::vector<std::pair<std::string, std::string>> headers;  // name, value
    std::string body_file;
    std::vector<std::string> dns_answers;  // "NAME TYPE VALUE", checked by sim_apply
    std::uint64_t size = 0;                // SIZE= announced at MAIL; 0 = none
    int line = 0;                          // first line in a transactions file
};

// True when `key` takes no value (tls, non-smtp).
bool sim_flag(const std::string& key);
// True when `key` is a transaction key at all.
bool sim_key(const std::string& key);
// Applies one key; "" on success, else the problem.
std::string sim_apply(SimInput& in, const std::string& key, const std::string& value);
// What is missing for a complete transaction, or "".
std::string sim_missing(const SimInput& in);

// Reads a transactions file; "" on success, else "file:line: problem".
std::string parse_sim_file(const std::string& path, std::vector<SimInput>& out);

}  // namespace mv::cli
