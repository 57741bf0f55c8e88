"""The package's docstring, a doctest: the seed's listen(), sendto('test'), poll(), next()."""
import doctest
import unittest

import support  # first: it puts the package in the source tree on sys.path

import multicast


def setUpModule():
    support.require_netns()


class TestDoctest(unittest.TestCase):
    def test_doctest(self):
        """The package's docstring: the seed's listen(), sendto('test'), poll(), next()."""
        failed, attempted = doctest.testmod(multicast)
        self.assertEqual((failed, attempted > 4), (0, True))


if __name__ == '__main__':
    unittest.main()
