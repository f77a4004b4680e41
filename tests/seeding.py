"""The factories' random data (Faker, factory.fuzzy) seeded per test (conftest.py's ``pytest_runtest_setup``).

A test's random names and values come from its own id, and a module's shared world (tests/shared_world.py) from the
module's path: the same data on every run, whichever tests xdist hands a worker first. A random "Ștefan Stancu" once
joined a search test's expected hits and failed one CI run in many, as a last name drawn for two users had before; a
test that data can break now fails every time, and its id says which data."""

import zlib

from factory.random import reseed_random


def module_seed(item) -> int:
    return zlib.crc32(item.nodeid.split("::")[0].encode())


def test_seed(item) -> int:
    return zlib.crc32(item.nodeid.encode())


test_seed.__test__ = False  # a helper, not a test pytest should collect


def for_the_module(item) -> None:
    reseed_random(module_seed(item))


def for_the_test(item) -> None:
    reseed_random(test_seed(item))
