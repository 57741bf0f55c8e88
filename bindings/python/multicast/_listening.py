"""Listening: the C listener (_Listener: filters, source blocking, stats),
MulticastListener (push: handle_packet from a poller's dispatch), the iterator of packets
(pull: listen() without a handler) and listen()."""

import ctypes
import inspect
import re
import time

from ._addresses import _address, _Opts
from ._callbacks import _Dispatch, _bury, _depth
from ._capi import (DEFAULT_GROUP, DEFAULT_MTU, DEFAULT_PORT, MC_ECLOSED, MulticastError,
                    _PACKET_FN, _Packet, _Stats, _check, _cstr, _listen,
                    _listener_block_source, _listener_close, _listener_fd,
                    _listener_get_stats, _listener_new, _listener_next,
                    _listener_set_filter, _listener_set_filter_regex,
                    _listener_unblock_source, _vp)
from ._polling import _defaultPoller, _poller
from ._times import _ms, _seconds


class _Listener(object):
    """A C listener: push (self._on_packet) or pull (None)."""

    def _open(self, ip, port, mtu, poller, push, interface=None, source=None,
              recv_buffer=None):
        self.ip, self.port, self.mtu = ip, port, mtu
        self.poller = _poller(poller)
        self._l = None
        self._thunk = _PACKET_FN(self._on_packet) if push else _PACKET_FN()
        self._filter_thunk = None
        with _Opts(group=ip, port=port, mtu=mtu, interface=interface, source=source,
                   recv_buffer=recv_buffer) as o:
            l = _vp()
            _check(_listener_new(self.poller._handle(), o, self._thunk, None, ctypes.byref(l)),
                   'mc_listener_new')
        self._l = l.value
        self.poller._objects.add(self)

    @property
    def closed(self):
        return self._l is None

    def _handle(self):
        if self._l is None:
            raise MulticastError(MC_ECLOSED, type(self).__name__, 'the listener is closed')
        return self._l

    def _gone(self):
        self._l = None
        _bury(self._thunk, self._filter_thunk)

    def close(self):
        """Leaves the group and closes the socket (allowed inside callbacks)."""
        if self._l is not None:
            _listener_close(self._l)
            self.poller._objects.discard(self)
            self._gone()

    def set_filter(self, filter):
        """filter(packet, addr) -> bool, a regular expression (str/bytes: the library's
        Rust syntax, matched at the packet's start, ${ip}/${port}/${mtu} replaced; a
        compiled re pattern: Python's re.match), or None for no filter."""
        h = self._handle()
        old = self._filter_thunk
        if filter is None:
            _check(_listener_set_filter(h, _PACKET_FN(), None), 'mc_listener_set_filter')
            self._filter_thunk = None
        elif isinstance(filter, (str, bytes)):
            pattern = filter.decode('utf-8') if isinstance(filter, bytes) else filter
            _check(_listener_set_filter_regex(h, pattern.encode('utf-8')),
                   'mc_listener_set_filter_regex')
            self._filter_thunk = None
        else:
            if isinstance(filter, re.Pattern):
                if isinstance(filter.pattern, str):
                    accept = (lambda rx: lambda p, a: rx.match(p.decode('utf-8', 'replace')))(filter)
                else:
                    accept = (lambda rx: lambda p, a: rx.match(p))(filter)
            elif callable(filter):
                accept = filter
            else:
                raise TypeError('filter must be callable, a regular expression or None')

            def call(_ud, packet):
                with _Dispatch(self.poller):
                    p = packet.contents
                    return 1 if accept(ctypes.string_at(p.data, p.len), _address(p.from_)) else 0
                return 0
            thunk = _PACKET_FN(call)
            _check(_listener_set_filter(h, thunk, None), 'mc_listener_set_filter')
            self._filter_thunk = thunk
        if old is not None:
            _bury(old)

    def block_source(self, source, group=None):
        """Stops the kernel delivering the group's packets from source (a unicast
        address) to this listener; group defaults to the listener's (it must be one it
        holds from any source). MulticastError: MC_EEXIST if source is already blocked,
        MC_EADDRESS for a source that is not a unicast address of the group's family."""
        _check(_listener_block_source(self._handle(), _cstr(self.ip if group is None else group),
                                      _cstr(source)), 'mc_listener_block_source')

    def unblock_source(self, source, group=None):
        """Delivers source's packets again; MulticastError MC_ENOTFOUND if it was not
        blocked."""
        _check(_listener_unblock_source(self._handle(),
                                        _cstr(self.ip if group is None else group),
                                        _cstr(source)), 'mc_listener_unblock_source')

    def fileno(self):
        return _check(_listener_fd(self._handle()), 'mc_listener_fd')

    def stats(self):
        """The listener's counters: received, delivered, filtered, truncated, kernel_drops."""
        s = _Stats()
        _check(_listener_get_stats(self._handle(), ctypes.byref(s)), 'mc_listener_get_stats')
        return {n: getattr(s, n) for n, _ in _Stats._fields_}

    def _on_packet(self, _ud, packet):
        return 0


