"""The C library as ctypes sees it: the constants of multicast.h, the library loaded at
import (library_path: the file), its structures and function prototypes, version(), and
the errors of its calls (MulticastError, _check). Every other module calls the library
through the names here."""

import ctypes

from ._loading import _load, _loaded_path


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
