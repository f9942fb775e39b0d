// SPDX-License-Identifier: Apache-2.0
// version.cpp - print_version() (version.hpp). It lives in the milter glue,
// the one part that includes libmilter; the other libraries' headers are
// included here for their version functions and macros only.
#include "milter/version.hpp"

#include <civetweb.h>
#include <fmt/core.h>
#include <hiredis/hiredis.h>
#include <idn2.h>
#include <libmilter/mfapi.h>
#include <link.h>
#include <unbound.h>

#include <libconfig.h++>
#include <string>

namespace mv::milter {

namespace {

// The file name of the loaded shared object whose name contains `part`.
std::string loaded_object(const char* part) {
    struct Search {
        const char* part;
        std::string found;
    } search{part, {}};
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* data) {
            auto* s = static_cast<Search*>(data);
            const std::string name = info->dlpi_name ? info->dlpi_name : "";
            if (name.find(s->part) == std::string::npos) return 0;
            s->found = name.substr(name.rfind('/') + 1);
            return 1;
        },
        &search);
    return search.found;
}

std::string dotted(unsigned a, unsigned b, unsigned c) {
    return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c);
}

}  // namespace

void print_version(std::ostream& out) {
    out << "milter-verdict " << MV_VERSION << "\n";
    unsigned major = 0, minor = 0, patch = 0;
    if (smfi_version(&major, &minor, &patch) == MI_SUCCESS)
        out << "libmilter " << dotted(major, minor, patch) << "\n";
    else
        out << "libmilter unknown\n";
    out << "libconfig++ "
        << dotted(LIBCONFIGXX_VER_MAJOR, LIBCONFIGXX_VER_MINOR, LIBCONFIGXX_VER_REVISION)
        << " (built with)\n";
    const std::string re2 = loaded_object("libre2.so");
    out << "RE2 " << (re2.empty() ? std::string("(no version API)") : re2 + " (no version API)")
        << "\n";
    out << "fmt " << dotted(FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)
        << " (built with)\n";
    out << "hiredis " << dotted(HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH) << " (built with)\n";
    const char* idn2 = idn2_check_version(nullptr);
    out << "libidn2 " << (idn2 ? idn2 : "unknown") << " (built with " << IDN2_VERSION << ")\n";
    out << "libunbound " << ub_version() << "\n";
    out << "civetweb " << mg_version() << "\n";
}

}  // namespace mv::milter
