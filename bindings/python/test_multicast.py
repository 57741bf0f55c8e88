"""Tests of multicast.py (the ctypes binding of libmulticast) with real multicast.

    MULTICAST_LIB=target/debug/libmulticast.so \
        tests/netns-run python3 -m unittest -v bindings/python/test_multicast.py

They refuse to run outside tests/netns-run's private network namespace (MC_NETNS=1).
Standard library only. Every test uses its own port and TTL 0.
"""
import doctest
import errno
import gc
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import multicast  # noqa: E402
from multicast import (MulticastError, MulticastListener, Multicaster, Poller,  # noqa: E402
                       listen, poll, sendto)

HOST = multicast.TTL_HOST
_ports = iter(range(42450, 42600))


def setUpModule():
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


class TestSendAndListen(unittest.TestCase):
    def test_version(self):
        self.assertRegex(multicast.version(), r'^\d+\.\d+\.\d+$')

    def test_seed_doctest_generator(self):
        # >>> listener = listen(); sendto('test'); poll(); listener.next()  -> 'test'
        port = next(_ports)
        listener = listen(port=port, timeout=2)
        self.assertEqual(sendto('test', port=port, ttl=HOST), 1)
        poll()
        self.assertEqual(listener.next(), b'test')
        self.assertEqual(sendto([b'a', 'b', bytearray(b'\x00\xff')], port=port, ttl=HOST), 3)
        self.assertEqual([next(listener) for _ in range(3)], [b'a', b'b', b'\x00\xff'])
        listener.timeout = 0.2
        self.assertRaises(StopIteration, next, listener)
        self.assertEqual(listener.stats()['delivered'], 4)
        listener.close()
        self.assertTrue(listener.closed)

    def test_generator_limit_and_for_loop(self):
        port = next(_ports)
        with listen(port=port, limit=3, timeout=2) as packets:
            sendto(['p%d' % i for i in range(5)], port=port, ttl=HOST)
            self.assertEqual(list(packets), [b'p0', b'p1', b'p2'])
            self.assertTrue(packets.closed)

    def test_listen_with_handler_and_limit(self):
        # The blocking listen() runs the default poller, which also runs this multicaster.
        port = next(_ports)
        got = []
        Multicaster(port=port, ttl=HOST, packets=['one', 'two', 'three', 'four'])
        n = listen(lambda packet, addr: got.append((packet, addr)), port=port, limit=3)
        self.assertEqual(n, 3)
        self.assertEqual([p for p, _ in got], [b'one', b'two', b'three'])
        self.assertTrue(all(a[0] == '127.0.0.1' and a[1] > 0 for _, a in got), got)

    def test_listen_until_handler_returns_true(self):
        port = next(_ports)
        got = []

        def handler(packet, addr):
            got.append(packet)
            return packet == b'two'

        Multicaster(port=port, ttl=HOST, packets=['one', 'two', 'three'])
        self.assertEqual(listen(handler, port=port), 2)
        self.assertEqual(got, [b'one', b'two'])

    def test_listen_handler_exception_propagates(self):
        port = next(_ports)

        def handler(packet, addr):
            raise KeyError(packet)

        Multicaster(port=port, ttl=HOST, packets=['boom'])
        with self.assertRaises(KeyError):
            listen(handler, port=port)

    def test_mtu_truncates(self):
        port = next(_ports)
        with listen(port=port, mtu=4, timeout=2) as packets:
            sendto('0123456789', port=port, ttl=HOST)
            self.assertEqual(next(packets), b'0123')
            self.assertEqual(packets.stats()['truncated'], 1)


