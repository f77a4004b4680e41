"""People, relationships, the interaction log and the relationship-health flags."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.network import selectors, services
from keychannel.network.models import DistributorPerson, Interaction, Relationship

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


def person(distributor, level, name=None):
    return DistributorPerson.objects.create(distributor=distributor, full_name=name or f"{level} person", level=level)


def relate(p, user, level, last=TODAY, strength=3, active=True):
    return Relationship.objects.create(
        person=p, manufacturer_user=user, manufacturer_level=level, last_interaction=last, strength=strength, active=active
    )


def codes(distributor, **kw):
    rels = list(Relationship.objects.filter(person__distributor=distributor).select_related("person"))
    return {f.code: f.severity for f in selectors.relationship_health(distributor=distributor, relationships=rels,
                                                                      on_date=TODAY, **kw)}


def test_healthy_when_top_and_middle_pairings_are_recent(world):
    relate(person(world.own, "first_person"), world.user("executive"), "top")
    relate(person(world.own, "middle_manager"), world.user("channel_manager"), "middle", last=TODAY - timedelta(days=400))
    assert codes(world.own) == {}


def test_missing_pairings_and_weak_contract_escalates(world):
    relate(person(world.own, "sales"), world.user("mentor"), "middle")
    world.own.contract_strength = "strong"
    assert codes(world.own) == {"no_top_pairing": "medium", "no_middle_pairing": "low"}
    world.own.contract_strength = "weak"
    assert codes(world.own) == {"no_top_pairing": "high", "no_middle_pairing": "medium"}


def test_top_manager_counts_as_top_and_inactive_relationships_do_not_count(world):
    world.own.contract_strength = "strong"
    relate(person(world.own, "top_manager"), world.user("executive"), "top", active=False)
    relate(person(world.own, "middle_manager"), world.user("channel_manager"), "middle")
    assert codes(world.own) == {"no_top_pairing": "medium"}
    relate(person(world.own, "top_manager", "Another top"), world.user("program_manager"), "top")
    assert codes(world.own) == {}


def test_only_stale_relationships_are_flagged_with_configurable_days(world, settings):
    world.own.contract_strength = "strong"
    relate(person(world.own, "first_person"), world.user("executive"), "top", last=TODAY - timedelta(days=100))
    relate(person(world.own, "middle_manager"), world.user("channel_manager"), "middle", last=None)
    assert codes(world.own) == {}  # default 180 days
    assert codes(world.own, stale_days=90) == {"only_stale": "medium"}
    settings.RELATIONSHIP_STALE_DAYS = 99
    assert codes(world.own) == {"only_stale": "medium"}
    world.own.contract_strength = "weak"
    assert codes(world.own) == {"only_stale": "high"}


def test_no_relationships_at_all(world):
    world.own.contract_strength = "weak"
    assert codes(world.own) == {"no_relationships": "high"}


def test_interaction_moves_last_interaction_forward_only(world):
    rel = relate(person(world.own, "first_person"), world.user("executive"), "top", last=date(2026, 5, 1))
    cm = world.principal("channel_manager")
    services.interaction_record(principal=cm, relationship=rel, occurred_on=date(2026, 4, 1), kind="call", summary="x")
    rel.refresh_from_db()
    assert rel.last_interaction == date(2026, 5, 1)
    services.interaction_record(principal=cm, relationship=rel, occurred_on=date(2026, 5, 20), kind="visit", summary="y")
    rel.refresh_from_db()
    assert rel.last_interaction == date(2026, 5, 20) and rel.interactions.count() == 2
    with pytest.raises(PermissionDenied):
        services.interaction_record(principal=world.principal("executive"), relationship=rel, occurred_on=TODAY,
                                    kind="call", summary="z")


def test_relationship_rules(world):
    p = person(world.own, "first_person")
    pm = world.principal("program_manager")
    with pytest.raises(ValidationError):  # our side must be a manufacturer user
        services.relationship_create(principal=pm, person=p, manufacturer_user=world.user("dist_head"))
    with pytest.raises(ValidationError):
        services.relationship_create(principal=pm, person=p, manufacturer_user=world.user("executive"), strength=6)
    services.relationship_create(principal=pm, person=p, manufacturer_user=world.user("executive"), strength=5)
    with pytest.raises(ValidationError):  # one relationship per pair
        services.relationship_create(principal=pm, person=p, manufacturer_user=world.user("executive"))
    assert Relationship.objects.count() == 1


def test_salespeople_see_people_but_not_relationships(world, api_as, login):
    p = person(world.own, "first_person")
    relate(p, world.user("executive"), "top")
    relate(person(world.other, "first_person"), world.user("executive"), "top")
    sales = api_as(world.user("dist_sales"))
    assert [x["id"] for x in sales.get("/api/v1/distributor-people").json()["items"]] == [p.pk]
    assert sales.get("/api/v1/relationships").json()["count"] == 0
    head = api_as(world.user("dist_head"))
    assert [x["distributor_id"] for x in head.get("/api/v1/relationships").json()["items"]] == [world.own.pk]
    page = login(world.user("dist_sales")).get(reverse("network:distributor_detail", args=[world.own.pk]))
    assert b'id="people-table"' in page.content and b'id="relationship-map"' not in page.content


def test_api_bad_input_changes_nothing(world, api_as):
    p = person(world.own, "first_person")
    client = api_as(world.user("channel_manager"))
    bad = [
        {"person_id": p.pk, "manufacturer_user_id": world.user("executive").pk, "strength": 9},
        {"person_id": p.pk, "manufacturer_user_id": world.user("dist_head").pk},
        {"person_id": p.pk, "manufacturer_user_id": 999999},
        {"person_id": p.pk, "manufacturer_user_id": world.user("executive").pk, "manufacturer_level": "boss"},
    ]
    for body in bad:
        assert client.post("/api/v1/relationships", body, content_type="application/json").status_code == 422, body
    assert client.post("/api/v1/distributor-people", {"distributor_id": world.own.pk, "full_name": "", "level": "sales"},
                       content_type="application/json").status_code == 422
    rel = relate(p, world.user("executive"), "top")
    url = f"/api/v1/relationships/{rel.pk}/interactions"
    assert client.post(url, {"occurred_on": "not a date", "summary": "x"}, content_type="application/json").status_code == 422
    assert client.patch(f"/api/v1/relationships/{rel.pk}", {"strength": None}, content_type="application/json").status_code == 422
    assert Relationship.objects.count() == 1 and Interaction.objects.count() == 0
    assert DistributorPerson.objects.count() == 1


def test_health_endpoint_and_page(world, api_as, login):
    world.own.contract_strength = "weak"
    world.own.save()
    relate(person(world.own, "sales"), world.user("mentor"), "operational", last=timezone.localdate())
    body = api_as(world.user("mentor")).get(f"/api/v1/distributors/{world.own.pk}/relationship-health").json()
    assert {f["code"]: f["severity"] for f in body["flags"]} == {"no_top_pairing": "high", "no_middle_pairing": "medium"}
    assert api_as(world.user("admin")).get(
        f"/api/v1/distributors/{world.own.pk}/relationship-health?stale_days=0").status_code == 422
    page = login(world.user("channel_manager")).get(reverse("network:relationship_health"))
    assert page.status_code == 200
    # The channel manager reaches only the distributor they manage.
    assert [row["distributor"].code for row in page.context["rows"]] == ["da"]


def test_relationship_form_pages_write_and_keep_input_on_errors(world, login):
    p = person(world.own, "middle_manager")
    client = login(world.user("channel_manager"))
    url = reverse("network:relationship_create", args=[world.own.pk])
    bad = client.post(url, {"person": p.pk, "manufacturer_user": world.user("executive").pk, "manufacturer_level": "middle",
                            "strength": 7, "note": "typed text"})
    assert bad.status_code == 422 and b"typed text" in bad.content and Relationship.objects.count() == 0
    good = client.post(url, {"person": p.pk, "manufacturer_user": world.user("channel_manager").pk,
                             "manufacturer_level": "middle", "strength": 4, "active": "on"})
    assert good.status_code == 302
    rel = Relationship.objects.get()
    logged = client.post(reverse("network:interaction_create", args=[rel.pk]),
                         {"occurred_on": "2026-05-05", "kind": "meeting", "summary": "Workshop follow-up"})
    assert logged.status_code == 302
    rel.refresh_from_db()
    assert rel.last_interaction == date(2026, 5, 5)
    assert rel.history.count() >= 2  # audited


def test_list_query_counts_do_not_grow(world, api_as, login):
    api = api_as(world.user("admin"))
    api.get("/api/v1/me")
    page = login(world.user("admin"))

    def count(fn):
        with CaptureQueriesContext(connection) as ctx:
            assert fn().status_code == 200
        return len(ctx.captured_queries)

    def measure():
        return (
            count(lambda: api.get("/api/v1/distributor-people")),
            count(lambda: api.get("/api/v1/relationships")),
            count(lambda: page.get(reverse("network:relationship_health"))),
            count(lambda: page.get(reverse("network:distributor_detail", args=[world.own.pk]))),
        )

    relate(person(world.own, "first_person"), world.user("executive"), "top")
    small = measure()
    for i in range(12):
        p = person(world.own if i % 2 else world.other, "middle_manager", f"Middle {i}")
        rel = relate(p, world.user("channel_manager"), "middle")
        Interaction.objects.create(relationship=rel, occurred_on=TODAY, summary="x")
    assert measure() == small
