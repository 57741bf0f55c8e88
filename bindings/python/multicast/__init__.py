"""multicast - asynchronous multicast UDP, the Python module "multicast" 0.4.1's API on
top of libmulticast (ctypes; standard library only).

Times are in SECONDS (int or float), everywhere in this module, as in the seed module
and Python's time module: poll(0.1) waits up to 100 ms, poll(100) up to 100 seconds (the
C library counts milliseconds; this module converts). That is poll(timeout),
loop(timeout, interval), listen(timeout=), call_later(seconds), call_every(seconds,
delay=) and Timer.set(delay, interval). A wait's None or -1 (or math.inf) means forever;
any other negative time, or NaN, raises ValueError; a time above a day warns
(TimeoutWarning: most likely milliseconds were meant).

    from multicast import sendto, listen, poll, MulticastListener, Multicaster, Poller

    sendto(packets, ip='224.0.42.42', port=4242, ttl=1)
    listen(packet_handler, ip='224.0.42.42', port=4242, mtu=4096, limit=None)
    poll(timeout=0)           # seconds: 0 returns at once, None waits for an event
    listener = listen()       # no handler: an iterator of packets (the seed's generator)

    class Printer(MulticastListener):
        filter = lambda packet, addr: True        # or a regex: r'te.t'
        def handle_packet(self, packet, addr):
            print(packet, addr)
            return True                           # stop listening

The seed's example, a doctest (it sends real multicast: run it inside tests/netns-run,
python3 -c 'import doctest, multicast; print(doctest.testmod(multicast))'):

>>> from multicast import listen, sendto, poll
>>> listener = listen(timeout=2)      # joins at once; next() waits up to 2 seconds
>>> sendto('test')                    # the number of packets sent
1
>>> poll(0.1)                         # waits up to 0.1 seconds (100 ms) for events
1
>>> next(listener)
b'test'
>>> listener.close()

The library, libmulticast.so.0, is loaded at import, by this rule:

- the environment variable MULTICAST_LIB, when it is a path: that library file, or
  libmulticast.so.0 in that directory; nothing else is tried;
- MULTICAST_LIB=system: the system's library (the dynamic loader's search: its cache,
  LD_LIBRARY_PATH; then ctypes.util.find_library), never a bundled copy;
- otherwise (unset or empty): the copy bundled in this package (a wheel built by
  bindings/python/build-wheel holds multicast/libmulticast.so.0) if there is one (it
  must load: no silent fallback to another version); else, as when installed from the
  sources or run from the source tree, the system's library as for MULTICAST_LIB=system.

multicast.library_path is the file that was loaded.

Additions of libmulticast 0.3: Poller.call_later(seconds, fn) / call_every(seconds, fn)
(a Timer: cancel(), set(), close()); MulticastListener.block_source/unblock_source;
send_from=(ip, port) for sendto() and Multicaster; addr tuples are formatted by the
library (mc_addr_format: a link-local scope by its interface's name, 'fe80::1%eth0').

Differences from the Python 2 seed: packets are bytes (str arguments are sent UTF-8
encoded); a listener's addr is (ip, port); Poller.loop() with timeout 0 waits for events
instead of spinning, and returns when stop() is called, polling is set to False, or
nothing is registered. An exception raised in a callback (handle_packet, a filter, a
Multicaster's iterator, handle_read/handle_write) stops the poller and is re-raised from
the poll()/loop()/next() that ran it. Pollers and their objects are used from one thread
at a time; sendto() is safe from any thread.
"""

import ctypes
import ctypes.util
import inspect
import math
import os
import re
import socket
import sys
import time
import warnings

__all__ = [
    'sendto', 'listen', 'poll', 'loop', 'register', 'unregister', 'stop',
    'Poller', 'MulticastListener', 'Multicaster', 'MulticastError', 'version',
    'Timer', 'call_later', 'call_every', 'format_address', 'ADDR_STRLEN',
    'TimeoutWarning', 'library_path',
    'DEFAULT_GROUP', 'DEFAULT_PORT', 'DEFAULT_TTL', 'DEFAULT_MTU',
    'TTL_HOST', 'TTL_SUBNET', 'TTL_SITE', 'TTL_REGION', 'TTL_CONTINENT', 'TTL_UNRESTRICTED',
    'READ', 'WRITE',
]