class TestMulticastListener(unittest.TestCase):
    def test_seed_printer_example(self):
        # class Printer(MulticastListener): filter = lambda packet, addr: True ...
        port = next(_ports)
        seen = []

        class Printer(MulticastListener):
            filter = lambda packet, addr: packet != b'dropped'  # noqa: E731

            def handle_packet(self, packet, addr):
                seen.append(packet)
                return True  # stop listening

        Printer(port=port)  # no reference kept: the poller keeps it alive
        gc.collect()
        sendto(['dropped', 'test', 'after'], port=port, ttl=HOST)
        self.assertTrue(poll_until(lambda: seen))
        poll(0.2)
        self.assertEqual(seen, [b'test'])

    def test_filter_method_and_argument(self):
        port = next(_ports)

        class Odd(Collect):
            def filter(self, packet, addr):
                return int(packet) % 2 == 1

        odd = Odd(port=port)
        even = Collect(port=port, filter=lambda packet, addr: int(packet) % 2 == 0)
        sendto([str(i) for i in range(6)], port=port, ttl=HOST)
        self.assertTrue(poll_until(lambda: len(odd.packets) == 3 and len(even.packets) == 3))
        self.assertEqual(odd.packets, [b'1', b'3', b'5'])
        self.assertEqual(even.packets, [b'0', b'2', b'4'])
        self.assertEqual(odd.stats()['filtered'], 3)
        odd.close()
        even.close()

    def test_regex_filters(self):
        port = next(_ports)
        lib = Collect(port=port, filter=r'port=${port}\b')          # the library's regex
        rx = Collect(port=port, filter=re.compile(rb'x\d'))         # Python's re.match
        sendto(['port=%d' % port, 'port=1', 'x1', 'yx2', 'port=%d!' % port], port=port, ttl=HOST)
        self.assertTrue(poll_until(lambda: len(lib.packets) == 2 and len(rx.packets) == 1))
        poll(0.1)
        self.assertEqual(lib.packets, [('port=%d' % port).encode(), ('port=%d!' % port).encode()])
        self.assertEqual(rx.packets, [b'x1'])
        with self.assertRaises(MulticastError) as cm:
            lib.set_filter('(unclosed')
        self.assertEqual(cm.exception.code, multicast.MC_EREGEX)
        lib.close()
        rx.close()

    def test_stop_and_close_inside_handler(self):
        port = next(_ports)
        stopper = Collect(port=port, stop_after=2)

        class Closer(Collect):
            def handle_packet(self, packet, addr):
                Collect.handle_packet(self, packet, addr)
                self.close()  # closing itself inside its callback

        closer = Closer(port=port)
        sendto(['a', 'b', 'c', 'd'], port=port, ttl=HOST)
        self.assertTrue(poll_until(lambda: stopper.closed and closer.closed))
        poll(0.1)
        self.assertEqual(stopper.packets, [b'a', b'b'])
        self.assertEqual(closer.packets, [b'a'])
        stopper.close()  # already closed: no-op
        with self.assertRaises(MulticastError) as cm:
            stopper.stats()
        self.assertEqual(cm.exception.code, multicast.MC_ECLOSED)

    def test_handler_exception_comes_out_of_poll(self):
        port = next(_ports)

        class Bad(MulticastListener):
            def handle_packet(self, packet, addr):
                raise ValueError('bad packet %r' % packet)

        bad = Bad(port=port)
        sendto('x', port=port, ttl=HOST)
        with self.assertRaisesRegex(ValueError, "bad packet b'x'"):
            poll_until(lambda: False, timeout=2)
        self.assertFalse(bad.closed)
        bad.close()

    def test_addr_and_several_listeners_each_get_every_packet(self):
        port = next(_ports)
        a, b = Collect(port=port), Collect(port=port)
        sendto(['1', '2'], port=port, ttl=HOST)
        self.assertTrue(poll_until(lambda: len(a.packets) == 2 and len(b.packets) == 2))
        self.assertEqual(a.packets, b.packets)
        self.assertEqual(a.addrs[0][0], '127.0.0.1')
        a.close()
        b.close()


