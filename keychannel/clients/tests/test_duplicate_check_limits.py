"""The duplicate check tells whether a tax id exists anywhere in the network: it is throttled per user (API and
page share one count), and it never says whether another distributor or the manufacturer serves the client."""

import json

import pytest
from django.urls import reverse

from keychannel.clients.models import CorporateClient
from keychannel.clients.tests.factories import ClientFactory
from keychannel.core import ratelimit

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
CHECK = "/api/v1/clients/duplicate-check"


@pytest.fixture
def clock(monkeypatch):
    now = {"t": 1_800_000_020.0}  # 20 s into a minute
    monkeypatch.setattr(ratelimit, "_now", lambda: now["t"])
    return now


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_duplicate_check_has_a_lower_per_user_limit_shared_by_api_and_page(world, api_as, login, settings, clock):
    settings.KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT = "2/m"
    api = api_as(world.user("dist_sales"))
    assert [_post(api, CHECK, {"tax_id": f"900000{i}"}).status_code for i in range(2)] == [200, 200]
    limited = _post(api, CHECK, {"tax_id": "9000009"})
    assert limited.status_code == 429 and limited["Retry-After"] == "40" and limited.json()["detail"]
    # Creating a client runs the same check: it counts too.
    assert _post(api, "/api/v1/clients", {"legal_name": "Fresh Name SRL"}).status_code == 429
    assert not CorporateClient.objects.exists()
    # The page of the same user shares the count; other API calls and other users are not limited.
    page = login(world.user("dist_sales"))
    answer = page.get(reverse("clients:duplicate_check"), {"tax_id": "9000010"}, **HX)
    assert answer.status_code == 429 and answer["Retry-After"] == "40"
    assert page.post(reverse("clients:client_create"), {"legal_name": "Fresh Name SRL"}).status_code == 429
    assert api.get("/api/v1/clients").status_code == 200
    assert _post(api_as(world.user("dist_head")), CHECK, {"tax_id": "9000011"}).status_code == 200
    clock["t"] += 40
    assert _post(api, CHECK, {"tax_id": "9000012"}).status_code == 200


def test_a_direct_client_and_another_distributors_client_get_the_same_answer(world, api_as):
    ClientFactory(legal_name="Held Elsewhere Industries SA", tax_id="6660001", distributor=world.other)
    ClientFactory(legal_name="Led Directly Holding SA", tax_id="6660002", distributor=None)
    api = api_as(world.user("dist_sales"))
    answers = [_post(api, CHECK, {"legal_name": "Acme", "tax_id": tax}).json() for tax in ("6660001", "6660002")]
    assert answers[0] == answers[1] and answers[0]["served_elsewhere"] is True and answers[0]["candidates"] == []
    for tax in ("6660001", "6660002"):
        refused = _post(api, "/api/v1/clients", {"legal_name": "Acme", "tax_id": tax, "confirm_not_duplicate": True})
        assert refused.status_code == 409
        text = refused.content.decode().lower()
        assert "manufacturer" not in text and "direct" not in text and "another distributor" not in text
