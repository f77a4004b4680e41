"""Issue 16, API parity: what the program pages do, the API does, through the same services and rules."""

import pytest

from keychannel.core.models import Notification
from keychannel.program.choices import ProgramStatus
from keychannel.program.models import Award, BestPractice, LedgerEntry, Milestone, Program
from keychannel.program.tests.factories import build

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_a_program_is_closed_and_milestones_kept_through_the_api(world, api_as):
    data = build(world)
    office = api_as(world.users["program_manager"])
    goal = data["goals"]["own"]
    made = office.post(f"/api/v1/goals/{goal.pk}/milestones",
                       {"title": "Pilot", "expected_result": "A signed test", "due_on": "2026-12-20"}, content_type=JSON)
    assert made.status_code == 201
    achieved = office.post(f"/api/v1/milestones/{made.json()['id']}/achieve", {"achieved_on": "2026-11-30"},
                           content_type=JSON)
    assert achieved.json()["achieved_on"] == "2026-11-30"
    assert Milestone.objects.get(pk=made.json()["id"]).history.count() == 2
    head = api_as(world.users["dist_head"])
    assert [m["title"] for m in head.get(f"/api/v1/goals/{goal.pk}/milestones").json()].count("Pilot") == 1
    assert head.post(f"/api/v1/goals/{goal.pk}/milestones", {"title": "Mine", "expected_result": "x",
                                                              "due_on": "2026-12-20"}, content_type=JSON).status_code == 403
    # Closing: only a launched program, as on the page.
    assert office.post(f"/api/v1/programs/{data['draft'].pk}/close").status_code == 422
    assert office.post(f"/api/v1/programs/{data['launched'].pk}/close").json()["status"] == ProgramStatus.CLOSED
    assert Program.objects.get(pk=data["launched"].pk).status == ProgramStatus.CLOSED


def test_ledger_entries_and_awards_are_made_through_the_api_and_the_head_is_told(world, api_as):
    data = build(world)
    office = api_as(world.users["program_manager"])
    url = f"/api/v1/distributors/{world.own.pk}/ledger"
    before = Notification.objects.filter(recipient=world.users["dist_head"]).count()
    entry = office.post(url, {"rule_id": data["penalty_rule"].pk, "evidence": "Report 3 weeks late", "amount": "250"},
                        content_type=JSON)
    assert entry.status_code == 201 and entry.json()["kind"] == "penalty"
    assert Notification.objects.filter(recipient=world.users["dist_head"]).count() == before + 1
    # The same rules as the page: a draft rule is refused, evidence is required, nothing is written.
    count = LedgerEntry.objects.count()
    assert office.post(url, {"rule_id": data["draft_rule"].pk, "evidence": "x"}, content_type=JSON).status_code == 422
    assert office.post(url, {"rule_id": data["penalty_rule"].pk, "evidence": "  "}, content_type=JSON).status_code == 422
    assert LedgerEntry.objects.count() == count
    head = api_as(world.users["dist_head"])
    assert head.post(url, {"rule_id": data["penalty_rule"].pk, "evidence": "x"}, content_type=JSON).status_code == 403
    # ... and the head appeals it through the API that existed.
    assert head.post(f"/api/v1/ledger/{entry.json()['id']}/appeal", {"text": "It was on time"},
                     content_type=JSON).json()["appeal_status"] == "appealed"
    award = office.post(f"/api/v1/distributors/{world.own.pk}/awards", {"title": "First contract", "reason": "March"},
                        content_type=JSON)
    assert award.status_code == 201
    assert Award.objects.get(pk=award.json()["id"]).title == "First contract"


def test_new_awards_through_the_api_keep_to_the_current_program(world, api_as):
    from keychannel.core.scoping import Principal
    from keychannel.program.selectors import current_program

    build(world)
    admin = world.users["admin"]
    award = api_as(admin).post(f"/api/v1/distributors/{world.own.pk}/awards",
                               {"title": "Best newcomer", "reason": "Three wins"}, content_type=JSON)
    current = current_program(principal=Principal.for_user(admin))
    assert award.json()["program_id"] == (current.pk if current else None)


def test_best_practices_events_and_support_through_the_api(world, api_as):
    data = build(world)
    head = api_as(world.users["dist_head"])
    story = head.post("/api/v1/best-practices", {"distributor_id": world.own.pk, "title": "The tender", "story": "How"},
                      content_type=JSON)
    assert story.status_code == 201 and story.json()["status"] == "draft"
    assert head.post("/api/v1/best-practices", {"distributor_id": world.other.pk, "title": "Theirs", "story": "x"},
                     content_type=JSON).status_code == 404
    assert head.post(f"/api/v1/best-practices/{story.json()['id']}/share").status_code == 403
    office = api_as(world.users["program_manager"])
    assert office.post(f"/api/v1/best-practices/{story.json()['id']}/share").json()["status"] == "shared"
    assert BestPractice.objects.get(pk=story.json()["id"]).history.count() == 2

    event = data["events"]["own"]
    assert office.patch(f"/api/v1/events/{event.pk}", {"location": "Cluj"}, content_type=JSON).json()["location"] == "Cluj"
    assert office.patch(f"/api/v1/events/{event.pk}", {"ends_at": "2000-01-01T10:00:00Z"},
                        content_type=JSON).status_code == 422
    came = office.post(f"/api/v1/events/{event.pk}/attendance", {"attended_user_ids": [world.users["dist_head"].pk]},
                       content_type=JSON).json()
    assert {(i["user_id"], i["attended"]) for i in came} == {(world.users["dist_head"].pk, True),
                                                              (world.users["dist_sales"].pk, False)}
    rotated = head.post("/api/v1/calendar-feed/rotate").json()["url"]
    assert data["feed"].token not in rotated and rotated.endswith(".ics")

    assert office.post(f"/api/v1/support-requests/{data['claimed']['own'].pk}/pay").json()["status"] == "paid"
    assert office.post(f"/api/v1/support-requests/{data['requested']['own'].pk}/pay").status_code == 409
    assert office.post(f"/api/v1/support-requests/{data['methodological']['own'].pk}/done", {"note": "Delivered"},
                       content_type=JSON).json()["status"] == "done"
    enrollment = data["enrollments"]["own"]
    done = office.post(f"/api/v1/enrollments/{enrollment.pk}/complete").json()
    assert done["completed_at"] and done["certificate_number"].startswith("KC-")
    assert office.post(f"/api/v1/enrollments/{enrollment.pk}/complete").status_code == 409
