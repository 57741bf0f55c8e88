"""Sources and addresses: block_source/unblock_source, send_from= (sendto and
Multicaster), format_address and the addresses of received packets."""
import errno
import socket
import unittest

import support  # first: it puts the package in the source tree on sys.path
from support import HOST, Collect, poll_until, ports

import multicast
from multicast import MulticastError, Multicaster, Poller, sendto


def setUpModule():
    support.require_netns()


class TestSourcesAndAddresses(unittest.TestCase):
    def test_block_source_with_send_from(self):
        port = next(ports)
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
        port = next(ports)
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
        port = next(ports)
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


if __name__ == '__main__':
    unittest.main()