class TestMulticasterAndPoller(unittest.TestCase):
    def test_iterable_subclass_on_own_poller_loop_ends(self):
        port = next(_ports)

        class Countdown(Multicaster):
            def __iter__(self):
                for i in (3, 2, 1):
                    yield 'countdown %d' % i

        with Poller() as poller:
            got = Collect(port=port, poller=poller, stop_after=3)
            m = Countdown(port=port, ttl=HOST, poller=poller)
            watchdog = threading.Timer(5, poller.stop)  # stop() is thread-safe
            watchdog.start()
            try:
                poller.loop(timeout=1)  # returns once nothing is registered
            finally:
                watchdog.cancel()
            self.assertEqual(got.packets, [b'countdown 3', b'countdown 2', b'countdown 1'])
            self.assertTrue(m.closed and got.closed)

    def test_wait_and_resume(self):
        port = next(_ports)
        queue = []

        def source():
            while True:
                if queue:
                    yield queue.pop(0)
                else:
                    yield None  # nothing now: wait for resume()

        with Poller() as poller:
            got = Collect(port=port, poller=poller)
            m = Multicaster(port=port, ttl=HOST, poller=poller, packets=source())
            poller.poll(0.1)
            queue.extend(['late', b'later'])
            m.resume()
            self.assertTrue(poll_until(lambda: len(got.packets) == 2, poller))
            self.assertEqual(got.packets, [b'late', b'later'])
            self.assertEqual(m.send('direct'), 6)
            self.assertTrue(poll_until(lambda: len(got.packets) == 3, poller))
            m.close()
            self.assertTrue(m.closed)

    def test_poller_close_closes_its_objects(self):
        port = next(_ports)
        poller = Poller()
        listener = Collect(port=port, poller=poller)
        m = Multicaster(port=port, ttl=HOST, poller=poller, packets=iter(lambda: None, 0))
        poller.close()
        self.assertTrue(listener.closed and m.closed and poller.closed)
        listener.close()
        m.close()
        with self.assertRaises(MulticastError):
            poller.poll()

    def test_register_fd(self):
        r, w = os.pipe()
        try:
            class Reader(object):
                data = []

                def fileno(self):
                    return r

                def handle_read(self):
                    Reader.data.append(os.read(r, 100))

            reader = Reader()
            with Poller() as poller:
                poller.register(reader)
                self.assertEqual(poller.poll(0), 0)
                os.write(w, b'ping')
                self.assertEqual(poller.poll(1), 1)
                self.assertEqual(Reader.data, [b'ping'])
                with self.assertRaises(MulticastError) as cm:
                    poller.register(reader)
                self.assertEqual(cm.exception.code, multicast.MC_EEXIST)
                poller.unregister(reader)
                os.write(w, b'pong')
                self.assertEqual(poller.poll(0.1), 0)
                # loop() ends by itself once nothing is registered
                poller.loop()
        finally:
            os.close(r)
            os.close(w)


class TestErrors(unittest.TestCase):
    def test_bad_group(self):
        with self.assertRaises(MulticastError) as cm:
            sendto('x', ip='10.1.2.3')
        e = cm.exception
        self.assertEqual(e.code, multicast.MC_EADDRESS)
        self.assertIn('10.1.2.3', str(e))
        self.assertIsInstance(e, OSError)

    def test_bad_listener_options(self):
        with self.assertRaises(MulticastError) as cm:
            MulticastListener(port=0)
        self.assertEqual(cm.exception.code, multicast.MC_EINVAL)
        with self.assertRaises(MulticastError):
            MulticastListener(ip='not-an-address', port=next(_ports))

    def test_bad_ttl(self):
        with self.assertRaises(MulticastError) as cm:
            sendto('x', port=next(_ports), ttl=256)
        self.assertEqual(cm.exception.code, multicast.MC_EINVAL)


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


