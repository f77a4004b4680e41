"""Issue 16, part 2: the program office edits program levels in the product (pages and API, one service)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from keychannel.program.choices import ProgramStatus
from keychannel.program.models import LevelCriterion, ProgramLevel
from keychannel.program.tests.factories import build

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_levels_are_added_and_edited_with_their_criteria(world, api_as, login):
    data = build(world)
    launched = data["launched"]
    office = api_as(world.users["program_manager"])
    response = office.post(f"/api/v1/programs/{launched.pk}/levels", {
        "name": "Certified", "rank": 1, "support_budget_share": "10", "protection_days": 90,
        "criteria": {"won_contracts": "2", "people_certified": "3"}}, content_type=JSON)
    assert response.status_code == 201, response.content
    level_id = response.json()["id"]
    assert {c["metric"] for c in response.json()["criteria"]} == {"won_contracts", "people_certified"}
    response = office.patch(f"/api/v1/program-levels/{level_id}", {
        "protection_days": 120, "criteria": {"won_contracts": "3", "people_certified": None}}, content_type=JSON)
    assert response.status_code == 200
    assert [(c["metric"], Decimal(str(c["threshold"]))) for c in response.json()["criteria"]] == [
        ("won_contracts", Decimal("3"))]
    level = ProgramLevel.objects.get(pk=level_id)
    assert level.protection_days == 120 and level.history.first().history_user == world.users["program_manager"]

    for body in [{"rank": 1, "name": "Twice"}, {"name": "Bad", "rank": 2, "criteria": {"nonsense": "1"}},
                 {"name": "Neg", "rank": 3, "criteria": {"won_contracts": "-1"}},
                 {"name": "Share", "rank": 4, "support_budget_share": "101"}]:
        assert office.post(f"/api/v1/programs/{launched.pk}/levels", body,
                           content_type=JSON).status_code == 422, body
    assert ProgramLevel.objects.filter(program=launched).count() == 1
    assert not LevelCriterion.objects.filter(metric="nonsense").exists()

    # The distributor head reads the level on the program page; it cannot change it.
    head = api_as(world.users["dist_head"])
    assert head.patch(f"/api/v1/program-levels/{level_id}", {"protection_days": 999},
                      content_type=JSON).status_code == 403
    page = login(world.users["dist_head"]).get(reverse("program:program_detail", args=[launched.pk]))
    assert b"Certified" in page.content and b"level-add" not in page.content


def test_the_level_page_and_finished_programs(world, login):
    data = build(world)
    page = login(world.users["admin"])
    response = page.post(reverse("program:level_create", args=[data["draft"].pk]), {
        "name": "Strategic", "rank": "2", "support_budget_share": "25", "protection_days": "180", "benefits": "",
        "criterion_corporate_revenue": "1000000"})
    assert response.status_code == 302
    level = ProgramLevel.objects.get(program=data["draft"], name="Strategic")
    assert level.criteria.get().metric == "corporate_revenue"
    response = page.post(reverse("program:level_update", args=[level.pk]), {
        "name": "Strategic", "rank": "2", "support_budget_share": "30", "protection_days": "180", "benefits": "",
        "criterion_corporate_revenue": ""})
    assert response.status_code == 302 and not level.criteria.exists()
    data["draft"].status = ProgramStatus.WITHDRAWN
    data["draft"].save()
    response = page.post(reverse("program:level_update", args=[level.pk]), {
        "name": "Changed", "rank": "2", "support_budget_share": "30", "protection_days": "180", "benefits": ""})
    assert response.status_code == 422 and ProgramLevel.objects.get(pk=level.pk).name == "Strategic"
