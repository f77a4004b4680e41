from datetime import date, datetime, timedelta
from decimal import Decimal

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.core.models import Notification
from keychannel.core.tests.factories import make_user
from keychannel.program import metrics, selectors, services, support_money
from keychannel.program.choices import GoalStatus, ProgramStatus, RuleStatus, SupportStatus
from keychannel.program.models import (
    Acknowledgement,
    Course,
    Enrollment,
    Goal,
    LevelCriterion,
    ProgramLevel,
    ProgramRule,
    SupportBudget,
    SupportRequest,
)
from keychannel.program.tests.factories import PDF, build, goal_tree, program

pytestmark = pytest.mark.django_db


def _complete(world, user, distributor, course=None, when=None):
    course = course or Course.objects.get_or_create(
        code="certify", defaults={"title": "Certify", "certificate_title": "Certified", "published": True}
    )[0]
    enrollment = Enrollment.objects.create(course=course, user=user, distributor=distributor)
    return services.enrollment_complete(principal=world.principal("program_manager"), enrollment=enrollment,
                                        completed_at=when or timezone.now())


# --- goals: computed actuals, target to date, status --------------------------------------------------------------


def test_target_to_date_and_status():
    goal = Goal(target=Decimal(120), starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    assert selectors.target_to_date(goal, date(2025, 12, 1)) == 0
    assert selectors.target_to_date(goal, date(2026, 12, 31)) == 120
    assert selectors.target_to_date(goal, date(2027, 3, 1)) == 120
    assert selectors.target_to_date(goal, date(2026, 7, 2)) == Decimal("60.16")  # 183 of 365 days
    assert selectors.status_of(Decimal(70), Decimal(60)) == GoalStatus.AHEAD
    assert selectors.status_of(Decimal(58), Decimal(60)) == GoalStatus.ON_TRACK
    assert selectors.status_of(Decimal(40), Decimal(60)) == GoalStatus.BEHIND
    assert selectors.status_of(None, Decimal(60)) == GoalStatus.NOT_AVAILABLE


def test_people_certified_actual_follows_the_data_at_every_level(world, api_as):
    prog = program(world, name="P")
    goals = goal_tree(prog, world)
    before = {p.goal.pk: p.actual for p in selectors.goal_progress(goals.values())}
    assert set(before.values()) == {Decimal(0)}
    _complete(world, world.user("dist_sales"), world.own)
    _complete(world, world.user("dist_head"), world.own)
    _complete(world, world.other_users["dist_sales"], world.other)
    # An enrolment not completed, and a course that certifies nobody, do not count.
    Enrollment.objects.create(course=Course.objects.create(code="open", title="Open", published=True),
                              user=world.other_users["dist_head"], distributor=world.other, completed_at=timezone.now())
    after = {p.goal.pk: p.actual for p in selectors.goal_progress(goals.values())}
    assert after[goals["own"].pk] == 2 and after[goals["other"].pk] == 1
    assert after[goals["office"].pk] == 3 and after[goals["root"].pk] == 3
    body = api_as(world.user("dist_head")).get(f"/api/v1/goals/{goals['own'].pk}").json()
    assert Decimal(body["actual"]) == 2 and body["status"] in {s.value for s in GoalStatus}


def test_goal_whose_metric_is_no_longer_registered_is_not_available_never_a_number(world, login, monkeypatch):
    prog = program(world, name="P")
    goals = goal_tree(prog, world, metric="won_contracts")
    monkeypatch.delitem(metrics.METRICS, "won_contracts")
    progress = selectors.goal_progress([goals["own"], goals["root"]])
    assert [p.actual for p in progress] == [None, None]
    assert {p.status for p in progress} == {GoalStatus.NOT_AVAILABLE}
    page = login(world.user("dist_head")).get(reverse("program:goal_detail", args=[goals["own"].pk]))
    assert b"status-not_available" in page.content


def test_every_metric_is_registered():
    assert {"new_key_accounts", "won_contracts", "corporate_revenue", "weighted_pipeline", "approved_registrations",
            "people_certified"} <= set(metrics.METRICS)


def test_goal_create_rejects_bad_input_and_changes_nothing(world, api_as):
    prog = program(world, name="P")
    goals = goal_tree(prog, world)
    client = api_as(world.user("program_manager"))
    count = Goal.objects.count()
    bad = [
        {"metric": "made_up"},
        {"target": "-1"},
        {"level": "distributor", "distributor_id": None},
        {"starts_on": "2019-01-01"},
    ]
    for change in bad:
        body = {"program_id": prog.pk, "parent_id": goals["office"].pk, "level": "distributor",
                "distributor_id": world.own.pk, "metric": "won_contracts", "target": "3", **change}
        assert client.post("/api/v1/goals", body, content_type="application/json").status_code == 422, change
    assert Goal.objects.count() == count


def test_goals_page_shows_levels_chart_and_distributor_sees_only_own(world, login):
    prog = program(world, name="P")
    goals = goal_tree(prog, world)
    _complete(world, world.user("dist_sales"), world.own)
    page = login(world.user("dist_head")).get(reverse("program:goal_list", args=[prog.pk]))
    assert page.status_code == 200
    assert f'id="goal-{goals["own"].pk}"'.encode() in page.content
    assert f'id="goal-{goals["other"].pk}"'.encode() not in page.content
    assert f'id="goal-{goals["office"].pk}"'.encode() not in page.content
    assert b'id="goal-chart-data"' in page.content and b"vendor/echarts/echarts.min.js" in page.content
    admin_page = login(world.user("admin")).get(reverse("program:goal_list", args=[prog.pk]))
    assert f'id="goal-{goals["other"].pk}"'.encode() in admin_page.content


def test_goal_series_is_cumulative(world):
    prog = program(world, name="P")
    goals = goal_tree(prog, world)
    year = prog.starts_on.year
    _complete(world, world.user("dist_sales"), world.own, when=timezone.make_aware(datetime(year, 2, 10, 12)))
    _complete(world, world.user("dist_head"), world.own, when=timezone.make_aware(datetime(year, 5, 10, 12)))
    series = selectors.goal_series(goals["own"], on=date(year, 6, 30))
    assert series["labels"][0] == f"{year}-01-31" and series["labels"][-1] == f"{year}-06-30"
    assert series["actual"] == [0.0, 1.0, 1.0, 1.0, 2.0, 2.0]
    assert series["target_to_date"][-1] < series["target"]


def test_goal_lists_query_count_does_not_grow(world, api_as, login):
    prog = program(world, name="P")
    goal_tree(prog, world)
    api = api_as(world.user("admin"))
    page = login(world.user("admin"))
    api.get("/api/v1/me")

    def count(fn):
        with CaptureQueriesContext(connection) as ctx:
            assert fn().status_code == 200
        return len(ctx.captured_queries)

    def both():
        return (count(lambda: api.get("/api/v1/goals")),
                count(lambda: page.get(reverse("program:goal_list", args=[prog.pk]) + "?chart=0")))

    small = both()
    office = Goal.objects.get(program=prog, level="office")
    from keychannel.network.tests.factories import DistributorFactory

    for _ in range(15):
        d = DistributorFactory()
        Goal.objects.create(program=prog, parent=office, level="distributor", name=d.legal_name, distributor=d,
                            metric="people_certified", target=3, starts_on=prog.starts_on, ends_on=prog.ends_on)
    assert both() == small


# --- sign-off ------------------------------------------------------------------------------------------------------


def test_one_objecting_executive_blocks_launch_unless_admin_overrides_with_reason(world, api_as):
    prog = program(world, name="P", status=ProgramStatus.DRAFT)
    second = make_user("executive", world.manufacturer, username="w-executive-2")
    services.program_submit(principal=world.principal("program_manager"), program=prog)
    assert Notification.objects.filter(recipient=second, url=prog.get_absolute_url()).exists()
    services.signoff_record(principal=world.principal("executive"), program=prog, decision="approve")
    from keychannel.core.scoping import Principal

    with pytest.raises(ValidationError):  # an objection needs its reason
        services.signoff_record(principal=Principal.for_user(second), program=prog, decision="object", comment="")
    services.signoff_record(principal=Principal.for_user(second), program=prog, decision="object", comment="Too costly")
    url = f"/api/v1/programs/{prog.pk}/launch"
    assert api_as(world.user("program_manager")).post(url, {}, content_type="application/json").status_code == 422
    assert api_as(world.user("admin")).post(url, {"override_reason": "  "}, content_type="application/json").status_code == 422
    prog.refresh_from_db()
    assert prog.status == ProgramStatus.AWAITING_SIGNOFF and prog.override_reason == ""
    ok = api_as(world.user("admin")).post(url, {"override_reason": "Board vote 5:1"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "launched"
    prog.refresh_from_db()
    assert prog.override_reason == "Board vote 5:1" and prog.override_by == world.user("admin")
    assert prog.history.filter(override_reason="Board vote 5:1").exists()


def test_all_approved_launches_without_override(world):
    prog = program(world, name="P", status=ProgramStatus.AWAITING_SIGNOFF)
    services.signoff_record(principal=world.principal("executive"), program=prog, decision="approve", comment="")
    services.program_launch(principal=world.principal("program_manager"), program=prog)
    prog.refresh_from_db()
    assert prog.status == ProgramStatus.LAUNCHED and prog.override_by is None


# --- rules and acknowledgement ---------------------------------------------------------------------------------------


def test_publishing_asks_every_head_and_dashboard_shows_who_has_not(world, login, api_as):
    prog = program(world, name="P")
    pm = world.principal("program_manager")
    v1 = services.rule_create(principal=pm, program=prog, code="bonus", kind="incentive", title="Bonus", text="2 %",
                              parameters={"metric": "people_certified", "bonus_percent": 2})
    services.rule_publish(principal=pm, rule=v1)
    heads = {world.user("dist_head"), world.other_users["dist_head"]}
    assert {n.recipient for n in Notification.objects.filter(title__contains="Bonus")} == heads
    client = api_as(world.user("dist_head"))
    assert client.post(f"/api/v1/rules/{v1.pk}/acknowledge").status_code == 200
    assert client.post(f"/api/v1/rules/{v1.pk}/acknowledge").status_code == 200  # idempotent
    assert Acknowledgement.objects.filter(rule=v1).count() == 1
    page = login(world.user("program_manager")).get(reverse("program:ack_dashboard", args=[prog.pk]))
    pending = page.content.split(b'id="pending-acks"')[1].split(b"</div>")[0]
    assert b">db<" in pending and b">da<" not in pending
    v2 = services.rule_create(principal=pm, program=prog, code="bonus", kind="incentive", title="Bonus", text="3 %",
                              parameters={"metric": "people_certified", "bonus_percent": 3})
    assert v2.version == 2
    services.rule_publish(principal=pm, rule=v2)
    v1.refresh_from_db()
    assert v1.status == RuleStatus.SUPERSEDED
    assert selectors.pending_rules_for(principal=world.principal("dist_head"), distributor=world.own) == [v2]


def test_rule_parameters_are_validated(world, api_as):
    prog = program(world, name="P")
    client = api_as(world.user("program_manager"))
    for parameters in [{"metric": "nope", "bonus_percent": 2}, {"metric": ["people_certified"], "bonus_percent": 2}, {"metric": "people_certified", "bonus_percent": "x"},
                       {"metric": "people_certified", "bonus_percent": 150}, {"metric": "people_certified", "bonus_percent": 2, "cap": -1}]:
        body = {"program_id": prog.pk, "code": "bonus", "kind": "incentive", "title": "B", "text": "t", "parameters": parameters}
        assert client.post("/api/v1/rules", body, content_type="application/json").status_code == 422, parameters
    assert not ProgramRule.objects.exists()


def test_incentive_statement_and_csv(world, login):
    prog = program(world, name="P")
    goals = goal_tree(prog, world)
    Goal.objects.filter(pk=goals["own"].pk).update(target=1)
    ProgramRule.objects.create(program=prog, code="cert", kind="incentive", title="Cert bonus", text="500 per person",
                               parameters={"metric": "people_certified", "amount_per_unit": 500}, status=RuleStatus.PUBLISHED)
    for user in (world.user("dist_sales"), world.user("dist_head")):
        _complete(world, user, world.own)
    statement = selectors.incentive_statement(principal=world.principal("dist_head"), program=prog, distributor=world.own)
    assert statement["lines"][0]["excess"] == 1 and statement["incentives"] == Decimal(500)
    response = login(world.user("dist_head")).get(reverse("program:statement_csv", args=[world.own.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.getvalue()
    assert b"Cert bonus" in body and b"500.00" in body


def test_level_progress_is_computed(world):
    prog = program(world, name="P")
    first = ProgramLevel.objects.create(program=prog, name="Partner", rank=1)
    LevelCriterion.objects.create(level=first, metric="people_certified", threshold=1)
    second = ProgramLevel.objects.create(program=prog, name="Certified", rank=2)
    LevelCriterion.objects.create(level=second, metric="people_certified", threshold=3)
    state = selectors.distributor_level(principal=world.principal("dist_head"), program=prog, distributor=world.own)
    assert state["reached"] is None and state["next"]["level"] == first
    _complete(world, world.user("dist_sales"), world.own)
    state = selectors.distributor_level(principal=world.principal("dist_head"), program=prog, distributor=world.own)
    assert state["reached"] == first and state["next"]["level"] == second
    assert state["next"]["criteria"][0]["missing"] == 2


# --- events and the iCalendar feed -------------------------------------------------------------------------------------


def test_ical_feed_parses_back_and_rotates(world, login, client):
    data = build(world)
    own_event = data["events"]["own"]
    head = login(world.user("dist_head"))
    page = head.get(reverse("program:calendar"))
    feed_url = page.context["feed_url"]
    path = feed_url.split("testserver", 1)[1]
    client.logout()
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    events = [c for c in cal.walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == [own_event.title]  # not the event of the other distributor
    event = events[0]
    assert str(event["uid"]) == own_event.uid
    assert event.decoded("dtstart") == own_event.starts_at and event.decoded("dtend") == own_event.ends_at
    assert str(event["x-keychannel-rsvp"]) == "NEEDS-ACTION"
    head = login(world.user("dist_head"))
    head.post(reverse("program:calendar_rotate"))
    client.logout()
    assert client.get(path).status_code == 404
    assert client.get(reverse("program:calendar_feed", args=["wrong"])).status_code == 404


def test_rsvp_invite_attendance_and_reminders(world, api_as):
    data = build(world)
    event = data["events"]["own"]
    response = api_as(world.user("dist_head")).post(f"/api/v1/events/{event.pk}/rsvp", {"rsvp": "yes"},
                                                    content_type="application/json")
    assert response.status_code == 200 and response.json()["rsvp"] == "yes"
    bad = api_as(world.user("dist_head")).post(f"/api/v1/events/{event.pk}/rsvp", {"rsvp": "pending"},
                                               content_type="application/json")
    assert bad.status_code == 422
    assert event.invitations.get(user=world.user("dist_head")).rsvp == "yes"
    sent = services.event_send_reminders(now=event.starts_at - timedelta(hours=5))
    assert sent == 4  # two people invited to each of the two workshops
    assert services.event_send_reminders(now=event.starts_at - timedelta(hours=4)) == 0
    assert Notification.objects.filter(recipient=world.user("dist_head"), title__startswith="Reminder").count() == 1
    services.event_attendance(principal=world.principal("program_manager"), event=event,
                              attended_user_ids=[world.user("dist_head").pk])
    assert dict(event.invitations.values_list("user__username", "attended")) == {"w-da-head": True, "w-da-sales": False}


def test_event_api_accepts_times_without_zone_and_rejects_a_backwards_event(world, api_as):
    client = api_as(world.user("program_manager"))
    body = {"title": "Clinic", "kind": "training", "starts_at": "2026-12-10T09:00:00", "ends_at": "2026-12-10T12:00:00"}
    created = client.post("/api/v1/events", body, content_type="application/json")
    assert created.status_code == 201
    backwards = client.post("/api/v1/events", {**body, "ends_at": "2026-12-10T08:00:00+02:00"}, content_type="application/json")
    assert backwards.status_code == 422


def test_event_list_query_count_does_not_grow(world, login, api_as):
    from keychannel.program.models import Event

    page, api = login(world.user("dist_head")), api_as(world.user("dist_head"))
    api.get("/api/v1/me")
    start = timezone.now() + timedelta(days=1)

    def add(n):
        for i in range(n):
            Event.objects.create(title=f"E{i}", kind="meeting", starts_at=start, ends_at=start, status="published",
                                 open_to_all=True)

    def count():
        out = []
        for fn in (lambda: page.get(reverse("program:event_list")), lambda: api.get("/api/v1/events")):
            with CaptureQueriesContext(connection) as ctx:
                assert fn().status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    add(2)
    small = count()
    add(20)
    assert count() == small


# --- support --------------------------------------------------------------------------------------------------------


def _proof(name="invoice.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_support_flow_and_budget_left(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    budget = SupportBudget.objects.create(distributor=world.own, year=timezone.localdate().year, amount=Decimal(5000))
    head, pm = world.principal("dist_head"), world.principal("program_manager")
    request = services.support_request_create(principal=head, distributor=world.own, kind="financial", title="Fair",
                                              description="Stand", amount_requested=Decimal(3000))
    services.support_decide(principal=pm, request=request, approve=True)
    assert budget.remaining() == 2000
    support_money.support_claim(principal=head, request=request, amount=Decimal(2800), proof=_proof(), final=True)
    request.refresh_from_db()
    assert request.status == SupportStatus.CLAIMED and request.proof_content_type == "application/pdf"
    assert budget.remaining() == 2200
    services.support_pay(principal=pm, request=request)
    request.refresh_from_db()
    assert request.status == SupportStatus.PAID


def test_claim_above_remaining_budget_is_refused_and_changes_nothing(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    budget = SupportBudget.objects.create(distributor=world.own, year=timezone.localdate().year, amount=Decimal(5000))
    head, pm = world.principal("dist_head"), world.principal("program_manager")
    first = services.support_request_create(principal=head, distributor=world.own, kind="financial", title="A",
                                            description="a", amount_requested=Decimal(3000))
    services.support_decide(principal=pm, request=first, approve=True)
    second = services.support_request_create(principal=head, distributor=world.own, kind="financial", title="B",
                                             description="b", amount_requested=Decimal(1500))
    services.support_decide(principal=pm, request=second, approve=True)
    assert budget.remaining() == 500
    history = second.history.count()
    client = login(world.user("dist_head"))
    response = client.post(reverse("program:support_claim", args=[second.pk]),
                           {"amount_claimed": "2500", "proof": _proof()}, follow=True)
    assert "above the 1500.00 RON left of the 1500.00 RON approved" in response.content.decode()
    second.refresh_from_db()
    assert second.status == SupportStatus.APPROVED and second.amount_claimed == 0 and not second.proof
    assert second.history.count() == history and budget.remaining() == 500
    assert not list(tmp_path.rglob("*.pdf"))
    # Approving more than what is left is refused the same way.
    third = services.support_request_create(principal=head, distributor=world.own, kind="financial", title="C",
                                            description="c", amount_requested=Decimal(600))
    with pytest.raises(ValidationError, match="more than the 500"):
        services.support_decide(principal=pm, request=third, approve=True)
    third.refresh_from_db()
    assert third.status == SupportStatus.REQUESTED


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("x.exe", b"MZ\x90\x00", "application/pdf"),  # declared PDF, is not
    ("x.html", b"<html>", "text/html"),
    ("big.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf"),
])
def test_claim_proof_is_checked(world, settings, tmp_path, name, content, content_type):
    settings.MEDIA_ROOT = tmp_path
    budget = SupportBudget.objects.create(distributor=world.own, year=timezone.localdate().year, amount=Decimal(5000))
    request = SupportRequest.objects.create(distributor=world.own, budget=budget, kind="financial", title="A", description="a",
                                            amount_requested=100, amount_approved=100, status="approved",
                                            requested_by=world.user("dist_head"))
    with pytest.raises(ValidationError):
        support_money.support_claim(principal=world.principal("dist_head"), request=request, amount=Decimal(50),
                                    proof=_proof(name, content, content_type))
    request.refresh_from_db()
    assert request.status == "approved" and not request.proof


# Simultaneous claims: tests/races/test_support_claim_race.py.


# --- learning, best practices -----------------------------------------------------------------------------------------


def test_enrol_and_complete_issue_a_certificate(world, api_as):
    course = Course.objects.create(code="neg", title="Negotiation", certificate_title="Negotiator", published=True)
    response = api_as(world.user("dist_sales")).post(f"/api/v1/courses/{course.pk}/enroll")
    assert response.status_code == 200 and response.json()["distributor_id"] == world.own.pk
    enrollment = Enrollment.objects.get(course=course)
    services.enrollment_complete(principal=world.principal("program_manager"), enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.certificate_number.startswith("KC-NEG-")
    rows = selectors.completion_by_distributor(principal=world.principal("dist_head"))
    assert rows == [{"distributor_id": world.own.pk, "distributor__code": "da", "distributor__legal_name": world.own.legal_name,
                     "enrolled": 1, "completed": 1, "percent": 100}]


def test_best_practice_drafts_stay_home_shared_ones_travel(world, api_as):
    draft = services.best_practice_create(principal=world.principal("dist_head"), distributor=world.own, title="Won",
                                          story="How")
    other_client = api_as(world.other_users["dist_head"])
    assert other_client.get("/api/v1/best-practices").json()["count"] == 0
    services.best_practice_share(principal=world.principal("program_manager"), practice=draft)
    assert [p["title"] for p in other_client.get("/api/v1/best-practices").json()["items"]] == ["Won"]


def test_send_event_reminders_command_reminds_once(world):
    import io

    from django.core.management import CommandError, call_command

    from keychannel.program.models import Event

    data = build(world)
    soon = timezone.now() + timedelta(hours=3)
    Event.objects.filter(pk=data["events"]["own"].pk).update(starts_at=soon, ends_at=soon + timedelta(hours=2))
    out = io.StringIO()
    call_command("send_event_reminders", "--hours", "6", stdout=out)
    sent = int(out.getvalue().split()[0])
    assert sent == data["events"]["own"].invitations.exclude(rsvp="no").count() > 0
    assert Notification.objects.filter(title__startswith="Reminder").count() == sent
    out = io.StringIO()
    call_command("send_event_reminders", "--hours", "6", stdout=out)
    assert out.getvalue().startswith("0 reminder")
    with pytest.raises(CommandError):
        call_command("send_event_reminders", "--hours", "0")
