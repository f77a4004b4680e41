"""Ids in request bodies (core/api_refs.py): one answer in every app — 422 on the field, the same words for an id
that does not exist and for one the caller may not see. Before, a client the caller could not see was a 404 in
channel and sales and a 422 in deals and competence; each test below would have caught its app's drift."""

import datetime
import json

import pytest
from django.utils import translation

from keychannel.clients.tests.factories import ClientFactory
from keychannel.core import api_refs

pytestmark = pytest.mark.django_db
MISSING = 2_000_000_000


def _post(api, url, body):
    return api.post(url, json.dumps(body), content_type="application/json")


def _same_answer(api, url, body, field, foreign_id):
    """The foreign id and an id nobody has get the same 422 on ``field``: nothing tells one from the other."""
    foreign = _post(api, url, {**body, field: foreign_id})
    missing = _post(api, url, {**body, field: MISSING})
    assert foreign.status_code == 422, foreign.content
    with translation.override("en"):
        expected = [{"loc": ["body", field], "msg": str(api_refs.NOT_VISIBLE), "type": "value_error"}]
    assert foreign.json()["detail"] == expected
    assert missing.status_code == 422 and missing.json() == foreign.json()


@pytest.fixture
def theirs(world):
    return ClientFactory(distributor=world.other, legal_name="Beta Client SA")


def test_clients_app(world, api_as):
    _same_answer(api_as(world.user("dist_head")), "/api/v1/clients", {"legal_name": "X SRL"},
                 "distributor_id", world.other.pk)


def test_deals_app(world, api_as, theirs):
    _same_answer(api_as(world.user("dist_sales")), "/api/v1/opportunities", {"title": "X"}, "client_id", theirs.pk)


def test_channel_app(world, api_as, theirs):
    body = {"title": "X", "product_line_ids": [world.product_line.pk], "estimated_value": "1000",
            "expected_close_on": str(datetime.date.today() + datetime.timedelta(days=30))}
    api = api_as(world.user("dist_sales"))
    _same_answer(api, "/api/v1/registrations", body, "client_id", theirs.pk)
    _same_answer(api_as(world.user("channel_manager")), "/api/v1/conflicts",
                 {"kind": "pricing", "reason": "Prices", "distributor_ids": [world.own.pk]}, "client_id", theirs.pk)


def test_competence_app(world, api_as, theirs):
    body = {"recipient_id": world.user("embedded_kam").pk, "subject": "Help", "message": "Please"}
    _same_answer(api_as(world.user("dist_sales")), "/api/v1/consultations", body, "client_id", theirs.pk)


def test_sales_app(world, api_as, theirs):
    _same_answer(api_as(world.user("dist_head")), "/api/v1/client-mappings",
                 {"distributor_id": world.own.pk, "source_key": "RO123"}, "client_id", theirs.pk)


def test_service_app(world, api_as, theirs):
    body = {"title": "Broken", "description": "It stopped", "contact_name": "Ana", "contact_email": "ana@example.com"}
    _same_answer(api_as(world.user("dist_sales")), "/api/v1/cases", body, "client_id", theirs.pk)