DEFAULT_GROUP = '224.0.42.42'
DEFAULT_PORT = 4242
DEFAULT_TTL = 1
DEFAULT_MTU = 4096
TTL_HOST, TTL_SUBNET, TTL_SITE, TTL_REGION, TTL_CONTINENT, TTL_UNRESTRICTED = 0, 1, 32, 64, 128, 255
READ, WRITE = 1, 4  # interest flags (EPOLLIN|EPOLLPRI, EPOLLOUT)
ADDR_STRLEN = 64    # MC_ADDR_STRLEN: bytes enough for any address mc_addr_format writes

MC_EINVAL, MC_EADDRESS, MC_EREGEX, MC_ENOTFOUND = -1001, -1002, -1003, -1004
MC_EEXIST, MC_EBUSY, MC_ECLOSED, MC_EPANIC = -1005, -1006, -1007, -1008
_NEXT_DONE, _NEXT_PACKET, _NEXT_WAIT = 0, 1, 2


# --------------------------------------------------------------------------------------
# The library

_SONAME = 'libmulticast.so.0'
_BUNDLED = os.path.join(os.path.dirname(os.path.abspath(__file__)), _SONAME)


def _load_system(why):
    errors = []
    for name in (_SONAME, ctypes.util.find_library('multicast')):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            errors.append(str(e))
    raise ImportError('%s not found: %s, and none from the system (install libmulticast, '
                      'or set MULTICAST_LIB to its path): %s'
                      % (_SONAME, why, '; '.join(errors)))


def _load():
    """The library by the rule of the module's docstring: MULTICAST_LIB=path, =system,
    else the bundled copy, else the system's."""
    path = os.environ.get('MULTICAST_LIB', '')
    if path == 'system':
        return _load_system('MULTICAST_LIB=system')
    if path:
        if os.path.isdir(path):
            path = os.path.join(path, _SONAME)
        return ctypes.CDLL(path)
    if os.path.exists(_BUNDLED):
        try:
            return ctypes.CDLL(_BUNDLED)
        except OSError as e:
            raise ImportError('the bundled %s does not load (%s); MULTICAST_LIB=system '
                              'uses the system\'s instead' % (_BUNDLED, e)) from None
    return _load_system('no copy bundled in ' + os.path.dirname(_BUNDLED))


class _LinkMap(ctypes.Structure):   # the start of glibc's struct link_map
    _fields_ = [('l_addr', ctypes.c_void_p), ('l_name', ctypes.c_char_p)]


def _loaded_path(lib):
    """The file the dynamic loader opened for lib (dlinfo RTLD_DI_LINKMAP), else the
    libmulticast mapped into this process (/proc/self/maps), else the name given."""
    for libdl in (None, 'libdl.so.2'):
        try:
            dlinfo = ctypes.CDLL(libdl).dlinfo
            lm = ctypes.POINTER(_LinkMap)()
            if dlinfo(ctypes.c_void_p(lib._handle), 2, ctypes.byref(lm)) == 0 and lm:
                name = lm.contents.l_name
                if name:
                    return os.path.abspath(os.fsdecode(name))
        except (OSError, AttributeError):
            continue
    try:
        with open('/proc/self/maps') as maps:
            for line in maps:
                f = line.split(None, 5)[-1].strip()
                if os.path.basename(f).startswith('libmulticast.so'):
                    return f
    except OSError:
        pass
    return os.path.abspath(lib._name) if os.sep in lib._name else lib._name


_lib = _load()
library_path = _loaded_path(_lib)

_c_int, _c_size, _c_u16, _c_u32, _vp = (ctypes.c_int, ctypes.c_size_t, ctypes.c_uint16,
                                        ctypes.c_uint32, ctypes.c_void_p)


