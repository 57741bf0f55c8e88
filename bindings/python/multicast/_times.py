"""Times: every time in this package is in SECONDS (int or float); the checks
(ValueError, TypeError), the warning above a day (TimeoutWarning) and the conversions to
the C API's milliseconds. Standard library only."""

import math
import sys
import warnings


_DAY = 86400            # seconds: a longer time warns (TimeoutWarning)
_MAX_MS = 2147483647    # the C API's int milliseconds: 2147483.647 seconds, 24.8 days


class TimeoutWarning(UserWarning):
    """A time above a day (86400 seconds) given to this module, whose times are all in
    seconds: most likely milliseconds were meant (poll(100000) waits 27.8 hours, not 100
    seconds). warnings.simplefilter('ignore', multicast.TimeoutWarning) silences it."""


_PACKAGE = __name__.rpartition('.')[0]   # 'multicast'


def _in_package(name):
    return name is not None and (name == _PACKAGE or name.startswith(_PACKAGE + '.'))


def _warn_long(seconds, what):
    if seconds > _DAY:
        # Points at the first caller outside this package.
        f, level = sys._getframe(1), 2
        while f is not None and _in_package(f.f_globals.get('__name__')):
            f, level = f.f_back, level + 1
        warnings.warn('%s: %r seconds is more than a day: times in multicast are in '
                      'seconds (0.1 is 100 ms)' % (what, seconds), TimeoutWarning,
                      stacklevel=level)


def _seconds(value, what, forever):
    """Checks a time in seconds (an int or a float). forever: None, -1 and math.inf mean
    "forever" (returns None). TypeError for a non-number or a bool; ValueError for NaN and any
    other negative time; a time above a day warns. Returns a float or None."""
    if value is None and forever:
        return None
    if isinstance(value, (str, bytes, bool)):   # True is not 1 second
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
    (-1: forever; 0: no wait; any other rounded to the nearest millisecond but at least
    1, so that poll(0.0004) waits rather than spins; at most _MAX_MS)."""
    s = _seconds(value, what, True)
    return -1 if s is None else min(_ms(s), _MAX_MS)


def _ms(seconds):
    """A wait in seconds (never negative) to milliseconds: 0 stays 0 (no wait), any
    other is rounded to the nearest millisecond, at least 1 (never 0, which would not
    wait)."""
    return 0 if seconds == 0 else max(1, int(round(seconds * 1000)))


def _timer_ms(seconds, what):
    """Seconds (int or float) to the C API's milliseconds, rounded up (never early);
    a time above a day warns (TimeoutWarning). TypeError for a bool."""
    if isinstance(seconds, bool):   # True is not 1 second
        raise TypeError('%s: %r is not a number of seconds' % (what, seconds))
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
