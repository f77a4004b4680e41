"""Backup and restore round trip on the database the suite runs on (SQLite, or PostgreSQL under pgtest).

Seeds the ``world`` and more rows, runs ``keychannel backup``, restores the file into an EMPTY database (a new
SQLite file, or a new PostgreSQL database created on the same server) and compares, for every table, the row
count and a SHA-256 over all rows in a fixed order. Also: restore refuses a database that holds data unless
forced, and rejects files that are not backups.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from keychannel.core import backup as backup_service
from keychannel.core import services
from keychannel.core.choices import Role
from keychannel.core.scoping import Principal
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.network.tests.factories import DistributorFactory, TerritoryFactory

pytestmark = pytest.mark.django_db(transaction=True)


# ---- reading a database with its own driver (the same one on both sides) --------------------------------


def _open(db: dict):
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        return sqlite3.connect(name, uri=name.startswith("file:"))
    return backup_service._pg_connect(db)


def _tables(conn, vendor: str) -> list[str]:
    if vendor == "sqlite":
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    else:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def fingerprint(db: dict) -> dict[str, tuple[int, str]]:
    """{table: (row count, sha256 of every row ordered by all columns)} for every table of ``db``."""
    vendor = "sqlite" if db["ENGINE"].endswith("sqlite3") else "postgresql"
    conn = _open(db)
    try:
        result = {}
        for table in _tables(conn, vendor):
            cursor = conn.execute(f'SELECT * FROM "{table}" LIMIT 0')
            order = ", ".join(str(i + 1) for i in range(len(cursor.description)))
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}'):
                digest.update(repr(tuple(row)).encode())
                count += 1
            result[table] = (count, digest.hexdigest())
        return result
    finally:
        conn.close()


@pytest.fixture
def empty_database(tmp_path):
    """Settings of a brand-new, empty database next to the test database."""
    source = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        yield {**source, "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"kc_restore_{uuid.uuid4().hex[:12]}"
    with backup_service._pg_connect(source) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**source, "NAME": name}
    finally:
        with backup_service._pg_connect(source) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed(world):
    """More than the world: users, tokens, notifications, text that is hard to carry, NULLs."""
    territory = TerritoryFactory(name="Iași — Moldova «nord»", code="iasi")
    for i in range(5):
        DistributorFactory(code=f"bk{i}", legal_name=f"Backup {i} SRL ‘quoted’ \"double\" \\ \t tab", territory=territory)
    org = OrganizationFactory(name="Ω Ltd <script>alert(1)</script>")
    make_user(Role.DIST_SALES, org, username="bk-sales")
    admin = world.user("admin")
    services.api_token_create(principal=Principal.for_user(admin), name="backup test")
    for i in range(3):
        services.notification_send(recipient=admin, event="program.changed", title=lambda i=i: f"Note {i} ✓",
                                   body="línea\nsegunda", url="/")


def test_backup_then_restore_into_an_empty_database_gives_identical_tables(world, tmp_path, empty_database):
    _seed(world)
    source = dict(connection.settings_dict)
    before = fingerprint(source)
    assert before["auth_user"][0] >= 10 and before["network_distributor"][0] >= 7

    file = tmp_path / "keychannel.backup"
    call_command("backup", str(file))
    assert file.stat().st_size > 0

    assert not backup_service.holds_data(empty_database)
    backup_service.restore(file, alias=None, db=empty_database)

    after = fingerprint(empty_database)
    assert sorted(after) == sorted(before), "the restored database has other tables"
    different = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not different, f"tables that differ after restore: {different}"
    assert fingerprint(source) == before, "the backup changed the source database"


def test_restore_refuses_a_database_that_holds_data_unless_forced(world, tmp_path, empty_database):
    file = tmp_path / "keychannel.backup"
    backup_service.backup(file)

    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(file))  # the test database itself holds the world

    backup_service.restore(file, alias=None, db=empty_database)
    restored = fingerprint(empty_database)
    with pytest.raises(backup_service.BackupError, match="--force"):
        backup_service.restore(file, alias=None, db=empty_database)
    backup_service.restore(file, alias=None, db=empty_database, force=True)
    assert fingerprint(empty_database) == restored


def test_restore_rejects_what_is_not_a_backup(world, tmp_path, empty_database):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database backup\n" * 10)
    with pytest.raises(backup_service.BackupError):
        backup_service.restore(junk, alias=None, db=empty_database)
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "missing.backup"), "--force")
    assert not backup_service.holds_data(empty_database)
