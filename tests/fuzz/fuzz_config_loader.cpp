// SPDX-License-Identifier: Apache-2.0
// fuzz_config_loader.cpp - any bytes as a policy file, with an @include file and a list file.
//
// Input: MAIN \x01 INCLUDED \x01 LIST (fuzz_input.hpp split()). The three
// parts are written to main.conf, inc.conf and list.txt in a scratch
// directory, and main.conf is loaded with config::load_policy(), which
// follows `@include "inc.conf"` and `file = "list.txt"` there (the seeds use
// both names). \x01 never belongs in a configuration: the loader refuses it
// as binary data, so the separator takes nothing reachable away.
//
// Properties checked beyond "no crash, no leak, no hang":
//  * every diagnostic is one line (check-config prints them, and a reload
//    logs them to syslog: a newline would forge a log line);
//  * a policy is returned exactly when there is no error;
//  * a loaded policy runs one fixed transaction through policy::Session
//    (rules compiled from any text must evaluate without failing), with an
//    in-memory store attached when a rule needs one.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "config/loader.hpp"
#include "fuzz_input.hpp"
#include "policy/session.hpp"
#include "state/memory_store.hpp"

namespace {

void run_transaction(const mv::policy::PolicyPtr& policy) {
    if (policy->state_slot->needed()) {
        mv::state::MemoryOptions o;
        o.max_entries = 1000;
        policy->state_slot->attach(
            std::make_shared<mv::state::MemoryStore>(o, std::make_shared<mv::state::FakeClock>()));
    }
    mv::policy::Session s(policy);
    auto& tx = s.transaction();
    tx.client_addr = "192.0.2.1";
    tx.client_name = "mx.example.org";
    tx.macros["client_addr"] = tx.client_addr;
    tx.macros["i"] = "4Q1x2y3z";
    s.connect();
    s.helo("mx.example.org");
    s.mail("alice@example.org");
    s.rcpt("bob@example.net");
    s.rcpt("postmaster@example.net");
    s.data();
    s.header("Subject", "=?UTF-8?B?aGVsbG8=?=");
    s.header("From", "Alice <alice@example.org>");
    s.body("hello\r\n");
    s.end_of_message();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string dir = mv::fuzz::scratch_dir();
    const auto parts =
        mv::fuzz::split(std::string_view(reinterpret_cast<const char*>(data), size), '\x01', 3);
    mv::fuzz::write_file(dir + "/main.conf", parts[0]);
    mv::fuzz::write_file(dir + "/inc.conf", parts[1]);
    mv::fuzz::write_file(dir + "/list.txt", parts[2]);

    const mv::config::LoadResult r = mv::config::load_policy(dir + "/main.conf");
    for (const auto& d : r.diagnostics) {
        const std::string line = d.to_string();
        MV_FUZZ_CHECK(line.find('\n') == std::string::npos);
        MV_FUZZ_CHECK(line.find('\r') == std::string::npos);
    }
    MV_FUZZ_CHECK(r.ok() == (r.errors() == 0));
    if (r.ok()) run_transaction(r.policy);
    return 0;
}
