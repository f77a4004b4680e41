"""KAM tasks: only the manufacturer sets them, through every path (UI form, API, admin, bulk); the KAM updates
status and comments; a distributor head reads and nothing more, and every attempt to write is recorded."""

import io
import json

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from keychannel.competence import services
from keychannel.competence.admin import KamTaskAdmin
from keychannel.competence.choices import TaskPriority, TaskStatus
from keychannel.competence.models import EmbeddedAssignment, KamTask, KamTaskComment
from keychannel.competence.tests.factories import KamTaskFactory, kam_at
from keychannel.core.choices import SecurityEventKind
from keychannel.core.models import Notification, SecurityEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(world):
    return KamTaskFactory(distributor=world.own, kam=world.users["embedded_kam"], created_by=world.users["admin"])


def forbidden_events(username, action=None):
    qs = SecurityEvent.objects.filter(kind=SecurityEventKind.FORBIDDEN_WRITE, username=username)
    return qs.filter(action=action) if action else qs


def snapshot(task):
    task.refresh_from_db()
    return (task.kam_id, task.priority, task.status, task.title, task.duty, task.due_on)


def _json(client, method, url, body):
    return client.generic(method, url, json.dumps(body), content_type="application/json")


# ---- distributor head: every path refused, nothing changed, attempt recorded --------------------------------

def test_head_cannot_create_or_change_through_the_api(world, api_as, task):
    head = world.users["dist_head"]
    api = api_as(head)
    before = snapshot(task)
    body = {"distributor_id": world.own.pk, "kam_id": world.users["embedded_kam"].pk, "duty": "sell", "title": "Mine"}
    assert _json(api, "POST", "/api/v1/kam-tasks", body).status_code == 403
    assert _json(api, "PATCH", f"/api/v1/kam-tasks/{task.pk}", {"priority": 4}).status_code == 403
    assert _json(api, "PATCH", f"/api/v1/kam-tasks/{task.pk}",
                 {"kam_id": world.users["embedded_kam"].pk}).status_code == 403
    assert _json(api, "POST", f"/api/v1/kam-tasks/{task.pk}/status", {"status": "done"}).status_code == 403
    assert _json(api, "POST", f"/api/v1/kam-tasks/{task.pk}/cancel", {}).status_code == 403
    assert _json(api, "POST", f"/api/v1/kam-tasks/{task.pk}/comments", {"body": "do this"}).status_code == 403
    assert KamTask.objects.count() == 1 and snapshot(task) == before and not KamTaskComment.objects.exists()
    actions = sorted(forbidden_events(head.username).values_list("action", flat=True))
    assert actions == sorted(["competence.kamtask.create", "competence.kamtask.manage", "competence.kamtask.manage",
                              "competence.kamtask.status", "competence.kamtask.cancel", "competence.kamtask.comment"])
    event = forbidden_events(head.username, "competence.kamtask.create").get()
    assert event.path == "/api/v1/kam-tasks" and event.method == "POST"


def test_head_still_reads_the_tasks_of_the_kams_at_their_distributor(world, api_as, task):
    other_task = KamTaskFactory(distributor=world.other, kam=kam_at(world.other, "kam-b"))
    items = api_as(world.users["dist_head"]).get("/api/v1/kam-tasks").json()["items"]
    assert [t["id"] for t in items] == [task.pk]
    assert api_as(world.users["dist_head"]).get(f"/api/v1/kam-tasks/{other_task.pk}").status_code == 404
    assert api_as(world.users["dist_sales"]).get("/api/v1/kam-tasks").json()["count"] == 0
    # Once the KAM is no longer stationed there, the head no longer reads that KAM's tasks.
    EmbeddedAssignment.objects.filter(kam=world.users["embedded_kam"]).update(ends_on="2021-01-01")
    assert api_as(world.users["dist_head"]).get("/api/v1/kam-tasks").json()["count"] == 0


def test_head_cannot_create_or_change_through_the_ui(world, login, task):
    head = world.users["dist_head"]
    client = login(head)
    before = snapshot(task)
    form = {"distributor": world.own.pk, "kam": world.users["embedded_kam"].pk, "duty": "sell", "title": "Mine",
            "priority": 4}
    assert client.get(reverse("competence:kamtask_create")).status_code == 403
    assert client.post(reverse("competence:kamtask_create"), form).status_code == 403
    assert client.post(reverse("competence:kamtask_update", args=[task.pk]), form).status_code == 403
    assert client.post(reverse("competence:kamtask_status", args=[task.pk]), {"status": "done"}).status_code == 403
    assert client.post(reverse("competence:kamtask_cancel", args=[task.pk]), {"reason": "x"}).status_code == 403
    assert KamTask.objects.count() == 1 and snapshot(task) == before
    assert forbidden_events(head.username).count() == 4
    # The head's task page shows no write controls.
    page = client.get(reverse("competence:kamtask_detail", args=[task.pk]))
    assert page.status_code == 200 and b"status-form" not in page.content and b"cancel-form" not in page.content


