// SPDX-License-Identifier: Apache-2.0
// fake_milter_api.hpp - MilterApi and Logger fakes for the milter glue tests.
//
// FakeMilterApi records every smfi_* call in order (calls), serves macros
// from a map, holds the private context pointer, and can be told to throw
// from symval() to exercise the handlers' exception path. RecordingLogger
// keeps every log line.
//
// Thread contract: single-threaded tests only.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "milter/logger.hpp"
#include "milter/milter_api.hpp"

namespace mv::milter::test {

struct ReplyCall {
    std::string rcode, xcode;
    std::vector<std::string> lines;
    bool multi = false;  // set_ml_reply
};

class FakeMilterApi final : public MilterApi {
  public:
    std::vector<std::string> calls;  // "setreply", "setmlreply", "addheader", ...
    std::vector<ReplyCall> replies;
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<std::string> quarantines;
    std::map<int, std::string> symlists;
    std::map<std::string, std::string> macros;  // libmilter names: "i", "{client_addr}"
    bool throw_on_symval = false;
    ConnectionContext* ctx = nullptr;

    bool set_reply(const std::string& rcode, const std::string& xcode,
                   const std::string& text) override {
        calls.push_back("setreply");
        replies.push_back({rcode, xcode, {text}, false});
        return true;
    }
    bool set_ml_reply(const std::string& rcode, const std::string& xcode,
                      const std::vector<std::string>& lines) override {
        calls.push_back("setmlreply");
        replies.push_back({rcode, xcode, lines, true});
        return true;
    }
    bool add_header(const std::string& name, const std::string& value) override {
        calls.push_back("addheader");
        headers.emplace_back(name, value);
        return true;
    }
    bool quarantine(const std::string& reason) override {
        calls.push_back("quarantine");
        quarantines.push_back(reason);
        return true;
    }
    const char* symval(const std::string& name) override {
        if (throw_on_symval) throw std::runtime_error("symval failure injected by the test");
        auto it = macros.find(name);
        return it == macros.end() ? nullptr : it->second.c_str();
    }
    bool set_symlist(int where, const std::string& list) override {
        calls.push_back("setsymlist");
        symlists[where] = list;
        return true;
    }
    void set_context(ConnectionContext* c) override { ctx = c; }
    ConnectionContext* context() override { return ctx; }

    // Forget the calls of the previous stage (the context stays).
    void clear_calls() {
        calls.clear();
        replies.clear();
    }
};

class RecordingLogger final : public Logger {
  public:
    std::vector<std::string> lines;
    void log(LogLevel level, std::string_view line) override {
        lines.push_back(std::string(level_name(level)) + ": " + std::string(line));
    }
    int count_containing(const std::string& needle) const {
        int n = 0;
        for (const auto& l : lines)
            if (l.find(needle) != std::string::npos) ++n;
        return n;
    }
};

}  // namespace mv::milter::test
