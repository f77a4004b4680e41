"""The API answers every error in its own JSON format, with the documented status."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_number_out_of_range_is_bad_input_not_a_crash(world, api_as):
    response = api_as(world.user("admin")).get("/api/v1/distributors?territory_id=-117231794155834605568")
    # SQLite cannot bind the number (422); PostgreSQL compares it as numeric and finds nothing (200).
    assert response.status_code in (200, 422)
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 422:
        assert response.json()["detail"][0]["msg"]
    assert api_as(world.user("admin")).get("/api/v1/distributors?offset=99999999999999").status_code == 422


def test_unmatched_api_path_is_json_404(world, api_as):
    response = api_as(world.user("admin")).get("/api/v1/distributors/null")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert Client().get("/no-such-page/").status_code in (302, 404)


def test_token_endpoint_lockout_is_json_429(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client(REMOTE_ADDR="10.1.2.3")
    body = {"username": "w-da-head", "password": "wrong"}
    for _ in range(2):
        client.post("/api/v1/auth/token", body, content_type="application/json")
    response = client.post(
        "/api/v1/auth/token", {"username": "w-da-head", "password": "test-password"}, content_type="application/json"
    )
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json") and "locked" in response.json()["detail"]


def test_error_answers_are_documented(world):
    from keychannel.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    responses = schema["paths"]["/api/v1/distributors/{distributor_id}"]["patch"]["responses"]
    assert {"400", "401", "403", "404", "422"} <= set(map(str, responses))
    assert "429" in set(map(str, schema["paths"]["/api/v1/auth/token"]["post"]["responses"]))


def test_nul_characters_are_bad_input_everywhere(world, api_as, login):
    client = api_as(world.user("admin"))
    assert client.get("/api/v1/distributors?q=a%00b").status_code == 422
    response = client.patch(
        f"/api/v1/distributors/{world.own.pk}", '{"legal_name": "A\\u0000B"}', content_type="application/json"
    )
    assert response.status_code == 422
    world.own.refresh_from_db()
    assert world.own.legal_name == "Alfa Distribuție SRL"
    page = login(world.user("admin")).post(f"/network/distributors/{world.own.pk}/edit/", {"legal_name": "A\x00B"})
    assert page.status_code == 400