def test_head_cannot_use_the_bulk_paths(world, api_as, login):
    head = world.users["dist_head"]
    row = {"distributor_id": world.own.pk, "kam_id": world.users["embedded_kam"].pk, "duty": "sell", "title": "A"}
    assert _json(api_as(head), "POST", "/api/v1/kam-tasks/bulk", {"tasks": [row, row]}).status_code == 403
    csv = f"distributor,kam,duty,title\n{world.own.code},w-embedded_kam,sell,Bulk\n"
    upload = io.BytesIO(csv.encode())
    upload.name = "tasks.csv"
    assert login(head).post(reverse("competence:kamtask_import"), {"file": upload}).status_code == 403
    assert not KamTask.objects.exists()
    assert forbidden_events(head.username, "competence.kamtask.bulk_create").count() == 2


def test_head_cannot_use_the_admin(world, client, task):
    head = world.users["dist_head"]
    head.is_staff = head.is_superuser = True  # even a mis-configured account does not open the door
    head.save()
    client.force_login(head)
    before = snapshot(task)
    add = client.post(reverse("admin:competence_kamtask_add"), {
        "distributor": world.own.pk, "kam": world.users["embedded_kam"].pk, "duty": "sell", "title": "Mine",
        "priority": 2})
    change = client.post(reverse("admin:competence_kamtask_change", args=[task.pk]), {
        "kam": world.users["embedded_kam"].pk, "duty": "sell", "title": "Changed", "priority": 4})
    action = client.post(reverse("admin:competence_kamtask_changelist"),
                         {"action": "cancel_selected", "_selected_action": [task.pk]})
    assert {add.status_code, change.status_code, action.status_code} == {302}
    assert "/admin/login/" in add["Location"]
    assert KamTask.objects.count() == 1 and snapshot(task) == before
    assert forbidden_events(head.username, "competence.kamtask.admin").count() == 3


def test_admin_model_admin_goes_through_the_policy(world, task):
    """Even called directly, the ModelAdmin refuses a distributor user and records the attempt."""
    model_admin = KamTaskAdmin(KamTask, admin_site)
    request = RequestFactory().post("/admin/competence/kamtask/add/")
    head = world.users["dist_head"]
    head.is_staff = head.is_superuser = True
    request.user = head
    from keychannel.core.scoping import Principal

    request.principal = Principal.for_user(head)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, task)
    assert not model_admin.has_delete_permission(request, task)
    form = type("F", (), {"changed_data": ["priority"], "cleaned_data": {"priority": 4}})()
    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, task, form, change=True)
    assert snapshot(task)[1] == TaskPriority.NORMAL
    assert forbidden_events(head.username, "competence.kamtask.manage").count() == 1


# ---- manufacturer roles may ---------------------------------------------------------------------------------

