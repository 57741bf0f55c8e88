"""Callbacks from the C library: exceptions never cross it (_Dispatch turns one into a
stop of the poller, re-raised by the poll that ran the callback); ctypes thunks outlive
their dispatch (_bury keeps those of closed objects until no callback runs). Standard
library only."""

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
