"""Fixtures of the race tests: a database the racing threads can really share."""

import pytest

from tests.file_database import sqlite_in_a_file


@pytest.fixture
def shared_database(tmp_path):
    """Give the threads a database they can really share.

    PostgreSQL: nothing to do. SQLite: the test database is an in-memory, shared-cache one, whose table locks fail
    at once ("database table is locked") instead of waiting. A deployment runs on a file with WAL and a busy
    timeout, so the test moves to a copy in a file for its duration: every thread opens its own connection to it
    with the project's settings (IMMEDIATE transactions, 20 s busy timeout).
    """
    with sqlite_in_a_file(tmp_path, "race.sqlite3"):
        yield