class _Addr(ctypes.Structure):
    _fields_ = [('family', ctypes.c_uint16), ('port', ctypes.c_uint16),
                ('scope_id', ctypes.c_uint32), ('ip', ctypes.c_uint8 * 16)]


class _Packet(ctypes.Structure):
    _fields_ = [('data', _vp), ('len', _c_size), ('size', _c_size),
                ('from_', _Addr), ('group', _Addr), ('ifindex', ctypes.c_uint32)]


class _Buf(ctypes.Structure):
    _fields_ = [('data', _vp), ('len', _c_size)]


class _Stats(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in
                ('received', 'delivered', 'filtered', 'truncated', 'kernel_drops')]


_PACKET_FN = ctypes.CFUNCTYPE(_c_int, _vp, ctypes.POINTER(_Packet))
_NEXT_FN = ctypes.CFUNCTYPE(_c_int, _vp, ctypes.POINTER(_vp), ctypes.POINTER(_c_size))
_IO_FN = ctypes.CFUNCTYPE(None, _vp, _c_int)
_TIMER_FN = ctypes.CFUNCTYPE(None, _vp, _vp)


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_strerror = _fn('mc_strerror', ctypes.c_char_p, _c_int)
_last_error = _fn('mc_last_error', ctypes.c_char_p)
_version = _fn('mc_version', ctypes.c_char_p)
_opts_new = _fn('mc_opts_new', _vp)
_opts_free = _fn('mc_opts_free', None, _vp)
_opts_set = {
    'group': _fn('mc_opts_set_group', _c_int, _vp, ctypes.c_char_p),
    'port': _fn('mc_opts_set_port', _c_int, _vp, _c_u16),
    'ttl': _fn('mc_opts_set_ttl', _c_int, _vp, _c_int),
    'mtu': _fn('mc_opts_set_mtu', _c_int, _vp, _c_size),
    'interface': _fn('mc_opts_set_interface', _c_int, _vp, ctypes.c_char_p),
    'loopback': _fn('mc_opts_set_loopback', _c_int, _vp, _c_int),
    'source': _fn('mc_opts_set_source', _c_int, _vp, ctypes.c_char_p),
    'recv_buffer': _fn('mc_opts_set_recv_buffer', _c_int, _vp, _c_size),
}
_opts_set_send_from = _fn('mc_opts_set_send_from', _c_int, _vp, ctypes.c_char_p, _c_u16)
_sendto_opts = _fn('mc_sendto_opts', _c_int, _vp, ctypes.c_char_p, _c_size)
_addr_format = _fn('mc_addr_format', _c_int, ctypes.POINTER(_Addr), ctypes.c_char_p, _c_size)
_timer_new = _fn('mc_timer_new', _c_int, _vp, _c_u32, _c_u32, _TIMER_FN, _vp, ctypes.POINTER(_vp))
_timer_set = _fn('mc_timer_set', _c_int, _vp, _c_u32, _c_u32)
_timer_stop = _fn('mc_timer_stop', _c_int, _vp)
_timer_close = _fn('mc_timer_close', None, _vp)
_listener_block_source = _fn('mc_listener_block_source', _c_int, _vp, ctypes.c_char_p,
                             ctypes.c_char_p)
_listener_unblock_source = _fn('mc_listener_unblock_source', _c_int, _vp, ctypes.c_char_p,
                               ctypes.c_char_p)
_poller_new = _fn('mc_poller_new', _c_int, ctypes.POINTER(_vp))
_poller_free = _fn('mc_poller_free', None, _vp)
_poller_fd = _fn('mc_poller_fd', _c_int, _vp)
_register = _fn('mc_register', _c_int, _vp, _c_int, _c_u32, _IO_FN, _IO_FN, _vp)
_modify = _fn('mc_modify', _c_int, _vp, _c_int, _c_u32)
_unregister = _fn('mc_unregister', _c_int, _vp, _c_int)
_poll = _fn('mc_poll', _c_int, _vp, _c_int)
_loop = _fn('mc_loop', _c_int, _vp, _c_int, _c_int)
_stop = _fn('mc_stop', None, _vp)
_sendto_many = _fn('mc_sendto_many', _c_int, ctypes.POINTER(_Buf), _c_size, ctypes.c_char_p,
                   _c_u16, _c_int)
