#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# dns_proxy.py - a tiny UDP DNS proxy that delays or drops, for the DNS tests.
#
#   dns_proxy.py --listen PORT --upstream PORT [--delay-ms N] [--rule SUFFIX=drop|MS]...
#
# Listens on 127.0.0.1:PORT and relays each query to the authoritative
# server on 127.0.0.1:UPSTREAM and its answer back. A query whose name ends
# with a rule's SUFFIX ("." matches every name) is dropped (no answer: a dead
# server) or held MS milliseconds before it is relayed; --delay-ms holds
# every other query that long (the 5 ms upstream of the benchmark). It counts
# what it saw and prints "queries=N dropped=N" on SIGTERM.
#
# Bounded: at most 4096 queries held at once (more are dropped and counted),
# answers are relayed only to the client that asked, at most 10 s after.
# Only the standard library; no recursion, no cache, loopback only.
import argparse
import asyncio
import signal
import sys
import time


def qname(packet):
    """The question name of a DNS packet, lower case, without the root dot."""
    labels = []
    i = 12
    while i < len(packet):
        n = packet[i]
        if n == 0:
            break
        if n & 0xC0:
            return None
        labels.append(packet[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
        if len(labels) > 128:
            return None
    return ".".join(labels)


class Proxy(asyncio.DatagramProtocol):
    def __init__(self, upstream, delay_ms, rules):
        self.upstream = ("127.0.0.1", upstream)
        self.delay = delay_ms / 1000.0
        self.rules = rules  # [(suffix, None=drop | seconds)]
        self.pending = {}   # (upstream id) -> (client addr, client id, deadline)
        self.next_id = 1
        self.queries = 0
        self.dropped = 0
        self.transport = None
        self.up = None

    def connection_made(self, transport):
        self.transport = transport

    def hold_for(self, name):
        for suffix, hold in self.rules:
            if suffix == "." or name == suffix or name.endswith("." + suffix):
                return hold
        return self.delay

    def datagram_received(self, data, addr):
        if len(data) < 12:
            return
        self.queries += 1
        name = qname(data)
        hold = self.hold_for(name or "")
        if hold is None or len(self.pending) >= 4096:
            self.dropped += 1
            return
        loop = asyncio.get_running_loop()
        if hold > 0:
            loop.call_later(hold, self.relay, data, addr)
        else:
            self.relay(data, addr)

    def relay(self, data, addr):
        # Our own query id, so that answers of two clients never mix.
        self.next_id = (self.next_id % 65535) + 1
        uid = self.next_id
        self.pending[uid] = (addr, data[:2], time.monotonic() + 10)
        self.up.sendto(uid.to_bytes(2, "big") + data[2:], self.upstream)
        if len(self.pending) > 1024:
            now = time.monotonic()
            for k in [k for k, v in self.pending.items() if v[2] < now]:
                del self.pending[k]

    def answer(self, data):
        if len(data) < 12:
            return
        entry = self.pending.pop(int.from_bytes(data[:2], "big"), None)
        if entry:
            addr, cid, _ = entry
            self.transport.sendto(cid + data[2:], addr)


class Upstream(asyncio.DatagramProtocol):
    def __init__(self, proxy):
        self.proxy = proxy

    def datagram_received(self, data, addr):
        self.proxy.answer(data)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--rule", action="append", default=[])
    a = ap.parse_args()
    rules = []
    for r in a.rule:
        suffix, _, what = r.partition("=")
        rules.append((suffix.lower().rstrip(".") or ".", None if what == "drop" else float(what) / 1000))
    loop = asyncio.get_running_loop()
    proxy = Proxy(a.upstream, a.delay_ms, rules)
    await loop.create_datagram_endpoint(lambda: proxy, local_addr=("127.0.0.1", a.listen))
    up, _ = await loop.create_datagram_endpoint(lambda: Upstream(proxy),
                                               local_addr=("127.0.0.1", 0))
    proxy.up = up
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("dns_proxy: listening on 127.0.0.1:%d" % a.listen, flush=True)
    await stop.wait()
    print("dns_proxy: queries=%d dropped=%d" % (proxy.queries, proxy.dropped), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
