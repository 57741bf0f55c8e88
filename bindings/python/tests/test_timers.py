"""Timers: call_later and call_every (on a Poller and the default poller), a Timer's
cancel(), set() and close(), inside its own function too; exceptions out of poll()."""
import time
import unittest

import support  # first: it puts the package in the source tree on sys.path
from support import loop_with_watchdog, poll_until

import multicast
from multicast import MulticastError, Poller


def setUpModule():
    support.require_netns()


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


if __name__ == '__main__':
    unittest.main()