_listener_new = _fn('mc_listener_new', _c_int, _vp, _vp, _PACKET_FN, _vp, ctypes.POINTER(_vp))
_listener_set_filter = _fn('mc_listener_set_filter', _c_int, _vp, _PACKET_FN, _vp)
_listener_set_filter_regex = _fn('mc_listener_set_filter_regex', _c_int, _vp, ctypes.c_char_p)
_listener_next = _fn('mc_listener_next', _c_int, _vp, ctypes.POINTER(ctypes.POINTER(_Packet)),
                     _c_int)
_listener_fd = _fn('mc_listener_fd', _c_int, _vp)
_listener_get_stats = _fn('mc_listener_get_stats', _c_int, _vp, ctypes.POINTER(_Stats))
_listener_close = _fn('mc_listener_close', None, _vp)
_listen = _fn('mc_listen', _c_int, _PACKET_FN, _vp, ctypes.c_char_p, _c_u16, _c_size, _c_size)
_multicaster_new = _fn('mc_multicaster_new', _c_int, _vp, _vp, _NEXT_FN, _vp, ctypes.POINTER(_vp))
_multicaster_resume = _fn('mc_multicaster_resume', _c_int, _vp)
_multicaster_send = _fn('mc_multicaster_send', _c_int, _vp, ctypes.c_char_p, _c_size)
_multicaster_close = _fn('mc_multicaster_close', None, _vp)


def version():
    """The library's version, 'MAJOR.MINOR.PATCH'."""
    return _version().decode()


class MulticastError(OSError):
    """A failed library call. errno is the positive errno for operating-system failures
    (errno.EADDRINUSE...) and the negative MC_E* code for the library's own; code is the
    library's negative code; detail is mc_last_error()'s message."""

    def __init__(self, code, call, detail=None):
        self.code = code
        self.call = call
        self.detail = _last_error().decode('utf-8', 'replace') if detail is None else detail
        errno_ = -code if -1000 < code < 0 else code
        super().__init__(errno_, _strerror(code).decode('utf-8', 'replace'))

    def __str__(self):
        return '%s: %s' % (self.call, self.detail or self.strerror)


def _check(rc, call):
    if rc < 0:
        raise MulticastError(rc, call)
    return rc


def _bytes(packet):
    if isinstance(packet, str):
        return packet.encode('utf-8')
    return bytes(packet)


def _cstr(s):
    return None if s is None else (s.encode() if isinstance(s, str) else bytes(s))


_DAY = 86400            # seconds: a longer time warns (TimeoutWarning)
_MAX_MS = 2147483647    # the C API's int milliseconds: 2147483.647 seconds, 24.8 days


class TimeoutWarning(UserWarning):
    """A time above a day (86400 seconds) given to this module, whose times are all in
    seconds: most likely milliseconds were meant (poll(100000) waits 27.8 hours, not 100
    seconds). warnings.simplefilter('ignore', multicast.TimeoutWarning) silences it."""


def _warn_long(seconds, what):
    if seconds > _DAY:
        # Points at the first caller outside this module.
        f, level = sys._getframe(1), 2
        while f is not None and f.f_globals.get('__name__') == __name__:
            f, level = f.f_back, level + 1
        warnings.warn('%s: %r seconds is more than a day: times in multicast are in '
                      'seconds (0.1 is 100 ms)' % (what, seconds), TimeoutWarning,
                      stacklevel=level)


