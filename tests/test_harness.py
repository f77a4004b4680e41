"""The test harness itself: the rows data migrations make are there for every test, whatever ran before it.

A transactional test's teardown flushes every table (``TransactionTestCase``); ``tests/migration_rows.py`` puts the
data migrations' rows back after each flush. Before it, the accessibility walk had to be named to run first and two
fixtures re-made the tiers by hand.
"""

import pytest
from django.apps import apps
from django.core.management import call_command

from tests import migration_rows

# What the data migrations make (deals 0002 and 0008, network 0003 and 0005).
MADE_BY_MIGRATIONS = ["deals.StageSetting", "deals.CorporateTier", "deals.ServiceLevel", "network.Playbook",
                      "network.ReadinessQuestionnaire", "network.ReadinessQuestion"]


def _counts():
    return {label: apps.get_model(label)._base_manager.count() for label in MADE_BY_MIGRATIONS}


@pytest.mark.django_db(transaction=True)
def test_a_flush_puts_the_rows_of_data_migrations_back():
    before = _counts()
    assert all(before.values()), before
    call_command("flush", interactive=False, verbosity=0)  # what every transactional test's teardown runs
    assert _counts() == before
    # and new rows get fresh ids after the restored ones (PostgreSQL's sequences moved past them)
    from keychannel.deals.models import CorporateTier

    tier = CorporateTier.objects.create(name="Harness", code="harness", min_annual_volume=0, discount_percent=0)
    assert tier.pk > max(CorporateTier.objects.exclude(pk=tier.pk).values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_without_the_restore_a_flush_loses_them():
    """The guard: the flush really empties those tables, so the test above can fail."""
    migration_rows.disconnect()
    try:
        call_command("flush", interactive=False, verbosity=0)
        assert not any(_counts().values()), _counts()
    finally:
        migration_rows.connect()
        migration_rows.restore()


@pytest.mark.django_db
def test_every_test_starts_with_them():
    """Whatever ran before on this database (pytest-django runs transactional tests last; xdist mixes them)."""
    assert all(_counts().values()), _counts()


@pytest.mark.django_db
def test_the_test_database_is_fully_migrated():
    """Also when it is a copy of the run's template (PostgreSQL under xdist, tests/pg_template.py): every migration
    applied, the data migrations' rows there, and the database named after the worker."""
    import os

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from tests import pg_template

    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert all(_counts().values()), _counts()
    if pg_template.active():
        assert connection.settings_dict["NAME"].endswith("_" + os.environ["PYTEST_XDIST_WORKER"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [pg_template.template_name(connection.creation)])
            assert cursor.fetchone() is not None  # the template it was copied from, still there while workers run


def test_tests_without_a_database_are_the_ones_marked_to_run_once(request):
    """`make test` runs a `no_database` test in one lane only (the SQLite and browser one): the mark must go to exactly
    the tests that cannot reach a database, else a database test would lose its PostgreSQL run."""
    from tests.lanes import reaches_a_database

    items = {item.nodeid: item for item in request.session.items}
    here = items[request.node.nodeid]
    assert here.get_closest_marker("no_database") and not reaches_a_database(here)
    for nodeid, item in items.items():
        marked = item.get_closest_marker("no_database") is not None
        assert marked == (not reaches_a_database(item) and not item.get_closest_marker("engine_dependent")), nodeid


def test_a_test_reaching_the_database_is_not_marked():
    """The guard: a database test, a transactional or live-server one, one on a fixture that opens the database
    itself (module-scoped, on `django_db_setup`) all reach it; a pure one does not."""
    from types import SimpleNamespace

    from tests.lanes import reaches_a_database

    def item(fixtures, marker=None):
        return SimpleNamespace(fixturenames=["settings", "django_db_blocker", *fixtures],
                               get_closest_marker=lambda name: marker if name == "django_db" else None)

    assert reaches_a_database(item([], pytest.mark.django_db.mark))
    for fixtures in (["db"], ["transactional_db"], ["live_server"], ["world", "db"], ["opened", "django_db_setup"]):
        assert reaches_a_database(item(fixtures)), fixtures
    assert not reaches_a_database(item(["monkeypatch"]))


@pytest.mark.django_db
def test_the_recorded_rows_are_what_the_migrations_make(request):
    """A test database built without migrations (the SQLite lane) loads tests/migration_rows.json instead of running
    the data migrations: on a migrated database (the PostgreSQL lane), those rows must be exactly what the migrations
    made. When a data migration changes, write the file again: ``python -m tests.migration_rows``."""
    import json

    if request.config.getvalue("nomigrations"):
        pytest.skip("this database was built from the recorded rows; the migrated lanes compare them")
    made = json.loads(migration_rows.serialize()[0])
    assert _comparable(made) == _comparable(migration_rows.recorded_objects()), \
        "the data migrations' rows changed: run `python -m tests.migration_rows` and commit tests/migration_rows.json"


def _comparable(objects):
    # The timestamps are when the migration ran.
    return [{**obj, "fields": {k: v for k, v in obj["fields"].items() if k not in {"created_at", "updated_at"}}}
            for obj in objects]


def test_the_recorded_rows_check_can_fail():
    """The guard: a data migration that wrote another title is a difference the comparison sees (only the
    timestamps are ignored)."""
    import copy

    recorded = migration_rows.recorded_objects()
    changed = copy.deepcopy(recorded)
    changed[0]["fields"]["title"] = "Another title"
    assert _comparable(changed) != _comparable(recorded)
    changed = copy.deepcopy(recorded)
    changed[0]["fields"]["created_at"] = "2001-01-01T00:00:00Z"
    assert _comparable(changed) == _comparable(recorded)


def test_every_client_serves_the_static_files_of_a_fresh_listing():
    """tests/whitenoise_once.py: the static files are listed once per process; a later client's WhiteNoise serves the
    same URLs from the same files as a listing made now, and a static file still answers through a new client."""
    from django.test import Client
    from whitenoise.middleware import WhiteNoiseMiddleware

    WhiteNoiseMiddleware(lambda request: None)  # the first one of the process lists them (if no test did before)
    later = WhiteNoiseMiddleware(lambda request: None)
    fresh = WhiteNoiseMiddleware(lambda request: None)
    fresh.files.clear()
    getattr(WhiteNoiseMiddleware.add_files_from_finders, "original", WhiteNoiseMiddleware.add_files_from_finders)(fresh)

    def paths(files):
        return {url: sorted(str(alternative[1]) for alternative in file.alternatives) for url, file in files.items()}

    assert fresh.files and paths(fresh.files).items() <= paths(later.files).items()
    url = min(url for url in fresh.files if url.endswith(".js"))
    response = Client().get(url)
    assert response.status_code == 200
    with open(fresh.files[url].alternatives[-1][1], "rb") as source:
        assert b"".join(response.streaming_content) == source.read()


def test_the_factories_random_data_is_seeded_per_test(request):
    """conftest.py reseeds Faker and factory.fuzzy before each test (from its id) and before a module's shared world
    (from the module, tests/seeding.py): a test's random names are the same on every run and every xdist split, so a
    failure caused by data (stop 22's CI: a random "Ștefan" among a search's expected hits) happens every time."""
    import zlib

    from keychannel.core.tests.factories import UserFactory
    from tests import seeding

    first = [(u.first_name, u.last_name) for u in UserFactory.build_batch(5)]  # as the hook seeded them
    seeding.for_the_test(request.node)
    again = [(u.first_name, u.last_name) for u in UserFactory.build_batch(5)]
    assert first == again and len(set(first)) > 1
    assert seeding.test_seed(request.node) == zlib.crc32(request.node.nodeid.encode())
    assert seeding.module_seed(request.node) == zlib.crc32(b"tests/test_harness.py")
