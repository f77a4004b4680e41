from datetime import date

from tests.access import DISTRIBUTOR, MANUFACTURER, Route, anon_api, anon_page, expect

DIST_PROFILE = {"own": 200, "other": 404}
PEOPLE_EDITORS = ["admin", "program_manager", "channel_manager", "mentor", "embedded_kam", "dist_head"]
RELATIONSHIP_EDITORS = ["admin", "program_manager", "channel_manager", "mentor", "embedded_kam"]
ASSESSORS = ["admin", "program_manager", "channel_manager", "mentor"]
ACTION_EDITORS = PEOPLE_EDITORS
REVIEWERS = ["admin", "program_manager", "channel_manager"]
ALL_READERS = ["admin", "program_manager", "executive", "channel_manager", "mentor", "embedded_kam", "dist_head"]
PROGRAM_OFFICE = ["admin", "program_manager"]
OTHER_MANUFACTURER = [r for r in MANUFACTURER if r not in PROGRAM_OFFICE]


def _dist(w, side):
    return {"pk": w.distributor(side).pk}


def _dist_api(w, side):
    return {"distributor_id": w.distributor(side).pk}


def _coverage(w, side):
    from keychannel.network.models import Coverage

    return w.once(f"coverage-{side}", lambda: Coverage.objects.create(
        distributor=w.distributor(side), territory=w.territory, product_line=w.product_line, valid_from=date(2024, 1, 1)
    ))


def _draft_questionnaire(w):
    """A version nobody has answered, not in use."""
    from keychannel.network.models import ReadinessQuestion, ReadinessQuestionnaire

    def make():
        questionnaire = ReadinessQuestionnaire.objects.create(version=99, title="Draft", active=False)
        ReadinessQuestion.objects.create(questionnaire=questionnaire, position=1, code="q", text="Q?")
        return questionnaire

    return w.once("draft-questionnaire", make)


def _coverage_request(w, side):
    """A pending request of the head of the "own" or "other" distributor."""
    from keychannel.network.request_models import CoverageRequest

    return w.once(f"coverage-request-{side}", lambda: CoverageRequest.objects.create(
        distributor=w.distributor(side), kind="add", territory=w.territory, product_line=w.product_line,
        valid_from=date(2030, 1, 1), reason="A new branch", requested_by=(w.users if side == "own" else w.other_users)[
            "dist_head"]))


def _defaults():
    from keychannel.network.defaults import ensure_defaults

    ensure_defaults()


def _playbook(w, side):
    from keychannel.network.models import Playbook

    _defaults()
    return {"pk": Playbook.objects.get(quadrant="partner", sole_channel=False).pk}


def _person(w, side):
    from keychannel.network.models import DistributorPerson

    return w.once(f"person-{side}", lambda: DistributorPerson.objects.create(
        distributor=w.distributor(side), full_name=f"Person {side}", level="top_manager"
    ))


def _relationship(w, side):
    from keychannel.network.models import Relationship

    return w.once(f"relationship-{side}", lambda: Relationship.objects.create(
        person=_person(w, side), manufacturer_user=w.user("program_manager"), manufacturer_level="top", strength=3
    ))


def _assessment(w, side):
    from keychannel.network.models import ReadinessAssessment, ReadinessQuestionnaire

    _defaults()
    return w.once(f"assessment-{side}", lambda: ReadinessAssessment.objects.create(
        distributor=w.distributor(side), questionnaire=ReadinessQuestionnaire.objects.get(version=1),
        assessed_on=date(2026, 1, 15), score=50
    ))


def _action(w, side):
    from keychannel.network.models import ActionItem

    return w.once(f"action-{side}", lambda: ActionItem.objects.create(
        assessment=_assessment(w, side), title="Train the team", due_on=date(2026, 3, 1)
    ))


def _review(w, side):
    from keychannel.network.models import ComplianceReview

    _make_large(w.distributor(side))
    return w.once(f"review-{side}", lambda: ComplianceReview.objects.create(
        distributor=w.distributor(side), period="2026 H1", reviewed_on=date(2026, 2, 1)
    ))


def _answers():
    from keychannel.network.models import ReadinessQuestion

    _defaults()
    return {q.code: 2 for q in ReadinessQuestion.objects.filter(questionnaire__version=1)}


def _make_large(distributor):
    """In the database only: the matrix shares one world object between cases, each case in a savepoint."""
    from keychannel.network.models import Distributor

    Distributor.objects.filter(pk=distributor.pk).update(size_tier="large")


