"""Sending and listening: sendto(), listen() with a handler and as an iterator of
packets (the seed's generator), MulticastListener (handle_packet, filters, closing inside
its callbacks, exceptions out of poll())."""
import gc
import re
import unittest

import support  # first: it puts the package in the source tree on sys.path
from support import HOST, Collect, poll_until, ports

import multicast
from multicast import MulticastError, MulticastListener, Multicaster, listen, poll, sendto


def setUpModule():
    support.require_netns()


class TestSendAndListen(unittest.TestCase):
    def test_version(self):
        self.assertRegex(multicast.version(), r'^\d+\.\d+\.\d+$')

    def test_seed_doctest_generator(self):
        # >>> listener = listen(); sendto('test'); poll(); listener.next()  -> 'test'
        port = next(ports)
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
        port = next(ports)
        with listen(port=port, limit=3, timeout=2) as packets:
            sendto(['p%d' % i for i in range(5)], port=port, ttl=HOST)
            self.assertEqual(list(packets), [b'p0', b'p1', b'p2'])
            self.assertTrue(packets.closed)

    def test_listen_with_handler_and_limit(self):
        # The blocking listen() runs the default poller, which also runs this multicaster.
        port = next(ports)
        got = []
        Multicaster(port=port, ttl=HOST, packets=['one', 'two', 'three', 'four'])
        n = listen(lambda packet, addr: got.append((packet, addr)), port=port, limit=3)
        self.assertEqual(n, 3)
        self.assertEqual([p for p, _ in got], [b'one', b'two', b'three'])
        self.assertTrue(all(a[0] == '127.0.0.1' and a[1] > 0 for _, a in got), got)

    def test_listen_until_handler_returns_true(self):
        port = next(ports)
        got = []

        def handler(packet, addr):
            got.append(packet)
            return packet == b'two'

        Multicaster(port=port, ttl=HOST, packets=['one', 'two', 'three'])
        self.assertEqual(listen(handler, port=port), 2)
        self.assertEqual(got, [b'one', b'two'])

    def test_listen_handler_exception_propagates(self):
        port = next(ports)

        def handler(packet, addr):
            raise KeyError(packet)

        Multicaster(port=port, ttl=HOST, packets=['boom'])
        with self.assertRaises(KeyError):
            listen(handler, port=port)

    def test_mtu_truncates(self):
        port = next(ports)
        with listen(port=port, mtu=4, timeout=2) as packets:
            sendto('0123456789', port=port, ttl=HOST)
            self.assertEqual(next(packets), b'0123')
            self.assertEqual(packets.stats()['truncated'], 1)


class TestMulticastListener(unittest.TestCase):
    def test_seed_printer_example(self):
        # class Printer(MulticastListener): filter = lambda packet, addr: True ...
        port = next(ports)
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
        port = next(ports)

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
        port = next(ports)
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
        port = next(ports)
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
        port = next(ports)

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
        port = next(ports)
        a, b = Collect(port=port), Collect(port=port)
        sendto(['1', '2'], port=port, ttl=HOST)
        self.assertTrue(poll_until(lambda: len(a.packets) == 2 and len(b.packets) == 2))
        self.assertEqual(a.packets, b.packets)
        self.assertEqual(a.addrs[0][0], '127.0.0.1')
        a.close()
        b.close()


if __name__ == '__main__':
    unittest.main()
