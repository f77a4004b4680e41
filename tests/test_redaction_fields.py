"""The field dimension of the access matrix: no page, API operation or export tells a distributor user the
manufacturer's internal assessment of it (DESIGN.md §2, issue 14 item 5).

Distinctive values are planted in every internal field of the distributor's own records; then every GET route
of the access matrix (tests/access.py, so a new route is walked without a change here) is fetched as the
distributor user and no response body may carry them. JSON bodies are also read field by field: a field of the
internal assessment is null wherever it appears.
"""

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from keychannel.network.defaults import ensure_defaults
from keychannel.network.models import Distributor, DistributorPerson, Interaction, Playbook, Relationship
from keychannel.network.redaction import DISTRIBUTOR_INTERNAL_FIELDS, RELATIONSHIP_INTERNAL_FIELDS
from tests.access import load_routes

NOTE = "INTERNAL-NOTE-xyz"
PLAYBOOK = "PLAYBOOK-INTERNAL-xyz"
INTERACTION = "INTERACTION-INTERNAL-xyz"
# Text that only the internal assessment puts on a page: the planted stance and quadrant, the relationship map's
# data, the health flags' codes, the labels of the hidden answers.
TEXT_MARKERS = [NOTE, PLAYBOOK, INTERACTION, "resistant", "shares neither", "shares our goals", "shares our methods",
                'id="relationship-map-data"', "no_top_pairing", "no_middle_pairing", "only_stale", "no_relationships"]
JSON_INTERNAL_KEYS = DISTRIBUTOR_INTERNAL_FIELDS | RELATIONSHIP_INTERNAL_FIELDS | {"alignment_quadrant"}

ROUTES = [r for r in load_routes() if r.method == "GET"]


def _plant(world):
    """The manufacturer's view of the world's own distributor, in every internal field, with distinctive values."""
    Distributor.objects.filter(pk=world.own.pk).update(stance="resistant", shares_goals="no", shares_methods="no")
    person = DistributorPerson.objects.create(distributor=world.own, full_name="Ana Planted", level="top_manager")
    relationship = Relationship.objects.create(
        person=person, manufacturer_user=world.user("program_manager"), manufacturer_level="operational",
        strength=5, note=NOTE, last_interaction=date.today() - timedelta(days=400),
    )
    Interaction.objects.create(relationship=relationship, occurred_on=date.today() - timedelta(days=400),
                               summary=INTERACTION)
    ensure_defaults()
    for playbook in Playbook.objects.all():
        playbook.approach = f"{PLAYBOOK} {playbook.approach}"
        playbook.save()


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")


def _internal_values(data, path="$"):
    """(path, value) of every internal field in a JSON document that is not null."""
    if isinstance(data, dict):
        # "note" is internal on a relationship only (a coverage's note is part of the agreement).
        internal = JSON_INTERNAL_KEYS - ({"note"} if "strength" not in data else set())
        for key, value in data.items():
            if key in internal and value is not None:
                yield f"{path}.{key}", value
            yield from _internal_values(value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _internal_values(item, f"{path}[{i}]")


def _leaks(world, role) -> list[str]:
    page = Client()
    page.force_login(world.user(role))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {world.token(role)}")
    leaks = []
    for route in ROUTES:
        params = route.params(world, "own") if route.params else {}
        if route.api:
            url = route.api.split(" ", 1)[1].format(**params)
            response = api.get(url)
        else:
            url = reverse(route.name, kwargs=params or None)
            response = page.get(url)
        body = _body(response)
        lowered = body.lower()
        leaks += [f"{url}: {marker!r}" for marker in TEXT_MARKERS if marker.lower() in lowered]
        if response.get("Content-Type", "").startswith("application/json"):
            leaks += [f"{url}: {where} = {value!r}" for where, value in _internal_values(json.loads(body))]
    return leaks


@pytest.fixture
def planted(world):
    from keychannel.core import services
    from keychannel.core.scoping import Principal

    _plant(world)
    tokens = {}

    def token(role):
        if role not in tokens:
            _t, tokens[role] = services.api_token_create(principal=Principal.for_user(world.user(role)), name="redaction")
        return tokens[role]

    world.token = token
    return world


def test_the_planted_assessment_shows_to_the_manufacturer(planted, login, api_as):
    """The markers are where a manufacturer reads them, so their absence below means redaction, not missing data."""
    pk = planted.own.pk
    body = login(planted.user("program_manager")).get(reverse("network:distributor_detail", args=[pk])).content.decode()
    assert "Resistant" in body and "Shares neither" in body and PLAYBOOK in body and INTERACTION in body
    assert 'id="relationship-map-data"' in body and 'data-flag="only_stale"' in body
    api = api_as(planted.user("program_manager"))
    assert api.get(f"/api/v1/distributors/{pk}").json()["stance"] == "resistant"
    assert NOTE in api.get(f"/api/v1/relationships?distributor_id={pk}").content.decode()


@pytest.mark.parametrize("role", ["dist_head", "dist_sales"])
def test_no_route_shows_the_internal_assessment_to_a_distributor_user(planted, role):
    leaks = _leaks(planted, role)
    assert not leaks, "\n".join(leaks)


def test_a_filter_on_a_hidden_field_tells_nothing(planted, login, api_as):
    """Filtering on a hidden field would tell its value by the rows it keeps: for distributor users it is ignored."""
    head = planted.user("dist_head")
    for stance in ("active", "cautious", "resistant"):
        found = api_as(head).get(f"/api/v1/distributors?stance={stance}&shares_goals=yes").json()
        assert [d["id"] for d in found["items"]] == [planted.own.pk]
        page = login(head).get(reverse("network:distributor_list") + f"?stance={stance}").content.decode()
        assert planted.own.legal_name in page
    manufacturer = api_as(planted.user("program_manager")).get("/api/v1/distributors?stance=active").json()
    assert planted.own.pk not in [d["id"] for d in manufacturer["items"]]


def test_the_history_of_an_interaction_keeps_its_notes_from_the_distributor(planted, login):
    """Our interaction notes are internal: an edited summary must not surface on the record's history page."""
    interaction = Interaction.objects.get(summary=INTERACTION)
    interaction.summary = f"{INTERACTION}-edited"
    interaction.save()
    url = reverse("core:history", args=["network", "interaction", interaction.pk])
    assert INTERACTION in login(planted.user("program_manager")).get(url).content.decode()
    response = login(planted.user("dist_head")).get(url)
    assert response.status_code == 200 and INTERACTION not in response.content.decode()
