"""Issue 22, the home pages' Python: a panel of fewer than eight rows reads them in one statement (no count), and
each URL pattern of a cockpit is reversed once however many rows link to it (core.cockpit first_rows, item_url)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import keychannel.core.tables as tables
from keychannel.core.cockpit import first_rows, item_url, one_build
from keychannel.network.models import Distributor
from tests.cockpit_data import busy, home_requests, home_statements

pytestmark = pytest.mark.django_db


def test_a_short_panel_is_one_statement_and_a_long_one_counts(world):
    short = Distributor.objects.filter(pk__in=[world.own.pk, world.other.pk]).order_by("pk")
    with CaptureQueriesContext(connection) as read:
        rows, total = first_rows(short)
    assert (len(read), [d.pk for d in rows], total) == (1, sorted([world.own.pk, world.other.pk]), 2)
    every = Distributor.objects.order_by("pk")
    with CaptureQueriesContext(connection) as read:
        rows, total = first_rows(every, 1)
    assert (len(read), len(rows), total) == (2, 1, every.count())


def test_a_cockpit_url_is_the_reversed_one_and_each_pattern_is_reversed_once(monkeypatch):
    calls = []
    real = tables.reverse
    monkeypatch.setattr(tables, "reverse", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    with one_build():
        urls = [item_url("network:distributor_detail", pk) for pk in (1, 22, 333)]
        assert item_url("deals:pipeline") == item_url("deals:pipeline") == reverse("deals:pipeline")
    assert urls == [reverse("network:distributor_detail", args=[pk]) for pk in (1, 22, 333)]
    assert calls == ["network:distributor_detail"]
    assert item_url("network:distributor_detail", 5) == reverse("network:distributor_detail", args=[5])  # no build


@pytest.mark.parametrize("role", ["dist_head", "dist_sales", "embedded_kam", "mentor"])
def test_a_scoped_cockpit_with_short_panels_counts_none_of_them(world, login, role):
    # The busy world lists one or two rows per panel: each panel's rows come in one statement, no COUNT beside it.
    statements = home_statements(login(busy(world).user(role)))
    panel_counts = [sql for sql in statements if sql.startswith('SELECT COUNT(*) AS "__count" FROM "')
                    and any(table in sql.split(" WHERE ")[0] for table in (
                        '"deals_opportunity"', '"clients_accountaction"', '"competence_kamtask"',
                        '"competence_consultationrequest"', '"program_event"'))
                    and "NOT (" not in sql]  # (the home figure "Open KAM tasks" is a count by design)
    assert panel_counts == [], panel_counts


@pytest.mark.parametrize("role", ["admin", "program_manager", "executive"])
def test_a_network_cockpit_reads_the_running_goals_once(world, login, role):
    # The network-goals and the furthest-behind panels take theirs from one read (the goals' tree is another).
    # Since issue 22's lazy panels each panel is its own request: one read per request that needs them.
    requests = home_requests(login(busy(world).user(role)))
    reads = [sum(1 for sql in statements
                 if 'FROM "program_goal"' in sql and '"program_goal"."metric"' in sql.split(" FROM ")[0])
             for statements in requests]
    assert max(reads) == 1, reads
