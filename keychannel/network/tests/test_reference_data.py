"""Issue 16, part 2: the network's reference data kept in the product — distributor kinds, territories, product lines."""

import pytest
from django.urls import reverse

from keychannel.network.models import Distributor, ProductLine, Territory

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_a_distributor_has_a_kind_set_on_creation_and_filtered_on(world, api_as, login):
    admin = api_as(world.users["admin"])
    response = admin.post("/api/v1/distributors", {
        "code": "int1", "legal_name": "Integra SRL", "tax_id": "RO55", "territory_id": world.territory.pk,
        "kind": "integrator", "product_line_ids": [world.product_line.pk]}, content_type=JSON)
    assert response.status_code == 201 and response.json()["kind"] == "integrator"
    created = Distributor.objects.get(code="int1")
    assert created.organization.name == "Integra SRL" and list(created.product_lines.all()) == [world.product_line]
    assert [d["code"] for d in admin.get("/api/v1/distributors?kind=integrator").json()["items"]] == ["int1"]
    response = admin.patch(f"/api/v1/distributors/{world.own.pk}", {"kind": "retail_chain"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["kind"] == "retail_chain"
    assert admin.patch(f"/api/v1/distributors/{world.own.pk}", {"kind": "bank"}, content_type=JSON).status_code == 422
    page = login(world.users["program_manager"]).get(reverse("network:distributor_list") + "?kind=retail_chain")
    assert b"Alfa Distribu" in page.content and b"Beta Industrial" not in page.content


def test_a_new_distributor_with_bad_data_changes_nothing(world, api_as, login):
    admin = api_as(world.users["admin"])
    before = Distributor.objects.count()
    for body, field in [({"code": "da"}, "code"), ({"code": "Bad Code"}, "code"), ({"tax_id": world.own.tax_id}, "tax_id"),
                        ({"territory_id": 0}, None), ({"product_line_ids": [0]}, "product_line_ids")]:
        payload = {"code": "new1", "legal_name": "Nou SRL", "tax_id": "RO77", "territory_id": world.territory.pk, **body}
        response = admin.post("/api/v1/distributors", payload, content_type=JSON)
        assert response.status_code in (404, 422), (body, response.status_code)
        if field:
            assert response.json()["detail"][0]["loc"][-1] == field, response.json()
    assert Distributor.objects.count() == before
    page = login(world.users["admin"])
    response = page.post(reverse("network:distributor_create"), {
        "code": "da", "legal_name": "Dublu SRL", "kind": "wholesaler", "tax_id": "RO78", "territory": world.territory.pk,
        "size_tier": "small", "annual_revenue": "0", "employees": "0", "contract_strength": "weak"})
    assert response.status_code == 422 and Distributor.objects.count() == before
    assert api_as(world.users["channel_manager"]).post("/api/v1/distributors", {
        "code": "x1", "legal_name": "X", "tax_id": "RO79", "territory_id": world.territory.pk},
        content_type=JSON).status_code == 403


def test_the_program_office_keeps_the_territory_tree(world, api_as, login):
    office = api_as(world.users["program_manager"])
    country = office.post("/api/v1/territories", {"name": "România", "level": "country"}, content_type=JSON)
    assert country.status_code == 201 and country.json()["code"] == "romania"
    country_id = country.json()["id"]
    region = office.post("/api/v1/territories", {"name": "Nord-Vest", "level": "region", "parent_id": country_id},
                         content_type=JSON).json()
    # Move the world's county under the region; a rename keeps its place.
    response = office.patch(f"/api/v1/territories/{world.territory.pk}", {"parent_id": region["id"]}, content_type=JSON)
    assert response.status_code == 200 and response.json()["parent_id"] == region["id"]
    assert office.patch(f"/api/v1/territories/{world.territory.pk}", {"name": "Județul Cluj"},
                        content_type=JSON).status_code == 200
    world.territory.refresh_from_db()
    assert world.territory.name == "Județul Cluj" and world.territory.history.first().history_user == \
        world.users["program_manager"]
    # Wrong places are refused with the reason, and nothing moves.
    for body in [{"parent_id": world.territory.pk, "level": "region"},  # under a smaller one
                 {"level": "city", "parent_id": None},  # a city without a parent
                 {"parent_id": 0}]:
        response = office.patch(f"/api/v1/territories/{region['id']}", body, content_type=JSON)
        assert response.status_code == 422, body
    assert office.patch(f"/api/v1/territories/{country_id}", {"level": "city"}, content_type=JSON).status_code == 422
    assert office.post("/api/v1/territories", {"name": "Cluj", "code": "cluj", "level": "county",
                                               "parent_id": region["id"]}, content_type=JSON).status_code == 422
    assert Territory.objects.get(pk=region["id"]).parent_id == country_id
    # The page: the same service, the same refusals.
    page = login(world.users["admin"])
    response = page.post(reverse("network:territory_create"), {"name": "Dej", "level": "city",
                                                                 "parent": world.territory.pk})
    assert response.status_code == 302 and Territory.objects.get(code="dej").parent == world.territory
    response = page.post(reverse("network:territory_create"), {"name": "Nowhere", "level": "county"})
    assert response.status_code == 422 and "Only a country" in response.content.decode()
    assert api_as(world.users["dist_head"]).post("/api/v1/territories", {"name": "X", "level": "country"},
                                                 content_type=JSON).status_code == 403


def test_product_lines_are_added_renamed_and_retired(world, api_as, login):
    office = api_as(world.users["admin"])
    response = office.post("/api/v1/product-lines", {"name": "Vacuum pumps"}, content_type=JSON)
    assert response.status_code == 201 and response.json()["code"] == "vacuum-pumps"
    assert office.post("/api/v1/product-lines", {"name": "Compressors"}, content_type=JSON).status_code == 422
    response = office.patch(f"/api/v1/product-lines/{world.product_line.pk}", {"active": False}, content_type=JSON)
    assert response.status_code == 200 and response.json()["active"] is False
    assert world.product_line in world.own.product_lines.all()  # retired, still on the agreement
    registration_form = login(world.users["dist_sales"]).get(reverse("channel:registration_create")).content.decode()
    assert f'name="product_lines" value="{world.product_line.pk}"' not in registration_form
    page = login(world.users["program_manager"])
    response = page.post(reverse("network:productline_update", args=[world.product_line.pk]),
                         {"name": "Compressors", "code": "compressors", "description": "Screw", "active": "on"})
    assert response.status_code == 302 and ProductLine.objects.get(pk=world.product_line.pk).active
    assert api_as(world.users["channel_manager"]).patch(f"/api/v1/product-lines/{world.product_line.pk}",
                                                        {"active": False}, content_type=JSON).status_code == 403
