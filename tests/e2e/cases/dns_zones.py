# SPDX-License-Identifier: Apache-2.0
# dns_zones.py - the zones the DNS group's nsd serves (cases/dns.py).
#
# Clients are presented to Postfix with XCLIENT ADDR=...; each address plays
# one part:
#   192.0.2.10  bl: 127.0.0.2                    score 3: listed       -> 550 5.7.1
#   192.0.2.11  bl: 127.0.0.4, wl: 127.0.10.2     score -2: allowed    -> accepted
#   192.0.2.12  bl: 127.0.0.12 (outside the filter 127.0.0.[2..11])   -> not listed
#   192.0.2.13  bl: 127.255.255.254 (Spamhaus "public resolver")      -> lookup error
#   192.0.2.14  bl: 10.0.0.1 (outside 127/8)                           -> lookup error
#   192.0.2.15  the secret zone k3y.dq.dns.test: 127.0.0.2, shown as dq.dns.test
#   192.0.2.19  k3y.dq.dns.test: 127.255.255.255 (Spamhaus "excessive queries") -> lookup error
#   192.0.2.16  wild.dns.test only, a zone that lists everything       -> unhealthy, skipped
#   192.0.2.17  bl: 127.0.0.3 twice (two A records)                    -> counted once
#   192.0.2.18  bl: 127.0.0.2 with a hostile TXT (CR LF, UTF-8, %, 216 bytes) for ${dns_txt}
#   2001:db8::25 bl: 127.0.0.2 by its RFC 5782 2.4 nibble name           -> 550 5.7.1
#   192.0.2.20  PTR mx.good.dns.test, whose A is 192.0.2.20             -> confirmed
#   192.0.2.21  PTR forged.dns.test, whose A is 198.51.100.21           -> not confirmed
#   192.0.2.22  no PTR                                                  -> missing
#   192.0.2.23  PTR dyn-192-0-2-23.pool.dns.test (confirmed, dynamic)  -> name on a list
#   192.0.2.40  slow.dns.test: 127.0.0.2, answered 300 ms late by the proxy
#   192.0.2.43  the same (a second, uncached client)
#   192.0.2.41  dead.dns.test: never answered (the proxy drops it)
# Sender and recipient domains live in mail.dns.test: good (MX), nullmx
# (MX 0 .), aonly (no MX, an A), nomail (only a TXT), gone (NXDOMAIN).
# Every list zone has the RFC 5782 test entries (2.0.0.127 listed, 1.0.0.127
# not; TEST listed, INVALID not for names) except wild.dns.test; bl.dns.test
# also the IPv6 one (::FFFF:7F00:2 listed, ::FFFF:7F00:1 not).

SOA = """$TTL 300
@ IN SOA ns.dns.test. hostmaster.dns.test. 1 3600 600 86400 60
@ IN NS ns.dns.test.
"""

ZONES = {
    "dns.test": SOA + """
ns IN A 127.0.0.1
""",
    "bl.dns.test": SOA + """
2.0.0.127 IN A 127.0.0.2
2.0.0.127 IN TXT "RFC 5782 test entry"
10.2.0.192 IN A 127.0.0.2
10.2.0.192 IN TXT "Listed: see https://bl.dns.test/lookup?ip=192.0.2.10"
11.2.0.192 IN A 127.0.0.4
12.2.0.192 IN A 127.0.0.12
13.2.0.192 IN A 127.255.255.254
14.2.0.192 IN A 10.0.0.1
17.2.0.192 IN A 127.0.0.3
17.2.0.192 IN A 127.0.0.5
18.2.0.192 IN A 127.0.0.2
18.2.0.192 IN TXT "Listed\\013\\010X-Injected: yes caf\\195\\169 100%% %(a180)s"
2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN A 127.0.0.2
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 IN A 127.0.0.2
""" % {"a180": "a" * 180},
    "wl.dns.test": SOA + """
2.0.0.127 IN A 127.0.10.2
11.2.0.192 IN A 127.0.10.2
""",
    "k3y.dq.dns.test": SOA + """
2.0.0.127 IN A 127.0.0.2
15.2.0.192 IN A 127.0.0.2
19.2.0.192 IN A 127.255.255.255
""",
    "wild.dns.test": SOA + """
* IN A 127.0.0.2
""",
    "dbl.dns.test": SOA + """
test IN A 127.0.1.2
spammy.mail.dns.test IN A 127.0.1.2
""",
    "slow.dns.test": SOA + """
2.0.0.127 IN A 127.0.0.2
40.2.0.192 IN A 127.0.0.2
43.2.0.192 IN A 127.0.0.2
""",
    "dead.dns.test": SOA + """
2.0.0.127 IN A 127.0.0.2
41.2.0.192 IN A 127.0.0.2
""",
    "mail.dns.test": SOA + """
good IN MX 10 mx.good
mx.good IN A 192.0.2.25
nullmx IN MX 0 .
aonly IN A 192.0.2.26
nomail IN TXT "v=spf1 -all"
spammy IN MX 10 mx.good
""",
    # The e2e Postfix's own domain: recipient domains are looked up too.
    "example.test": SOA + """
@ IN MX 10 mx.example.test.
mx IN A 127.0.0.1
""",
    "2.0.192.in-addr.arpa": SOA + """
20 IN PTR mx.good.dns.test.
21 IN PTR forged.dns.test.
23 IN PTR dyn-192-0-2-23.pool.dns.test.
""",
}

# Forward records of the PTR names (in dns.test itself).
ZONES["dns.test"] += """
mx.good IN A 192.0.2.20
forged IN A 198.51.100.21
dyn-192-0-2-23.pool IN A 192.0.2.23
"""