class TestTimers(unittest.TestCase):
    def test_call_later_runs_once_then_closes(self):
        with Poller() as p:
            got = []
            start = time.monotonic()
            t = p.call_later(0.02, got.append, 'x')
            self.assertIsInstance(t, multicast.Timer)
            self.assertFalse(t.closed)
            self.assertTrue(loop_with_watchdog(p))  # nothing armed after it ran
            self.assertEqual(got, ['x'])
            self.assertGreaterEqual(time.monotonic() - start, 0.02)  # never early
            self.assertTrue(t.closed)
            t.cancel()  # no-op when closed
            t.close()

    def test_call_every_cancel_and_set(self):
        with Poller() as p:
            ticks = []

            def tick():
                ticks.append(time.monotonic())
                if len(ticks) == 3:
                    t.cancel()  # disarmed: loop() ends
            start = time.monotonic()
            t = p.call_every(0.01, tick)
            self.assertTrue(loop_with_watchdog(p))
            self.assertEqual(len(ticks), 3)
            # never early: the third expiry is due 30 ms after the call (the spacing
            # between two runs may be shorter when the first ran late)
            self.assertGreaterEqual(ticks[2] - start, 0.03)
            self.assertFalse(t.closed)  # cancelled, still open
            t.set(0.005)  # once more
            self.assertTrue(loop_with_watchdog(p))
            self.assertEqual(len(ticks), 4)
            t.close()
            self.assertTrue(t.closed)
            with self.assertRaises(MulticastError) as cm:
                t.set(1)
            self.assertEqual(cm.exception.code, multicast.MC_ECLOSED)

    def test_timer_closes_and_rearms_itself_inside_its_function(self):
        with Poller() as p:
            runs = []

            def once():
                runs.append('every')
                t.close()
            t = p.call_every(0.001, once, delay=0)
            later = []

            def again():
                later.append(1)
                if len(later) < 3:
                    u.set(0.001)  # a call_later timer re-armed in its function stays open
            u = p.call_later(0, again)
            self.assertTrue(loop_with_watchdog(p))
            self.assertEqual(runs, ['every'])
            self.assertEqual(len(later), 3)
            self.assertTrue(t.closed and u.closed)

    def test_exception_in_timer_comes_out_of_poll(self):
        with Poller() as p:
            def boom():
                raise ValueError('timer boom')
            t = p.call_every(0.001, boom, delay=0)
            with self.assertRaisesRegex(ValueError, 'timer boom'):
                for _ in range(20):
                    p.poll(0.1)
            self.assertFalse(t.closed)
            t.close()

    def test_units_and_errors(self):
        self.assertEqual(multicast._timer_ms(0.0001, 'x'), 1)  # rounded up: never early
        self.assertEqual(multicast._timer_ms(1.5, 'x'), 1500)
        self.assertEqual(multicast._timer_ms(2, 'x'), 2000)
        with Poller() as p:
            for bad in (-0.001, 2147484, float('nan'), 'soon'):
                with self.assertRaises(ValueError):
                    p.call_later(bad, print)
            with self.assertRaises(ValueError):
                p.call_every(0, print)
            with self.assertRaises(TypeError):
                p.call_later(1, None)
            t = p.call_later(3600, print)
            with self.assertRaises(ValueError):
                t.set(-1)
        self.assertTrue(t.closed)  # closed with its poller

    def test_default_poller(self):
        got = []
        t = multicast.call_later(0, got.append, 1)
        self.assertTrue(poll_until(lambda: got == [1]))
        self.assertTrue(t.closed)
        ticks = []
        t = multicast.call_every(0.001, ticks.append, 1)
        self.assertTrue(poll_until(lambda: len(ticks) >= 2))
        t.close()


