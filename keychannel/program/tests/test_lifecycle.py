"""A program's lifecycle (issue 15, part 6): revise after an objection, withdraw, several programs across years.

Both scenarios of the issue are replayed: "after one executive objects, the program can be neither revised nor
withdrawn" and "launching a 2027 program blanked every distributor's 2026 program page".
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.core.models import Notification
from keychannel.core.scoping import Principal
from keychannel.core.tests.factories import make_user
from keychannel.program import lifecycle, services
from keychannel.program.choices import ProgramStatus
from keychannel.program.models import Program, Signoff
from keychannel.program.tests.factories import goal_tree, program

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _objected(world):
    """A program awaiting sign-off: one executive approved, a second one objected with a comment."""
    prog = program(world, name="Next year", status=ProgramStatus.DRAFT, year=timezone.localdate().year + 1)
    second = make_user("executive", world.manufacturer, username="w-executive-2")
    services.program_submit(principal=world.principal("program_manager"), program=prog)
    services.signoff_record(principal=world.principal("executive"), program=prog, decision="approve")
    services.signoff_record(principal=Principal.for_user(second), program=prog, decision="object",
                            comment="The budget is 20 % too high.")
    return prog, second


# --- revise -----------------------------------------------------------------------------------------------------


def test_objected_program_is_revised_through_the_api_and_sign_off_restarts_with_the_comment_kept(world, api_as):
    prog, second = _objected(world)
    pm = api_as(world.user("program_manager"))
    url = f"/api/v1/programs/{prog.pk}/revise"
    # Refusals change nothing: a reason is needed; an executive signs, he does not revise.
    blank = pm.post(url, {"reason": "  "}, content_type=JSON)
    assert blank.status_code == 422 and "reason" in blank.content.decode()
    assert api_as(world.user("executive")).post(url, {"reason": "x"}, content_type=JSON).status_code == 403
    assert api_as(world.user("dist_head")).post(url, {"reason": "x"}, content_type=JSON).status_code == 404
    prog.refresh_from_db()
    assert (prog.status, prog.version) == (ProgramStatus.AWAITING_SIGNOFF, 1)

    ok = pm.post(url, {"reason": "Support budget cut by 20 %."}, content_type=JSON)
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert (body["status"], body["version"], body["revision_note"]) == ("draft", 2, "Support budget cut by 20 %.")
    assert Notification.objects.filter(recipient=second, title__contains="version 2").exists()
    # The draft is changed and submitted again: the new round starts empty, the objection stays with version 1.
    assert pm.patch(f"/api/v1/programs/{prog.pk}", {"strategy": "Leaner."}, content_type=JSON).status_code == 200
    assert pm.post(f"/api/v1/programs/{prog.pk}/submit").status_code == 200
    prog.refresh_from_db()
    board = services_board(world, prog)
    assert not any(row["signoff"] for row in board["rows"]) and board["objections"] == 0
    signoffs = pm.get(f"/api/v1/programs/{prog.pk}/signoffs").json()
    assert [(s["version"], s["decision"], s["comment"]) for s in signoffs] == [
        (1, "approve", ""), (1, "object", "The budget is 20 % too high.")]
    # The same executive decides again on version 2; both decisions are kept.
    services.signoff_record(principal=Principal.for_user(second), program=prog, decision="approve", comment="Now yes.")
    assert Signoff.objects.filter(program=prog, executive=second).count() == 2
    services.signoff_record(principal=world.principal("executive"), program=prog, decision="approve")
    services.program_launch(principal=world.principal("program_manager"), program=prog)
    prog.refresh_from_db()
    assert prog.status == ProgramStatus.LAUNCHED and prog.override_by is None
    # Distributor users never read sign-offs, not even of a launched program, nor the revision that answered them.
    head = api_as(world.user("dist_head"))
    assert head.get(f"/api/v1/programs/{prog.pk}/signoffs").json() == []
    assert head.get(f"/api/v1/programs/{prog.pk}").json()["revision_note"] == ""
    assert pm.get(f"/api/v1/programs/{prog.pk}").json()["revision_note"] == "Support budget cut by 20 %."


def services_board(world, prog):
    from keychannel.program.selectors import signoff_board

    return signoff_board(principal=world.principal("program_manager"), program=prog)


def test_revise_and_withdraw_from_the_program_page(world, login):
    prog, _second = _objected(world)
    # An executive signs off; revising and withdrawing are the program office's.
    executive = login(world.user("executive"))
    assert 'id="revise"' not in executive.get(prog.get_absolute_url()).content.decode()
    assert executive.post(reverse("program:program_withdraw", args=[prog.pk]), {"reason": "x"}).status_code == 403
    page = login(world.user("program_manager"))
    detail = page.get(prog.get_absolute_url()).content.decode()
    assert 'id="revise"' in detail and 'id="withdraw"' in detail
    # A blank reason is a message on the page; nothing changes.
    refused = page.post(reverse("program:program_revise", args=[prog.pk]), {"reason": ""}, follow=True)
    assert "Say what the new version changes" in refused.content.decode()
    prog.refresh_from_db()
    assert prog.version == 1
    page.post(reverse("program:program_revise", args=[prog.pk]), {"reason": "Budget cut."})
    prog.refresh_from_db()
    assert (prog.status, prog.version) == (ProgramStatus.DRAFT, 2)
    detail = page.get(prog.get_absolute_url()).content.decode()
    # The earlier comment is shown with the version it judged.
    earlier = detail.split('id="earlier-signoffs"')[1]
    assert "The budget is 20 % too high." in earlier and "version 1" in earlier
    assert "Budget cut." in detail.split('id="revision-note"')[1]
    page.post(reverse("program:program_withdraw", args=[prog.pk]), {"reason": "Merged into the current program."})
    prog.refresh_from_db()
    assert prog.status == ProgramStatus.WITHDRAWN and prog.withdrawn_reason == "Merged into the current program."
    assert "Merged into the current program." in page.get(prog.get_absolute_url()).content.decode()


# --- withdraw ---------------------------------------------------------------------------------------------------


def test_objected_program_is_withdrawn_with_a_reason_through_the_api(world, api_as):
    prog, second = _objected(world)
    pm = api_as(world.user("program_manager"))
    url = f"/api/v1/programs/{prog.pk}/withdraw"
    assert pm.post(url, {}, content_type=JSON).status_code == 422
    assert api_as(world.user("executive")).post(url, {"reason": "x"}, content_type=JSON).status_code == 403
    ok = api_as(world.user("admin")).post(url, {"reason": "Postponed a year."}, content_type=JSON)
    assert ok.status_code == 200 and ok.json()["status"] == "withdrawn"
    assert ok.json()["withdrawn_reason"] == "Postponed a year."
    assert Notification.objects.filter(recipient=second, title__contains="withdrawn").exists()
    # Withdrawn is final: no sign-off, no launch, no edit, no second withdrawal; the reason is kept in history.
    assert pm.post(url, {"reason": "again"}, content_type=JSON).status_code == 422
    assert pm.post(f"/api/v1/programs/{prog.pk}/launch", {}, content_type=JSON).status_code == 422
    assert pm.patch(f"/api/v1/programs/{prog.pk}", {"strategy": "x"}, content_type=JSON).status_code == 422
    with pytest.raises(ValidationError):
        services.signoff_record(principal=world.principal("executive"), program=prog, decision="approve")
    assert prog.history.filter(status=ProgramStatus.WITHDRAWN, withdrawn_reason="Postponed a year.").exists()
    # Distributor users never see it.
    assert api_as(world.user("dist_head")).get(f"/api/v1/programs/{prog.pk}").status_code == 404


def test_a_launched_program_is_neither_revised_nor_withdrawn(world, api_as):
    prog = program(world, name="Running")
    pm = api_as(world.user("program_manager"))
    for action in ("revise", "withdraw"):
        response = pm.post(f"/api/v1/programs/{prog.pk}/{action}", {"reason": "x"}, content_type=JSON)
        assert response.status_code == 422
    prog.refresh_from_db()
    assert (prog.status, prog.version, prog.withdrawn_reason) == (ProgramStatus.LAUNCHED, 1, "")


# --- programs across years --------------------------------------------------------------------------------------


def _years(world):
    year = timezone.localdate().year
    closed = program(world, name="Last year", status=ProgramStatus.CLOSED, year=year - 1)
    current = program(world, name="This year", year=year)
    upcoming = program(world, name="Next year", status=ProgramStatus.AWAITING_SIGNOFF, year=year + 1)
    goals = {"closed": goal_tree(closed, world), "current": goal_tree(current, world)}
    return closed, current, upcoming, goals


def test_launching_next_years_program_keeps_this_years_distributor_page(world, login, api_as):
    closed, current, upcoming, goals = _years(world)
    services.signoff_record(principal=world.principal("executive"), program=upcoming, decision="approve")
    launched = api_as(world.user("program_manager")).post(f"/api/v1/programs/{upcoming.pk}/launch", {}, content_type=JSON)
    assert launched.status_code == 200 and launched.json()["status"] == "launched"

    head = login(world.user("dist_head"))
    url = reverse("program:distributor_overview", args=[world.own.pk])
    page = head.get(url).content.decode()
    # Still this year's program, with its goals; the switcher lists all three published years.
    assert "This year" in page.split('id="program-years"')[0]
    assert goals["current"]["own"].get_absolute_url() in page.split('id="distributor-goals"')[1]
    switcher = page.split('id="program-years"')[1].split("</ul>")[0]
    assert all(f"?program={p.pk}" in switcher for p in (closed, current, upcoming))
    # Next year's program and last year's closed one are one click away, each with its own goals and statement.
    assert "No goals for this distributor." in head.get(f"{url}?program={upcoming.pk}").content.decode()
    last = head.get(f"{url}?program={closed.pk}").content.decode()
    assert goals["closed"]["own"].get_absolute_url() in last and 'id="statement"' in last
    csv = head.get(reverse("program:statement_csv", args=[world.own.pk]) + f"?program={closed.pk}")
    assert csv.status_code == 200
    # The current program is what new support requests and events attach to.
    assert lifecycle.current_program(principal=world.principal("dist_head")) == current



def test_new_awards_events_and_the_level_api_keep_to_the_current_program_after_next_years_launch(world, login, api_as):
    """``program:award_create``, ``program:event_create`` and ``GET /api/v1/distributors/{id}/program-level`` take
    the current program by its period: this year's, after next year's is launched."""
    _closed, current, upcoming, _goals = _years(world)
    services.signoff_record(principal=world.principal("executive"), program=upcoming, decision="approve")
    manager = api_as(world.user("program_manager"))
    assert manager.post(f"/api/v1/programs/{upcoming.pk}/launch", {}, content_type=JSON).status_code == 200

    page = login(world.user("program_manager"))
    today = timezone.localdate().isoformat()
    response = page.post(reverse("program:award_create", args=[world.own.pk]),
                         {"title": "First results", "reason": "Two deals won", "awarded_on": today})
    assert response.status_code == 302
    response = page.post(reverse("program:event_create"), {
        "title": "Spring workshop", "kind": "workshop", "starts_at": f"{today} 09:00", "ends_at": f"{today} 12:00",
        "status": "draft"})
    assert response.status_code == 302
    assert current.events.get().title == "Spring workshop" and not upcoming.events.exists()
    assert current.awards.get().title == "First results" and not upcoming.awards.exists()

    level = api_as(world.user("dist_head")).get(f"/api/v1/distributors/{world.own.pk}/program-level")
    assert level.status_code == 200, level.content
    assert level.json()["program_id"] == current.pk


def test_distributor_page_with_a_foreign_or_unpublished_program_falls_back_to_the_current_one(world, login):
    _closed, current, upcoming, _goals = _years(world)
    head = login(world.user("dist_head"))
    url = reverse("program:distributor_overview", args=[world.own.pk])
    for wanted in (upcoming.pk, 999999, "x"):
        page = head.get(f"{url}?program={wanted}")
        assert page.status_code == 200
        assert "This year" in page.content.decode().split('id="program-years"')[0]


def test_program_list_by_year_and_status(world, login, api_as):
    closed, current, upcoming, _goals = _years(world)
    year = timezone.localdate().year
    pm = api_as(world.user("program_manager"))
    assert [p["name"] for p in pm.get(f"/api/v1/programs?year={year - 1}").json()["items"]] == ["Last year"]
    assert [p["name"] for p in pm.get("/api/v1/programs?status=awaiting_signoff").json()["items"]] == ["Next year"]
    assert pm.get("/api/v1/programs?year=abc").status_code == 422
    head = api_as(world.user("dist_head"))
    assert {p["name"] for p in head.get("/api/v1/programs").json()["items"]} == {"Last year", "This year"}
    page = login(world.user("program_manager")).get(reverse("program:program_list") + f"?year={year + 1}").content.decode()
    assert "Next year" in page and "Last year" not in page


def test_distributor_page_queries_do_not_grow_with_program_years(world, login):
    head = login(world.user("dist_head"))
    url = reverse("program:distributor_overview", args=[world.own.pk])
    program(world, name="Y0", status=ProgramStatus.CLOSED, year=2020)
    with CaptureQueriesContext(connection) as few:
        head.get(url)
    for year in range(2021, 2025):
        program(world, name=f"Y{year}", status=ProgramStatus.CLOSED, year=year)
    with CaptureQueriesContext(connection) as many:
        head.get(url)
    assert len(many) == len(few)


def test_phase_and_current_program_by_date(world):
    prog_closed = program(world, name="2025", status=ProgramStatus.CLOSED, year=2025)
    prog_2026 = program(world, name="2026", year=2026)
    prog_2027 = program(world, name="2027", year=2027)
    admin = world.principal("admin")
    assert lifecycle.current_program(principal=admin, on=date(2026, 12, 6)) == prog_2026
    assert lifecycle.current_program(principal=admin, on=date(2027, 2, 1)) == prog_2027
    assert lifecycle.current_program(principal=admin, on=date(2024, 6, 1)) == prog_2026  # none started: the first to come
    assert lifecycle.current_program(principal=admin, on=date(2030, 1, 1)) == prog_2027  # after all: the last started
    assert [lifecycle.phase(p, date(2026, 12, 6)) for p in (prog_closed, prog_2026, prog_2027)] == [
        "closed", "current", "next"]
    assert lifecycle.phase(prog_2026, date(2027, 3, 1)) == "ended"
    assert Program.objects.filter(status=ProgramStatus.LAUNCHED).count() == 2
