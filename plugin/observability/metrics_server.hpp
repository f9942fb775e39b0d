// SPDX-License-Identifier: Apache-2.0
// metrics_server.hpp - the HTTP endpoint: GET /metrics on its own threads.
//
// MetricsServer runs civetweb (Debian libcivetweb, the server prometheus-cpp's
// pull exposer wraps) on the `metrics` address with handlers of our own:
// GET or HEAD /metrics answers Metrics::render() in the format the Accept
// header asks for (exposition.hpp); GET or HEAD / answers a small landing
// page (text/html) with the version and a link to /metrics; any other path is
// 404. Methods follow RFC 9110 section 9: one HTTP defines (POST, PUT, DELETE,
// CONNECT, OPTIONS, TRACE, and PATCH of RFC 5789) is 405 with "Allow: GET,
// HEAD" at / and /metrics,
// any other method 501 (whatever the path), including those civetweb itself
// refuses with 400 before any handler (TRACE, unknown tokens): an http_error
// callback answers those. No files are served (no document root), no CORS
// header is sent (a web page in a browser on this host cannot read the
// endpoint), no keep-alive.
//
// Bounds, so that a slow or hostile client cannot reach the milter path or
// grow the daemon: 4 worker threads, 16 accepted connections queued for them
// and a listen backlog of 32 (more connections wait in the kernel or are
// refused: 1,000 idle connections cost at most those 52 descriptors); a
// request must arrive whole within 5 s (slowloris) and its headers within
// 8 KiB (larger requests are answered 413 and closed: 10 MB of headers is
// read at most to that bound); a response the client does not read is given
// up after 5 s. Scrapes are rendered one at a time (Metrics::render), so a
// client that scrapes in a loop costs at most one core, and the milter's
// threads never wait for a scrape: they only touch atomics.
//
// Call order: start() after daemon(3) and the privilege drop (threads do not
// survive fork; a port below 1024 then fails, which is reported). The
// destructor stops the threads (it waits for requests in progress, at most
// the 5 s timeout).
//
// Errors: start() returns nullptr and the reason ("cannot listen on
// 127.0.0.1:9809: Address already in use").
//
// Thread contract: start() and the destructor from one thread; requests are
// served on civetweb's threads.
#pragma once

#include <memory>
#include <string>

#include "observability/metrics.hpp"
#include "observability/metrics_address.hpp"

struct mg_context;
struct mg_connection;

namespace mv::observability {

struct MetricsServerLimits {
    int threads = 4;
    int connection_queue = 16;
    int listen_backlog = 32;
    int request_timeout_ms = 5000;
    int max_request_size = 8192;
};

class MetricsServer {
  public:
    // Bind the address once and release it: "" when it can be listened on,
    // else the reason. Lets the daemon report a port in use before daemon(3).
    static std::string probe(const MetricsAddress& address);
    static std::unique_ptr<MetricsServer> start(const MetricsAddress& address, Metrics& metrics,
                                                std::string& error,
                                                const MetricsServerLimits& limits = {});
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // The port listened on (the kernel's choice when the address says port 0,
    // which only tests do: the configuration refuses it).
    int port() const { return port_; }

  private:
    explicit MetricsServer(Metrics& metrics) : metrics_(metrics) {}
    static int handle(::mg_connection* conn);

    Metrics& metrics_;
    ::mg_context* ctx_ = nullptr;
    int port_ = 0;
};

}  // namespace mv::observability