def test_admin_creates_reassigns_reprioritises_and_cancels_through_the_api(world, api_as):
    api = api_as(world.users["admin"])
    second = kam_at(world.own, "kam-2")
    body = {"distributor_id": world.own.pk, "kam_id": world.users["embedded_kam"].pk, "duty": "contracts",
            "title": "Close the framework contract", "priority": 3, "due_on": "2026-12-20"}
    created = _json(api, "POST", "/api/v1/kam-tasks", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["duty"] == "contracts" and data["status"] == "open" and data["created_by"]["username"] == "w-admin"
    assert Notification.objects.filter(recipient=world.users["embedded_kam"]).count() == 1
    url = f"/api/v1/kam-tasks/{data['id']}"
    moved = _json(api, "PATCH", url, {"kam_id": second.pk, "priority": 4})
    assert moved.status_code == 200 and moved.json()["kam"]["id"] == second.pk and moved.json()["priority"] == 4
    assert Notification.objects.filter(recipient=second).count() == 1
    cancelled = _json(api, "POST", f"{url}/cancel", {"reason": "Client postponed"})
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_reason"] == "Client postponed"
    assert _json(api, "PATCH", url, {"priority": 1}).status_code == 409
    assert not forbidden_events("w-admin").exists()


def test_bad_input_changes_nothing(world, api_as, task):
    api = api_as(world.users["admin"])
    not_stationed = kam_at(world.other, "kam-b")
    bad = [
        {"distributor_id": world.own.pk, "kam_id": not_stationed.pk, "duty": "sell", "title": "x"},
        {"distributor_id": world.own.pk, "kam_id": world.users["mentor"].pk, "duty": "sell", "title": "x"},
        {"distributor_id": world.own.pk, "kam_id": world.users["embedded_kam"].pk, "duty": "bogus", "title": "x"},
        {"distributor_id": world.own.pk, "kam_id": world.users["embedded_kam"].pk, "duty": "sell", "title": ""},
        {"distributor_id": world.own.pk, "kam_id": world.users["embedded_kam"].pk, "duty": "sell", "title": "x",
         "priority": 9},
        {"distributor_id": 999999, "kam_id": world.users["embedded_kam"].pk, "duty": "sell", "title": "x"},
    ]
    for body in bad:
        assert _json(api, "POST", "/api/v1/kam-tasks", body).status_code == 422, body
    before = snapshot(task)
    assert _json(api, "PATCH", f"/api/v1/kam-tasks/{task.pk}", {"kam_id": not_stationed.pk}).status_code == 422
    assert _json(api, "PATCH", f"/api/v1/kam-tasks/{task.pk}", {"title": None}).status_code == 422
    assert _json(api, "POST", f"/api/v1/kam-tasks/{task.pk}/status", {"status": "cancelled"}).status_code == 422
    assert KamTask.objects.count() == 1 and snapshot(task) == before


def test_bulk_is_all_or_nothing(world, api_as):
    admin = api_as(world.users["admin"])
    good = {"distributor_id": world.own.pk, "kam_id": world.users["embedded_kam"].pk, "duty": "sell", "title": "A"}
    bad = {**good, "title": "B", "kam_id": world.users["mentor"].pk}
    response = _json(admin, "POST", "/api/v1/kam-tasks/bulk", {"tasks": [good, bad, good]})
    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["detail"]] == ["rows.1.kam_id"]
    assert not KamTask.objects.exists() and not Notification.objects.exists()
    ok = _json(admin, "POST", "/api/v1/kam-tasks/bulk", {"tasks": [good, {**good, "title": "B", "duty": "access"}]})
    assert ok.status_code == 201 and [t["title"] for t in ok.json()] == ["A", "B"]
    # A channel manager with one row outside the distributors they manage: refused whole, recorded.
    cm = api_as(world.users["channel_manager"])
    other_kam = kam_at(world.other, "kam-b")
    rows = [good, {**good, "distributor_id": world.other.pk, "kam_id": other_kam.pk}]
    assert _json(cm, "POST", "/api/v1/kam-tasks/bulk", {"tasks": rows}).status_code == 403
    assert KamTask.objects.count() == 2
    assert forbidden_events("w-channel_manager", "competence.kamtask.bulk_create").count() == 1


def test_csv_import_reports_every_bad_row_and_applies_whole(world, login):
    client = login(world.users["program_manager"])

    def upload(text):
        f = io.BytesIO(text.encode())
        f.name = "tasks.csv"
        return client.post(reverse("competence:kamtask_import"), {"file": f})

    bad = ("distributor,kam,duty,title,priority,due\n"
           f"{world.own.code},w-embedded_kam,sell,Good row,2,2026-12-01\n"
           f"zz,w-embedded_kam,sell,Unknown distributor,2,\n"
           f"{world.own.code},w-embedded_kam,nonsense,Bad duty,7,tomorrow\n")
    response = upload(bad)
    assert response.status_code == 200
    content = response.content.decode()
    assert "line 3: distributor" in content and "line 4: duty" in content and "line 4: priority" in content
    assert "line 4: due" in content and not KamTask.objects.exists()
    good = ("distributor,kam,duty,title,priority,due,description\n"
            f"{world.own.code},w-embedded_kam,sell,Visit the plant,3,2026-12-01,First visit\n"
            f"{world.own.code},w-embedded_kam,consult,Train the sales team,1,,\n")
    assert upload(good).status_code == 302
    assert sorted(KamTask.objects.values_list("title", "priority")) == [("Train the sales team", 1),
                                                                        ("Visit the plant", 3)]


def test_channel_manager_sets_tasks_only_where_they_manage(world, login):
    client = login(world.users["channel_manager"])
    other_kam = kam_at(world.other, "kam-b")
    form = {"distributor": world.own.pk, "kam": world.users["embedded_kam"].pk, "duty": "access",
            "title": "Map the buying centre", "priority": 3}
    response = client.post(reverse("competence:kamtask_create"), form)
    task = KamTask.objects.get()
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    # Another distributor is not in the form's choices: the form refuses it, nothing is created.
    response = client.post(reverse("competence:kamtask_create"),
                           {**form, "distributor": world.other.pk, "kam": other_kam.pk})
    assert response.status_code == 200 and b"invalid-feedback" in response.content
    assert KamTask.objects.count() == 1
    # Re-assign and re-prioritise through the edit form.
    second = kam_at(world.own, "kam-2")
    response = client.post(reverse("competence:kamtask_update", args=[task.pk]), {
        "kam": second.pk, "duty": "access", "title": "Map the buying centre", "priority": 4})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.kam == second and task.priority == TaskPriority.URGENT
    # A KAM who is not stationed there is refused with a field error.
    response = client.post(reverse("competence:kamtask_update", args=[task.pk]), {
        "kam": other_kam.pk, "duty": "access", "title": "Map the buying centre", "priority": 4})
    assert response.status_code == 200 and b"not stationed" in response.content
    task.refresh_from_db()
    assert task.kam == second


