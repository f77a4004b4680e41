"""The module's shared `world` (tests/shared_world.py): each test gets it as built, and no other module sees it."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from tests import shared_world


@pytest.mark.django_db
def test_no_world_is_left_open_by_an_earlier_module():
    """Runs before this module's sharing tests (the collection puts those last), after whatever module ran before it:
    no outer transaction is open (this test's transaction is the outermost, no savepoint) and no world user exists."""
    assert connection.savepoint_ids == []
    assert not get_user_model().objects.filter(username__startswith="w-").exists()


@pytest.mark.skipif(not shared_world.ENABLED, reason="KEYCHANNEL_SHARED_WORLD=0 builds a world for every test")
def test_a_shared_world_comes_back_as_stored(world, request):
    assert shared_world.shares_the_world(request.node)
    assert connection.savepoint_ids  # this test's transaction is a savepoint of the module's outer one
    name, manager = world.own.legal_name, world.own.channel_manager_id
    world.own.legal_name = "Changed in memory and stored"
    world.own.channel_manager = None
    world.own.save()
    world.users["extra"] = world.users["admin"]
    world.cache["made"] = object()
    world.other = world.own
    again = shared_world.world_for(request.node)  # what the next sharing test of the module gets
    assert again is world
    assert (again.own.legal_name, again.own.channel_manager_id) == (name, manager)
    assert again.other.code == "db" and "extra" not in again.users and not again.cache


def test_only_the_root_world_on_one_transaction_is_shared(request):
    """A test of the matrix or the fuzzing (a `world` of their own) or a transactional one never shares it."""
    items = {item.nodeid: item for item in request.session.items}
    mine = items.get(request.node.nodeid.replace("test_only_the_root_world_on_one_transaction_is_shared",
                                                 "test_a_shared_world_comes_back_as_stored"))
    if mine is not None:  # collected in this run
        assert shared_world.shares_the_world(mine) == shared_world.ENABLED
    assert not shared_world.shares_the_world(request.node)  # no world at all
    for item in request.session.items:
        names = set(item.fixturenames)
        if "transactional_db" in names or "live_server" in names or item.nodeid.startswith(
                ("tests/test_access_matrix.py::", "tests/test_schema_fuzz.py::")):
            assert not shared_world.shares_the_world(item), item.nodeid
