"""example.py - the seed's examples on libmulticast, through the multicast package
(multicast/, ctypes). Times are in seconds, as everywhere in the package.

    MULTICAST_LIB=target/debug/libmulticast.so tests/netns-run python3 bindings/python/example.py

Run it inside a private network namespace (tests/netns-run), never on a real network.
Exits 0 only if every packet arrived as expected.
"""
import sys

import multicast
from multicast import MulticastListener, Multicaster, Poller, listen, poll, sendto

PORT = 42440
ok = True


def expect(what, got, want):
    global ok
    print('%-12s %r' % (what + ':', got))
    if got != want:
        print('  FAILED: expected %r' % (want,))
        ok = False


print('libmulticast', multicast.version())

# The seed's listen() without a handler: a generator of packets.
listener = listen(port=PORT, timeout=2)   # next() waits up to 2 seconds
sendto('test', port=PORT, ttl=multicast.TTL_HOST)
poll()
expect('generator', listener.next(), b'test')
listener.close()


# The seed's MulticastListener example: a filter, and handle_packet returning True to stop.
class Printer(MulticastListener):
    filter = lambda packet, addr: not packet.startswith(b'skip')  # noqa: E731
    seen = []

    def handle_packet(self, packet, addr):
        Printer.seen.append(packet)
        return packet == b'stop'  # stop listening


Printer(port=PORT)   # the poller keeps it alive until it stops
sendto(['hello', 'skip me', b'world', 'stop', 'after stop'], port=PORT, ttl=multicast.TTL_HOST)
for _ in range(20):
    if poll(0.1) == 0 and Printer.seen[-1:] == [b'stop']:   # poll: up to 0.1 s
        break
expect('listener', Printer.seen, [b'hello', b'world', b'stop'])


# An iterable Multicaster on a Poller of its own; loop() returns once nothing is
# registered: the multicaster closes itself when its iterator ends, and the listener
# when its handler returns True.
class Countdown(Multicaster):
    def __iter__(self):
        for i in (3, 2, 1):
            yield 'countdown %d' % i


with Poller() as poller:
    got = []

    class Collector(MulticastListener):
        def handle_packet(self, packet, addr):
            got.append(packet)
            return len(got) == 3

    Collector(port=PORT + 1, poller=poller)
    Countdown(port=PORT + 1, ttl=multicast.TTL_HOST, poller=poller)
    poller.loop(timeout=2)   # each wait up to 2 seconds
    expect('multicaster', got, [b'countdown 3', b'countdown 2', b'countdown 1'])


# The blocking listen(handler, ...) runs the default poller: a Multicaster on it feeds it.
received = []
Multicaster(port=PORT + 2, ttl=multicast.TTL_HOST, packets=['one', 'two', 'three', 'four'])
n = listen(lambda packet, addr: received.append((packet, addr[0])), port=PORT + 2, limit=3)
expect('listen', (n, received), (3, [(b'one', '127.0.0.1'), (b'two', '127.0.0.1'),
                                     (b'three', '127.0.0.1')]))

# Errors carry the library's code and message.
try:
    sendto('x', ip='10.1.2.3')
    expect('error', None, 'MulticastError')
except multicast.MulticastError as e:
    expect('error', (e.code, str(e)), (multicast.MC_EADDRESS, str(e)))

print('OK: all packets arrived as expected' if ok else 'FAILED')
sys.exit(0 if ok else 1)
