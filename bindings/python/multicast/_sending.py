"""Sending: sendto() (one call, any thread) and Multicaster (the packets of an
iterator, sent from a poller's dispatch whenever the socket is writable)."""

import ctypes

from ._addresses import _Opts
from ._callbacks import _Dispatch, _bury
from ._capi import (DEFAULT_GROUP, DEFAULT_PORT, DEFAULT_TTL, MC_ECLOSED, MulticastError,
                    _NEXT_DONE, _NEXT_FN, _NEXT_PACKET, _NEXT_WAIT, _Buf, _bytes, _check,
                    _cstr, _multicaster_close, _multicaster_new, _multicaster_resume,
                    _multicaster_send, _sendto_many, _sendto_opts, _vp)
from ._polling import _poller


def sendto(packets, ip=DEFAULT_GROUP, port=DEFAULT_PORT, ttl=DEFAULT_TTL, send_from=None):
    """Sends packets (one str/bytes packet, or an iterable of them), in order, to the
    multicast group at ip on port with ttl; returns the number sent.

    send_from: the source address the packets are sent from, 'ip' or (ip, port) like the
    socket module's source_address (a unicast address of this host, of the group's
    family; port 0: an ephemeral one); receivers see it as addr. Default: the system's
    choice."""
    if isinstance(packets, (str, bytes, bytearray, memoryview)):
        packets = [packets]
    data = [_bytes(p) for p in packets]
    if not data:
        return 0
    if send_from is not None:
        with _Opts(group=ip, port=port, ttl=ttl, send_from=send_from) as o:
            for d in data:
                _check(_sendto_opts(o, d, len(d)), 'mc_sendto_opts')
        return len(data)
    bufs = (_Buf * len(data))()
    keep = []
    for i, d in enumerate(data):
        b = ctypes.create_string_buffer(d, max(len(d), 1))
        keep.append(b)
        bufs[i].data = ctypes.addressof(b)
        bufs[i].len = len(d)
    return _check(_sendto_many(bufs, len(data), _cstr(ip), port, ttl), 'mc_sendto_many')


class Multicaster(object):
    """Multicasts the packets it yields. Make sub-classes iterable (define __iter__,
    usually a generator), or pass an iterable as packets. Whenever the socket is
    writable the poller takes the next packet (str or bytes) and sends it; when the
    iterator ends the multicaster closes itself; a None packet means "nothing now":
    call resume() when there is more.

    Multicaster(ip='224.0.42.42', port=4242, ttl=1, poller=None, packets=None,
                interface=None, loopback=None, send_from=None)

    send_from: 'ip' or (ip, port), the source address of its packets (see sendto).
    """

    def __init__(self, ip=DEFAULT_GROUP, port=DEFAULT_PORT, ttl=DEFAULT_TTL, poller=None,
                 packets=None, interface=None, loopback=None, send_from=None):
        self.ip, self.port, self.ttl = ip, port, ttl
        self.poller = _poller(poller)
        self._packets = packets
        self._iter = None
        self._current = None
        self._m = None
        self._thunk = _NEXT_FN(self._next)
        with _Opts(group=ip, port=port, ttl=ttl, interface=interface, loopback=loopback,
                   send_from=send_from) as o:
            m = _vp()
            _check(_multicaster_new(self.poller._handle(), o, self._thunk, None,
                                    ctypes.byref(m)), 'mc_multicaster_new')
        self._m = m.value
        self.poller._objects.add(self)

    def __iter__(self):
        if self._packets is None:
            raise TypeError('%s: define __iter__ or pass packets' % type(self).__name__)
        return iter(self._packets)

    @property
    def closed(self):
        return self._m is None

    def _gone(self):
        self._m = None
        _bury(self._thunk)

    def _next(self, _ud, data, length):
        with _Dispatch(self.poller):
            if self._iter is None:
                self._iter = iter(self)
            try:
                packet = next(self._iter)
            except StopIteration:
                if self._m is not None:  # the library closes and frees it now
                    self.poller._objects.discard(self)
                    self._gone()
                return _NEXT_DONE
            if packet is None:
                return _NEXT_WAIT
            b = _bytes(packet)
            self._current = ctypes.create_string_buffer(b, max(len(b), 1))
            data[0] = ctypes.addressof(self._current)
            length[0] = len(b)
            return _NEXT_PACKET
        return _NEXT_WAIT  # the iterator raised: the poll that ran it re-raises

    def resume(self):
        """After a None packet: take packets again whenever the socket is writable."""
        _check(_multicaster_resume(self._handle()), 'mc_multicaster_resume')

    def send(self, packet):
        """Sends one packet now on this multicaster's socket; returns the bytes sent."""
        b = _bytes(packet)
        return _check(_multicaster_send(self._handle(), b, len(b)), 'mc_multicaster_send')

    def close(self):
        if self._m is not None:
            _multicaster_close(self._m)
            self.poller._objects.discard(self)
            self._gone()

    def _handle(self):
        if self._m is None:
            raise MulticastError(MC_ECLOSED, 'Multicaster', 'the multicaster is closed')
        return self._m