def _seconds(value, what, forever):
    """Checks a time in seconds (an int or a float). forever: None, -1 and math.inf mean
    "forever" (returns None). TypeError for a non-number; ValueError for NaN and any
    other negative time; a time above a day warns. Returns a float or None."""
    if value is None and forever:
        return None
    if isinstance(value, (str, bytes)):
        raise TypeError('%s: %r is not a number of seconds' % (what, value))
    try:
        s = float(value)
    except (TypeError, ValueError):
        raise TypeError('%s: %r is not a number of seconds' % (what, value)) from None
    if math.isnan(s):
        raise ValueError('%s: NaN is not a number of seconds' % (what,))
    if forever and (s == -1 or s == math.inf):
        return None
    if s < 0 or s == math.inf:
        raise ValueError('%s: %r is not a time: seconds from 0%s' % (
            what, value, ' (None or -1: forever)' if forever else ''))
    _warn_long(s, what)
    return s


def _wait_ms(value, what):
    """A wait in seconds (None, -1 or math.inf: forever) to the C API's milliseconds
    (-1: forever; rounded to the nearest, at most _MAX_MS)."""
    s = _seconds(value, what, True)
    return -1 if s is None else min(int(round(s * 1000)), _MAX_MS)


def _ms(seconds):
    """An internal wait in seconds (never negative) to milliseconds."""
    return int(round(seconds * 1000))


def _timer_ms(seconds, what):
    """Seconds (int or float) to the C API's milliseconds, rounded up (never early);
    a time above a day warns (TimeoutWarning)."""
    try:
        ms = math.ceil(seconds * 1000)
    except (TypeError, ValueError, OverflowError):
        raise ValueError('%s: %r is not a number of seconds from 0 to 2147483.647'
                         % (what, seconds)) from None
    if not 0 <= ms <= _MAX_MS:
        raise ValueError('%s: %r is not a number of seconds from 0 to 2147483.647'
                         % (what, seconds))
    _warn_long(seconds, what)
    return ms


def _text(a):
    """mc_addr_format of a C address: '192.0.2.1:5000', '[fe80::1%eth0]:5000'."""
    buf = ctypes.create_string_buffer(ADDR_STRLEN)
    n = _check(_addr_format(ctypes.byref(a), buf, ADDR_STRLEN), 'mc_addr_format')
    return buf.raw[:n].decode('ascii', 'replace')


def _address(a):
    """A C address as the (ip, port) tuple of the socket module, written by
    mc_addr_format: a link-local scope by its interface's name ('fe80::1%eth0')."""
    try:
        text = _text(a)
    except MulticastError:
        return ('?', a.port)
    host, _, port = text.rpartition(':')
    if host.startswith('['):
        host = host[1:-1]
    return (host, int(port))


def format_address(addr):
    """Formats an (ip, port) tuple as the library does (mc_addr_format):
    '192.0.2.1:5000', '[ff05::1]:5000', '[fe80::1%eth0]:5000' (a scope given by name or
    index is written by its interface's name, or its index if no interface has it now).
    ValueError for an ip that is not an IPv4 or IPv6 literal."""
    ip, port = addr[0], addr[1]
    a = _Addr()
    a.port = port
    host, _, scope = ip.partition('%')
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            raw = socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        a.family = family
        ctypes.memmove(a.ip, raw, len(raw))
        break
    else:
        raise ValueError('format_address: %r is not an IP address' % (ip,))
    if scope:
        if a.family != socket.AF_INET6:
            raise ValueError('format_address: %r: a scope on an IPv4 address' % (ip,))
        try:
            a.scope_id = int(scope) if scope.isdigit() else socket.if_nametoindex(scope)
        except OSError:
            raise ValueError('format_address: %r: no interface %r' % (ip, scope)) from None
    return _text(a)


def _send_from(value):
    """send_from: 'ip', or (ip, port) like the socket module's source_address; ip '' or
    None: any address; port 0: an ephemeral one."""
    if isinstance(value, (str, bytes)):
        host, port = value, 0
    else:
        host, port = value
    return (_cstr(host) if host else None), port


