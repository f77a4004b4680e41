"""NUL and lone surrogates are refused at the boundary, whatever carries them, and never reach a database."""

import datetime
import json
from urllib.parse import urlencode

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from keychannel.clients.models import CorporateClient
from keychannel.sales.models import ColumnMapping, Survey

pytestmark = pytest.mark.django_db

NAME = "Alfa Distribuție SRL"


def _path(world):
    return f"/api/v1/distributors/{world.own.pk}"


def _unchanged(world):
    world.own.refresh_from_db()
    return world.own.legal_name == NAME


def _msg(response):
    return response.json()["detail"][0]["msg"]


def test_json_escapes_are_checked_after_decoding(world, api_as):
    client = api_as(world.user("admin"))
    for escaped, says in [("A\\u0000B", "NUL"), ("x\\ud800y", "unpaired surrogate"), ("x\\udc00", "unpaired surrogate")]:
        response = client.patch(_path(world), '{"legal_name": "' + escaped + '"}', content_type="application/json")
        assert response.status_code == 422 and says in _msg(response), escaped
        assert _unchanged(world)
    # Raw surrogate bytes (json.loads would take them): not UTF-8, refused as such.
    raw = b'{"legal_name": "x\xed\xa0\x80y"}'
    response = client.patch(_path(world), raw, content_type="application/json")
    assert response.status_code == 422 and "not valid UTF-8" in _msg(response) and _unchanged(world)
    # A real pair is one character; an escaped backslash is text. Both are fine.
    ok = client.patch(_path(world), '{"legal_name": "Alfa \\ud83d\\ude00 \\\\ud800"}', content_type="application/json")
    assert ok.status_code == 200 and ok.json()["legal_name"] == "Alfa \U0001f600 \\ud800"


def test_every_content_type_is_checked(world, api_as, login):
    client = api_as(world.user("admin"))
    # text/plain: django-ninja parses the body as JSON whatever its type (this stored a NUL on SQLite).
    for body in ('{"legal_name": "A\x00B"}', '{"legal_name": "A\\u0000B"}', '{"legal_name": "x\\ud800"}'):
        response = client.patch(_path(world), body, content_type="text/plain")
        assert response.status_code == 422 and _unchanged(world), body
    form = client.patch(_path(world), urlencode({"legal_name": "A\x00B"}),
                        content_type="application/x-www-form-urlencoded")
    assert form.status_code == 422 and "NUL" in _msg(form)
    multipart = client.patch(_path(world), encode_multipart(BOUNDARY, {"legal_name": "A\x00B"}),
                             content_type=MULTIPART_CONTENT)
    assert multipart.status_code == 422 and "NUL" in _msg(multipart)
    assert client.get("/api/v1/distributors?q=a%00b").status_code == 422
    page = login(world.user("admin"))
    url = f"/network/distributors/{world.own.pk}/edit/"
    assert page.post(url, {"legal_name": "A\x00B"}).status_code == 400  # multipart
    encoded = page.post(url, urlencode({"legal_name": "A\x00B"}), content_type="application/x-www-form-urlencoded")
    assert encoded.status_code == 400 and b"NUL" in encoded.content
    assert page.get("/clients/?q=%00").status_code == 400
    assert _unchanged(world)


def test_an_oversized_body_is_refused_with_the_cap_named(world, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api_as(world.user("admin")).patch(_path(world), json.dumps({"legal_name": "x" * 200}),
                                                 content_type="application/json")
    assert response.status_code == 413 and "larger than 20 MB" in response.json()["detail"]


def test_a_lone_surrogate_is_a_422_on_the_text_fields_of_the_api(world, api_as):
    """A handful of the write operations with string fields the review found answering 500."""
    closes = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    client_row = CorporateClient.objects.create(legal_name="Surrogate Target SA", distributor=world.own)
    cases = [
        ("admin", "patch", _path(world), {"legal_name": "x\ud800y"}),
        ("dist_head", "post", "/api/v1/clients", {"legal_name": "x\ud800y"}),
        ("dist_head", "patch", f"/api/v1/clients/{client_row.pk}", {"city": "x\ud800y"}),
        ("dist_head", "post", f"/api/v1/clients/{client_row.pk}/stakeholders", {"full_name": "x\ud800y"}),
        ("admin", "post", "/api/v1/surveys", {"name": "Q", "intro": "x\udfffy", "closes_on": closes}),
        ("dist_head", "post", "/api/v1/column-mappings", {"name": "x\ud800y", "columns": {}}),
    ]
    before = (CorporateClient.objects.count(), Survey.objects.count(), ColumnMapping.objects.count())
    for role, method, url, payload in cases:
        body = json.dumps(payload)  # ensure_ascii: the lone surrogate travels as a \ud800 escape
        response = getattr(api_as(world.user(role)), method)(url, body, content_type="application/json")
        assert response.status_code == 422 and "unpaired surrogate" in _msg(response), (url, response.content[:200])
    assert (CorporateClient.objects.count(), Survey.objects.count(), ColumnMapping.objects.count()) == before
    client_row.refresh_from_db()
    assert client_row.city == "" and _unchanged(world)
