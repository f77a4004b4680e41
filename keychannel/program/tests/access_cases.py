"""Access matrix of the program app (DESIGN.md §2: program content all / published; goals and support by reach)."""

from datetime import timedelta

from django.utils import timezone

from keychannel.program.tests.factories import build
from tests.access import Route, anon_api, anon_page, expect

OFFICE = ("admin", "program_manager")
REACH = ("channel_manager", "mentor", "embedded_kam")  # reach "own" only in the test world
DIST = ("dist_head", "dist_sales")


def _roles(roles, value):
    return {r: value for r in roles}


def obj(key, attr="pk"):
    """Params: {'pk': data[key][side].pk} for objects that come in an own / other pair."""
    return lambda w, side: {attr: build(w)[key][side].pk}


def pair(own_key, other_key, attr="pk"):
    """Params: own side gets data[own_key], other side data[other_key]."""
    return lambda w, side: {attr: build(w)[own_key if side == "own" else other_key].pk}


def dist(attr="pk"):
    """Params: a distributor, in a world where the launched program exists (its page shows goals, level, statement)."""
    def params(w, side):
        build(w)["launched"]
        return {attr: w.distributor(side).pk}

    return params


# A program's content: manufacturer roles see every program, distributor users only launched ones.
# own = launched, other = draft.
LAUNCHED_DRAFT = pair("launched", "draft")
LAUNCHED_DRAFT_API = pair("launched", "draft", "program_id")
PROGRAM_READ = expect(200, **_roles(DIST, {"own": 200, "other": 404}), **anon_page())
# Distributor-scoped reads: network-wide roles see both, reach roles and distributor users their own.
REACH_READ = expect(200, **_roles(REACH + DIST, {"own": 200, "other": 404}), **anon_page())
# Office-only writes on a distributor-scoped object (e.g. a goal): others 403 where they see it, 404 where not.
OFFICE_SCOPED_WRITE = {**_roles(OFFICE, 302), "executive": 403, **_roles(REACH + DIST, {"own": 403, "other": 404})}
HEAD_SCOPED = {"dist_sales": {"own": 404, "other": 404}}


def office_api(ok):
    """OFFICE_SCOPED_WRITE for the API: the office gets ``ok``, the others 403 where they see the record, 404 where not."""
    return {**_roles(OFFICE, ok), "executive": 403, **_roles(REACH + DIST, {"own": 403, "other": 404})}


def merge(*tables):
    out = {}
    for table in tables:
        out.update(table)
    return out


def t(default, **per_role):
    return expect(default, **per_role, **anon_page())


def a(default, **per_role):
    return expect(default, **per_role, **anon_api())


def _event_body(w, side):
    start = timezone.now() + timedelta(days=10)
    return {"title": "Conference", "kind": "conference", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=8)).isoformat(), "status": "published", "open_to_all": True}


def _module(w, side):
    """A module of the "own" (published) or "other" (draft) course."""
    from keychannel.program.models import CourseModule

    course = build(w)["courses"][side]
    return w.once(f"module-{side}", lambda: CourseModule.objects.create(course=course, position=90, title=f"M {side}"))


# The learning catalogue (issue 16): the office writes; distributor users see published content only (own =
# published, other = draft), so a write on a draft answers them 404 on pages that fetch first.
CATALOG_PAGE = t(403, **_roles(OFFICE, 200), **_roles(DIST, {"own": 403, "other": 404}))
CATALOG_API = a(403, **_roles(OFFICE, 200))

def _level(w, side):
    """A level of the launched ("own") or the draft ("other") program."""
    from keychannel.program.models import ProgramLevel

    program = build(w)["launched" if side == "own" else "draft"]
    return w.once(f"level-{side}", lambda: ProgramLevel.objects.create(program=program, name=f"L {side}", rank=9))


