"""Pollers and multicasters: Multicaster (an iterable sub-class, packets=, None and
resume(), send()), a Poller's loop() ending by itself, close() closing its objects,
register() of any fd."""
import os
import threading
import unittest

import support  # first: it puts the package in the source tree on sys.path
from support import HOST, Collect, poll_until, ports

import multicast
from multicast import MulticastError, Multicaster, Poller


def setUpModule():
    support.require_netns()


class TestMulticasterAndPoller(unittest.TestCase):
    def test_iterable_subclass_on_own_poller_loop_ends(self):
        port = next(ports)

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
        port = next(ports)
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
        port = next(ports)
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


if __name__ == '__main__':
    unittest.main()
