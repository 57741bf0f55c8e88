"""Errors of the library's calls: MulticastError (an OSError) with the library's code."""
import unittest

import support  # first: it puts the package in the source tree on sys.path
from support import ports

import multicast
from multicast import MulticastError, MulticastListener, sendto


def setUpModule():
    support.require_netns()


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
            MulticastListener(ip='not-an-address', port=next(ports))

    def test_bad_ttl(self):
        with self.assertRaises(MulticastError) as cm:
            sendto('x', port=next(ports), ttl=256)
        self.assertEqual(cm.exception.code, multicast.MC_EINVAL)


if __name__ == '__main__':
    unittest.main()
