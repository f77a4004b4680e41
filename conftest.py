"""Fixtures shared by every test: fast password hashing, the small network of tests/world.py, API clients, and the
rows of data migrations put back after every flush."""

import copy
import importlib

import pytest

from tests import pg_template, seeding, shared_world, whitenoise_once
from tests.lanes import reaches_a_database

pg_template.install()  # PostgreSQL under xdist: migrate once per run, each worker copies the result
whitenoise_once.install()  # every test client lists the static files once per process, not once per client

for _app in ("competence", "deals", "clients", "channel", "program", "sales"):
    try:
        importlib.import_module(f"keychannel.{_app}.tests.world_hooks")
    except ModuleNotFoundError as exc:  # an app without reach of its own has no hook
        if not f"keychannel.{_app}.tests.world_hooks".startswith(exc.name or "?"):
            raise


def pytest_ignore_collect(collection_path, config):
    """Schema fuzzing runs on PostgreSQL only (marked ``postgres_suite``): on SQLite it is not even collected, since
    schemathesis builds its examples while collecting (about half of the whole collection time)."""
    if collection_path.name == "test_schema_fuzz.py":
        from django.conf import settings

        return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") or None
    return None


# The longest single tests first: xdist hands tests out in collection order, so a long one picked up last would run
# alone on one core at the end. (Order does not matter otherwise: every test starts with the migrations' rows.)
LONGEST_FIRST = ("tests/test_demo.py::",)


# A test that cannot reach a database runs once in `make test`, in the SQLite and browser lane (tests/lanes.py).


@pytest.hookimpl(tryfirst=True)
def pytest_itemcollected(item):
    if not reaches_a_database(item) and not item.get_closest_marker("engine_dependent"):
        item.add_marker("no_database")


# The browser tests last: when the SQLite and browser tests run in one process (`make test`'s first lane, one test
# database migrated instead of two), Playwright's event loop, alive from the first browser test to the end of the
# session, is then never under another test.


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    shared_world.group_sharing_tests_last(items)  # one world per module for its tests on it (tests/shared_world.py)
    first = [item for item in items if item.nodeid.startswith(LONGEST_FIRST)]
    last = [item for item in items if item.get_closest_marker("browser")]
    if first or last:
        items[:] = first + [item for item in items if not item.nodeid.startswith(LONGEST_FIRST)
                            and not item.get_closest_marker("browser")] + last


# ---- the rows data migrations make, whatever ran before (tests/migration_rows.py) -------------------------------


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    """The test database as migrations leave it; after every flush the rows of data migrations come back.

    Built without migrations (``--nomigrations``, the SQLite lane of ``make test``), the tables come from the models
    and the data migrations' rows from ``tests/migration_rows.json``, which the PostgreSQL lane checks against what
    the migrations really make."""
    from tests import migration_rows

    with django_db_blocker.unblock():
        if request.config.getvalue("nomigrations"):
            migration_rows.load_recorded()
        migration_rows.remember()
    migration_rows.connect()
    shared_world.database_ready()
    yield
    migration_rows.disconnect()


@pytest.fixture(autouse=True)
def _fast_tests(settings, monkeypatch):
    from keychannel.core import ratelimit
    from tests.fast import FAST_SETTINGS, FIXED_NOW

    monkeypatch.setattr(ratelimit, "_now", lambda: FIXED_NOW)
    for name, value in copy.deepcopy(FAST_SETTINGS).items():
        setattr(settings, name, value)


@pytest.fixture
def world(request, db):
    """The small network of tests/world.py: shared by a module's tests in an outer transaction (tests/shared_world.py),
    or built for the test when it cannot run in one."""
    return shared_world.world_for(request.node)


# ---- the module's world, opened before a test's fixtures and closed after the last test on it ---------------------


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    seeding.for_the_module(item)  # the module's shared world, then the test's own rows: the same data on every run
    shared_world.open_for(item)
    seeding.for_the_test(item)
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    shared_world.close_after(item, nextitem)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_as(db):
    """A test client that sends a fresh bearer token of the given user."""
    from django.test import Client

    from keychannel.core import services
    from keychannel.core.scoping import Principal

    def _api_as(user):
        _token, raw = services.api_token_create(principal=Principal.for_user(user), name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return _api_as