class TestSourcesAndAddresses(unittest.TestCase):
    def test_block_source_with_send_from(self):
        port = next(_ports)
        with Poller() as p:
            lis = Collect(port=port, poller=p)
            lis.block_source('127.0.0.2')
            with self.assertRaises(MulticastError) as cm:
                lis.block_source('127.0.0.2', group=multicast.DEFAULT_GROUP)
            self.assertEqual(cm.exception.code, multicast.MC_EEXIST)
            sendto('blocked', port=port, ttl=HOST, send_from=('127.0.0.2', 42994))
            sendto('open', port=port, ttl=HOST, send_from='127.0.0.1')
            self.assertTrue(poll_until(lambda: lis.packets, p))
            poll_until(lambda: False, p, timeout=0.2)  # time for a packet that would come
            self.assertEqual(lis.packets, [b'open'])
            self.assertEqual(lis.addrs[0][0], '127.0.0.1')

            lis.unblock_source('127.0.0.2')
            with self.assertRaises(MulticastError) as cm:
                lis.unblock_source('127.0.0.2')
            self.assertEqual(cm.exception.code, multicast.MC_ENOTFOUND)
            sendto(['again', 'twice'], port=port, ttl=HOST, send_from=('127.0.0.2', 42994))
            self.assertTrue(poll_until(lambda: len(lis.packets) == 3, p))
            self.assertEqual(lis.packets[1:], [b'again', b'twice'])
            self.assertEqual(lis.addrs[1:], [('127.0.0.2', 42994)] * 2)

            with self.assertRaises(MulticastError) as cm:
                lis.block_source('127.0.0.2', group='224.0.42.99')  # not held
            self.assertEqual(cm.exception.code, multicast.MC_ENOTFOUND)
            with self.assertRaises(MulticastError) as cm:
                lis.block_source('224.1.1.1')
            self.assertEqual(cm.exception.code, multicast.MC_EADDRESS)
            lis.close()
            with self.assertRaises(MulticastError) as cm:
                lis.block_source('127.0.0.2')
            self.assertEqual(cm.exception.code, multicast.MC_ECLOSED)

    def test_multicaster_send_from(self):
        port = next(_ports)
        with Poller() as p:
            lis = Collect(port=port, poller=p)
            m = Multicaster(port=port, ttl=HOST, poller=p, packets=['m1', 'm2'],
                            send_from=('127.0.0.2', 42993))
            self.assertTrue(poll_until(lambda: len(lis.packets) == 2 and m.closed, p))
            self.assertEqual(lis.addrs, [('127.0.0.2', 42993)] * 2)
            # A port alone: any address, that source port.
            sendto('p', port=port, ttl=HOST, send_from=('', 42992))
            self.assertTrue(poll_until(lambda: len(lis.packets) == 3, p))
            self.assertEqual(lis.addrs[2][1], 42992)

    def test_send_from_errors(self):
        port = next(_ports)
        with self.assertRaises(MulticastError) as cm:
            sendto('x', port=port, ttl=HOST, send_from='224.0.0.1')
        self.assertEqual(cm.exception.code, multicast.MC_EADDRESS)
        with self.assertRaises(MulticastError) as cm:
            sendto('x', port=port, ttl=HOST, send_from=('192.0.2.77', 1))
        self.assertEqual(cm.exception.errno, errno.EADDRNOTAVAIL)
        self.assertIn('192.0.2.77', str(cm.exception))

    def test_format_address(self):
        fmt = multicast.format_address
        self.assertEqual(fmt(('192.0.2.1', 5000)), '192.0.2.1:5000')
        self.assertEqual(fmt(('ff05::1', 5000)), '[ff05::1]:5000')
        lo = socket.if_nametoindex('lo')
        self.assertEqual(fmt(('fe80::1%lo', 5000)), '[fe80::1%lo]:5000')
        self.assertEqual(fmt(('fe80::1%%%d' % lo, 5000)), '[fe80::1%lo]:5000')
        self.assertEqual(fmt(('fe80::1%999', 7)), '[fe80::1%999]:7')  # no such interface
        for bad in ('nope', '192.0.2.1%lo', 'fe80::1%nosuch0'):
            with self.assertRaises(ValueError):
                fmt((bad, 1))
        # Received addresses are written by the library too: a scope by name.
        a = multicast._Addr()
        a.family, a.port, a.scope_id = socket.AF_INET6, 5000, lo
        a.ip[0], a.ip[1], a.ip[15] = 0xfe, 0x80, 1
        self.assertEqual(multicast._address(a), ('fe80::1%lo', 5000))
        a.family = 0
        self.assertEqual(multicast._address(a), ('?', 5000))


