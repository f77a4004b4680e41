"""Backing up and restoring the whole database: ``keychannel backup FILE`` / ``keychannel restore FILE``.

- PostgreSQL: ``pg_dump -Fc`` (custom format, compressed, consistent snapshot while the app keeps running)
  and ``pg_restore --clean --if-exists --no-owner`` (in one transaction), with the connection settings of
  ``settings.DATABASES[alias]``. The client tools are found like ``scripts/pgtest.py`` finds ``initdb``:
  ``KEYCHANNEL_PG_BINDIR``, else the highest version among ``PATH`` and ``/usr/lib/postgresql/*/bin``
  (``pg_dump`` must be at least the server's version).
- SQLite: the online backup API of ``sqlite3`` (``source.backup(target)``): a consistent copy while the app
  keeps running, WAL included; restore copies the backup over the database file the same way.

Restoring refuses to overwrite a database that holds data (any user or organisation) unless ``force``.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

SQLITE = "django.db.backends.sqlite3"
POSTGRES_ENGINES = ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis")
# A database "holds data" once it has one of these rows: migrations alone create neither.
DATA_TABLES = ("auth_user", "core_organization")
TOOL_TIMEOUT = 3600


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


@dataclass(frozen=True)
class Result:
    path: Path
    size: int
    engine: str


def _engine(db: dict) -> str:
    engine = db["ENGINE"]
    if engine == SQLITE:
        return "sqlite"
    if engine in POSTGRES_ENGINES:
        return "postgresql"
    raise BackupError(f"backups of {engine} databases are not supported")


def database_settings(alias: str = "default") -> dict:
    return dict(connections[alias].settings_dict)


# ---- PostgreSQL ----------------------------------------------------------------------------------------


def _tool_version(path: Path) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def find_pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: the highest version on PATH or in /usr/lib/postgresql/*/bin."""
    override = os.environ.get("KEYCHANNEL_PG_BINDIR")
    if override:
        candidates = [Path(override) / name]
    else:
        candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path))
    best, best_version = None, None
    for candidate in candidates:
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            continue
        version = _tool_version(candidate)
        if version and (best_version is None or version > best_version):
            best, best_version = candidate, version
    if best is None:
        raise BackupError(f"cannot find {name} (set KEYCHANNEL_PG_BINDIR or install the PostgreSQL client)")
    return str(best)


def _pg_args(db: dict) -> tuple[list[str], dict]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run(cmd: list[str], env: dict) -> None:
    try:
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{Path(cmd[0]).name} timed out after {TOOL_TIMEOUT}s") from exc
    if result.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed ({result.returncode}): {result.stderr.strip()}")


def _pg_connect(db: dict):
    import psycopg

    kwargs = {"dbname": db["NAME"], "autocommit": True}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if db.get(key):
            kwargs[name] = str(db[key])
    return psycopg.connect(**kwargs)


def _pg_holds_data(db: dict) -> bool:
    with _pg_connect(db) as conn:
        for table in DATA_TABLES:
            exists = conn.execute("SELECT to_regclass(%s)", [f"public.{table}"]).fetchone()[0]
            if exists and conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]:
                return True
    return False


def _pg_backup(db: dict, path: Path) -> None:
    args, env = _pg_args(db)
    _run([find_pg_tool("pg_dump"), "-Fc", *args, "-f", str(path), "-d", db["NAME"]], env)


def _pg_restore(db: dict, path: Path) -> None:
    args, env = _pg_args(db)
    _run([find_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", *args, "-d", db["NAME"], str(path)], env)


# ---- SQLite --------------------------------------------------------------------------------------------


def _sqlite_uri(name) -> tuple[str, bool]:
    name = str(name)
    return name, name.startswith("file:")


def _sqlite_holds_data(db: dict) -> bool:
    name, uri = _sqlite_uri(db["NAME"])
    if not uri and (not Path(name).exists() or Path(name).stat().st_size == 0):
        return False
    conn = sqlite3.connect(name, uri=uri)
    try:
        for table in DATA_TABLES:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [table]).fetchone()
            if found and conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]:
                return True
        return False
    finally:
        conn.close()


def _sqlite_copy(source: str, source_uri: bool, target: str, target_uri: bool) -> None:
    src = sqlite3.connect(source, uri=source_uri)
    dst = sqlite3.connect(target, uri=target_uri)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _sqlite_backup(db: dict, path: Path, alias: str | None) -> None:
    if alias is not None:
        # The open connection works for files and for in-memory test databases alike.
        connection = connections[alias]
        connection.ensure_connection()
        dst = sqlite3.connect(str(path))
        try:
            connection.connection.backup(dst)
        finally:
            dst.close()
        return
    name, uri = _sqlite_uri(db["NAME"])
    _sqlite_copy(name, uri, str(path), False)


def _sqlite_restore(db: dict, path: Path) -> None:
    with sqlite3.connect(str(path)) as probe:
        try:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a SQLite backup: {exc}") from exc
    probe.close()
    name, uri = _sqlite_uri(db["NAME"])
    if not uri:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(str(path), False, name, uri)


# ---- the service ---------------------------------------------------------------------------------------


def backup(path, *, alias: str | None = "default", db: dict | None = None) -> Result:
    """Write a consistent backup of the database (``alias``, or the explicit settings ``db``) to ``path``."""
    explicit = db is not None
    db = db if explicit else database_settings(alias)
    engine = _engine(db)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        if engine == "postgresql":
            _pg_backup(db, tmp)
        else:
            _sqlite_backup(db, tmp, None if explicit else alias)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return Result(path=path, size=path.stat().st_size, engine=engine)


def holds_data(db: dict) -> bool:
    return _pg_holds_data(db) if _engine(db) == "postgresql" else _sqlite_holds_data(db)


def restore(path, *, alias: str | None = "default", db: dict | None = None, force: bool = False) -> Result:
    """Replace the database (``alias``, or the explicit settings ``db``) with the backup at ``path``.

    Refuses (``BackupError``) when the target holds data, unless ``force``.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise BackupError(f"{path} is not a backup file")
    explicit = db is not None
    db = db if explicit else database_settings(alias)
    engine = _engine(db)
    if not explicit:
        connections[alias].close()  # nothing of ours may hold the database while it is replaced
    if not force and holds_data(db):
        raise BackupError(f"the database {db['NAME']} already holds data: restore with --force to overwrite it")
    if engine == "postgresql":
        with path.open("rb") as fh:
            if fh.read(5) != b"PGDMP":
                raise BackupError(f"{path} is not a pg_dump custom-format backup")
        _pg_restore(db, path)
    else:
        _sqlite_restore(db, path)
    return Result(path=path, size=path.stat().st_size, engine=engine)
