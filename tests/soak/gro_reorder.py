#!/usr/bin/env python3
"""The kernel reorder the soak allows in its listener fault windows, with plain sockets.

    tests/netns-run tests/netns-veth python3 tests/soak/gro_reorder.py [steady|toggle|same|nogro]

No libmulticast here. The peer sends, to 239.10.0.1:5000, a lone 3000 B datagram and then
16 datagrams of 28 B in one UDP_SEGMENT send, over and over; each datagram starts with its
sequence number. On mc0 (MTU 9000, GRO on with threaded NAPI, as in the soak) a socket with
UDP_GRO and a checking socket without it are bound to the group. In "toggle", a third
socket without UDP_GRO is bound and closed every millisecond. Newest first, the kernel's
GRO lookup finds it while it exists and the UDP_GRO socket otherwise, so the kernel
switches between holding datagrams to coalesce them and passing them up at once. In
"same" the toggled socket has UDP_GRO too, so the socket found always has it.

Seen on 6.18 (2 cores), 3 s of sending, the checker's count of datagrams out of order:
"steady" 0 in three runs; "toggle" 4, 3, 5 and 2, each a 3000 B datagram delivered after
later ones (17 to 543 later); "same" 0 in three runs; toggling with GRO off on mc0
("nogro") 0 in two runs. The checker reads only a third of what is sent (Python), so
this counts order, not loss. Sockets come and go in the soak's "listeners"
and "pollers" fault windows, which is where it saw the same thing.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

GROUP, PORT, UDP_GRO, UDP_SEGMENT = "239.10.0.1", 5000, 104, 103


def send(seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dst, seq, end = (GROUP, PORT), 0, time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(50):
            s.sendto(struct.pack("!I", seq) + b"x" * 2996, dst)
            run = b"".join(struct.pack("!I", seq + 1 + i) + b"y" * 24 for i in range(16))
            s.sendmsg([run], [(socket.SOL_UDP, UDP_SEGMENT, struct.pack("H", 28))], 0, dst)
            seq += 17
    print("sent", seq)


def bound(gro):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    if gro:
        s.setsockopt(socket.IPPROTO_UDP, UDP_GRO, 1)
    s.bind((GROUP, PORT))
    mreq = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton("192.0.2.1"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s.settimeout(1.0)
    return s


def main():
    if sys.argv[1:2] == ["--send"]:
        return send(float(sys.argv[2]))
    mode = sys.argv[1] if len(sys.argv) > 1 else "toggle"
    if os.environ.get("MC_VETH") != "1":
        sys.exit("run me inside tests/netns-run tests/netns-veth")
    if not shutil.which("ethtool"):
        sys.exit("needs ethtool: GRO on mc0 is set with it, as in the soak")
    gro = "off" if mode == "nogro" else "on"
    subprocess.run(["ethtool", "-K", "mc0", "gro", gro], check=True, stdout=subprocess.DEVNULL)
    if gro == "on":  # a veth runs NAPI (and so GRO) only with GRO on
        with open("/sys/class/net/mc0/threaded", "w") as f:
            f.write("1")
    peer = ["nsenter", "-t", os.environ["MC_PEER_PID"], "-n"]
    subprocess.run(["ip", "link", "set", "mc0", "mtu", "9000"], check=True)
    subprocess.run(peer + ["ip", "link", "set", "mc1", "mtu", "9000"], check=True)
    subprocess.run(peer + ["ethtool", "-K", "mc1", "tso", "off"], check=True, stdout=subprocess.DEVNULL)

    checker, coalescing = bound(False), bound(True)
    counts = {"received": 0, "out of order": 0, "toggles": 0}
    done = threading.Event()

    def drain():
        while True:
            try:
                coalescing.recv(1 << 20)
            except socket.timeout:
                return

    def toggle():
        while not done.is_set():
            s = bound(mode == "same")
            time.sleep(0.001)
            s.close()
            counts["toggles"] += 1

    threading.Thread(target=drain, daemon=True).start()
    if mode != "steady":
        threading.Thread(target=toggle, daemon=True).start()
    tx = subprocess.Popen(peer + [sys.executable, __file__, "--send", "3"])
    last = -1
    while True:
        try:
            d = checker.recv(65535)
        except socket.timeout:
            break
        seq = struct.unpack("!I", d[:4])[0]
        counts["received"] += 1
        if seq < last:
            counts["out of order"] += 1
            print(f"seq {seq} ({len(d)} B) after {last}")
        last = max(last, seq)
    done.set()
    tx.wait()
    print(mode, counts)


if __name__ == "__main__":
    main()
