"""Issue 16, part 3: account plans fully maintained — objectives, actions and competitors edited in place (status,
owner, due date, result), with a write API, history, and the assignment rule on owners."""

import pytest
from django.urls import reverse

from keychannel.clients.models import (
    AccountAction,
    AccountCompetitor,
    AccountObjective,
    AccountPlan,
    CorporateClient,
)
from keychannel.core.models import SecurityEvent

pytestmark = pytest.mark.django_db
JSON = "application/json"
PLAN = "/api/v1/clients/{}/account-plan"


@pytest.fixture
def key_client(world):
    return CorporateClient.objects.create(legal_name="Cimentul Nord SA", tax_id="RO4242", distributor=world.own,
                                          territory=world.territory, is_key_account=True)


def test_the_plan_is_kept_through_the_api(world, api_as, key_client):
    head = api_as(world.users["dist_head"])
    sales = world.users["dist_sales"]
    response = head.patch(PLAN.format(key_client.pk), {"ambition": "Sole supplier by 2028", "owner_id": sales.pk},
                          content_type=JSON)
    assert response.status_code == 200 and response.json()["owner_id"] == sales.pk
    objective = head.post(PLAN.format(key_client.pk) + "/objectives", {
        "title": "Frame contract", "owner_id": sales.pk, "due_on": "2027-03-31"}, content_type=JSON)
    assert objective.status_code == 201
    objective_id = objective.json()["id"]
    action = head.post(PLAN.format(key_client.pk) + "/actions", {
        "title": "Plant visit", "objective_id": objective_id, "owner_id": sales.pk}, content_type=JSON)
    assert action.status_code == 201 and action.json()["objective_id"] == objective_id
    competitor = head.post(PLAN.format(key_client.pk) + "/competitors", {"name": "Rival SA"}, content_type=JSON)
    assert competitor.status_code == 201
    assert head.post(PLAN.format(key_client.pk) + "/competitors", {"name": "rival sa"},
                     content_type=JSON).status_code == 422

    response = head.patch(f"/api/v1/account-plan/objectives/{objective_id}",
                          {"status": "achieved", "result": "Signed for three years"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["result"] == "Signed for three years"
    response = head.patch(f"/api/v1/account-plan/actions/{action.json()['id']}",
                          {"status": "done", "due_on": "2027-01-15"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert head.patch(f"/api/v1/account-plan/competitors/{competitor.json()['id']}",
                      {"note": "Cheaper, slower delivery"}, content_type=JSON).status_code == 200
    objective = AccountObjective.objects.get(pk=objective_id)
    assert objective.history.count() == 2 and objective.history.first().status == "achieved"
    assert objective.history.first().history_user == world.users["dist_head"]
    plan = head.get(PLAN.format(key_client.pk)).json()
    assert plan["objectives"][0]["status"] == "achieved" and plan["actions"][0]["status"] == "done"

    # Bad input changes nothing.
    other_plan = AccountPlan.objects.create(client=CorporateClient.objects.create(
        legal_name="Alt SA", tax_id="RO4343", distributor=world.own, is_key_account=True))
    foreign = AccountObjective.objects.create(plan=other_plan, title="Elsewhere")
    for path, body in [(f"/api/v1/account-plan/actions/{action.json()['id']}", {"objective_id": foreign.pk}),
                       (f"/api/v1/account-plan/objectives/{objective_id}", {"status": "finished"}),
                       (f"/api/v1/account-plan/objectives/{objective_id}", {"title": None}),
                       (f"/api/v1/account-plan/objectives/{objective_id}", {"owner_id": 999999})]:
        assert head.patch(path, body, content_type=JSON).status_code == 422, body
    assert AccountAction.objects.get(pk=action.json()["id"]).objective_id == objective_id

    # The salesperson reads the plan; another distributor does not see it at all.
    assert api_as(sales).patch(f"/api/v1/account-plan/objectives/{objective_id}", {"status": "at_risk"},
                               content_type=JSON).status_code == 403
    assert api_as(world.other_users["dist_head"]).patch(f"/api/v1/account-plan/objectives/{objective_id}",
                                                        {"status": "at_risk"}, content_type=JSON).status_code == 404
    assert head.delete(f"/api/v1/account-plan/competitors/{competitor.json()['id']}").status_code == 204
    assert not AccountCompetitor.objects.filter(pk=competitor.json()["id"]).exists()


def test_owners_through_the_api_follow_the_assignment_rule(world, api_as, key_client):
    """PATCH /api/v1/account-plan/objectives/{item_id}, PATCH /api/v1/account-plan/actions/{item_id},
    POST /api/v1/clients/{client_id}/account-plan/actions, POST /api/v1/clients/{client_id}/account-plan/objectives,
    PATCH /api/v1/clients/{client_id}/account-plan: a head may not make the manufacturer's KAM an owner; keeping the
    owner the manufacturer set is fine."""
    head = api_as(world.users["dist_head"])
    kam = world.users["embedded_kam"]
    before = SecurityEvent.objects.filter(action__startswith="assign:clients.account").count()
    for path in ("/actions", "/objectives"):
        assert head.post(PLAN.format(key_client.pk) + path, {"title": "Visit", "owner_id": kam.pk},
                         content_type=JSON).status_code == 403
    assert head.patch(PLAN.format(key_client.pk), {"owner_id": kam.pk}, content_type=JSON).status_code == 403
    before += 3
    plan = AccountPlan.objects.get(client=key_client) if AccountPlan.objects.filter(client=key_client).exists() \
        else AccountPlan.objects.create(client=key_client)
    action = AccountAction.objects.create(plan=plan, title="Call", owner=world.users["dist_sales"])
    assert head.patch(f"/api/v1/account-plan/actions/{action.pk}", {"owner_id": kam.pk},
                      content_type=JSON).status_code == 403
    before += 1
    objective = AccountObjective.objects.create(plan=plan, title="Pilot", owner=kam)
    assert head.patch(f"/api/v1/account-plan/objectives/{objective.pk}", {"status": "on_track"},
                      content_type=JSON).status_code == 200
    assert head.patch(f"/api/v1/account-plan/objectives/{objective.pk}", {"owner_id": kam.pk, "result": "x"},
                      content_type=JSON).status_code == 200  # the same owner: no assignment
    mine = AccountObjective.objects.create(plan=plan, title="Mine", owner=world.users["dist_sales"])
    assert head.patch(f"/api/v1/account-plan/objectives/{mine.pk}", {"owner_id": kam.pk},
                      content_type=JSON).status_code == 403
    assert AccountObjective.objects.get(pk=mine.pk).owner == world.users["dist_sales"]
    assert SecurityEvent.objects.filter(action__startswith="assign:clients.account").count() == before + 1
    assert api_as(world.users["admin"]).patch(f"/api/v1/account-plan/objectives/{mine.pk}", {"owner_id": kam.pk},
                                              content_type=JSON).status_code == 200


def test_items_are_edited_in_place_on_the_plan_page(world, login, key_client):
    """clients:account_plan_item_edit: the same service; a refused owner answers 422 with the reason."""
    plan = AccountPlan.objects.create(client=key_client)
    action = AccountAction.objects.create(plan=plan, title="Plant visit", owner=world.users["dist_sales"])
    page = login(world.users["dist_head"])
    listing = page.get(reverse("clients:account_plan", args=[key_client.pk])).content.decode()
    assert f'data-edit="action-{action.pk}"' in listing
    url = reverse("clients:account_plan_item_edit", args=[key_client.pk, "action", action.pk])
    assert page.get(url).status_code == 200
    response = page.post(url, {"title": "Plant visit", "owner": world.users["dist_sales"].pk, "status": "done",
                               "due_on": "2027-02-01", "result": "Met the plant manager"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, str(action.due_on), action.result) == ("done", "2027-02-01", "Met the plant manager")
    response = page.post(url, {"title": "Plant visit", "owner": world.users["embedded_kam"].pk, "status": "done"})
    assert response.status_code == 422 and AccountAction.objects.get(pk=action.pk).owner == world.users["dist_sales"]
    assert "Met the plant manager" in page.get(reverse("clients:account_plan", args=[key_client.pk])).content.decode()
    assert login(world.users["dist_sales"]).get(url).status_code == 403


def test_plan_items_delete_through_the_api(world, api_as, key_client):
    """DELETE /api/v1/account-plan/objectives/{item_id}, DELETE /api/v1/account-plan/actions/{item_id},
    DELETE /api/v1/account-plan/competitors/{item_id}: nothing else points at them (an action's objective is
    cleared), so they go; the salesperson may not."""
    plan = AccountPlan.objects.create(client=key_client)
    objective = AccountObjective.objects.create(plan=plan, title="Pilot")
    action = AccountAction.objects.create(plan=plan, title="Call", objective=objective)
    competitor = AccountCompetitor.objects.create(plan=plan, name="Rival")
    assert api_as(world.users["dist_sales"]).delete(f"/api/v1/account-plan/actions/{action.pk}").status_code == 403
    head = api_as(world.users["dist_head"])
    assert head.delete(f"/api/v1/account-plan/objectives/{objective.pk}").status_code == 204
    assert AccountAction.objects.get(pk=action.pk).objective_id is None
    assert head.delete(f"/api/v1/account-plan/actions/{action.pk}").status_code == 204
    assert head.delete(f"/api/v1/account-plan/competitors/{competitor.pk}").status_code == 204
    assert not AccountCompetitor.objects.filter(plan=plan).exists() and not AccountAction.objects.filter(plan=plan)