class _Opts(object):
    """A temporary mc_opts (constructors copy it)."""

    def __init__(self, **settings):
        self.p = _opts_new()
        if not self.p:
            raise MemoryError('mc_opts_new')
        try:
            for name, value in settings.items():
                if value is None:
                    continue
                if name == 'send_from':
                    host, port = _send_from(value)
                    _check(_opts_set_send_from(self.p, host, port), 'mc_opts_set_send_from')
                    continue
                if name in ('group', 'interface', 'source'):
                    value = _cstr(value)
                elif name == 'loopback':
                    value = 1 if value else 0
                _check(_opts_set[name](self.p, value), 'mc_opts_set_' + name)
        except BaseException:
            _opts_free(self.p)
            raise

    def __enter__(self):
        return self.p

    def __exit__(self, *exc):
        _opts_free(self.p)


# --------------------------------------------------------------------------------------
# Callbacks: exceptions never cross the C library; ctypes thunks outlive their dispatch

_depth = [0]       # how many of our callbacks are running (this module is single-threaded
_graveyard = []    # per poller); thunks of closed objects wait here until none runs


def _bury(*thunks):
    _graveyard.extend(t for t in thunks if t is not None)
    if _depth[0] == 0:
        del _graveyard[:]


class _Dispatch(object):
    """Runs a callback of `poller`'s: counts the depth, turns an exception into a stop."""

    def __init__(self, poller):
        self.poller = poller

    def __enter__(self):
        _depth[0] += 1
        self.poller._depth += 1

    def __exit__(self, kind, value, tb):
        self.poller._depth -= 1
        _depth[0] -= 1
        if value is not None:
            self.poller._fail(value)
        return True  # swallowed here, re-raised by the poll that ran it


# --------------------------------------------------------------------------------------
# Poller