def _class_filter(obj):
    """A filter given as a class attribute: a regex, a function of (packet, addr) (the
    seed's `filter = lambda packet, addr: True`), a method of (self, packet, addr), or a
    staticmethod."""
    try:
        raw = inspect.getattr_static(obj, 'filter')
    except AttributeError:
        return None
    if raw is None or isinstance(raw, (str, bytes, re.Pattern)):
        return raw
    if isinstance(raw, staticmethod):
        return raw.__func__
    if inspect.isfunction(raw):
        try:
            params = [p for p in inspect.signature(raw).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            params = []
        return raw if len(params) == 2 else getattr(obj, 'filter')
    return raw if callable(raw) else None


class MulticastListener(_Listener):
    """Joins the multicast group ip and calls handle_packet(packet, addr) for each packet
    sent to ip:port that passes filter (mtu: bytes read per packet). Returning a true
    value from handle_packet stops listening (the listener closes).

    MulticastListener(filter=None, ip='224.0.42.42', port=4242, mtu=4096, poller=None,
                      interface=None, source=None)

    filter: a callable filter(packet, addr) returning True to accept the packet, or a
    regular expression (see set_filter); a sub-class may also set it as a class
    attribute. The listener registers with poller (default: the default poller), which
    keeps it alive until it is closed.
    """

    filter = None

    def __init__(self, filter=None, ip=DEFAULT_GROUP, port=DEFAULT_PORT, mtu=DEFAULT_MTU,
                 poller=None, interface=None, source=None):
        self._open(ip, port, mtu, poller, True, interface=interface, source=source)
        try:
            f = filter if filter is not None else _class_filter(self)
            if f is not None:
                self.set_filter(f)
        except BaseException:
            self.close()
            raise

    def handle_packet(self, packet, addr):
        """Implemented by sub-classes: called with the packet (bytes) and the sender's
        (ip, port). Return True to stop listening."""
        raise NotImplementedError('%s.handle_packet' % type(self).__name__)

    def _on_packet(self, _ud, packet):
        with _Dispatch(self.poller):
            p = packet.contents
            stop = self.handle_packet(ctypes.string_at(p.data, p.len), _address(p.from_))
            if stop and self._l is not None:  # the library closes and frees it now
                self.poller._objects.discard(self)
                self._gone()
                return 1
            return 0
        return 0  # handle_packet raised: the poll that ran it re-raises


class _Packets(_Listener):
    """listen() without a handler: an iterator of the packets (bytes) sent to the group,
    with the seed generator's next(). Each next waits up to `timeout` SECONDS (an
    attribute that may be changed; None or -1: forever; polling the poller meanwhile)
    and raises StopIteration after `limit` packets or a timeout."""

    def __init__(self, ip, port, mtu, limit, timeout, poller):
        self.timeout = timeout  # checked before the group is joined
        self._open(ip, port, mtu, poller, False)
        self.limit = limit
        self.count = 0

    @property
    def timeout(self):
        """Seconds each next() waits (None: forever)."""
        return self._timeout

    @timeout.setter
    def timeout(self, value):
        self._timeout = _seconds(value, 'listen timeout', True)

    def __iter__(self):
        return self

    def __next__(self):
        if self._l is None or (self.limit is not None and self.count >= self.limit):
            self.close()
            raise StopIteration
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        out = ctypes.POINTER(_Packet)()
        while True:
            # Waits in slices, so that signals (KeyboardInterrupt) get through.
            left = 0.25 if deadline is None else min(0.25, max(0.0, deadline - time.monotonic()))
            rc = _listener_next(self._handle(), ctypes.byref(out), _ms(left))
            self.poller._after()
            _check(rc, 'mc_listener_next')
            if rc == 1:
                p = out.contents
                self.count += 1
                return ctypes.string_at(p.data, p.len)
            if self._l is None or (deadline is not None and time.monotonic() >= deadline):
                raise StopIteration

    next = __next__  # the seed's generator.next()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def listen(packet_handler=None, ip=DEFAULT_GROUP, port=DEFAULT_PORT, mtu=DEFAULT_MTU,
           limit=None, timeout=None, poller=None):
    """Calls packet_handler(packet, addr) for each packet sent to the multicast group at
    ip on port, until it returns a true value or limit packets were handled; returns the
    number handled. mtu is the maximum packet size in bytes.

    Without packet_handler, returns an iterator of the packets instead (joined at once;
    each next() waits up to timeout SECONDS, int or float, to the nearest millisecond
    and at least 1 ms unless 0: listen(timeout=0.5) is 500 ms; None, the default, or -1:
    forever). ValueError for another negative timeout or NaN; TypeError for a bool or a
    string; TimeoutWarning above a day."""
    if packet_handler is None:
        return _Packets(ip, port, mtu, limit, timeout, poller)
    if poller is not None and poller is not _defaultPoller:
        raise ValueError('listen() with a handler runs the default poller')
    failure = []

    def call(_ud, packet):
        _depth[0] += 1
        try:
            p = packet.contents
            return 1 if packet_handler(ctypes.string_at(p.data, p.len), _address(p.from_)) else 0
        except BaseException as e:
            failure.append(e)
            return 1
        finally:
            _depth[0] -= 1

    thunk = _PACKET_FN(call)
    rc = _listen(thunk, None, _cstr(ip), port, mtu, limit or 0)
    if failure:
        raise failure[0]
    _defaultPoller._after()
    return _check(rc, 'mc_listen')
