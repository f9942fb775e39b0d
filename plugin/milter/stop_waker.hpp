// SPDX-License-Identifier: Apache-2.0
// stop_waker.hpp - makes libmilter's listener notice a stop at once.
//
// Why: libmilter's listener (mi_listener, libmilter/listener.c) holds its
// listener mutex while it polls the listening socket for up to MI_CHK_TIME
// (5 s). SIGTERM reaches libmilter's own signal thread, which sets the stop
// flag and then waits for that mutex to close the socket: an idle daemon
// took 2 to 5 s to stop (3.5 s measured, three runs), and every restart was
// that long a window of milter_default_action for Postfix. A busy daemon
// was woken by its next connection.
//
// What: StopWaker's thread checks libmilter's stop flag (mi_stop(), exported
// by libmilter though not in mfapi.h) every 20 ms; once it is set it
// connects to the daemon's own listening socket and closes the connection,
// so the listener's poll returns, it releases the mutex and sees the flag.
// The poke is a connection that says nothing: the listener either accepts
// it (a session that ends at once on EOF) or finds the socket closed.
//
// Call order: construct after the listening socket is open, before
// smfi_main(); destroy after smfi_main() returns (the destructor stops and
// joins the thread). Errors: a poke that cannot connect is ignored (the
// listener then wakes at its own timeout, as before).
//
// Thread contract: one thread of its own; nothing shared but the flag.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "milter/socket_spec.hpp"

namespace mv::milter {

class StopWaker {
  public:
    explicit StopWaker(SocketSpec listen);
    ~StopWaker();
    StopWaker(const StopWaker&) = delete;
    StopWaker& operator=(const StopWaker&) = delete;

  private:
    void run();

    SocketSpec listen_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::thread thread_;
};

// Connects to `listen` (a unix path, or an inet/inet6 host and port) and
// closes at once; false when no connection was made within 200 ms.
bool poke_listener(const SocketSpec& listen);

}  // namespace mv::milter
