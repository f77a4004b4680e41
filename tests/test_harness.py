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