class Poller(object):
    """An epoll loop (mc_poller). Poller() makes a new one (close() or garbage collection
    frees it and closes its listeners and multicasters); multicast._defaultPoller is the
    library's process-wide default poller."""

    def __init__(self, _default=False):
        self._default = _default
        self._objects = set()   # open listeners/multicasters (kept alive while open)
        self._fds = {}          # fileno -> (object, thunks)
        self._pending = None    # the first exception a callback raised
        self._depth = 0
        self._close_pending = False
        self._looping = False
        if _default:
            self._p = None
        else:
            p = _vp()
            _check(_poller_new(ctypes.byref(p)), 'mc_poller_new')
            self._p = p.value

    @property
    def closed(self):
        return not self._default and self._p is None

    def _handle(self):
        if self.closed or self._close_pending:
            raise MulticastError(MC_ECLOSED, 'Poller', 'the poller is closed')
        return self._p

    def _fail(self, exc):
        if self._pending is None:
            self._pending = exc
        _stop(self._p)

    def _after(self):
        if self._close_pending and self._depth == 0:
            self.close()
        if _depth[0] == 0:
            del _graveyard[:]
        if self._pending is not None:
            exc, self._pending = self._pending, None
            raise exc

    def poll(self, timeout=0):
        """One wait of up to timeout SECONDS (int or float; 0, the default: no wait;
        None or -1: until an event) and dispatch; returns the number of registrations
        dispatched. poll(0.1) waits up to 100 ms, poll(100) up to 100 seconds.
        ValueError for another negative timeout or NaN; TimeoutWarning above a day."""
        ms = _wait_ms(timeout, 'poll timeout')
        p = self._handle()
        rc = _poll(p, ms)
        self._after()
        return _check(rc, 'mc_poll')

    def loop(self, timeout=0, interval=0):
        """Polls until stop() (or polling = False) or until nothing is registered.
        Both times are in SECONDS (int or float): timeout bounds each wait (0, the
        default, None or -1: until an event), interval is slept between polls (0: none).
        ValueError for a negative interval, another negative timeout or NaN;
        TimeoutWarning above a day."""
        ms = -1 if timeout == 0 else _wait_ms(timeout, 'loop timeout')
        sleep = _ms(_seconds(interval, 'loop interval', False))
        if sleep > _MAX_MS:
            raise ValueError('loop interval: %r is not a number of seconds from 0 to '
                             '2147483.647' % (interval,))
        p = self._handle()
        self._looping = True
        try:
            rc = _loop(p, ms, sleep)
        finally:
            self._looping = False
        self._after()
        _check(rc, 'mc_loop')

    @property
    def polling(self):
        """True while loop() runs; setting it to False stops the loop."""
        return self._looping

    @polling.setter
    def polling(self, value):
        if not value:
            self.stop()

    def call_later(self, seconds, fn, *args):
        """Runs fn(*args) once, from this poller's dispatch, `seconds` SECONDS (int or
        float; rounded up to whole milliseconds, never early) from now; 0: at the next
        poll. Returns the Timer, which closes itself after fn has run (unless fn re-armed
        it with set()). ValueError for a negative delay, NaN or one above 2147483.647
        seconds; TimeoutWarning above a day."""
        return Timer(self, seconds, 0, fn, args, once=True)

    def call_every(self, seconds, fn, *args, delay=None):
        """Runs fn(*args) every `seconds` SECONDS (int or float, rounded up to whole
        milliseconds; above 0), the first time after `delay` seconds (None: after
        `seconds`), from this poller's dispatch, until the Timer it returns is cancelled
        or closed. Periods missed while the poller was not polled run fn once. An armed
        timer keeps loop() running. ValueError for a negative time, NaN or one above
        2147483.647 seconds; TimeoutWarning above a day."""
        if _timer_ms(seconds, 'call_every') == 0:
            raise ValueError('call_every: the interval must be above 0 seconds')
        return Timer(self, seconds if delay is None else delay, seconds, fn, args)

    def stop(self):
        """Wakes a blocked poll()/loop(), which returns promptly (any thread)."""
        if not self.closed:
            _stop(self._p)

    def fileno(self):
        """The epoll fd, to nest this poller in another event loop."""
        return _check(_poller_fd(self._handle()), 'mc_poller_fd')

    def register(self, fd, flags=0):
        """Watches fd.fileno(): fd.handle_read() is called when it is readable (or has an
        error or hang-up), fd.handle_write() when it is writable, for those of the two
        methods fd has; flags may add READ/WRITE interest."""
        p = self._handle()
        n = fd.fileno()
        on_read = getattr(fd, 'handle_read', None)
        on_write = getattr(fd, 'handle_write', None)

        def thunk(method):
            if method is None:
                return _IO_FN()

            def call(_ud, _fd):
                with _Dispatch(self):
                    method()
            return _IO_FN(call)

        thunks = (thunk(on_read), thunk(on_write))
        _check(_register(p, n, flags, thunks[0], thunks[1], None), 'mc_register')
        old = self._fds.get(n)
        if old is not None:
            _bury(*old[1])
        self._fds[n] = (fd, thunks)

    def modify(self, fd, flags):
        """Replaces fd's interest set (READ | WRITE); its handlers stay."""
        n = fd if isinstance(fd, int) else fd.fileno()
        _check(_modify(self._handle(), n, flags), 'mc_modify')

    def unregister(self, fd):
        """Stops watching fd (never closes it)."""
        n = fd if isinstance(fd, int) else fd.fileno()
        _check(_unregister(self._handle(), n), 'mc_unregister')
        entry = self._fds.pop(n, None)
        if entry is not None:
            _bury(*entry[1])

    def close(self):
        """Frees the poller: closes its listeners and multicasters (their fds are
        unregistered, never closed). Inside one of its own callbacks, this happens when
        the running poll returns. The default poller is never freed."""
        if self._default or self._p is None:
            return
        if self._depth > 0:
            self._close_pending = True
            _stop(self._p)
            return
        _poller_free(self._p)
        self._p = None
        self._close_pending = False
        for obj in list(self._objects):
            obj._gone()
        self._objects.clear()
        for _, thunks in self._fds.values():
            _bury(*thunks)
        self._fds.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if not self._default and self._p is not None and self._depth == 0:
                self.close()
        except Exception:
            pass


