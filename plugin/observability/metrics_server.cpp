// SPDX-License-Identifier: Apache-2.0
// metrics_server.cpp - civetweb set-up and the /metrics handler (see metrics_server.hpp).
#include "observability/metrics_server.hpp"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

namespace mv::observability {

namespace {

void send_status(mg_connection* conn, int code, const char* reason, const char* extra = "") {
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s\n",
              code, reason, std::strlen(reason) + 1, extra, reason);
}

// RFC 9110 section 9: the methods HTTP defines (9.3), and PATCH (RFC 5789).
// Any of them but GET and HEAD is refused 405 with an Allow header (the
// method is known, the resource does not allow it); any other method 501
// (section 15.6.2: not recognised, not supported for any resource).
bool known_method(std::string_view m) {
    for (std::string_view k :
         {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
        if (m == k) return true;
    return false;
}

// The methods civetweb passes to the begin_request handler (civetweb.c
// http_methods[], 1.15 and 1.16); it refuses every other one with 400
// "Bad request" before any handler runs: TRACE ("not supported for
// security reasons") and every unknown method.
bool civetweb_method(std::string_view m) {
    for (std::string_view k :
         {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "CONNECT", "PATCH", "PROPFIND",
          "MKCOL", "LOCK", "UNLOCK", "PROPPATCH", "REPORT"})
        if (m == k) return true;
    return false;
}

// RFC 9110 5.6.2: method = token.
bool token(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s) {
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos)
            return false;
    }
    return true;
}

// The answer for a method other than GET and HEAD at `path`; 0 when the
// request goes on to the handler of / or /metrics.
int refuse_method(mg_connection* conn, std::string_view method, std::string_view path) {
    if (!known_method(method)) {
        send_status(conn, 501, "Not Implemented");
        return 501;
    }
    if (path != "/metrics" && path != "/") {
        send_status(conn, 404, "Not Found");
        return 404;
    }
    if (method != "GET" && method != "HEAD") {
        send_status(conn, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
        return 405;
    }
    return 0;
}

// civetweb's refusal of a request whose only fault is a method outside its
// list (civetweb_method) is answered as our handler would answer the method:
// 405 for TRACE, 501 for an unknown one. Its parser
// (parse_http_request) reads the method, the URI and the version, moves
// http_version past "HTTP/" once that prefix is checked, then refuses the
// method: a request refused there has an unknown token for a method and
// those five bytes right before http_version, after the URI's terminator
// (a request refused for its version has only the zeroed blanks there).
// Every other error is civetweb's to answer (1: its default page).
int http_error(mg_connection* conn, int status, const char* msg) {
    if (status != 400 || !msg || std::strcmp(msg, "Bad request") != 0) return 1;
    const mg_request_info* ri = mg_get_request_info(conn);
    if (!ri || !ri->request_method || !ri->request_uri || !ri->http_version) return 1;
    const std::string_view method = ri->request_method;
    if (!token(method) || civetweb_method(method)) return 1;
    const char* uri_end = ri->request_uri + std::strlen(ri->request_uri);
    if (ri->http_version - uri_end < 6 || std::memcmp(ri->http_version - 5, "HTTP/", 5) != 0)
        return 1;
    std::string_view path = ri->request_uri;
    path = path.substr(0, path.find('?'));
    return refuse_method(conn, method, path) != 0 ? 0 : 1;
}

// HTML-escapes the few characters that matter in element text.
std::string html_text(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// The landing page at /: what this endpoint is and where the metrics are, so
// that an admin who points a browser at the port sees more than a 404.
std::string landing_page(const std::string& version) {
    const std::string v = html_text(version);
    return "<!DOCTYPE html>\n"
           "<html lang=\"en\">\n"
           "<head><meta charset=\"utf-8\"><title>milter-verdict " +
           v +
           "</title></head>\n"
           "<body>\n"
           "<h1>milter-verdict " +
           v +
           "</h1>\n"
           "<p>Prometheus metrics: <a href=\"/metrics\">/metrics</a></p>\n"
           "</body>\n"
           "</html>\n";
}

// civetweb's own messages (bad requests, timeouts) are a client's doing: not
// worth a log line each, and a hostile client must not be able to flood the log.
int quiet(const mg_connection*, const char*) {
    return 1;
}

}  // namespace

int MetricsServer::handle(mg_connection* conn) {
    const mg_request_info* ri = mg_get_request_info(conn);
    auto* self = static_cast<MetricsServer*>(ri->user_data);
    const std::string_view uri = ri->local_uri ? ri->local_uri : "";
    const std::string_view method = ri->request_method ? ri->request_method : "";
    if (const int refused = refuse_method(conn, method, uri)) return refused;
    const bool head = method == "HEAD";
    if (uri == "/") {
        const std::string page = landing_page(self->metrics_.version());
        mg_printf(conn,
                  "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                  "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                  page.size());
        if (!head) mg_write(conn, page.data(), page.size());
        return 200;
    }
    const char* accept = mg_get_header(conn, "Accept");
    const ExpositionFormat format = negotiate(accept ? accept : "");
    std::string body;
    try {
        body = self->metrics_.render(format);
    } catch (...) {
        send_status(conn, 500, "Internal Server Error");
        return 500;
    }
    const std::string type(content_type(format));
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
              "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
              type.c_str(), body.size());
    if (!head) mg_write(conn, body.data(), body.size());
    return 200;
}

std::string MetricsServer::probe(const MetricsAddress& address) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (address.ipv6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<std::uint16_t>(address.port));
        inet_pton(AF_INET6, address.host.c_str(), &in6->sin6_addr);
        len = sizeof *in6;
    } else {
        auto* in = reinterpret_cast<sockaddr_in*>(&ss);
        in->sin_family = AF_INET;
        in->sin_port = htons(static_cast<std::uint16_t>(address.port));
        inet_pton(AF_INET, address.host.c_str(), &in->sin_addr);
        len = sizeof *in;
    }
    const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::string("socket: ") + std::strerror(errno);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as civetweb does
    std::string error;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0)
        error = "cannot listen on " + address.listening_ports() + ": " + std::strerror(errno);
    ::close(fd);
    return error;
}

