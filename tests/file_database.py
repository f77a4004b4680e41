"""The in-memory SQLite test database copied to a file, for tests whose threads or processes must share it."""

from contextlib import contextmanager


@contextmanager
def sqlite_in_a_file(tmp_path, name: str):
    """PostgreSQL: nothing to do. SQLite: the test database is an in-memory, shared-cache one, whose table locks fail
    at once ("database table is locked") instead of waiting, and which no other process can open. A deployment runs
    on a file with WAL and a busy timeout, so the test moves to a copy in a file for its duration: every thread or
    worker process opens its own connection to it with the project's settings."""
    from django.db import connections

    memory = connections["default"]
    if memory.vendor != "sqlite" or not memory.is_in_memory_db():
        yield
        return
    import sqlite3

    path = str(tmp_path / name)
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
