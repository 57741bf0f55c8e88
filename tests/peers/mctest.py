#!/usr/bin/env python3
"""A peer for tests/tools_*.rs that speaks mcsend's test header (man mcsend,
THE TEST HEADER) from the documentation alone: standard library only, Linux
only. Run it ONLY inside a private network namespace (the tests do).

  mctest.py send PORT --flow GROUP=SEQ,SEQ,... [--flow ...] [--stream N]
                      [--iface NAME] [--ttl N] [--payload TEXT]
      Sends, for every flow, datagrams with the test header carrying exactly
      the sequence numbers listed, in that order (so a test can skip, repeat
      and swap them), the flows interleaved one datagram at a time. Prints
      "SENT n".

  mctest.py recv GROUP[,GROUP...] PORT [--iface NAME] [--count N]
                      [--timeout S] [--ready FILE]
      Joins every group (on one socket, IP_MULTICAST_ALL off) and prints per
      datagram
        RECV dst=G src=S ttl=T tos=X len=N magic=M stream=S seq=Q delay_ns=D data=HEX
      (magic=- and no header fields when the datagram is shorter than the
      header; data is what follows the header), then "RECEIVED n". Exits 0
      once it got --count datagrams, 1 if --timeout seconds (default 5) pass
      first. --ready FILE is created once the socket is bound and joined.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

# Linux values missing from Python's socket module
IP_PKTINFO = 8
IP_RECVTTL = 12
IP_RECVTOS = 13
IP_MULTICAST_ALL = 49
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50
IPV6_RECVHOPLIMIT = 51
IPV6_HOPLIMIT = 52
IPV6_RECVTCLASS = 66
IPV6_TCLASS = 67
IPV6_MULTICAST_ALL = 29

HEADER = struct.Struct("!4sIQQ")  # magic "mct1", stream id, sequence, send time (ns)


def ifindex(name):
    if not name:
        return 0
    return int(name) if name.isdigit() else socket.if_nametoindex(name)


def cmd_send(a):
    flows = []
    for f in a.flow:
        group, seqs = f.split("=", 1)
        flows.append((group, [int(x) for x in seqs.split(",") if x]))
    v6 = ":" in flows[0][0]
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    ix = ifindex(a.iface)
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, a.ttl)
        if ix:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ix)
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, a.ttl)
        if ix:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                         struct.pack("4s4si", b"\0" * 4, b"\0" * 4, ix))
    sent = 0
    longest = max(len(seqs) for _, seqs in flows)
    for i in range(longest):
        for group, seqs in flows:
            if i >= len(seqs):
                continue
            data = HEADER.pack(b"mct1", a.stream, seqs[i], time.time_ns()) + a.payload.encode()
            dest = (group, a.port, 0, ix) if v6 else (group, a.port)
            s.sendto(data, dest)
            sent += 1
    print("SENT %d" % sent, flush=True)


def cmd_recv(a):
    groups = a.groups.split(",")
    v6 = ":" in groups[0]
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ix = ifindex(a.iface)
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVTCLASS, 1)
        s.bind(("::", a.port))
        for g in groups:
            mreq = socket.inet_pton(socket.AF_INET6, g) + struct.pack("@I", ix)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    else:
        s.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        s.setsockopt(socket.IPPROTO_IP, IP_RECVTOS, 1)
        s.bind(("", a.port))
        for g in groups:
            mreq = struct.pack("4s4si", socket.inet_aton(g), b"\0" * 4, ix)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("ready\n")
    got = 0
    deadline = time.monotonic() + a.timeout
    while got < a.count:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        data, anc, _flags, src = s.recvmsg(65535, 1024)
        now = time.time_ns()
        ttl, tos, dst = -1, -1, "?"
        for level, typ, val in anc:
            if level == socket.IPPROTO_IP and typ == socket.IP_TTL:
                ttl = struct.unpack("@i", val[:4])[0]
            elif level == socket.IPPROTO_IP and typ == socket.IP_TOS:
                tos = val[0]
            elif level == socket.IPPROTO_IP and typ == IP_PKTINFO:
                dst = socket.inet_ntoa(val[8:12])
            elif level == socket.IPPROTO_IPV6 and typ == IPV6_HOPLIMIT:
                ttl = struct.unpack("@i", val[:4])[0]
            elif level == socket.IPPROTO_IPV6 and typ == IPV6_TCLASS:
                tos = struct.unpack("@i", val[:4])[0]
            elif level == socket.IPPROTO_IPV6 and typ == IPV6_PKTINFO:
                dst = socket.inet_ntop(socket.AF_INET6, val[:16])
        line = "RECV dst=%s src=%s ttl=%d tos=%d len=%d" % (dst, src[0], ttl, tos, len(data))
        if len(data) >= HEADER.size:
            magic, stream, seq, sent = HEADER.unpack(data[:HEADER.size])
            line += " magic=%s stream=%d seq=%d delay_ns=%d data=%s" % (
                magic.decode("latin-1"), stream, seq, now - sent, data[HEADER.size:].hex())
        else:
            line += " magic=- data=%s" % data.hex()
        print(line, flush=True)
        got += 1
    print("RECEIVED %d" % got, flush=True)
    sys.exit(0 if got >= a.count else 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("port", type=int)
    s.add_argument("--flow", action="append", required=True)
    s.add_argument("--stream", type=lambda x: int(x, 0), default=0x7e57)
    s.add_argument("--iface")
    s.add_argument("--ttl", type=int, default=1)
    s.add_argument("--payload", default="inj")
    r = sub.add_parser("recv")
    r.add_argument("groups")
    r.add_argument("port", type=int)
    r.add_argument("--iface")
    r.add_argument("--count", type=int, default=1)
    r.add_argument("--timeout", type=float, default=5.0)
    r.add_argument("--ready")
    a = p.parse_args()
    if a.cmd == "send":
        cmd_send(a)
    else:
        cmd_recv(a)


if __name__ == "__main__":
    main()
