"""The sync API of issue 19 part 4 (docs/api.md, "Sync"): Idempotency-Key, updated_since, input errors in the
caller's language. The external ids, upserts and bulk writes of clients and deals are tested in their apps
(keychannel/clients/tests/test_clients_sync.py, keychannel/deals/tests/test_deals_sync.py)."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from keychannel.clients.models import CorporateClient
from keychannel.clients.tests.factories import ClientFactory
from keychannel.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


def _post(api, url, body, key=None, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.post(url, json.dumps(body), content_type="application/json", **headers)


# --- Idempotency-Key -------------------------------------------------------------------------------------------


def test_a_post_sent_again_with_its_key_answers_the_first_answer_without_running_again(world, api_as):
    api = api_as(world.user("dist_sales"))
    body = {"legal_name": "Fabrica de Sticlă Turda SA", "tax_id": "RO 4441001"}
    first = _post(api, "/api/v1/clients", body, key="erp-0001")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    again = _post(api, "/api/v1/clients", body, key="erp-0001")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CorporateClient.objects.filter(tax_id="4441001").count() == 1
    # Without the key the same body is a new request: the duplicate check answers it.
    assert _post(api, "/api/v1/clients", body).status_code == 409


def test_one_key_names_one_request(world, api_as):
    api = api_as(world.user("dist_sales"))
    assert _post(api, "/api/v1/clients", {"legal_name": "Unu SRL"}, key="k-1").status_code == 201
    other_body = _post(api, "/api/v1/clients", {"legal_name": "Doi SRL"}, key="k-1")
    assert other_body.status_code == 422
    assert other_body.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert "another request" in other_body.json()["detail"][0]["msg"]
    other_path = _post(api, "/api/v1/clients/duplicate-check", {"legal_name": "Unu SRL"}, key="k-1")
    assert other_path.status_code == 422
    assert not CorporateClient.objects.filter(legal_name="Doi SRL").exists()
    # Keys are per caller: the head's "k-1" is its own.
    head = api_as(world.user("dist_head"))
    assert _post(head, "/api/v1/clients", {"legal_name": "Doi SRL"}, key="k-1").status_code == 201


def test_a_refused_request_keeps_nothing_and_its_key_serves_the_corrected_one(world, api_as):
    api = api_as(world.user("dist_sales"))
    refused = _post(api, "/api/v1/clients", {"legal_name": "Trei SRL", "employees": -1}, key="k-2")
    assert refused.status_code == 422
    assert not IdempotencyRecord.objects.filter(key="k-2").exists()
    fixed = _post(api, "/api/v1/clients", {"legal_name": "Trei SRL", "employees": 10}, key="k-2")
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed


def test_a_bad_key_is_refused_and_an_anonymous_post_ignores_the_header(world, api_as, client):
    api = api_as(world.user("dist_sales"))
    assert _post(api, "/api/v1/clients", {"legal_name": "Patru SRL"}, key="x" * 256).status_code == 422
    assert _post(api, "/api/v1/clients", {"legal_name": "Patru SRL"}, key="ș").status_code == 422
    assert not CorporateClient.objects.filter(legal_name="Patru SRL").exists()
    assert _post(client, "/api/v1/clients", {"legal_name": "Patru SRL"}, key="anon").status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_keys_expire_and_the_scheduled_job_deletes_them(world, api_as, settings):
    from keychannel.jobs.scheduler import JOBS

    assert "prune_idempotency_keys" in JOBS
    api = api_as(world.user("dist_sales"))
    assert _post(api, "/api/v1/clients", {"legal_name": "Cinci SRL"}, key="old").status_code == 201
    assert _post(api, "/api/v1/clients", {"legal_name": "Șase SRL"}, key="new").status_code == 201
    IdempotencyRecord.objects.filter(key="old").update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    # Past its retention a key is new again: the request runs (and the duplicate check answers it this time).
    assert _post(api, "/api/v1/clients", {"legal_name": "Cinci SRL"}, key="old").status_code == 409
    IdempotencyRecord.objects.filter(key="new").update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    call_command("prune_idempotency_keys")
    assert not IdempotencyRecord.objects.exists()


# --- updated_since -----------------------------------------------------------------------------------------------


def _stamp(client, when):
    CorporateClient.objects.filter(pk=client.pk).update(updated_at=when)


def test_updated_since_lists_the_changes_in_order_and_the_cursor_follows_them(world, api_as):
    t0 = timezone.now() - datetime.timedelta(days=10)
    old, a, b, c = (ClientFactory(distributor=world.own, legal_name=name) for name in ("Old", "Zeta", "Alfa", "Beta"))
    _stamp(old, t0 - datetime.timedelta(days=1))
    _stamp(a, t0)
    _stamp(b, t0 + datetime.timedelta(hours=1))
    _stamp(c, t0)  # the same instant as a: the id breaks the tie
    api = api_as(world.user("dist_head"))
    since = t0.isoformat()
    page = api.get("/api/v1/clients", {"updated_since": since, "limit": 500}).json()
    assert [row["id"] for row in page["items"]] == [a.pk, c.pk, b.pk]
    assert page["count"] == 3

    first = api.get("/api/v1/clients", {"updated_since": since, "limit": 1}).json()
    assert [row["id"] for row in first["items"]] == [a.pk]
    # a changes while the walk goes on: it moves to the end and is read again, nothing is skipped.
    _stamp(a, t0 + datetime.timedelta(hours=2))
    seen, cursor = [], first["next_cursor"]
    while cursor:
        page = api.get("/api/v1/clients", {"updated_since": since, "limit": 1, "cursor": cursor}).json()
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [c.pk, b.pk, a.pk]
    # A naive time is read in the caller's time zone; a bad one is a 422 on the parameter.
    assert api.get("/api/v1/clients", {"updated_since": "yesterday"}).status_code == 422


def _paged_lists():
    """Every GET list of the API without path parameters (the operations that take a cursor)."""
    from keychannel.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not get or "{" in path:
            continue
        names = {p["name"] for p in get.get("parameters", [])}
        if "cursor" in names:
            yield path


def test_every_api_list_takes_updated_since(world, api_as):
    paths = list(_paged_lists())
    assert len(paths) > 40
    api = api_as(world.user("admin"))
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    refused = {}
    for path in paths:
        response = api.get(path, {"updated_since": since})
        if response.status_code != 200:
            refused[path] = (response.status_code, response.content[:200])
    assert refused == {}


# --- input errors in the caller's language -----------------------------------------------------------------------


def test_input_errors_are_in_the_callers_language(world, api_as, client):
    from keychannel.core.models import Membership

    Membership.objects.filter(user=world.user("dist_sales")).update(language="ro")
    api = api_as(world.user("dist_sales"))
    response = _post(api, "/api/v1/clients", {"employees": "many", "legal_name": "x" * 300})
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e for e in response.json()["detail"]}
    with translation.override("ro"):
        assert errors[("body", "payload", "employees")]["msg"] == gettext("Enter a whole number.")
        assert errors[("body", "payload", "legal_name")]["msg"] == translation.ngettext(
            "Enter at most %(max_length)s character.", "Enter at most %(max_length)s characters.", 200
        ) % {"max_length": 200}
    # pydantic's English sentence is gone; its type and place stay for programs.
    assert all("should" not in e["msg"] for e in errors.values())
    assert errors[("body", "payload", "employees")]["type"] == "int_parsing"
    # Anonymous calls follow Accept-Language.
    anonymous = _post(client, "/api/v1/auth/token", {}, HTTP_ACCEPT_LANGUAGE="ru")
    assert anonymous.status_code == 422
    with translation.override("ru"):
        assert anonymous.json()["detail"][0]["msg"] == gettext("This field is required.")
    assert anonymous.json()["detail"][0]["msg"] != "Field required"


@pytest.mark.parametrize(("since", "status"), [
    # An offset PostgreSQL refuses (beyond ±15:59): read in UTC, it is an ordinary instant (schema fuzzing found the
    # DataError, which aborted the transaction of the requests after it).
    ("2026-01-28T02:32:07-20:50", 200),
    ("0001-01-01T00:00:00+08:00", 422),  # before year 1 once in UTC
])
def test_updated_since_with_any_offset_is_an_answer_never_a_database_error(world, api_as, since, status):
    api = api_as(world.user("program_manager"))
    response = api.get("/api/v1/clients", {"updated_since": since})
    assert response.status_code == status, response.content
    assert api.get("/api/v1/clients").status_code == 200  # the connection is still usable
