// SPDX-License-Identifier: Apache-2.0
// metrics_address.cpp - see metrics_address.hpp.
#include "observability/metrics_address.hpp"

#include <arpa/inet.h>
#include <civetweb.h>

namespace mv::observability {

namespace {

// civetweb's feature bit for IPv6 (mg_check_feature).
constexpr unsigned kCivetwebIpv6 = 8;

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

std::string MetricsAddress::listening_ports() const {
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string MetricsAddress::url() const {
    return "http://" + listening_ports() + "/metrics";
}

MetricsAddressParse parse_metrics_address(std::string_view text) {
    MetricsAddressParse out;
    const std::string s(text);
    if (all_digits(s) || (!s.empty() && s[0] == ':' && all_digits(s.substr(1)))) {
        const std::string port = s[0] == ':' ? s.substr(1) : s;
        out.error = "a bare port would listen on every interface; write 127.0.0.1:" + port +
                    " (or 0.0.0.0:" + port + " if you mean every interface)";
        return out;
    }
    MetricsAddress a;
    std::string port;
    if (!s.empty() && s[0] == '[') {
        const auto close = s.find(']');
        if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') {
            out.error = "expected [IPv6]:PORT, such as [::1]:9809";
            return out;
        }
        a.host = s.substr(1, close - 1);
        a.ipv6 = true;
        port = s.substr(close + 2);
    } else {
        const auto colon = s.rfind(':');
        if (colon == std::string::npos) {
            out.error = "expected ADDRESS:PORT, such as 127.0.0.1:9809";
            return out;
        }
        a.host = s.substr(0, colon);
        port = s.substr(colon + 1);
        if (a.host.find(':') != std::string::npos) {
            out.error = "an IPv6 address needs brackets: [" + a.host + "]:" + port;
            return out;
        }
    }
    if (!all_digits(port) || port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535) {
        out.error = "bad port '" + port + "' (1 to 65535)";
        return out;
    }
    a.port = std::stoi(port);
    unsigned char buf[16];
    if (inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.host.c_str(), buf) != 1) {
        out.error = "'" + a.host + "' is not an " + (a.ipv6 ? "IPv6" : "IPv4") +
                    " address (host names are not resolved: write the address, such as "
                    "127.0.0.1)";
        return out;
    }
    if (a.ipv6 && !mg_check_feature(kCivetwebIpv6)) {
        out.error =
            "IPv6 addresses are not supported: the HTTP library (civetweb) was built "
            "without IPv6; use an IPv4 address such as 127.0.0.1";
        return out;
    }
    out.address = a;
    return out;
}

}  // namespace mv::observability
