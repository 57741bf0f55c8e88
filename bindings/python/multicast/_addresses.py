"""Addresses and options: (ip, port) tuples written by the library (mc_addr_format,
format_address), send_from=, and the temporary mc_opts the constructors are given
(_Opts)."""

import ctypes
import socket

from ._capi import (ADDR_STRLEN, MulticastError, _Addr, _addr_format, _check, _cstr,
                    _opts_free, _opts_new, _opts_set, _opts_set_send_from)


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