def test_admin_adds_and_reprioritises_in_the_django_admin(world, client):
    client.force_login(world.users["admin"])
    response = client.post(reverse("admin:competence_kamtask_add"), {
        "distributor": world.own.pk, "kam": world.users["embedded_kam"].pk, "duty": "sell", "title": "From admin",
        "description": "", "priority": 3, "due_on": "", "client": "", "comments-TOTAL_FORMS": 0,
        "comments-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    task = KamTask.objects.get()
    assert task.created_by == world.users["admin"] and task.priority == 3
    assert Notification.objects.filter(recipient=world.users["embedded_kam"]).exists()
    bad = client.post(reverse("admin:competence_kamtask_add"), {
        "distributor": world.own.pk, "kam": world.users["mentor"].pk, "duty": "sell", "title": "Bad",
        "priority": 2, "comments-TOTAL_FORMS": 0, "comments-INITIAL_FORMS": 0})
    assert bad.status_code == 200 and KamTask.objects.count() == 1
    client.post(reverse("admin:competence_kamtask_changelist"),
                {"action": "raise_priority", "_selected_action": [task.pk]})
    task.refresh_from_db()
    assert task.priority == TaskPriority.URGENT
    client.post(reverse("admin:competence_kamtask_changelist"),
                {"action": "cancel_selected", "_selected_action": [task.pk]})
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED
    assert task.history.count() >= 3


# ---- the KAM ------------------------------------------------------------------------------------------------

def test_kam_updates_status_and_comments_but_cannot_reassign(world, api_as, login, task):
    kam = world.users["embedded_kam"]
    api = api_as(kam)
    moved = _json(api, "POST", f"/api/v1/kam-tasks/{task.pk}/status", {"status": "in_progress", "comment": "Met"})
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    assert _json(api, "POST", f"/api/v1/kam-tasks/{task.pk}/comments", {"body": "Sent offer"}).status_code == 201
    assert list(task.comments.values_list("body", flat=True)) == ["Met", "Sent offer"]
    before = snapshot(task)
    assert _json(api, "PATCH", f"/api/v1/kam-tasks/{task.pk}", {"priority": 4}).status_code == 403
    assert _json(api, "POST", f"/api/v1/kam-tasks/{task.pk}/cancel", {}).status_code == 403
    assert snapshot(task) == before
    assert forbidden_events(kam.username).count() == 2
    page = login(kam)
    assert page.post(reverse("competence:kamtask_status", args=[task.pk]), {"status": "done"}).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.closed_at is not None
    assert page.get(reverse("competence:kamtask_update", args=[task.pk])).status_code == 403


def test_forbidden_write_is_recorded_after_the_rollback(world, task):
    """The service records the attempt outside its own transaction: the trace stays, the write does not."""
    principal = world.principal("embedded_kam")
    with pytest.raises(PermissionDenied):
        services.kam_task_update(principal=principal, task=task, priority=TaskPriority.URGENT)
    assert snapshot(task)[1] == TaskPriority.NORMAL
    event = forbidden_events("w-embedded_kam").get()
    assert event.action == "competence.kamtask.manage" and f"KamTask#{task.pk}" in event.detail


def test_task_lists_keep_their_query_count(world, api_as, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(fn):
        with CaptureQueriesContext(connection) as ctx:
            assert fn().status_code == 200
        return len(ctx.captured_queries)

    api = api_as(world.users["admin"])
    page = login(world.users["admin"])
    api.get("/api/v1/me")
    KamTaskFactory(distributor=world.own, kam=world.users["embedded_kam"])
    calls = [lambda: api.get("/api/v1/kam-tasks"), lambda: page.get(reverse("competence:kamtask_list"))]
    small = [count(c) for c in calls]
    for i in range(25):
        kam = kam_at(world.other, f"kam-x{i}") if i % 5 == 0 else world.users["embedded_kam"]
        KamTaskFactory(distributor=world.other if i % 5 == 0 else world.own, kam=kam, created_by=world.users["admin"])
    assert [count(c) for c in calls] == small
