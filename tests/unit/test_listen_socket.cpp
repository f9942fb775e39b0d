// SPDX-License-Identifier: Apache-2.0
// test_listen_socket.cpp - TCP_NODELAY found on a listener; unix socket mode.
#include <arpa/inet.h>
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "milter/listen_socket.hpp"

namespace mv::milter::test {

namespace {

// A listening loopback socket on an ephemeral port, closed at scope exit.
struct Listener {
    int fd = -1;
    int port = 0;
    Listener() {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in);
        listen(fd, 1);
        socklen_t len = sizeof in;
        getsockname(fd, reinterpret_cast<sockaddr*>(&in), &len);
        port = ntohs(in.sin_port);
    }
    ~Listener() { close(fd); }
    int nodelay() const {
        int v = 0;
        socklen_t len = sizeof v;
        getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len);
        return v;
    }
};

}  // namespace

class ListenSocketTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ListenSocketTest);
    CPPUNIT_TEST(testNodelayIsSetOnTheMatchingListener);
    CPPUNIT_TEST(testMissingListenerIsReported);
    CPPUNIT_TEST(testUnixSocketModeIsApplied);
    CPPUNIT_TEST(testBadModeIsRefused);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testNodelayIsSetOnTheMatchingListener() {
        Listener l;
        CPPUNIT_ASSERT(l.fd >= 0 && l.port > 0);
        CPPUNIT_ASSERT_EQUAL(0, l.nodelay());
        SocketSpec spec;
        spec.kind = SocketSpec::Kind::Inet;
        spec.host = "127.0.0.1";
        spec.port = l.port;
        CPPUNIT_ASSERT_EQUAL(std::string(), set_nodelay_on_listener(spec));
        CPPUNIT_ASSERT(l.nodelay() != 0);
    }
    void testMissingListenerIsReported() {
        Listener l;
        SocketSpec spec;
        spec.kind = SocketSpec::Kind::Inet;
        spec.host = "127.0.0.1";
        spec.port = l.port == 65535 ? 65534 : l.port + 1;  // nothing listens there (ours)
        const std::string err = set_nodelay_on_listener(spec);
        // Another process's listener is not in our fd table, so this is ours only.
        CPPUNIT_ASSERT_EQUAL(std::string("listening socket not found"), err);
        CPPUNIT_ASSERT_EQUAL(0, l.nodelay());
    }
    void testUnixSocketModeIsApplied() {
        char dir[] = "/tmp/mv-test-XXXXXX";
        CPPUNIT_ASSERT(mkdtemp(dir));
        const std::string path = std::string(dir) + "/s.sock";
        const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::strncpy(un.sun_path, path.c_str(), sizeof un.sun_path - 1);
        CPPUNIT_ASSERT_EQUAL(0, bind(fd, reinterpret_cast<sockaddr*>(&un), sizeof un));
        SocketSpec spec;
        spec.kind = SocketSpec::Kind::Unix;
        spec.path = path;
        CPPUNIT_ASSERT_EQUAL(std::string(), set_unix_socket_access(spec, "0640", ""));
        struct stat st {};
        CPPUNIT_ASSERT_EQUAL(0, stat(path.c_str(), &st));
        CPPUNIT_ASSERT_EQUAL(0640u, static_cast<unsigned>(st.st_mode & 0777));
        close(fd);
        unlink(path.c_str());
        rmdir(dir);
    }
    void testBadModeIsRefused() {
        SocketSpec spec;
        spec.kind = SocketSpec::Kind::Unix;
        spec.path = "/nonexistent/s.sock";
        CPPUNIT_ASSERT(set_unix_socket_access(spec, "0999", "").find("octal") != std::string::npos);
        CPPUNIT_ASSERT(
            set_unix_socket_access(spec, "", "no-such-group-xyz").find("unknown group") !=
            std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ListenSocketTest);

}  // namespace mv::milter::test
