// SPDX-License-Identifier: Apache-2.0
// libmilter_api.hpp - MilterApi over a real libmilter SMFICTX*.
//
// Created on the stack by each extern "C" callback (callbacks.cpp) around the
// context libmilter passed in; it neither owns nor outlives that context.
//
// Thread contract: see milter_api.hpp.
#pragma once

#include <libmilter/mfapi.h>

#include "milter/milter_api.hpp"

namespace mv::milter {

class LibmilterApi final : public MilterApi {
  public:
    explicit LibmilterApi(SMFICTX* ctx) : ctx_(ctx) {}

    bool set_reply(const std::string& rcode, const std::string& xcode,
                   const std::string& text) override;
    bool set_ml_reply(const std::string& rcode, const std::string& xcode,
                      const std::vector<std::string>& lines) override;
    bool add_header(const std::string& name, const std::string& value) override;
    bool quarantine(const std::string& reason) override;
    const char* symval(const std::string& name) override;
    bool set_symlist(int where, const std::string& macros) override;
    void set_context(ConnectionContext* context) override;
    ConnectionContext* context() override;

  private:
    SMFICTX* ctx_;
};

}  // namespace mv::milter
