"""Fixtures of the race tests: a database the racing threads can really share."""

import pytest


@pytest.fixture
def shared_database(tmp_path):
    """Give the threads a database they can really share.

    PostgreSQL: nothing to do. SQLite: the test database is an in-memory, shared-cache one, whose table locks fail
    at once ("database table is locked") instead of waiting. A deployment runs on a file with WAL and a busy
    timeout, so the test moves to a copy in a file for its duration: every thread opens its own connection to it
    with the project's settings (IMMEDIATE transactions, 20 s busy timeout).
    """
    from django.db import connections

    memory = connections["default"]
    if memory.vendor != "sqlite" or not memory.is_in_memory_db():
        yield
        return
    import sqlite3

    path = str(tmp_path / "race.sqlite3")
    memory.ensure_connection()
    target = sqlite3.connect(path)
    memory.connection.backup(target)
    target.close()
    settings_dict = connections.settings["default"]
    original_name = settings_dict["NAME"]
    settings_dict["NAME"] = path
    file_backed = memory.__class__(settings_dict, "default")
    connections["default"] = file_backed
    try:
        yield
    finally:
        file_backed.close()
        settings_dict["NAME"] = original_name
        connections["default"] = memory
