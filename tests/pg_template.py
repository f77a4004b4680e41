"""PostgreSQL under pytest-xdist: the migrations run once per test run, not once per worker.

Running the migrations is the longest fixed cost of a test process (about 80 CPU seconds: Django re-renders the
historical models of every app at each state change, and every model here points at the user model). pytest-django
gives each xdist worker its own test database (``test_keychannel_gw0``, ``…gw1``) and migrates each. With
``install()`` (root conftest, only on PostgreSQL inside an xdist worker) the first worker to take a file lock migrates
a template database named after the run (``test_keychannel_tpl_<run id>``); every worker, the first included, then
copies it with ``CREATE DATABASE … TEMPLATE`` (a file copy on the server). The last worker to finish drops the template.
``tests/test_harness.py`` checks that a worker's database is a copy of the migrated template (every migration applied,
the data migrations' rows there).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

_ORIGINAL: dict = {}


def active() -> bool:
    from django.conf import settings

    if os.environ.get("KEYCHANNEL_PG_TEMPLATE") == "0":  # A/B measurement: every worker migrates its own
        return False
    return bool(os.environ.get("PYTEST_XDIST_WORKER")) and \
        settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def template_name(creation) -> str:
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "run")[:12]
    base = creation.connection.settings_dict["TEST"].get("NAME") or f"test_{creation.connection.settings_dict['NAME']}"
    base = base.rsplit("_gw", 1)[0]  # pytest-django's xdist suffix
    return f"{base}_tpl_{run}"


@contextmanager
def _lock(creation):
    params = creation.connection.settings_dict
    name = f"keychannel-pgtpl-{params.get('HOST') or 'local'}-{params.get('PORT') or 5432}.lock"
    with open(Path(tempfile.gettempdir()) / name, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _exists(creation, name: str) -> bool:
    with creation._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
    from django.conf import settings

    if keepdb:  # --reuse-db: each worker keeps its own database, as before
        return _ORIGINAL["create"](self, verbosity=verbosity, autoclobber=autoclobber, serialize=serialize,
                                   keepdb=keepdb)
    connection = self.connection
    alias = connection.alias
    original_name = connection.settings_dict["NAME"]
    target = self._get_test_db_name()
    template = template_name(self)
    with _lock(self):
        if not _exists(self, template):
            test_settings = connection.settings_dict["TEST"]
            saved = test_settings.get("NAME")
            test_settings["NAME"] = template
            try:
                _ORIGINAL["create"](self, verbosity=verbosity, autoclobber=True, serialize=False, keepdb=False)
            finally:
                test_settings["NAME"] = saved
                connection.close()
                settings.DATABASES[alias]["NAME"] = connection.settings_dict["NAME"] = original_name
        if verbosity >= 1:
            self.log(f"Copying test database {template} to {target} for alias {alias!r}...")
        with self._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {self._quote_name(target)}")
            cursor.execute(f"CREATE DATABASE {self._quote_name(target)} WITH TEMPLATE {self._quote_name(template)}")
    connection.close()
    settings.DATABASES[alias]["NAME"] = connection.settings_dict["NAME"] = target
    if serialize:
        connection._test_serialized_contents = self.serialize_db_to_string()
    connection.ensure_connection()
    return target


def destroy_test_db(self, old_database_name=None, verbosity=1, keepdb=False, suffix=None):
    template = template_name(self)
    _ORIGINAL["destroy"](self, old_database_name, verbosity=verbosity, keepdb=keepdb, suffix=suffix)
    if keepdb:
        return
    with _lock(self), self._nodb_cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s",
                       [template.rsplit("_tpl_", 1)[0] + "_gw%"])
        if cursor.fetchone()[0] == 0:  # the last worker out
            cursor.execute(f"DROP DATABASE IF EXISTS {self._quote_name(template)}")


def install() -> None:
    if not active() or _ORIGINAL:
        return
    from django.db.backends.postgresql.creation import DatabaseCreation

    _ORIGINAL["create"] = DatabaseCreation.create_test_db
    _ORIGINAL["destroy"] = DatabaseCreation.destroy_test_db
    DatabaseCreation.create_test_db = create_test_db
    DatabaseCreation.destroy_test_db = destroy_test_db
