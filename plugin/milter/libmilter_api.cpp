// SPDX-License-Identifier: Apache-2.0
// libmilter_api.cpp - forwards each MilterApi call to its smfi_* function.
//
// libmilter's prototypes take `char*` where they only read; the const_casts
// below are confined here.
#include "milter/libmilter_api.hpp"

#include <array>

namespace mv::milter {

namespace {

char* mut(const std::string& s) {
    return const_cast<char*>(s.c_str());
}
char* mut_or_null(const std::string& s) {
    return s.empty() ? nullptr : mut(s);
}

// smfi_setmlreply takes at most 32 lines as varargs, NULL-terminated.
constexpr std::size_t kMaxLines = 32;

}  // namespace

bool LibmilterApi::set_reply(const std::string& rcode, const std::string& xcode,
                             const std::string& text) {
    return smfi_setreply(ctx_, mut(rcode), mut_or_null(xcode), mut(text)) == MI_SUCCESS;
}

bool LibmilterApi::set_ml_reply(const std::string& rcode, const std::string& xcode,
                                const std::vector<std::string>& lines) {
    if (lines.empty() || lines.size() > kMaxLines) return false;
    // Unused slots stay null: libmilter stops at the first null argument.
    std::array<const char*, kMaxLines + 1> l{};
    for (std::size_t i = 0; i < lines.size(); ++i) l[i] = lines[i].c_str();
    const char* x = xcode.empty() ? nullptr : xcode.c_str();
    return smfi_setmlreply(ctx_, rcode.c_str(), x, l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7],
                           l[8], l[9], l[10], l[11], l[12], l[13], l[14], l[15], l[16], l[17],
                           l[18], l[19], l[20], l[21], l[22], l[23], l[24], l[25], l[26], l[27],
                           l[28], l[29], l[30], l[31], l[32]) == MI_SUCCESS;
}

bool LibmilterApi::add_header(const std::string& name, const std::string& value) {
    return smfi_addheader(ctx_, mut(name), mut(value)) == MI_SUCCESS;
}

bool LibmilterApi::quarantine(const std::string& reason) {
    return smfi_quarantine(ctx_, mut(reason)) == MI_SUCCESS;
}

const char* LibmilterApi::symval(const std::string& name) {
    return smfi_getsymval(ctx_, mut(name));
}

bool LibmilterApi::set_symlist(int where, const std::string& macros) {
    return smfi_setsymlist(ctx_, where, mut(macros)) == MI_SUCCESS;
}

void LibmilterApi::set_context(ConnectionContext* context) {
    smfi_setpriv(ctx_, context);
}

ConnectionContext* LibmilterApi::context() {
    return static_cast<ConnectionContext*>(smfi_getpriv(ctx_));
}

}  // namespace mv::milter
