"""multicast - asynchronous multicast UDP, the Python module "multicast" 0.4.1's API on
top of libmulticast (ctypes; standard library only).

Times are in SECONDS (int or float), everywhere in this module, as in the seed module
and Python's time module: poll(0.1) waits up to 100 ms, poll(100) up to 100 seconds (the
C library counts milliseconds; this module converts: a wait to the nearest millisecond,
at least 1 ms unless 0, so poll(0.0004) waits 1 ms; a timer's time rounded up). That is
poll(timeout), loop(timeout, interval), listen(timeout=), call_later(seconds),
call_every(seconds, delay=) and Timer.set(delay, interval). A wait's None or -1 (or
math.inf) means forever; any other negative time, or NaN, raises ValueError; a bool or
a string, TypeError; a time above a day warns (TimeoutWarning: most likely milliseconds
were meant).

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
  libmulticast.so.0 in that directory; nothing else is tried (ImportError, naming
  MULTICAST_LIB, the path and the loader's reason, if it does not load);
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

# The package, one module per concern; each imports only those above it in this list:
#   _loading     finding and loading libmulticast.so.0 (standard library only)
#   _capi        the C API: constants, library_path, structures, prototypes, MulticastError
#   _times       seconds: checks, TimeoutWarning, conversions (standard library only)
#   _addresses   (ip, port) formatting, send_from=, the mc_opts of constructors
#   _callbacks   exceptions and ctypes thunks around the library's callbacks
#   _polling     Poller, Timer, the default poller and the module-level poll(), loop()...
#   _sending     sendto(), Multicaster
#   _listening   MulticastListener, the iterator of packets, listen()
from ._capi import (ADDR_STRLEN, DEFAULT_GROUP, DEFAULT_MTU, DEFAULT_PORT, DEFAULT_TTL,
                    MC_EADDRESS, MC_EBUSY, MC_ECLOSED, MC_EEXIST, MC_EINVAL, MC_ENOTFOUND,
                    MC_EPANIC, MC_EREGEX, READ, TTL_CONTINENT, TTL_HOST, TTL_REGION,
                    TTL_SITE, TTL_SUBNET, TTL_UNRESTRICTED, WRITE, MulticastError, _Addr,
                    _lib, library_path, version)
from ._times import TimeoutWarning, _timer_ms, _wait_ms
from ._addresses import _address, format_address
from ._polling import (Poller, Timer, _defaultPoller, call_every, call_later, loop, poll,
                       register, stop, unregister)
from ._sending import Multicaster, sendto
from ._listening import MulticastListener, listen

__all__ = [
    'sendto', 'listen', 'poll', 'loop', 'register', 'unregister', 'stop',
    'Poller', 'MulticastListener', 'Multicaster', 'MulticastError', 'version',
    'Timer', 'call_later', 'call_every', 'format_address', 'ADDR_STRLEN',
    'TimeoutWarning', 'library_path',
    'DEFAULT_GROUP', 'DEFAULT_PORT', 'DEFAULT_TTL', 'DEFAULT_MTU',
    'TTL_HOST', 'TTL_SUBNET', 'TTL_SITE', 'TTL_REGION', 'TTL_CONTINENT', 'TTL_UNRESTRICTED',
    'READ', 'WRITE',
]

# Reached as multicast.X though not in __all__: the library's error codes (compared with
# MulticastError.code), and the internals the tests use.
_ALSO_EXPORTED = (MC_EINVAL, MC_EADDRESS, MC_EREGEX, MC_ENOTFOUND, MC_EEXIST, MC_EBUSY,
                  MC_ECLOSED, MC_EPANIC, _Addr, _address, _defaultPoller, _lib, _timer_ms,
                  _wait_ms)
