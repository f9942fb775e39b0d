// SPDX-License-Identifier: Apache-2.0
// table_resolver.hpp - resolvers that answer from a table or by hand.
//
// TableResolver answers every question at once from its table: `simulate
// --dns-answer` gives answers offline, and a question the table does not hold
// is NXDOMAIN ("offline: nothing else exists"). ManualResolver keeps every
// question until a test answers it (answer()), so tests decide when and how a
// lookup ends; its destructor answers what is left with TempFail.
//
// parse_answer_spec() reads one --dns-answer value:
//   NAME TYPE VALUE...      2.0.0.127.zen.example A 127.0.0.2 127.0.0.4
//                           example.org MX 0 .         example.org MX 10 mx.example.org
//                           example.org TXT some text   1.2.0.192.in-addr.arpa PTR mx.example
//   NAME TYPE NXDOMAIN | NODATA | SERVFAIL | TIMEOUT
// (a name may end with a dot; TYPE is A, AAAA, PTR, MX or TXT, case-insensitive). Several
// values for the same name and type add records.
//
// Errors: parse_answer_spec() returns a one-line reason.
//
// Thread contract: both are safe from any thread.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dns/resolver.hpp"

namespace mv::dns {

class TableResolver final : public Resolver {
  public:
    void add(const Question& q, const Answer& a);  // records of a Records answer add up
    void resolve(const Question& q, TimePoint deadline, Done done) override;
    std::string describe() const override { return "offline answers (--dns-answer)"; }
    bool instant() const override { return true; }
    std::vector<std::string> asked() const;  // question keys, in order

  private:
    mutable std::mutex mu_;
    std::map<std::string, Answer> table_;
    std::vector<std::string> asked_;
};

class ManualResolver final : public Resolver {
  public:
    ~ManualResolver() override;
    void resolve(const Question& q, TimePoint deadline, Done done) override;
    std::string describe() const override { return "manual (tests)"; }

    // Answers every pending question with this key ("A 2.0.0.127.zen.example");
    // false when none was pending.
    bool answer(const std::string& key, const Answer& a);
    std::vector<std::string> pending() const;
    std::size_t asked() const;

  private:
    mutable std::mutex mu_;
    std::vector<std::pair<std::string, Done>> pending_;
    std::size_t asked_ = 0;
};

// "NAME TYPE VALUE..." -> the question and answer; "" on success.
std::string parse_answer_spec(const std::string& spec, Question& q, Answer& a);

// Convenience for tests and simulate.
Answer records(std::vector<std::string> r, std::uint32_t ttl = 300);
Answer nxdomain(std::uint32_t ttl = 300);
Answer nodata(std::uint32_t ttl = 300);
Answer failure(Outcome o);

}  // namespace mv::dns