ROUTES = [
    # --- program levels kept in the product (issue 16): own = the launched program, other = a draft
    Route(name="program:level_create", params=LAUNCHED_DRAFT, expect=CATALOG_PAGE),
    Route(name="program:level_update", params=lambda w, side: {"pk": _level(w, side).pk}, expect=CATALOG_PAGE),
    Route(api="POST /api/v1/programs/{program_id}/levels", params=pair("launched", "draft", "program_id"),
          body=lambda w, s: {"name": "Matrix level", "rank": 8}, expect=a(403, **_roles(OFFICE, 201))),
    Route(api="PATCH /api/v1/program-levels/{level_id}", params=lambda w, side: {"level_id": _level(w, side).pk},
          body=lambda w, s: {"protection_days": 120}, expect=CATALOG_API),
    # --- learning catalogue (issue 16)
    Route(name="program:course_create", expect=t(403, **_roles(OFFICE, 200))),
    Route(name="program:course_update", params=obj("courses"), expect=CATALOG_PAGE),
    Route(name="program:module_create", params=obj("courses"), expect=CATALOG_PAGE),
    Route(name="program:module_update", params=lambda w, side: {"pk": _module(w, side).pk}, expect=CATALOG_PAGE),
    Route(name="program:resource_create", expect=t(403, **_roles(OFFICE, 200))),
    Route(name="program:resource_update", params=obj("resources"), expect=CATALOG_PAGE),
    Route(api="POST /api/v1/courses", body=lambda w, s: {"title": "Matrix course"}, expect=a(403, **_roles(OFFICE, 201))),
    Route(api="PATCH /api/v1/courses/{course_id}", params=obj("courses", "course_id"),
          body=lambda w, s: {"description": "Updated"}, expect=CATALOG_API),
    Route(api="GET /api/v1/courses/{course_id}/modules", params=obj("courses", "course_id"),
          expect=a(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(api="POST /api/v1/courses/{course_id}/modules", params=obj("courses", "course_id"),
          body=lambda w, s: {"title": "Matrix module"}, expect=a(403, **_roles(OFFICE, 201))),
    Route(api="PATCH /api/v1/course-modules/{module_id}", params=lambda w, side: {"module_id": _module(w, side).pk},
          body=lambda w, s: {"content": "Updated"}, expect=CATALOG_API),
    Route(api="GET /api/v1/learning-resources", expect=a(200)),
    Route(api="POST /api/v1/learning-resources", expect=a(422),
          note="multipart only: the matrix's JSON body is refused before the role is looked at (test_catalog.py "
               "checks who may add one)"),
    Route(api="PATCH /api/v1/learning-resources/{resource_id}", params=obj("resources", "resource_id"),
          body=lambda w, s: {"description": "Updated"}, expect=CATALOG_API),
    Route(api="POST /api/v1/learning-resources/{resource_id}/file", params=obj("resources", "resource_id"),
          expect=a(422), note="multipart only, like POST /learning-resources (test_catalog.py checks the roles)"),
    # --- programs and sign-off
    Route(name="program:program_list", expect=t(200)),
    Route(name="program:program_create", expect=t(403, **_roles(OFFICE, 200))),
    Route(name="program:program_detail", params=LAUNCHED_DRAFT, expect=PROGRAM_READ),
    Route(name="program:program_update", params=pair("draft", "launched"),
          expect=t(403, **_roles(OFFICE, 200), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(name="program:program_submit", method="POST", params=pair("draft", "launched"),
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(name="program:program_signoff", method="POST", params=pair("awaiting", "launched"),
          body=lambda w, s: {"decision": "approve"},
          expect=t(403, executive=302, **_roles(DIST, {"own": 404, "other": 403}))),
    Route(name="program:program_launch", method="POST", params=pair("awaiting", "launched"),
          body=lambda w, s: {"override_reason": "Board decided"},
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(name="program:program_close", method="POST", params=LAUNCHED_DRAFT,
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(name="program:program_revise", method="POST", params=pair("awaiting", "launched"),
          body=lambda w, s: {"reason": "Budget cut by 20 %"},
          note="Office only; the launched side is refused by the service (a message, nothing changed).",
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(name="program:program_withdraw", method="POST", params=pair("draft", "launched"),
          body=lambda w, s: {"reason": "Replaced by next year's program"},
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 404, "other": 403}))),
    # --- goals
    Route(name="program:goal_list", params=LAUNCHED_DRAFT, expect=PROGRAM_READ),
    Route(name="program:goal_create", params=LAUNCHED_DRAFT,
          expect=t(403, **_roles(OFFICE, 200), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(name="program:goal_detail", params=obj("goals"), expect=REACH_READ),
    Route(name="program:goal_update", params=obj("goals"), expect=t(None, **merge(OFFICE_SCOPED_WRITE, _roles(OFFICE, 200)))),
    Route(name="program:milestone_create", method="POST", params=obj("goals"),
          body=lambda w, s: {"title": "Pilot", "expected_result": "A test", "due_on": "2026-12-20"},
          expect=t(None, **OFFICE_SCOPED_WRITE)),
    Route(name="program:milestone_achieve", method="POST", params=obj("milestones"), expect=t(None, **OFFICE_SCOPED_WRITE)),
    # --- rules and acknowledgement
    Route(name="program:rule_list", params=LAUNCHED_DRAFT, expect=PROGRAM_READ),
    Route(name="program:rule_create", params=LAUNCHED_DRAFT,
          expect=t(403, **_roles(OFFICE, 200), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(name="program:rule_publish", method="POST", params=pair("draft_rule", "published_rule"),
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(name="program:rule_acknowledge", method="POST", params=pair("published_rule", "draft_rule"),
          expect=t(403, dist_head={"own": 302, "other": 404}, dist_sales={"own": 403, "other": 404})),
    Route(name="program:level_recompute", method="POST", params=LAUNCHED_DRAFT,
          note="Launched: the office recomputes; a draft program has no levels to hold (refused, back to the page).",
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(name="program:rule_conditions_apply", method="POST", params=LAUNCHED_DRAFT,
          note="Launched: the office raises what the conditions call for; a draft program is refused, back to the page.",
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(name="program:ack_dashboard", params=LAUNCHED_DRAFT,
          expect=t(200, **_roles(DIST, {"own": 403, "other": 404}))),
    # --- a distributor in the program
    Route(name="program:distributor_overview", params=dist(), expect=REACH_READ),
    Route(name="program:statement_csv", params=dist(), expect=t(200, **_roles(REACH, {"own": 200, "other": 404}),
                                                                  dist_head={"own": 200, "other": 404}, dist_sales=403)),
    # Scorecards (docs/cockpits.md): by reach; a head its own card only; salespeople never.
    Route(name="program:scorecard_list", expect=t(200, dist_sales=403)),
    Route(name="program:scorecard_csv", expect=t(200, dist_sales=403)),
    Route(name="program:scorecard_detail", params=dist(), expect=t(200, **_roles(REACH, {"own": 200, "other": 404}),
                                                                   dist_head={"own": 200, "other": 404}, dist_sales=403)),
    Route(name="program:ledger_create", params=dist(), expect=t(None, **merge(OFFICE_SCOPED_WRITE, _roles(OFFICE, 200)))),
    Route(name="program:award_create", params=dist(), expect=t(None, **merge(OFFICE_SCOPED_WRITE, _roles(OFFICE, 200)))),
    Route(name="program:ledger_appeal", method="POST", params=obj("ledger"), body=lambda w, s: {"text": "It was on time"},
          expect=t(403, **_roles(REACH, {"own": 403, "other": 404}), dist_head={"own": 302, "other": 404},
                   **HEAD_SCOPED)),
    Route(name="program:ledger_decide", method="POST", params=obj("ledger"), body=lambda w, s: {"decision": "Stands"},
          expect=t(None, **merge(OFFICE_SCOPED_WRITE, HEAD_SCOPED))),
    # --- events and the calendar
    Route(name="program:event_list", expect=t(200)),
    Route(name="program:event_create", expect=t(403, **_roles(OFFICE, 200))),
    Route(name="program:event_detail", params=obj("events"), expect=t(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(name="program:event_update", params=obj("events"),
          expect=t(403, **_roles(OFFICE, 200), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(name="program:event_invite", method="POST", params=obj("events"), body=lambda w, s: {"distributors": [w.own.pk]},
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(name="program:event_rsvp", method="POST", params=obj("events"), body=lambda w, s: {"rsvp": "yes"},
          expect=t(404, **_roles(DIST, {"own": 302, "other": 404}))),
    Route(name="program:event_attendance", method="POST", params=obj("events"),
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(name="program:calendar", expect=t(200)),
    Route(name="program:calendar_rotate", method="POST", expect=t(302)),
    Route(name="program:calendar_feed",
          params=lambda w, side: {"token": build(w)["feed"].token if side == "own" else "not-a-token"},
          note="The secret URL is the credential: anyone with it reads, a wrong token is 404.",
          expect=expect({"own": 200, "other": 404})),
    # --- support
    Route(name="program:support_list", expect=t(200, dist_sales=403)),
    Route(name="program:support_create", expect=t(403, **_roles(OFFICE, 200), dist_head=200)),
    Route(name="program:budget_set", expect=t(403, **_roles(OFFICE, 200))),
    Route(name="program:support_detail", params=obj("requested"), expect=t(200, **_roles(REACH, {"own": 200, "other": 404}),
                                                                            dist_head={"own": 200, "other": 404}, **HEAD_SCOPED)),
    Route(name="program:support_decide", method="POST", params=obj("requested"), body=lambda w, s: {"approve": "1"},
          expect=t(None, **merge(OFFICE_SCOPED_WRITE, HEAD_SCOPED))),
    Route(name="program:support_claim", method="POST", params=obj("approved"), body=lambda w, s: {"amount_claimed": "10"},
          expect=t(None, **merge(OFFICE_SCOPED_WRITE, {"dist_head": {"own": 302, "other": 404}}, HEAD_SCOPED))),
    Route(name="program:support_pay", method="POST", params=obj("claimed"), expect=t(None, **merge(OFFICE_SCOPED_WRITE, HEAD_SCOPED))),
    Route(name="program:support_complete", method="POST", params=obj("methodological"),
          expect=t(None, **merge(OFFICE_SCOPED_WRITE, HEAD_SCOPED))),
    Route(name="program:support_proof", params=obj("claimed"), expect=t(200, **_roles(REACH, {"own": 200, "other": 404}),
                                                                        dist_head={"own": 200, "other": 404}, **HEAD_SCOPED)),
    # --- learning, best practices, tiers
    Route(name="program:course_list", expect=t(200)),
    Route(name="program:course_detail", params=obj("courses"), expect=t(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(name="program:course_enroll", method="POST", params=obj("courses"),
          expect=t(302, **_roles(DIST, {"own": 302, "other": 404}))),
    Route(name="program:enrollment_complete", method="POST", params=obj("enrollments"), expect=t(None, **OFFICE_SCOPED_WRITE)),
    Route(name="program:resource_file", params=obj("resources"), expect=t(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(name="program:bestpractice_list", expect=t(200)),
    Route(name="program:bestpractice_create", expect=t(403, **_roles(OFFICE, 200), dist_head=200)),
    Route(name="program:bestpractice_detail", params=obj("practices"),
          expect=t(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(name="program:bestpractice_share", method="POST", params=obj("practices"),
          expect=t(403, **_roles(OFFICE, 302), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(name="program:tier_list", expect=t(200)),
    # --- API
    Route(api="GET /api/v1/programs", expect=a(200)),
    Route(api="POST /api/v1/programs",
          body=lambda w, s: {"name": "Second program", "strategy": "More", "manager_id": w.user("program_manager").pk,
                             "starts_on": "2027-01-01", "ends_on": "2027-12-31"},
          expect=a(403, **_roles(OFFICE, 201))),
    Route(api="GET /api/v1/programs/{program_id}", params=pair("launched", "draft", "program_id"),
          expect=a(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(api="PATCH /api/v1/programs/{program_id}", params=pair("draft", "launched", "program_id"),
          body=lambda w, s: {"strategy": "Sharper"},
          expect=a(403, **_roles(OFFICE, {"own": 200, "other": 422}), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(api="POST /api/v1/programs/{program_id}/submit", params=pair("draft", "launched", "program_id"),
          expect=a(403, **_roles(OFFICE, {"own": 200, "other": 409}), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(api="POST /api/v1/programs/{program_id}/signoffs", params=pair("awaiting", "launched", "program_id"),
          body=lambda w, s: {"decision": "approve"},
          expect=a(403, executive={"own": 200, "other": 422}, **_roles(DIST, {"own": 404, "other": 403}))),
    Route(api="POST /api/v1/programs/{program_id}/launch", params=pair("awaiting", "launched", "program_id"),
          body=lambda w, s: {"override_reason": "Board decided"},
          note="Nobody approved yet: only an admin's override launches.",
          expect=a(403, admin={"own": 200, "other": 422}, program_manager=422, **_roles(DIST, {"own": 404, "other": 403}))),
    Route(api="POST /api/v1/programs/{program_id}/revise", params=pair("awaiting", "launched", "program_id"),
          body=lambda w, s: {"reason": "Budget cut by 20 %"},
          expect=a(403, **_roles(OFFICE, {"own": 200, "other": 422}), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(api="POST /api/v1/programs/{program_id}/withdraw", params=pair("draft", "launched", "program_id"),
          body=lambda w, s: {"reason": "Replaced by next year's program"},
          expect=a(403, **_roles(OFFICE, {"own": 200, "other": 422}), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(api="GET /api/v1/programs/{program_id}/signoffs", params=pair("launched", "draft", "program_id"),
          note="Distributor users read a launched program but no sign-off (an empty list).",
          expect=a(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(api="GET /api/v1/goals", expect=a(200)),
    Route(api="POST /api/v1/goals",
          body=lambda w, s: {"program_id": build(w)["launched"].pk, "parent_id": build(w)["goals"]["office"].pk,
                             "level": "distributor", "distributor_id": w.own.pk, "metric": "won_contracts", "target": "3"},
          expect=a(403, **_roles(OFFICE, 201), **_roles(DIST, 404))),
    Route(api="GET /api/v1/goals/{goal_id}", params=obj("goals", "goal_id"),
          expect=a(200, **_roles(REACH + DIST, {"own": 200, "other": 404}))),
    Route(api="PATCH /api/v1/goals/{goal_id}", params=obj("goals", "goal_id"), body=lambda w, s: {"target": "6"},
          expect=a(None, **merge(OFFICE_SCOPED_WRITE, _roles(OFFICE, 200)))),
    Route(api="GET /api/v1/rules", expect=a(200)),
    Route(api="POST /api/v1/rules",
          body=lambda w, s: {"program_id": build(w)["launched"].pk, "code": "exclusivity", "kind": "restriction",
                             "title": "Exclusivity", "text": "No competing brands for key accounts."},
          expect=a(403, **_roles(OFFICE, 201))),
    Route(api="POST /api/v1/rules/{rule_id}/publish", params=pair("draft_rule", "published_rule", "rule_id"),
          expect=a(403, **_roles(OFFICE, {"own": 200, "other": 409}), **_roles(DIST, {"own": 404, "other": 403}))),
    Route(api="POST /api/v1/rules/{rule_id}/acknowledge", params=pair("published_rule", "draft_rule", "rule_id"),
          expect=a(403, dist_head={"own": 200, "other": 404}, dist_sales={"own": 403, "other": 404})),
    Route(api="GET /api/v1/events", expect=a(200)),
    Route(api="POST /api/v1/events", body=_event_body, expect=a(403, **_roles(OFFICE, 201))),
    Route(api="GET /api/v1/events/{event_id}", params=obj("events", "event_id"),
          expect=a(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(api="POST /api/v1/events/{event_id}/invitations", params=obj("events", "event_id"),
          body=lambda w, s: {"distributor_ids": [w.own.pk]},
          expect=a(403, **_roles(OFFICE, 200), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(api="POST /api/v1/events/{event_id}/rsvp", params=obj("events", "event_id"), body=lambda w, s: {"rsvp": "yes"},
          expect=a(404, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(api="GET /api/v1/support-budgets", expect=a(200)),
    Route(api="POST /api/v1/support-budgets",
          body=lambda w, s: {"distributor_id": w.distributor(s).pk, "year": 2030, "amount": "1000"},
          params=lambda w, side: {},
          expect=a(None, **merge(_roles(OFFICE, 200), {"executive": 403}, _roles(REACH + DIST, {"own": 403, "other": 404})))),
    Route(api="POST /api/v1/program-levels/recompute", body=lambda w, s: {"program_id": build(w)["launched"].pk, "reason": "Review"},
          expect=a(403, **_roles(OFFICE, 200))),
    Route(api="POST /api/v1/program-rule-conditions/apply", body=lambda w, s: {"program_id": build(w)["launched"].pk},
          expect=a(403, **_roles(OFFICE, 200))),
    Route(api="GET /api/v1/distributors/{distributor_id}/ledger", params=dist("distributor_id"),
          expect=a(200, **_roles(REACH, {"own": 200, "other": 404}), dist_head={"own": 200, "other": 404},
                   dist_sales={"own": 404, "other": 404})),
    Route(api="POST /api/v1/ledger/{entry_id}/appeal", params=obj("ledger", "entry_id"),
          body=lambda w, s: {"text": "It was on time"},
          expect=a(403, **_roles(REACH, {"own": 403, "other": 404}), dist_head={"own": 200, "other": 404},
                   **HEAD_SCOPED)),
    Route(api="POST /api/v1/ledger/{entry_id}/decision", params=obj("ledger", "entry_id"),
          body=lambda w, s: {"granted": False, "decision": "Stands"},
          note="The entry is not appealed: the office is refused with 422, nothing changes.",
          expect=a(None, **merge(_roles(OFFICE, 422), {"executive": 403},
                                 _roles(REACH + DIST, {"own": 403, "other": 404}), HEAD_SCOPED))),
    Route(api="GET /api/v1/distributors/{distributor_id}/program-level", params=dist("distributor_id"),
          expect=a(200, **_roles(REACH + DIST, {"own": 200, "other": 404}))),
    Route(api="GET /api/v1/scorecards", expect=a(200, dist_sales=403)),
    Route(api="GET /api/v1/scorecards/{distributor_id}", params=dist("distributor_id"),
          expect=a(200, **_roles(REACH, {"own": 200, "other": 404}), dist_head={"own": 200, "other": 404},
                   dist_sales=403)),
    Route(api="GET /api/v1/support-requests", expect=a(200)),
    Route(api="POST /api/v1/support-requests",
          body=lambda w, s: {"distributor_id": w.own.pk, "kind": "methodological", "title": "Coaching",
                             "description": "Help with a tender"},
          expect=a(403, **_roles(OFFICE, 201), dist_head=201)),
    Route(api="POST /api/v1/support-requests/{request_id}/decision", params=obj("requested", "request_id"),
          body=lambda w, s: {"approve": True},
          expect=a(None, **merge(OFFICE_SCOPED_WRITE, _roles(OFFICE, 200), HEAD_SCOPED))),
    Route(api="GET /api/v1/support-requests/{request_id}", params=obj("approved", "request_id"),
          expect=a(200, **_roles(REACH, {"own": 200, "other": 404}), dist_head={"own": 200, "other": 404}, **HEAD_SCOPED)),
    # No proof and no amount: whoever may claim gets the 422 with field errors, the others 403 / 404 first.
    Route(api="POST /api/v1/support-requests/{request_id}/claims", params=obj("approved", "request_id"),
          body=lambda w, s: {},
          expect=a(None, **merge(OFFICE_SCOPED_WRITE, _roles(OFFICE, 422), {"dist_head": {"own": 422, "other": 404}},
                                 HEAD_SCOPED))),
    Route(api="GET /api/v1/courses", expect=a(200)),
    Route(api="POST /api/v1/courses/{course_id}/enroll", params=obj("courses", "course_id"),
          expect=a(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(api="GET /api/v1/enrollments", expect=a(200)),
    # --- operations the pages had and the API lacked (issue 16, API parity)
    Route(api="POST /api/v1/programs/{program_id}/close", params=LAUNCHED_DRAFT_API,
          expect=a(403, **_roles(OFFICE, {"own": 200, "other": 422}), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(api="GET /api/v1/goals/{goal_id}/milestones", params=obj("goals", "goal_id"),
          expect=a(200, **_roles(REACH + DIST, {"own": 200, "other": 404}))),
    Route(api="POST /api/v1/goals/{goal_id}/milestones", params=obj("goals", "goal_id"),
          body=lambda w, s: {"title": "Pilot", "expected_result": "A test", "due_on": "2026-12-20"},
          expect=a(None, **office_api(201))),
    Route(api="POST /api/v1/milestones/{milestone_id}/achieve", params=obj("milestones", "milestone_id"),
          body=lambda w, s: {}, expect=a(None, **office_api(200))),
    Route(api="PATCH /api/v1/events/{event_id}", params=obj("events", "event_id"), body=lambda w, s: {"location": "Cluj"},
          expect=a(403, **_roles(OFFICE, 200), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(api="GET /api/v1/events/{event_id}/invitations", params=obj("events", "event_id"),
          expect=a(200, **_roles(DIST, {"own": 200, "other": 404}))),
    Route(api="POST /api/v1/events/{event_id}/attendance", params=obj("events", "event_id"),
          body=lambda w, s: {"attended_user_ids": [w.user("dist_head").pk]},
          expect=a(403, **_roles(OFFICE, 200), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(api="POST /api/v1/calendar-feed/rotate", expect=a(200)),
    Route(api="POST /api/v1/support-requests/{request_id}/pay", params=obj("claimed", "request_id"),
          expect=a(None, **merge(office_api(200), HEAD_SCOPED))),
    Route(api="POST /api/v1/support-requests/{request_id}/done", params=obj("methodological", "request_id"),
          body=lambda w, s: {}, expect=a(None, **merge(office_api(200), HEAD_SCOPED))),
    Route(api="POST /api/v1/enrollments/{enrollment_id}/complete", params=obj("enrollments", "enrollment_id"),
          expect=a(None, **office_api(200))),
    Route(api="POST /api/v1/distributors/{distributor_id}/ledger", params=dist("distributor_id"),
          body=lambda w, s: {"rule_id": build(w)["penalty_rule"].pk, "evidence": "Report late", "amount": "100"},
          expect=a(None, **office_api(201))),
    Route(api="GET /api/v1/distributors/{distributor_id}/awards", params=dist("distributor_id"),
          expect=a(200, **_roles(REACH + DIST, {"own": 200, "other": 404}))),
    Route(api="POST /api/v1/distributors/{distributor_id}/awards", params=dist("distributor_id"),
          body=lambda w, s: {"title": "First contract", "reason": "Signed in March"}, expect=a(None, **office_api(201))),
    Route(api="POST /api/v1/best-practices",
          body=lambda w, s: {"distributor_id": w.own.pk, "title": "Won the tender", "story": "How we did it."},
          expect=a(403, **_roles(OFFICE, 201), dist_head=201)),
    Route(api="POST /api/v1/best-practices/{practice_id}/share", params=obj("practices", "practice_id"),
          expect=a(403, **_roles(OFFICE, 200), **_roles(DIST, {"own": 403, "other": 404}))),
    Route(api="GET /api/v1/best-practices", expect=a(200)),
    Route(api="GET /api/v1/program-tiers", expect=a(200)),
]
