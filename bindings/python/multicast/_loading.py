"""Finding and loading libmulticast.so.0, by the rule of the package's docstring
(MULTICAST_LIB=path, =system, else the copy bundled in this package, else the system's),
and the path of the file the dynamic loader opened. The bottom layer: standard library
only."""

import ctypes
import ctypes.util
import os


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
    """The library by the rule of the package's docstring: MULTICAST_LIB=path, =system,
    else the bundled copy, else the system's."""
    path = os.environ.get('MULTICAST_LIB', '')
    if path == 'system':
        return _load_system('MULTICAST_LIB=system')
    if path:
        lib = os.path.join(path, _SONAME) if os.path.isdir(path) else path
        try:
            return ctypes.CDLL(lib)
        except OSError as e:
            raise ImportError('MULTICAST_LIB=%s: %s does not load (%s); MULTICAST_LIB '
                              'names a %s, a directory holding one, or is "system"'
                              % (path, lib, e, _SONAME)) from None
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
