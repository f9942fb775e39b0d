// SPDX-License-Identifier: Apache-2.0
// milter_api.hpp - the seam between the milter handlers and libmilter.
//
// Every smfi_* call the handlers make goes through MilterApi, so the handlers
// (milter.hpp) run in unit tests against a fake (tests/unit/fake_milter_api.hpp)
// without an MTA. The production implementation is LibmilterApi
// (libmilter_api.hpp), a thin wrapper around one SMFICTX*.
//
// Call order: an implementation is created per callback invocation and used
// only inside it; set_reply/set_ml_reply must be called immediately before the
// callback returns SMFIS_REJECT/SMFIS_TEMPFAIL; set_symlist only during
// negotiation; add_header and quarantine only at end of message.
//
// Errors: the bool results say whether libmilter accepted the request
// (MI_SUCCESS). symval() returns nullptr for a macro the MTA did not send.
//
// Thread contract: one instance per callback, never shared between threads.
#pragma once

#include <string>
#include <vector>

namespace mv::milter {

class ConnectionContext;

class MilterApi {
  public:
    virtual ~MilterApi() = default;

    // smfi_setreply: one line. `xcode` may be empty (MTA default). `text` must
    // already have '%' escaped as "%%" (reply_sender.hpp does it).
    virtual bool set_reply(const std::string& rcode, const std::string& xcode,
                           const std::string& text) = 0;
    // smfi_setmlreply: 2 to 32 lines, same escaping.
    virtual bool set_ml_reply(const std::string& rcode, const std::string& xcode,
                              const std::vector<std::string>& lines) = 0;
    // smfi_addheader.
    virtual bool add_header(const std::string& name, const std::string& value) = 0;
    // smfi_quarantine.
    virtual bool quarantine(const std::string& reason) = 0;
    // smfi_getsymval: `name` as libmilter wants it ("i", "{client_addr}").
    virtual const char* symval(const std::string& name) = 0;
    // smfi_setsymlist: `where` is an SMFIM_* stage, `macros` space-separated.
    virtual bool set_symlist(int where, const std::string& macros) = 0;
    // smfi_setpriv / smfi_getpriv: the connection context, not owned here.
    virtual void set_context(ConnectionContext* context) = 0;
    virtual ConnectionContext* context() = 0;
};

}  // namespace mv::milter
