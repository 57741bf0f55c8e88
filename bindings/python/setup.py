"""The wheel's tag (everything else is in pyproject.toml).

A plain build (pip install ./bindings/python) is pure Python: py3-none-any, a package
that loads the system's libmulticast.so.0. A build whose multicast/ holds a bundled
libmulticast.so.0 (build-wheel puts one there, in a copy of this directory) is for one
platform: py3-none-<platform> (ctypes calls the library: no CPython ABI is involved),
installed into platlib.
"""
import os
import warnings

from setuptools import Distribution, setup

HERE = os.path.dirname(os.path.abspath(__file__))
options = {}

if os.path.exists(os.path.join(HERE, 'multicast', 'libmulticast.so.0')):
    try:
        from setuptools.command.bdist_wheel import bdist_wheel  # setuptools >= 70.1
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            from wheel.bdist_wheel import bdist_wheel

    class PlatformDistribution(Distribution):
        def has_ext_modules(self):  # platlib, a platform tag
            return True

    class platform_wheel(bdist_wheel):
        def get_tag(self):
            _, _, plat = super().get_tag()
            return 'py3', 'none', plat

    options = {'distclass': PlatformDistribution, 'cmdclass': {'bdist_wheel': platform_wheel}}

setup(**options)
