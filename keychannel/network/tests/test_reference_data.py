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


def test_a_new_questionnaire_version_without_code_and_past_assessments_keep_theirs(world, api_as, login):
    from keychannel.network import services
    from keychannel.network.defaults import ensure_defaults
    from keychannel.network.models import ReadinessAssessment, ReadinessQuestionnaire
    from keychannel.network.selectors import active_questionnaire

    ensure_defaults()
    v1 = active_questionnaire()
    old = services.readiness_assess(principal=world.principal("program_manager"), distributor=world.own,
                                    assessed_on="2026-01-10", answers={q.code: 2 for q in v1.questions.all()})
    office = api_as(world.users["program_manager"])
    # v1 has been answered: it does not change.
    response = office.patch(f"/api/v1/readiness-questionnaires/{v1.pk}", {"title": "Changed"}, content_type=JSON)
    assert response.status_code == 422 and ReadinessQuestionnaire.objects.get(pk=v1.pk).title != "Changed"
    for bad in [[], [{"text": ""}], [{"code": "a", "text": "One"}, {"code": "a", "text": "Two"}]]:
        assert office.post("/api/v1/readiness-questionnaires", {"title": "v2", "questions": bad},
                           content_type=JSON).status_code == 422, bad
    response = office.post("/api/v1/readiness-questionnaires", {"title": "Readiness 2027", "questions": [
        {"text": "The owners want key accounts."}, {"code": "crm", "text": "The CRM is used daily."}]},
        content_type=JSON)
    assert response.status_code == 201
    v2 = response.json()
    assert v2["version"] == v1.version + 1 and v2["active"] is False
    assert [q["code"] for q in v2["questions"]] == ["the-owners-want-key-accounts", "crm"]
    assert active_questionnaire().pk == v1.pk  # not in use until activated
    assert office.post(f"/api/v1/readiness-questionnaires/{v2['id']}/activate").json()["active"] is True
    assert active_questionnaire().pk == v2["id"]

    new = services.readiness_assess(principal=world.principal("program_manager"), distributor=world.own,
                                    assessed_on="2026-06-10", answers={"the-owners-want-key-accounts": 4, "crm": 4})
    assert new.questionnaire_id == v2["id"] and new.score == 100
    old = ReadinessAssessment.objects.get(pk=old.pk)
    assert old.questionnaire_id == v1.pk and old.answers.count() == v1.questions.count()
    assert login(world.users["program_manager"]).get(
        reverse("network:readiness_detail", args=[old.pk])).status_code == 200

    page = login(world.users["admin"])
    listing = page.get(reverse("network:questionnaire_list")).content.decode()
    assert "Readiness 2027" in listing
    response = page.post(reverse("network:questionnaire_create"), {
        "title": "Readiness 2028", "introduction": "", "questions": "crm | The CRM is used daily. | 0: never\n"
                                                                    "Buying centres are mapped."})
    assert response.status_code == 302
    v3 = ReadinessQuestionnaire.objects.get(title="Readiness 2028")
    assert [(q.code, q.help_text) for q in v3.questions.all()] == [("crm", "0: never"),
                                                                   ("buying-centres-are-mapped", "")]
    response = page.post(reverse("network:questionnaire_update", args=[v3.pk]),
                         {"title": "Readiness 2028", "questions": " | "})
    assert response.status_code == 422 and v3.questions.count() == 2
    assert api_as(world.users["dist_head"]).post("/api/v1/readiness-questionnaires", {
        "title": "x", "questions": [{"text": "q"}]}, content_type=JSON).status_code == 403


def test_channel_presence_is_kept_in_the_product(world, api_as, login):
    from keychannel.network.models import ChannelPresence

    manager = api_as(world.users["channel_manager"])
    response = manager.put(f"/api/v1/channel-presence/{world.territory.pk}",
                           {"counts": {"direct_office": 1, "franchise": 3}, "notes": {"franchise": "Since 2025"}},
                           content_type=JSON)
    assert response.status_code == 200 and {(p["channel_type"], p["count"]) for p in response.json()} == {
        ("direct_office", 1), ("franchise", 3)}
    response = manager.put(f"/api/v1/channel-presence/{world.territory.pk}", {"counts": {"franchise": 0}},
                           content_type=JSON)
    assert [p["channel_type"] for p in response.json()] == ["direct_office"]
    for body in [{"counts": {"bazaar": 1}}, {"counts": {"franchise": -1}}]:
        assert manager.put(f"/api/v1/channel-presence/{world.territory.pk}", body,
                           content_type=JSON).status_code == 422
    assert ChannelPresence.objects.filter(territory=world.territory).count() == 1
    page = login(world.users["program_manager"])
    response = page.post(reverse("network:presence_update", args=[world.territory.pk]),
                         {"count-direct_office": "2", "count-franchise": "x"})
    assert response.status_code == 422 and ChannelPresence.objects.get(territory=world.territory).count == 1
    response = page.post(reverse("network:presence_update", args=[world.territory.pk]),
                         {"count-direct_office": "2", "count-direct_sellers": "5"})
    assert response.status_code == 302
    assert ChannelPresence.objects.filter(territory=world.territory).count() == 2
    assert api_as(world.users["dist_head"]).put(f"/api/v1/channel-presence/{world.territory.pk}",
                                                {"counts": {"franchise": 1}}, content_type=JSON).status_code == 403
    assert api_as(world.users["dist_head"]).get("/api/v1/channel-presence").status_code == 403


def test_playbooks_and_sole_channel_cells_through_the_api(world, api_as):
    """What the playbook page and the distributor page's sole-channel card show, for an ERP or a script."""
    import datetime

    from keychannel.network.defaults import ensure_defaults
    from keychannel.network.models import Coverage, Playbook

    ensure_defaults()
    office = api_as(world.users["program_manager"])
    playbooks = office.get("/api/v1/playbooks").json()
    assert len(playbooks) == Playbook.objects.count() > 0
    target = playbooks[0]
    response = office.patch(f"/api/v1/playbooks/{target['id']}", {"title": "Partners first"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["approach"] == target["approach"]
    assert Playbook.objects.get(pk=target["id"]).history.first().history_user == world.users["program_manager"]
    assert office.patch(f"/api/v1/playbooks/{target['id']}", {"approach": ""}, content_type=JSON).status_code == 422
    assert api_as(world.users["channel_manager"]).patch(f"/api/v1/playbooks/{target['id']}", {"title": "x"},
                                                        content_type=JSON).status_code == 403
    assert api_as(world.users["dist_head"]).get("/api/v1/playbooks").status_code == 403

    start = datetime.date(2020, 1, 1)
    Coverage.objects.create(distributor=world.own, territory=world.territory, product_line=world.product_line,
                            valid_from=start)
    head = api_as(world.users["dist_head"])
    cells = head.get(f"/api/v1/distributors/{world.own.pk}/sole-channel").json()
    assert [(c["territory_id"], c["product_line_id"]) for c in cells] == [(world.territory.pk, world.product_line.pk)]
    # Another distributor covering the same territory × line: nobody is sole there any more.
    Coverage.objects.create(distributor=world.other, territory=world.territory, product_line=world.product_line,
                            valid_from=start)
    assert head.get(f"/api/v1/distributors/{world.own.pk}/sole-channel").json() == []
    assert head.get(f"/api/v1/distributors/{world.other.pk}/sole-channel").status_code == 404
