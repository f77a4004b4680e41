"""The `world` of tests/world.py built once for a run of consecutive tests of one module, not once per test.

About 770 tests stand on `world`; built for each (97 statements, ten users and their links) it cost about 40 CPU
seconds a lane on SQLite and more on PostgreSQL. Now, before the first such test of a module is set up, the world is
built inside an outer transaction; each test runs in a savepoint of it (pytest-django's test transaction nests) and
rolls its own writes back; after the last such test of the run the outer transaction is rolled back too, so the
module's other tests, and every later module, never see it. Between tests the world's objects are put back in memory
as they were stored (a test that renamed `world.own` without saving, or saved it, leaves nothing behind), and
`world.cache` is emptied.

A test gets a world of its own, built in its own transaction as before, when it cannot run inside an outer
transaction: a transactional test (`transactional_db`, `live_server`, `django_db(transaction=True)`, the races'
and workers' shared database), or one of a module that defines its own `world` (the access matrix, the fuzzing).
The root conftest's collection hook puts a module's sharing tests after its other tests (order does not matter: every
test starts from the same rows), so one build serves them all. tests/test_harness.py checks that a sharing test sees
the world as built, whatever the previous test did to it, and that the next module sees none of it.
`KEYCHANNEL_SHARED_WORLD=0` builds it for every test (an A/B measurement).
"""

from __future__ import annotations

import copy
import os

from tests.world import World, build_world

ENABLED = os.environ.get("KEYCHANNEL_SHARED_WORLD", "1") != "0"
# Fixtures that move the test database or need committed rows: such a test builds its own world.
OWN_TRANSACTION_FIXTURES = {"transactional_db", "live_server", "shared_database", "workers", "django_db_reset_sequences",
                            "django_db_serialized_rollback"}


class _State:
    database_ready = False  # set by the root conftest's django_db_setup
    module: str | None = None
    atomic = None
    world: World | None = None
    stored: list = []


def database_ready() -> None:
    _State.database_ready = True


def _module_of(item) -> str:
    return item.nodeid.split("::")[0]


def shares_the_world(item) -> bool:
    """The test uses the root conftest's `world` and can run inside an outer transaction."""
    names = set(getattr(item, "fixturenames", ()))
    if not ENABLED or "world" not in names or names & OWN_TRANSACTION_FIXTURES:
        return False
    marker = item.get_closest_marker("django_db")
    if marker is not None and any(marker.kwargs.get(key) for key in ("transaction", "reset_sequences",
                                                                      "serialized_rollback")):
        return False
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).get("world") or ()
    return bool(definitions) and definitions[-1].baseid == ""  # the root conftest's, not a module's own


def group_sharing_tests_last(items: list) -> None:
    """Within each module (its tests are consecutive), the sharing tests after the others, in their order."""
    start = 0
    while start < len(items):
        end = start
        while end < len(items) and _module_of(items[end]) == _module_of(items[start]):
            end += 1
        block = items[start:end]
        items[start:end] = [i for i in block if not shares_the_world(i)] + [i for i in block if shares_the_world(i)]
        start = end


def _objects(world: World) -> list:
    return [world.manufacturer, world.own, world.other, world.territory, world.product_line,
            *world.users.values(), *world.other_users.values()]


def open_for(item) -> None:
    """Before `item`'s fixtures: build the module's world in an outer transaction, unless it is already open."""
    if _State.world is not None or not _State.database_ready or not shares_the_world(item):
        return
    from django.db import transaction
    from pytest_django.plugin import blocking_manager_key

    from tests.fast import fast_settings

    with item.config.stash[blocking_manager_key].unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with fast_settings():  # the users' passwords hashed as in every test (MD5)
                world = build_world()
            for obj in _objects(world):
                obj.refresh_from_db()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    _State.module, _State.atomic, _State.world = _module_of(item), atomic, world
    _State.stored = [(world, dict(vars(world)), dict(world.users), dict(world.other_users))] + [
        (obj, {name: value for name, value in vars(obj).items() if name != "_prefetched_objects_cache"})
        for obj in _objects(world)]


def close_after(item, nextitem) -> None:
    """After `item`'s teardown: roll the world back unless the next test shares it too."""
    if _State.world is None:
        return
    if nextitem is not None and _module_of(nextitem) == _State.module and shares_the_world(nextitem):
        return
    from django.db import transaction
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        transaction.set_rollback(True)
        _State.atomic.__exit__(None, None, None)
    _State.module = _State.atomic = _State.world = None
    _State.stored = []


def world_for(item) -> World:
    """The `world` fixture: the module's shared world put back as stored, or a world of the test's own."""
    if _State.world is None or not shares_the_world(item) or _module_of(item) != _State.module:
        return build_world()
    (world, attributes, users, other_users), *objects = _State.stored
    vars(world).update(attributes)
    world.users.clear()
    world.users.update(users)
    world.other_users.clear()
    world.other_users.update(other_users)
    world.cache.clear()
    for obj, stored in objects:
        restore_attributes(obj, stored)
    return world


def restore_attributes(obj, stored: dict) -> None:
    """Put a model instance back as ``stored`` (its ``__dict__`` when kept) without a query: copies, so a test that
    changes a value in memory cannot change what the next test gets; related objects are read again."""
    obj.__dict__.clear()
    obj.__dict__.update({name: copy.deepcopy(value) for name, value in stored.items() if name != "_state"})
    obj._state = copy.copy(stored["_state"])
    obj._state.fields_cache = {}