std::unique_ptr<MetricsServer> MetricsServer::start(const MetricsAddress& address, Metrics& metrics,
                                                    std::string& error,
                                                    const MetricsServerLimits& limits) {
    static std::once_flag init;
    std::call_once(init, [] { mg_init_library(0); });

    std::unique_ptr<MetricsServer> server(new MetricsServer(metrics));
    const std::string ports = address.listening_ports();
    const std::string threads = std::to_string(limits.threads);
    const std::string queue = std::to_string(limits.connection_queue);
    const std::string backlog = std::to_string(limits.listen_backlog);
    const std::string timeout = std::to_string(limits.request_timeout_ms);
    const std::string max_request = std::to_string(limits.max_request_size);
    const char* options[] = {"listening_ports",
                             ports.c_str(),
                             "num_threads",
                             threads.c_str(),
                             "connection_queue",
                             queue.c_str(),
                             "listen_backlog",
                             backlog.c_str(),
                             "request_timeout_ms",
                             timeout.c_str(),
                             "max_request_size",
                             max_request.c_str(),
                             "enable_keep_alive",
                             "no",
                             "enable_directory_listing",
                             "no",
                             "access_control_allow_origin",
                             "",
                             nullptr};
    mg_callbacks callbacks{};
    callbacks.begin_request = &MetricsServer::handle;
    callbacks.log_message = &quiet;
    callbacks.http_error = &http_error;
    mg_init_data init_data{};
    init_data.callbacks = &callbacks;
    init_data.user_data = server.get();
    init_data.configuration_options = options;
    char text[256] = {};
    mg_error_data err{};
    err.text = text;
    err.text_buffer_size = sizeof text;
    server->ctx_ = mg_start2(&init_data, &err);
    if (!server->ctx_) {
        error = "cannot listen on " + ports + (text[0] ? std::string(": ") + text : std::string());
        return nullptr;
    }
    mg_server_port bound[2]{};
    server->port_ = mg_get_server_ports(server->ctx_, 2, bound) > 0 ? bound[0].port : address.port;
    return server;
}

MetricsServer::~MetricsServer() {
    if (ctx_) mg_stop(ctx_);
}

}  // namespace mv::observability
