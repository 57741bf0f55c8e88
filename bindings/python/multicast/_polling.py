"""The poller (Poller, an mc_poller epoll loop; Timer, its timers), the process-wide
default poller (_defaultPoller, one object shared by the whole package) and the
module-level functions that run it: poll, loop, stop, register, unregister, call_later,
call_every."""

import ctypes

from ._callbacks import _Dispatch, _bury, _depth, _graveyard
from ._capi import (MC_ECLOSED, MulticastError, _IO_FN, _TIMER_FN, _check, _loop, _modify,
                    _poll, _poller_fd, _poller_free, _poller_new, _register, _stop,
                    _timer_close, _timer_new, _timer_set, _timer_stop, _unregister, _vp)
from ._times import _MAX_MS, _ms, _seconds, _timer_ms, _wait_ms


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
        """One wait of up to timeout SECONDS (int or float, to the nearest millisecond
        and at least 1 ms unless 0; 0, the default: no wait; None or -1: until an event)
        and dispatch; returns the number of registrations dispatched. poll(0.1) waits up
        to 100 ms, poll(100) up to 100 seconds, poll(0.0004) up to 1 ms. ValueError for
        another negative timeout or NaN; TypeError for a bool or a string;
        TimeoutWarning above a day."""
        ms = _wait_ms(timeout, 'poll timeout')
        p = self._handle()
        rc = _poll(p, ms)
        self._after()
        return _check(rc, 'mc_poll')

    def loop(self, timeout=0, interval=0):
        """Polls until stop() (or polling = False) or until nothing is registered.
        Both times are in SECONDS (int or float, to the nearest millisecond and at
        least 1 ms unless 0): timeout bounds each wait (0, the default, None or -1:
        until an event), interval is slept between polls (0: none). ValueError for a
        negative interval, another negative timeout or NaN; TypeError for a bool or a
        string; TimeoutWarning above a day."""
        ms = _wait_ms(timeout, 'loop timeout')   # checked (a bool too), then 0: forever
        ms = -1 if ms == 0 else ms
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
    """Poller.poll on the default poller: one wait of up to timeout SECONDS (to the
    nearest millisecond, at least 1 ms unless 0; 0: no wait; None or -1: until an event)
    and dispatch. poll(0.1) is 100 ms."""
    return _defaultPoller.poll(timeout)


def loop(timeout=0, interval=0):
    """Poller.loop on the default poller; timeout (each wait; 0, None or -1: until an
    event) and interval (slept between polls) are in SECONDS (to the nearest millisecond,
    at least 1 ms unless 0)."""
    return _defaultPoller.loop(timeout, interval)


def stop():
    """Stops the default poller's poll()/loop() (any thread)."""
    _defaultPoller.stop()