class TestTimes(unittest.TestCase):
    """Every time is in seconds; None and -1 (and math.inf) are the waits' forever, as
    with the seed's select.epoll; any other negative time and NaN are errors; more than
    a day warns (most likely milliseconds)."""

    def test_waits_are_seconds(self):
        w = multicast._wait_ms
        for seconds, ms in ((0, 0), (0.1, 100), (2, 2000), (86400, 86400000),
                            (None, -1), (-1, -1), (-1.0, -1), (math.inf, -1)):
            self.assertEqual(w(seconds, 'test'), ms, seconds)
        for bad in (-0.5, -2, -math.inf, math.nan):
            with self.assertRaisesRegex(ValueError, 'test: .*(second|NaN)'):
                w(bad, 'test')
        for bad in ('1', b'1', [], object()):
            with self.assertRaisesRegex(TypeError, 'seconds'):
                w(bad, 'test')
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', multicast.TimeoutWarning)
            self.assertEqual(w(1e9, 'test'), 2147483647)  # the C API's most: 24.8 days

    def test_public_functions_check_times(self):
        with Poller() as p:
            for bad in (-0.5, math.nan):
                self.assertRaises(ValueError, p.poll, bad)
                self.assertRaises(ValueError, p.loop, bad)
                self.assertRaises(ValueError, p.loop, 0, bad)  # interval
            self.assertRaises(ValueError, p.loop, 0, -1)       # no forever for a sleep
            self.assertRaises(TypeError, p.poll, '0.1')
            self.assertRaises(ValueError, multicast.poll, math.nan)
            # Forever is None, -1 or math.inf: a stop made before the poll ends it.
            for forever in (None, -1, math.inf):
                p.stop()
                start = time.monotonic()
                self.assertEqual(p.poll(forever), 0)
                self.assertLess(time.monotonic() - start, 1)
            start = time.monotonic()
            self.assertEqual(p.poll(0.05), 0)  # 50 ms, not 50 s
            self.assertLess(time.monotonic() - start, 1)
        for bad in (-0.5, math.nan):
            self.assertRaises(ValueError, listen, port=next(_ports), timeout=bad)
        with listen(port=next(_ports), timeout=-1) as packets:
            self.assertIsNone(packets.timeout)
            packets.timeout = 0.05
            self.assertEqual(packets.timeout, 0.05)
            with self.assertRaises(ValueError):
                packets.timeout = -3
            start = time.monotonic()
            self.assertRaises(StopIteration, next, packets)
            self.assertLess(time.monotonic() - start, 1)

    def test_more_than_a_day_warns(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            with Poller() as p:
                p.stop()
                self.assertEqual(p.poll(100000), 0)  # 100 s meant? 27.8 hours: warned
                p.call_later(90000, print).close()
                p.call_every(1, print, delay=2e6).close()
            with listen(port=next(_ports), timeout=1e5):
                pass
        self.assertEqual([w.category for w in caught], [multicast.TimeoutWarning] * 4)
        for w in caught:
            self.assertIn('seconds', str(w.message))
            self.assertEqual(w.filename, __file__)  # points at the caller, not the module
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            multicast._wait_ms(86400, 'a day')
            multicast._timer_ms(86400, 'a day')
        self.assertEqual(caught, [])

    def test_doctest(self):
        """The module's docstring: the seed's listen(), sendto('test'), poll(), next()."""
        failed, attempted = doctest.testmod(multicast)
        self.assertEqual((failed, attempted > 4), (0, True))


class TestLoading(unittest.TestCase):
    """The loading rule, in child processes importing a copy of the package whose
    multicast/ bundles a copy of the library in use: the bundled copy first; MULTICAST_LIB
    (a file, a directory, or 'system') chooses another."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc-load-')
        self.addCleanup(shutil.rmtree, self.tmp)
        self.lib = os.path.realpath(multicast.library_path)
        self.assertTrue(os.path.isfile(self.lib), self.lib)
        self.pkg = self.package('bundled', self.lib)
        self.system = os.path.join(self.tmp, 'system')
        os.mkdir(self.system)
        shutil.copy(self.lib, os.path.join(self.system, 'libmulticast.so.0'))

    def package(self, name, lib=None, data=None):
        """A directory with multicast/ (the module, and a bundled lib or data)."""
        d = os.path.join(self.tmp, name)
        os.makedirs(os.path.join(d, 'multicast'))
        shutil.copy(multicast.__file__, os.path.join(d, 'multicast', '__init__.py'))
        bundled = os.path.join(d, 'multicast', 'libmulticast.so.0')
        if lib is not None:
            shutil.copy(lib, bundled)
        elif data is not None:
            with open(bundled, 'wb') as f:
                f.write(data)
        return d

    def load(self, where, **env):
        """Imports multicast in `where`: (library_path or None, stderr)."""
        e = {k: v for k, v in os.environ.items()
             if k not in ('MULTICAST_LIB', 'LD_LIBRARY_PATH', 'PYTHONPATH')}
        e.update(env)
        r = subprocess.run([sys.executable, '-c',
                            'import multicast; print(multicast.library_path)'],
                           cwd=where, env=e, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True)
        return (r.stdout.strip() if r.returncode == 0 else None), r.stderr

    def assertLoads(self, got, want):
        path, err = got
        self.assertIsNotNone(path, err)
        self.assertTrue(os.path.samefile(path, want), '%s is not %s' % (path, want))

    def test_bundled_first(self):
        bundled = os.path.join(self.pkg, 'multicast', 'libmulticast.so.0')
        self.assertLoads(self.load(self.pkg), bundled)
        self.assertLoads(self.load(self.pkg, MULTICAST_LIB=''), bundled)
        # LD_LIBRARY_PATH alone changes nothing: the system's only when asked.
        self.assertLoads(self.load(self.pkg, LD_LIBRARY_PATH=self.system), bundled)

    def test_system_when_asked(self):
        system = os.path.join(self.system, 'libmulticast.so.0')
        self.assertLoads(self.load(self.pkg, MULTICAST_LIB='system',
                                   LD_LIBRARY_PATH=self.system), system)
        self.assertLoads(self.load(self.pkg, MULTICAST_LIB=self.system), system)
        self.assertLoads(self.load(self.pkg, MULTICAST_LIB=system), system)
        # Without one the loader finds: an ImportError, never the bundled copy.
        path, err = self.load(self.pkg, MULTICAST_LIB='system')
        if path is None:
            self.assertIn('libmulticast.so.0 not found', err)
        else:
            self.assertNotIn(os.path.join(self.pkg, 'multicast'), path)

    def test_no_bundled_copy_is_the_system_one(self):
        plain = self.package('plain')
        self.assertLoads(self.load(plain, LD_LIBRARY_PATH=self.system),
                         os.path.join(self.system, 'libmulticast.so.0'))

    def test_a_bundled_copy_that_does_not_load_is_an_error(self):
        broken = self.package('broken', data=b'not a library')
        path, err = self.load(broken, LD_LIBRARY_PATH=self.system)
        self.assertIsNone(path)
        self.assertIn('ImportError', err)
        self.assertIn('MULTICAST_LIB=system', err)
        self.assertLoads(self.load(broken, MULTICAST_LIB='system',
                                   LD_LIBRARY_PATH=self.system),
                         os.path.join(self.system, 'libmulticast.so.0'))


if __name__ == '__main__':
    unittest.main()
