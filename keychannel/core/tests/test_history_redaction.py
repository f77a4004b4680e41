"""History pages tell no more than the record's own page: hidden fields stay hidden, related records appear by
their label only when visible, and every history URL answers (issue 23, finding 6)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight
from simple_history.models import HistoricalChanges

from keychannel.channel import services as channel_services
from keychannel.channel.models import Conflict
from keychannel.channel.tests.factories import cover, make_client
from keychannel.core import selectors
from keychannel.core.history import is_history_tracked
from keychannel.core.tests.factories import make_user
from keychannel.network.models import Distributor, DistributorPerson, Relationship
from keychannel.network.tests.factories import ProductLineFactory

pytestmark = pytest.mark.django_db



def _history_url(obj):
    return reverse("core:history", args=[obj._meta.app_label, obj._meta.model_name, obj.pk])


def _table(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    return re.search(r'<table[^>]*id="history-table".*?</table>', html, re.S).group(0)


@pytest.fixture
def awarded(world, api_as):
    """own holds the client; other's salesperson claims it; the program manager awards it to own (through the
    API, so the history records who did what)."""
    cover(world.own, world.territory, world.product_line)
    cover(world.other, world.territory, world.product_line)
    client = make_client(distributor=world.own, territory=world.territory, tax_id="31313131", legal_name="Dacia Pack SA")
    common = dict(title="Packaging", product_lines=[world.product_line], expected_close_on=today() + datetime.timedelta(days=30))
    channel_services.registration_submit(principal=world.principal("dist_sales"), distributor=world.own, client=client,
                                         estimated_value=Decimal("1000"), **common)
    claim = api_as(world.other_users["dist_sales"]).post("/api/v1/registrations", {
        "legal_name": "Dacia Pack", "tax_id": "31313131", "title": "Packaging", "territory_id": world.territory.pk,
        "product_line_ids": [world.product_line.pk], "estimated_value": "2000",
        "expected_close_on": str(today() + datetime.timedelta(days=30)),
    }, content_type="application/json")
    assert claim.status_code == 201, claim.content
    conflict = Conflict.objects.get(registration_id=claim.json()["id"])
    decided = api_as(world.user("program_manager")).post(f"/api/v1/conflicts/{conflict.pk}/resolve", {
        "resolution": "awarded", "awarded_to_id": world.own.pk, "note": "First came first.",
    }, content_type="application/json")
    assert decided.status_code == 200, decided.content
    return conflict


def test_the_losing_party_history_of_an_awarded_conflict_names_no_winner(world, login, awarded):
    table = _table(login(world.other_users["dist_head"]).get(_history_url(awarded)))
    assert "Awarded to:" not in table.replace("</strong>", "")
    assert "Resolution" in table and "Awarded to one party" in table  # the outcome itself is theirs to read
    assert world.own.legal_name not in table and world.own.code not in re.sub(r"<[^>]+>", " ", table).split()
    assert not re.search(rf"→\s*{world.own.pk}\s*</div>", table)  # never the winner's id
    # the winner reads that it won, by name; the manufacturer reads it too
    assert world.own.legal_name in _table(login(world.user("dist_head")).get(_history_url(awarded)))
    assert world.own.legal_name in _table(login(world.user("program_manager")).get(_history_url(awarded)))


def test_the_other_partys_people_are_not_named_in_the_history(world, login, awarded):
    claimant = world.other_users["dist_sales"]
    # a last name no other user of the world has (the factories draw names at random, and another user named in
    # this history, the program manager who decided, could share a drawn one)
    claimant.last_name = "Revendicărescu"
    claimant.save(update_fields=["last_name"])
    table = _table(login(world.user("dist_head")).get(_history_url(awarded)))
    assert claimant.username not in table and claimant.last_name not in table
    assert "hidden" in table  # the claimant opened it: "who" is hidden, not dropped silently
    assert claimant.last_name in _table(login(world.user("admin")).get(_history_url(awarded)))


def test_a_distributor_head_reads_no_internal_assessment_in_their_own_history(world, login):
    own = Distributor.objects.get(pk=world.own.pk)
    own.stance, own.shares_goals, own.shares_methods, own.employees = "resistant", "no", "no", 77
    own.save()
    person = DistributorPerson.objects.create(distributor=own, full_name="Ion Pop", level="top")
    relationship = Relationship.objects.create(person=person, manufacturer_user=world.user("channel_manager"),
                                               strength=4, note="HANDLE-WITH-CARE")
    relationship.strength, relationship.note, relationship.active = 1, "DRIFTING-AWAY", False
    relationship.save()

    head = login(world.user("dist_head"))
    table = _table(head.get(_history_url(own)))
    assert "Employees" in table and "77" in table
    for word in ("Stance", "Resistant", "Shares our goals", "Shares our methods"):
        assert word not in table
    table = _table(head.get(_history_url(relationship)))
    assert "Active" in table
    assert "Strength" not in table and "DRIFTING-AWAY" not in table and "HANDLE-WITH-CARE" not in table

    manager = login(world.user("channel_manager"))
    assert "Resistant" in _table(manager.get(_history_url(own)))
    assert "DRIFTING-AWAY" in _table(manager.get(_history_url(relationship)))


def test_related_records_show_by_label_and_only_when_visible(world, login, awarded):
    from keychannel.clients.models import CorporateClient

    # Awarded to the claimant instead: the client moves from own to other. Other's head reads the move, not from whom.
    client = CorporateClient.objects.get(pk=awarded.client_id)
    client.distributor = world.other
    client.save()
    table = _table(login(world.other_users["dist_head"]).get(_history_url(client)))
    assert re.search(r"Serving distributor</strong>:\s*<span[^>]*>hidden</span>\s*→\s*Beta Industrial SA \(db\)", table)
    assert world.own.legal_name not in table
    # the manufacturer reads both names, never bare ids
    table = _table(login(world.user("admin")).get(_history_url(client)))
    assert re.search(r"Alfa Distribuție SRL \(da\)</span>\s*→\s*Beta Industrial SA \(db\)", table)

    own = Distributor.objects.get(pk=world.own.pk)
    own.channel_manager = world.user("mentor")
    own.save()
    table = _table(login(world.user("dist_head")).get(_history_url(own)))
    old, new = world.user("channel_manager"), world.user("mentor")
    assert f"{old.get_full_name()}</span> → {new.get_full_name()}" in table


def test_many_to_many_changes_show_on_the_parent_history(world, login):
    pumps = ProductLineFactory(name="Pumps", code="pumps")
    own = Distributor.objects.get(pk=world.own.pk)
    own.product_lines.add(pumps)
    # A bulk update writes history without many-to-many rows: that is not "every line removed".
    Distributor.objects.filter(pk=own.pk).update(employees=12)
    own.product_lines.remove(world.product_line)
    table = _table(login(world.user("dist_head")).get(_history_url(own)))
    changes = [" ".join(re.sub(r"<[^>]+>", "", c).split())
               for c in re.findall(r"Product lines in the agreement</strong>:(.*?)</div>", table, re.S)]
    # what was added and removed, by name (issue 17 part 5), not the whole set before and after
    assert changes == ["removed: Compressors", "added: Pumps", "added: Compressors"]


def test_every_history_model_answers_without_a_server_error(world, login):
    own = Distributor.objects.get(pk=world.own.pk)
    own.product_lines.add(ProductLineFactory(name="Valves", code="valves"))  # a many-to-many history row exists
    client = login(world.user("admin"))
    seen = {"tracked": 0, "history": 0}
    for model in apps.get_models(include_auto_created=True):
        if not model.__module__.startswith("keychannel."):
            continue
        tracked = is_history_tracked(model)
        if not tracked and not issubclass(model, HistoricalChanges):
            continue
        pk = model._base_manager.values_list("pk", flat=True).first()
        response = client.get(reverse("core:history", args=[model._meta.app_label, model._meta.model_name, pk or 1]))
        if tracked and pk is not None:
            assert response.status_code == 200, model._meta.label
        else:
            assert response.status_code == 404, model._meta.label
        seen["tracked" if tracked else "history"] += 1
    assert seen["tracked"] > 50 and seen["history"] > 50
    assert client.get("/history/network/historicaldistributor_product_lines/1/").status_code == 404


def test_the_history_reads_a_bounded_number_of_queries(world):
    own = Distributor.objects.get(pk=world.own.pk)
    lines = [ProductLineFactory(name=f"Line {n}", code=f"line-{n}") for n in range(12)]
    people = [make_user("channel_manager", world.manufacturer, username=f"cm-{n}") for n in range(12)]
    principal = world.principal("dist_head")

    def count_after(updates):
        for n in range(updates):
            own.channel_manager = people[n]
            own.employees = n
            own.save()
            own.product_lines.add(lines[n])
        with CaptureQueriesContext(connection) as queries:
            entries = selectors.history_entries(principal=principal, obj=own)
        assert entries and all("hidden" not in str(c["old"]) + str(c["new"]) for e in entries for c in e["changes"])
        return len(queries)

    few = count_after(2)
    assert count_after(10) == few <= 5