def _large_own_review_body(w, side):
    _make_large(w.own)
    return {"distributor_id": w.own.pk, "period": "2026 H2", "reviewed_on": "2026-07-01"}


def pk_of(make, key="pk"):
    return lambda w, s: {key: make(w, s).pk}


REACH = ["channel_manager", "mentor", "embedded_kam"]  # manufacturer roles that reach "own" only


def reach_table(*, ok, editors, not_editor_own=403, dist_head=None, dist_sales=None, sales_sees=True,
                fetch_other=404, anon=None):
    """Expectations for a route on one distributor's record (or the distributor itself).

    ``editors``: roles allowed by the policy; ``fetch_other``: what a reach-limited role gets for the other
    distributor (404 when the record is scoped, 403 when only the distributor profile is fetched).
    """
    table = {}
    for role in ["admin", "program_manager", "executive"]:
        table[role] = ok if role in editors else 403
    for role in REACH:
        table[role] = {"own": ok if role in editors else not_editor_own,
                       "other": fetch_other if (role in editors or fetch_other == 404) else 403}
    table["dist_head"] = dist_head if dist_head is not None else {
        "own": ok if "dist_head" in editors else 403, "other": 404}
    table["dist_sales"] = dist_sales if dist_sales is not None else (
        {"own": 403, "other": 404} if sales_sees else 404)
    return expect(**table, **(anon or anon_page()))


def manufacturer_page(**kw):
    """Manufacturer-only pages: every manufacturer role 200, distributor users 403."""
    return expect(200, **{r: 403 for r in DISTRIBUTOR}, **anon_page(), **kw)


def program_office_write(ok, *, dist_own=403, anon=None):
    """Writes on network data every manufacturer role sees: program office ok, other manufacturer roles 403,
    distributor users 403 on their own record and 404 on another's."""
    return expect(
        403,
        **{r: ok for r in PROGRAM_OFFICE},
        **{r: {"own": dist_own, "other": 404} for r in DISTRIBUTOR},
        **(anon or anon_page()),
    )


