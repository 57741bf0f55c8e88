"""Times in seconds everywhere: the checks (ValueError, TypeError), forever (None, -1,
math.inf), and the TimeoutWarning above a day, pointed at the caller."""
import math
import time
import unittest
import warnings

import support  # first: it puts the package in the source tree on sys.path
from support import ports

import multicast
from multicast import Poller, listen


def setUpModule():
    support.require_netns()


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
        for bad in ('1', b'1', [], object(), True, False):
            with self.assertRaisesRegex(TypeError, 'test: .* seconds'):
                w(bad, 'test')
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', multicast.TimeoutWarning)
            self.assertEqual(w(1e9, 'test'), 2147483647)  # the C API's most: 24.8 days

    def test_a_wait_under_a_millisecond_waits_1_ms(self):
        # Not 0, which would not wait: a loop of poll(0.0004) would spin.
        w, ms = multicast._wait_ms, multicast._times._ms
        for seconds, want in ((0.0004, 1), (1e-9, 1), (5e-324, 1), (0.0005, 1),
                              (0.0014, 1), (0.0016, 2), (0, 0), (0.0, 0)):
            self.assertEqual(w(seconds, 'test'), want, seconds)
            self.assertEqual(ms(seconds), want, seconds)
        with Poller() as p:
            start = time.monotonic()
            for _ in range(20):
                self.assertEqual(p.poll(0.0004), 0)
            self.assertGreaterEqual(time.monotonic() - start, 0.019)  # 20 waits of 1 ms
            self.assertLess(time.monotonic() - start, 1)

    def test_bools_are_not_times(self):
        with Poller() as p:
            for call, name in ((p.poll, 'poll timeout'), (p.loop, 'loop timeout'),
                               (lambda t: p.loop(0.01, t), 'loop interval'),
                               (multicast.poll, 'poll timeout'),
                               (lambda t: p.call_later(t, print), 'timer delay'),
                               (lambda t: p.call_every(t, print), 'call_every'),
                               (lambda t: listen(port=next(ports), timeout=t),
                                'listen timeout')):
                for b in (True, False):
                    with self.assertRaisesRegex(TypeError, '^%s: %r is not a number of '
                                                'seconds' % (name, b)):
                        call(b)

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
            self.assertRaises(ValueError, listen, port=next(ports), timeout=bad)
        with listen(port=next(ports), timeout=-1) as packets:
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
            with listen(port=next(ports), timeout=1e5):
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


if __name__ == '__main__':
    unittest.main()