class Timer(object):
    """A timer (mc_timer) on a poller, made by Poller.call_later / call_every (or the
    module's functions of the same names, on the default poller). Its function runs from
    the poller's dispatch; it may cancel, set or close its own timer. The poller keeps
    an open timer alive; closing the poller closes it."""

    def __init__(self, poller, delay, interval, fn, args=(), once=False):
        if not callable(fn):
            raise TypeError('a timer needs a callable, not %r' % (fn,))
        d = _timer_ms(delay, 'timer delay')
        i = _timer_ms(interval, 'timer interval')
        self.poller = _poller(poller)
        self._fn, self._args = fn, args
        self._once = once
        self._rearmed = False
        self._t = None
        self._thunk = _TIMER_FN(self._run)
        t = _vp()
        _check(_timer_new(self.poller._handle(), d, i, self._thunk, None, ctypes.byref(t)),
               'mc_timer_new')
        self._t = t.value
        self.poller._objects.add(self)

    @property
    def closed(self):
        """True once closed (by close(), a call_later timer that ran, or its poller)."""
        return self._t is None

    def _handle(self):
        if self._t is None:
            raise MulticastError(MC_ECLOSED, 'Timer', 'the timer is closed')
        return self._t

    def _gone(self):
        self._t = None
        _bury(self._thunk)

    def _run(self, _ud, _t):
        with _Dispatch(self.poller):
            self._rearmed = False
            try:
                self._fn(*self._args)
            finally:
                if self._once and not self._rearmed:
                    self.close()

    def set(self, delay, interval=0):
        """Re-arms it from now: fn runs after `delay` SECONDS, then every `interval`
        seconds (0: once); int or float, rounded up to whole milliseconds. Also after
        cancel(), and inside fn. ValueError for a negative time, NaN or one above
        2147483.647 seconds; TimeoutWarning above a day."""
        d = _timer_ms(delay, 'Timer.set delay')
        i = _timer_ms(interval, 'Timer.set interval')
        _check(_timer_set(self._handle(), d, i), 'mc_timer_set')
        self._rearmed = True
        self._once = self._once and i == 0

    def cancel(self):
        """Disarms it: fn does not run until set(). No-op when closed."""
        if self._t is not None:
            _check(_timer_stop(self._t), 'mc_timer_stop')
            self._rearmed = False

    def close(self):
        """Closes and frees it: fn never runs again. No-op when closed."""
        if self._t is not None:
            _timer_close(self._t)
            self.poller._objects.discard(self)
            self._gone()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_defaultPoller = Poller(_default=True)


def call_later(seconds, fn, *args):
    """Poller.call_later on the default poller: fn(*args) once, after `seconds` SECONDS."""
    return _defaultPoller.call_later(seconds, fn, *args)


def call_every(seconds, fn, *args, delay=None):
    """Poller.call_every on the default poller: fn(*args) every `seconds` SECONDS (the
    first time after `delay` seconds)."""
    return _defaultPoller.call_every(seconds, fn, *args, delay=delay)


def _poller(poller):
    return _defaultPoller if poller is None else poller


def register(fd, flags=0):
    """Poller.register on the default poller."""
    return _defaultPoller.register(fd, flags)


def unregister(fd):
    """Poller.unregister on the default poller."""
    return _defaultPoller.unregister(fd)


def poll(timeout=0):
    """Poller.poll on the default poller: one wait of up to timeout SECONDS (0: no
    wait; None or -1: until an event) and dispatch. poll(0.1) is 100 ms."""
    return _defaultPoller.poll(timeout)


def loop(timeout=0, interval=0):
    """Poller.loop on the default poller; timeout (each wait; 0, None or -1: until an
    event) and interval (slept between polls) are in SECONDS."""
    return _defaultPoller.loop(timeout, interval)


def stop():
    """Stops the default poller's poll()/loop() (any thread)."""
    _defaultPoller.stop()


# --------------------------------------------------------------------------------------
# Sending

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


# --------------------------------------------------------------------------------------
# Listening

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
    each next() waits up to timeout SECONDS, int or float: listen(timeout=0.5) is
    500 ms; None, the default, or -1: forever). ValueError for another negative timeout
    or NaN; TimeoutWarning above a day."""
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