ROUTES = [
    Route(name="network:distributor_list", expect=expect(200, **anon_page())),
    Route(name="network:distributor_quadrant", expect=manufacturer_page()),
    Route(name="network:distributor_detail", params=_dist,
          expect=expect(200, **{r: DIST_PROFILE for r in DISTRIBUTOR}, **anon_page())),
    Route(name="network:distributor_update", params=_dist,
          # Program office edits any distributor; a channel manager only those they manage (own).
          expect=expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 403},
                        **{r: DIST_PROFILE | {"own": 403} for r in DISTRIBUTOR}, **anon_page())),
    Route(name="network:coverage_matrix", expect=manufacturer_page()),
    Route(name="network:coverage_create", params=_dist, expect=program_office_write(200)),
    Route(name="network:coverage_update", params=lambda w, s: {"pk": _coverage(w, s).pk},
          expect=program_office_write(200)),
    Route(name="network:playbook_list", expect=manufacturer_page()),
    Route(api="GET /api/v1/playbooks", expect=expect(200, **{r: 403 for r in DISTRIBUTOR}, **anon_api())),
    Route(api="PATCH /api/v1/playbooks/{playbook_id}", params=lambda w, s: {"playbook_id": _playbook(w, s)["pk"]},
          body=lambda w, s: {"title": "Partners first"},
          expect=expect(403, admin=200, program_manager=200, **anon_api())),
    Route(api="GET /api/v1/distributors/{distributor_id}/sole-channel", params=_dist_api,
          expect=expect(200, **{r: DIST_PROFILE for r in DISTRIBUTOR}, **anon_api())),
    Route(name="network:playbook_update", params=_playbook,
          expect=expect(403, admin=200, program_manager=200, **{r: 404 for r in DISTRIBUTOR}, **anon_page())),
    Route(name="network:person_create", params=_dist,
          expect=reach_table(ok=200, editors=PEOPLE_EDITORS, fetch_other=403)),
    Route(name="network:person_update", params=pk_of(_person), expect=reach_table(ok=200, editors=PEOPLE_EDITORS)),
    Route(name="network:relationship_create", params=_dist,
          expect=reach_table(ok=200, editors=RELATIONSHIP_EDITORS, fetch_other=403)),
    Route(name="network:relationship_update", params=pk_of(_relationship),
          expect=reach_table(ok=200, editors=RELATIONSHIP_EDITORS, sales_sees=False,
                             dist_head={"own": 403, "other": 404})),
    Route(name="network:interaction_create", params=pk_of(_relationship),
          expect=reach_table(ok=200, editors=RELATIONSHIP_EDITORS, sales_sees=False,
                             dist_head={"own": 403, "other": 404})),
    Route(name="network:relationship_health", expect=manufacturer_page()),
    Route(name="network:readiness_create", params=_dist,
          expect=reach_table(ok=200, editors=ASSESSORS, fetch_other=403)),
    Route(name="network:readiness_detail", params=pk_of(_assessment),
          expect=reach_table(ok=200, editors=ALL_READERS, sales_sees=False)),
    Route(name="network:action_item_create", params=pk_of(_assessment),
          expect=reach_table(ok=200, editors=ACTION_EDITORS, sales_sees=False)),
    Route(name="network:action_item_update", params=pk_of(_action),
          expect=reach_table(ok=200, editors=ACTION_EDITORS, sales_sees=False)),
    Route(name="network:review_create", params=_dist, expect=reach_table(ok=200, editors=REVIEWERS, fetch_other=403)),
    Route(name="network:review_update", params=pk_of(_review),
          expect=reach_table(ok=200, editors=REVIEWERS, sales_sees=False)),
    Route(name="network:territory_list", expect=expect(200, **anon_page())),
    Route(name="network:productline_list", expect=expect(200, **anon_page())),
    Route(api="GET /api/v1/distributors", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/distributors/{distributor_id}", params=_dist_api,
          expect=expect(200, **{r: DIST_PROFILE for r in DISTRIBUTOR}, **anon_api())),
    Route(api="PATCH /api/v1/distributors/{distributor_id}", params=_dist_api, body=lambda w, s: {"stance": "active"},
          expect=expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 403},
                        **{r: {"own": 403, "other": 404} for r in DISTRIBUTOR}, **anon_api())),
    # Adding a distributor is the program office's (its head is then invited by the administrator).
    Route(name="network:distributor_create", expect=expect(403, admin=200, program_manager=200, **anon_page())),
    Route(api="POST /api/v1/distributors",
          body=lambda w, s: {"code": "dnew", "legal_name": "Nou SRL", "tax_id": "RO999", "territory_id": w.territory.pk,
                             "product_line_ids": [w.product_line.pk]},
          expect=expect(403, admin=201, program_manager=201, **anon_api())),
    Route(api="GET /api/v1/territories", expect=expect(200, **anon_api())),
    # Reference data is the program office's (issue 16): everyone reads it, admin and program manager keep it.
    Route(name="network:territory_create", expect=expect(403, admin=200, program_manager=200, **anon_page())),
    Route(name="network:territory_update", params=lambda w, s: {"pk": w.territory.pk},
          expect=expect(403, admin=200, program_manager=200, **anon_page())),
    Route(name="network:productline_create", expect=expect(403, admin=200, program_manager=200, **anon_page())),
    # Coverage change requests (issue 16): the head asks for its own distributor, its channel manager (and the
    # program office) decides; the salesperson has no part in it.
    Route(name="network:coverage_request_create", params=_dist,
          expect=expect(403, dist_head={"own": 200, "other": 404}, dist_sales={"own": 403, "other": 404},
                        **anon_page())),
    # Partner self-service (issue 16): the head keeps its own company's contact details.
    Route(name="network:distributor_profile", params=_dist,
          expect=expect(403, dist_head={"own": 200, "other": 404}, dist_sales={"own": 403, "other": 404},
                        **anon_page())),
    Route(api="PATCH /api/v1/distributors/{distributor_id}/profile", params=_dist_api,
          body=lambda w, s: {"phone": "+40 264 000 000"},
          expect=expect(403, dist_head={"own": 200, "other": 404}, dist_sales={"own": 403, "other": 404},
                        **anon_api())),
    Route(name="network:coverage_request_list", expect=expect(200, dist_sales=403, **anon_page())),
    Route(name="network:coverage_request_decide", method="POST", params=lambda w, s: {"pk": _coverage_request(w, s).pk},
          body=lambda w, s: {"decision": "reject", "note": "Not now"},
          expect=expect({"own": 403, "other": 404}, admin=302, program_manager=302, executive=403,
                        channel_manager={"own": 302, "other": 404}, dist_sales=404, **anon_page())),
    Route(api="GET /api/v1/coverage-requests", expect=expect(200, dist_sales=403, **anon_api())),
    Route(api="POST /api/v1/coverage-requests",
          body=lambda w, s: {"distributor_id": w.own.pk, "kind": "add", "reason": "New branch",
                             "territory_id": w.territory.pk, "product_line_id": w.product_line.pk},
          expect=expect(403, dist_head=201, **anon_api())),
    Route(api="POST /api/v1/coverage-requests/{request_id}/decide",
          params=lambda w, s: {"request_id": _coverage_request(w, s).pk}, body=lambda w, s: {"approve": False,
                                                                                              "note": "Not now"},
          expect=expect({"own": 403, "other": 404}, admin=200, program_manager=200, executive=403,
                        channel_manager={"own": 200, "other": 404}, dist_sales=404, **anon_api())),
    Route(name="network:presence_update", params=lambda w, s: {"pk": w.territory.pk},
          expect=expect(403, admin=200, program_manager=200, channel_manager=200, **anon_page())),
    Route(api="GET /api/v1/channel-presence", expect=expect(200, dist_head=403, dist_sales=403, **anon_api())),
    Route(api="PUT /api/v1/channel-presence/{territory_id}", params=lambda w, s: {"territory_id": w.territory.pk},
          body=lambda w, s: {"counts": {"franchise": 2}},
          expect=expect(403, admin=200, program_manager=200, channel_manager=200, **anon_api())),
    Route(name="network:questionnaire_list", expect=expect(403, admin=200, program_manager=200, **anon_page())),
    Route(name="network:questionnaire_create", expect=expect(403, admin=200, program_manager=200, **anon_page())),
    Route(name="network:questionnaire_update", params=lambda w, s: {"pk": _draft_questionnaire(w).pk},
          expect=expect(403, admin=200, program_manager=200, **anon_page())),
    Route(name="network:questionnaire_activate", method="POST", params=lambda w, s: {"pk": _draft_questionnaire(w).pk},
          expect=expect(403, admin=302, program_manager=302, **anon_page())),
    Route(api="GET /api/v1/readiness-questionnaires", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/readiness-questionnaires",
          body=lambda w, s: {"title": "v2", "questions": [{"text": "Do you plan key accounts?"}]},
          expect=expect(403, admin=201, program_manager=201, **anon_api())),
    Route(api="PATCH /api/v1/readiness-questionnaires/{questionnaire_id}",
          params=lambda w, s: {"questionnaire_id": _draft_questionnaire(w).pk}, body=lambda w, s: {"title": "v2b"},
          expect=expect(403, admin=200, program_manager=200, **anon_api())),
    Route(api="POST /api/v1/readiness-questionnaires/{questionnaire_id}/activate",
          params=lambda w, s: {"questionnaire_id": _draft_questionnaire(w).pk},
          expect=expect(403, admin=200, program_manager=200, **anon_api())),
    Route(name="network:productline_update", params=lambda w, s: {"pk": w.product_line.pk},
          expect=expect(403, admin=200, program_manager=200, **anon_page())),
    Route(api="POST /api/v1/territories", body=lambda w, s: {"name": "Moldova", "level": "country"},
          expect=expect(403, admin=201, program_manager=201, **anon_api())),
    Route(api="PATCH /api/v1/territories/{territory_id}", params=lambda w, s: {"territory_id": w.territory.pk},
          body=lambda w, s: {"name": "Cluj-Napoca"}, expect=expect(403, admin=200, program_manager=200, **anon_api())),
    Route(api="POST /api/v1/product-lines", body=lambda w, s: {"name": "Pumps"},
          expect=expect(403, admin=201, program_manager=201, **anon_api())),
    Route(api="PATCH /api/v1/product-lines/{product_line_id}",
          params=lambda w, s: {"product_line_id": w.product_line.pk},
          body=lambda w, s: {"description": "Screw and piston"},
          expect=expect(403, admin=200, program_manager=200, **anon_api())),
    Route(api="GET /api/v1/product-lines", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/coverage", expect=expect(200, **anon_api())),
    # Without its query parameters the rule check answers 422 to manufacturer roles; distributors never get it.
    Route(api="GET /api/v1/coverage/eligible",
          expect=expect(422, **{r: 403 for r in DISTRIBUTOR}, **anon_api())),
    Route(api="POST /api/v1/coverage",
          body=lambda w, s: {"distributor_id": w.own.pk, "territory_id": w.territory.pk,
                             "product_line_id": w.product_line.pk, "valid_from": "2025-01-01"},
          expect=expect(403, admin=201, program_manager=201, **anon_api())),
    Route(api="PATCH /api/v1/coverage/{coverage_id}", params=lambda w, s: {"coverage_id": _coverage(w, s).pk},
          body=lambda w, s: {"note": "renewed"}, expect=program_office_write(200, anon=anon_api())),
    Route(api="GET /api/v1/distributor-people", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/distributor-people",
          body=lambda w, s: {"distributor_id": w.own.pk, "full_name": "Ana Pop", "level": "middle_manager"},
          expect=expect(403, **{r: 201 for r in PEOPLE_EDITORS}, **anon_api())),
    Route(api="PATCH /api/v1/distributor-people/{person_id}", params=pk_of(_person, "person_id"),
          body=lambda w, s: {"title": "Sales director"},
          expect=reach_table(ok=200, editors=PEOPLE_EDITORS, anon=anon_api())),
    Route(api="GET /api/v1/relationships", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/relationships",
          body=lambda w, s: {"person_id": _person(w, "own").pk, "manufacturer_user_id": w.user("executive").pk,
                             "manufacturer_level": "top", "strength": 4},
          expect=expect(403, **{r: 201 for r in RELATIONSHIP_EDITORS}, **anon_api())),
    Route(api="PATCH /api/v1/relationships/{relationship_id}", params=pk_of(_relationship, "relationship_id"),
          body=lambda w, s: {"strength": 5},
          expect=reach_table(ok=200, editors=RELATIONSHIP_EDITORS, sales_sees=False,
                             dist_head={"own": 403, "other": 404}, anon=anon_api())),
    Route(api="POST /api/v1/relationships/{relationship_id}/interactions",
          params=pk_of(_relationship, "relationship_id"),
          body=lambda w, s: {"occurred_on": "2026-05-01", "kind": "call", "summary": "Quarterly call"},
          expect=reach_table(ok=201, editors=RELATIONSHIP_EDITORS, sales_sees=False,
                             dist_head={"own": 403, "other": 404}, anon=anon_api())),
    # Relationship health is the manufacturer's internal assessment: 403 for distributor users (issue 14).
    Route(api="GET /api/v1/distributors/{distributor_id}/relationship-health", params=_dist_api,
          expect=reach_table(ok=200, editors=ALL_READERS, dist_head={"own": 403, "other": 404},
                             dist_sales={"own": 403, "other": 404}, anon=anon_api())),
    Route(api="GET /api/v1/readiness", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/readiness/{assessment_id}", params=pk_of(_assessment, "assessment_id"),
          expect=reach_table(ok=200, editors=ALL_READERS, sales_sees=False, anon=anon_api())),
    Route(api="POST /api/v1/readiness",
          body=lambda w, s: {"distributor_id": w.own.pk, "assessed_on": "2026-04-01", "answers": _answers()},
          expect=expect(403, **{r: 201 for r in ASSESSORS}, **anon_api())),
    Route(api="GET /api/v1/readiness/{assessment_id}/actions", params=pk_of(_assessment, "assessment_id"),
          expect=reach_table(ok=200, editors=ALL_READERS, sales_sees=False, anon=anon_api())),
    Route(api="POST /api/v1/readiness/{assessment_id}/actions", params=pk_of(_assessment, "assessment_id"),
          body=lambda w, s: {"title": "Name a key-account lead", "due_on": "2026-06-30"},
          expect=reach_table(ok=201, editors=ACTION_EDITORS, sales_sees=False, anon=anon_api())),
    Route(api="PATCH /api/v1/readiness/actions/{item_id}", params=pk_of(_action, "item_id"),
          body=lambda w, s: {"status": "done"},
          expect=reach_table(ok=200, editors=ACTION_EDITORS, sales_sees=False, anon=anon_api())),
    Route(api="GET /api/v1/reviews", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/reviews", body=_large_own_review_body,
          expect=expect(403, **{r: 201 for r in REVIEWERS}, **anon_api())),
    Route(api="PATCH /api/v1/reviews/{review_id}", params=pk_of(_review, "review_id"),
          body=lambda w, s: {"status": "closed"},
          expect=reach_table(ok=200, editors=REVIEWERS, sales_sees=False, anon=anon_api())),
]
