"""The loading rule of libmulticast.so.0: the copy bundled in the package first;
MULTICAST_LIB (a file, a directory, or 'system') chooses another."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import support  # first: it puts the package in the source tree on sys.path

import multicast


def setUpModule():
    support.require_netns()


class TestLoading(unittest.TestCase):
    """The loading rule, in child processes importing a copy of the package whose
    multicast/ bundles a copy of the library in use: the bundled copy first; MULTICAST_LIB
    (a file, a directory, or 'system') chooses another."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc-load-')
        self.addCleanup(shutil.rmtree, self.tmp)
        self.lib = os.path.realpath(multicast.library_path)
        self.assertTrue(os.path.isfile(self.lib), self.lib)
        self.pkg = self.package('bundled', self.lib)
        self.system = os.path.join(self.tmp, 'system')
        os.mkdir(self.system)
        shutil.copy(self.lib, os.path.join(self.system, 'libmulticast.so.0'))

    def package(self, name, lib=None, data=None):
        """A directory with multicast/ (the package's modules, and a bundled lib or data)."""
        d = os.path.join(self.tmp, name)
        shutil.copytree(os.path.dirname(multicast.__file__), os.path.join(d, 'multicast'),
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc', '*.so*'))
        bundled = os.path.join(d, 'multicast', 'libmulticast.so.0')
        if lib is not None:
            shutil.copy(lib, bundled)
        elif data is not None:
            with open(bundled, 'wb') as f:
                f.write(data)
        return d

    def load(self, where, **env):
        """Imports multicast in `where`: (library_path or None, stderr)."""
        e = {k: v for k, v in os.environ.items()
             if k not in ('MULTICAST_LIB', 'LD_LIBRARY_PATH', 'PYTHONPATH')}
        e.update(env)
        r = subprocess.run([sys.executable, '-c',
                            'import multicast; print(multicast.library_path)'],
                           cwd=where, env=e, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True)
        return (r.stdout.strip() if r.returncode == 0 else None), r.stderr

    def assertLoads(self, got, want):
        path, err = got
        self.assertIsNotNone(path, err)
        self.assertTrue(os.path.samefile(path, want), '%s is not %s' % (path, want))

    def test_bundled_first(self):
        bundled = os.path.join(self.pkg, 'multicast', 'libmulticast.so.0')
        self.assertLoads(self.load(self.pkg), bundled)
        self.assertLoads(self.load(self.pkg, MULTICAST_LIB=''), bundled)
        # LD_LIBRARY_PATH alone changes nothing: the system's only when asked.
        self.assertLoads(self.load(self.pkg, LD_LIBRARY_PATH=self.system), bundled)

    def test_system_when_asked(self):
        system = os.path.join(self.system, 'libmulticast.so.0')
        self.assertLoads(self.load(self.pkg, MULTICAST_LIB='system',
                                   LD_LIBRARY_PATH=self.system), system)
        self.assertLoads(self.load(self.pkg, MULTICAST_LIB=self.system), system)
        self.assertLoads(self.load(self.pkg, MULTICAST_LIB=system), system)
        # Without one the loader finds: an ImportError, never the bundled copy.
        path, err = self.load(self.pkg, MULTICAST_LIB='system')
        if path is None:
            self.assertIn('libmulticast.so.0 not found', err)
        else:
            self.assertNotIn(os.path.join(self.pkg, 'multicast'), path)

    def test_no_bundled_copy_is_the_system_one(self):
        plain = self.package('plain')
        self.assertLoads(self.load(plain, LD_LIBRARY_PATH=self.system),
                         os.path.join(self.system, 'libmulticast.so.0'))

    def test_a_bundled_copy_that_does_not_load_is_an_error(self):
        broken = self.package('broken', data=b'not a library')
        path, err = self.load(broken, LD_LIBRARY_PATH=self.system)
        self.assertIsNone(path)
        self.assertIn('ImportError', err)
        self.assertIn('MULTICAST_LIB=system', err)
        self.assertLoads(self.load(broken, MULTICAST_LIB='system',
                                   LD_LIBRARY_PATH=self.system),
                         os.path.join(self.system, 'libmulticast.so.0'))

    def test_a_multicast_lib_that_does_not_load_is_an_import_error(self):
        missing = os.path.join(self.tmp, 'missing', 'libmulticast.so.0')
        empty = os.path.join(self.tmp, 'empty')
        os.mkdir(empty)
        for var, lib in ((missing, missing),
                         (empty, os.path.join(empty, 'libmulticast.so.0'))):
            path, err = self.load(self.pkg, MULTICAST_LIB=var)
            self.assertIsNone(path, err)
            last = err.strip().splitlines()[-1]
            self.assertTrue(last.startswith('ImportError: MULTICAST_LIB=%s: %s does not load'
                                            % (var, lib)), err)
            self.assertIn('cannot open shared object file', last)  # the loader's reason
            self.assertNotIn('OSError', err)


if __name__ == '__main__':
    unittest.main()
