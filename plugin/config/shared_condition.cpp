// SPDX-License-Identifier: Apache-2.0
// shared_condition.cpp - fingerprints of settings for the shared-condition cache.
#include "config/shared_condition.hpp"

namespace mv::config {

using libconfig::Setting;

void fingerprint(const Setting& s, std::string& out, bool& has_ref, bool& all_refs) {
    if (s.getName() != nullptr) out += s.getName();
    switch (s.getType()) {
        case Setting::TypeString: {
            const char* v = s;
            if (v[0] == '@')
                has_ref = true;
            else
                all_refs = false;
            out += "=\"";
            out += v;
            out += "\"";
            break;
        }
        case Setting::TypeBoolean:
            out += static_cast<bool>(s) ? "=T" : "=F";
            break;
        case Setting::TypeGroup:
        case Setting::TypeArray:
        case Setting::TypeList:
            out += '{';
            for (int i = 0; i < s.getLength(); ++i) fingerprint(s[i], out, has_ref, all_refs);
            out += '}';
            break;
        default:
            out += "=?";
            all_refs = false;
            break;
    }
    out += '\n';
}

void report_unknown_refs(const Setting& s, const ListTable& lists, Diagnostics& diag) {
    if (s.getType() == Setting::TypeString) {
        const std::string v = static_cast<const char*>(s);
        if (!v.empty() && v[0] == '@' && !lists.known(v.substr(1)))
            lists.report_unknown(s, v.substr(1), diag);
        return;
    }
    if (s.isAggregate())
        for (int i = 0; i < s.getLength(); ++i) report_unknown_refs(s[i], lists, diag);
}

}  // namespace mv::config
