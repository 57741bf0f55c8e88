"""What the tests of the multicast package (the files test_*.py beside this one) share.
They send real multicast, so they run only inside tests/netns-run's private network
namespace (MC_NETNS=1), every test on its own port with TTL 0; standard library only:

    MULTICAST_LIB=$PWD/target/release/libmulticast.so \
        tests/netns-run python3 -m unittest discover -v -s bindings/python/tests

Importing this module first puts the package of the source tree (bindings/python) on
sys.path; copied beside no package (as tests/python.rs does), the installed one is tested.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import multicast  # noqa: E402
from multicast import MulticastListener  # noqa: E402

HOST = multicast.TTL_HOST
ports = iter(range(42450, 42600))  # one each: next(ports)


def require_netns():
    """Each test module's setUpModule."""
    if os.environ.get('MC_NETNS') != '1':
        raise RuntimeError('run these tests inside tests/netns-run (a private network '
                           'namespace), never on a real network')


def poll_until(cond, poller=None, timeout=3.0):
    """Polls (the default poller, or poller) until cond() or timeout; returns cond()."""
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        (poller or multicast._defaultPoller).poll(0.05)
    return cond()


class Collect(MulticastListener):
    """Collects packets; stops after `stop_after` of them if set."""

    def __init__(self, stop_after=None, **kw):
        self.packets, self.addrs, self.stop_after = [], [], stop_after
        MulticastListener.__init__(self, **kw)

    def handle_packet(self, packet, addr):
        self.packets.append(packet)
        self.addrs.append(addr)
        return self.stop_after is not None and len(self.packets) >= self.stop_after


def loop_with_watchdog(poller, limit=5.0):
    """poller.loop() until it ends by itself; a watchdog stops it after limit seconds.
    Returns True if the loop ended by itself."""
    fired = []

    def stop():
        fired.append(True)
        poller.stop()
    dog = threading.Timer(limit, stop)
    dog.start()
    try:
        poller.loop()
    finally:
        dog.cancel()
    return not fired
