// SPDX-License-Identifier: Apache-2.0
// metrics_address.hpp - the `metrics` setting: where the HTTP endpoint listens.
//
//   metrics = "127.0.0.1:9809";      loopback (the usual choice)
//   metrics = "192.0.2.10:9809";     one interface
//   metrics = "0.0.0.0:9809";        every interface: only when written so (a warning at start)
//   metrics = "[::1]:9809";          IPv6, when the HTTP library supports it
//
// The value names an IP address and a port; a bare port ("9809", ":9809")
// is refused because it would listen on every interface, and host names are
// refused (they are not resolved: write the address). "" (the default) turns
// the endpoint off. Debian 12's civetweb is built without IPv6, so an IPv6
// address is refused with that reason there.
//
// Errors: parse_metrics_address() returns a one-line reason for check-config.
//
// Thread contract: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mv::observability {

struct MetricsAddress {
    std::string host;  // "127.0.0.1", "::1"
    int port = 0;
    bool ipv6 = false;

    bool every_interface() const { return host == "0.0.0.0" || host == "::"; }
    std::string listening_ports() const;  // civetweb's form: "127.0.0.1:9809", "[::1]:9809"
    std::string url() const;              // "http://127.0.0.1:9809/metrics"
};

struct MetricsAddressParse {
    std::optional<MetricsAddress> address;
    std::string error;
};

MetricsAddressParse parse_metrics_address(std::string_view text);

}  // namespace mv::observability
