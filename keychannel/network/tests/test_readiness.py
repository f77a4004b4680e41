"""Readiness: the score, versioned questionnaires, the action plan, the trend; compliance reviews."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.network import selectors, services
from keychannel.network.models import (
    ActionItem,
    ComplianceReview,
    ReadinessAssessment,
    ReadinessQuestion,
    ReadinessQuestionnaire,
)

pytestmark = pytest.mark.django_db


def answers(value=2, **overrides):
    base = {q.code: value for q in ReadinessQuestion.objects.filter(questionnaire__version=1)}
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("values", "score"),
    [([0] * 6, 0), ([4] * 6, 100), ([2] * 6, 50), ([4, 4, 4, 0, 0, 0], 50), ([1, 0, 0, 0, 0, 0], 4), ([3, 3, 3, 3, 3, 2], 71)],
)
def test_readiness_score(values, score):
    assert services.readiness_score(values) == score


def test_the_seed_questions_are_version_one():
    codes = list(ReadinessQuestion.objects.filter(questionnaire__version=1).values_list("code", flat=True))
    assert codes == ["need", "middle-managers", "negotiation", "financial-commitment", "dedicated-people", "crm"]


def test_assess_computes_score_and_latest(world):
    mentor = world.principal("mentor")
    assert selectors.latest_readiness_score(world.own) is None
    services.readiness_assess(principal=mentor, distributor=world.own, assessed_on=date(2025, 6, 1), answers=answers(1))
    services.readiness_assess(principal=mentor, distributor=world.own, assessed_on=date(2026, 6, 1),
                              answers=answers(3, crm=4))
    services.readiness_assess(principal=world.principal("admin"), distributor=world.own, assessed_on=date(2026, 1, 1),
                              answers=answers(2))
    assert selectors.latest_readiness_score(world.own) == 79  # (3*5+4)/24 → 79.2
    assert selectors.latest_readiness_score(world.own.pk) == 79


def test_assess_validates_and_changes_nothing(world):
    pm = world.principal("program_manager")
    cases = [
        answers(2, crm=5),
        {k: v for k, v in answers().items() if k != "crm"},
        {**answers(), "unknown": 1},
        answers(2, crm="3"),
    ]
    for bad in cases:
        with pytest.raises(ValidationError):
            services.readiness_assess(principal=pm, distributor=world.own, assessed_on=date(2026, 1, 1), answers=bad)
    services.readiness_assess(principal=pm, distributor=world.own, assessed_on=date(2026, 1, 1), answers=answers())
    with pytest.raises(ValidationError):  # one per day
        services.readiness_assess(principal=pm, distributor=world.own, assessed_on=date(2026, 1, 1), answers=answers())
    with pytest.raises(PermissionDenied):
        services.readiness_assess(principal=world.principal("mentor"), distributor=world.other,
                                  assessed_on=date(2026, 2, 1), answers=answers())
    assert ReadinessAssessment.objects.count() == 1


def test_a_new_questionnaire_version_keeps_old_assessments(world):
    pm = world.principal("program_manager")
    old = services.readiness_assess(principal=pm, distributor=world.own, assessed_on=date(2025, 1, 1), answers=answers(4))
    v1 = ReadinessQuestionnaire.objects.get(version=1)
    v1.active = False
    v1.save()
    v2 = ReadinessQuestionnaire.objects.create(version=2, title="v2")
    ReadinessQuestion.objects.create(questionnaire=v2, position=1, code="crm", text="Uses the CRM")
    ReadinessQuestion.objects.create(questionnaire=v2, position=2, code="pipeline", text="Reviews the pipeline")
    new = services.readiness_assess(principal=pm, distributor=world.own, assessed_on=date(2026, 1, 1),
                                    answers={"crm": 4, "pipeline": 0})
    assert new.questionnaire == v2 and new.score == 50
    old.refresh_from_db()
    assert old.questionnaire == v1 and old.score == 100 and old.answers.count() == 6


def test_action_plan_owner_rules(world):
    pm = world.principal("program_manager")
    assessment = services.readiness_assess(principal=pm, distributor=world.own, assessed_on=date(2026, 1, 1),
                                           answers=answers())
    with pytest.raises(ValidationError):  # another distributor's person may not own our action
        services.action_item_create(principal=pm, assessment=assessment, title="x", due_on=date(2026, 2, 1),
                                    owner=world.other_users["dist_head"])
    item = services.action_item_create(principal=pm, assessment=assessment, title="Name a KAM lead",
                                       due_on=date(2026, 2, 1), owner=world.user("dist_head"))
    services.action_item_update(principal=world.principal("dist_head"), item=item, status="done")
    item.refresh_from_db()
    assert item.status == "done" and ActionItem.objects.count() == 1


def test_readiness_form_page_and_trend(world, login):
    client = login(world.user("mentor"))
    url = reverse("network:readiness_create", args=[world.own.pk])
    data = {f"q_{k}": v for k, v in answers(3).items()} | {"assessed_on": "2026-03-01", "summary": "Good start"}
    bad = client.post(url, {**data, "q_crm": "9"})
    assert bad.status_code == 422 and b"Good start" in bad.content and ReadinessAssessment.objects.count() == 0
    ok = client.post(url, data)
    assessment = ReadinessAssessment.objects.get()
    assert ok.status_code == 302 and ok["Location"] == assessment.get_absolute_url() and assessment.score == 75
    client.post(url, {**data, "assessed_on": "2026-05-01", "q_crm": "4"})
    page = client.get(reverse("network:distributor_detail", args=[world.own.pk]))
    assert [p["score"] for p in page.context["readiness_trend"]] == [75, 79]
    assert page.context["latest_assessment"].score == 79
    detail = client.get(assessment.get_absolute_url())
    assert detail.status_code == 200 and b'id="answer-table"' in detail.content


def test_reviews_only_for_large_distributors_and_hidden_from_salespeople(world, api_as):
    cm = world.principal("channel_manager")
    with pytest.raises(ValidationError):
        services.review_create(principal=cm, distributor=world.own, period="2026 H1", reviewed_on=date(2026, 1, 10))
    world.own.size_tier = "large"
    world.own.save()
    with pytest.raises(ValidationError):
        services.review_create(principal=cm, distributor=world.own, period="2026 H1", reviewed_on=date(2026, 1, 10),
                               follow_up_on=date(2026, 1, 1))
    review = services.review_create(principal=cm, distributor=world.own, period="2026 H1", reviewed_on=date(2026, 1, 10),
                                    findings="Key accounts not in the CRM")
    assert review.reviewer == world.user("channel_manager")
    assert [r["id"] for r in api_as(world.user("dist_head")).get("/api/v1/reviews").json()["items"]] == [review.pk]
    assert api_as(world.user("dist_sales")).get("/api/v1/reviews").json()["count"] == 0
    assert api_as(world.user("mentor")).patch(f"/api/v1/reviews/{review.pk}", {"status": "closed"},
                                              content_type="application/json").status_code == 403
    assert ComplianceReview.objects.get().status == "planned"


def test_list_query_counts_do_not_grow(world, api_as):
    api = api_as(world.user("admin"))
    api.get("/api/v1/me")
    pm = world.principal("program_manager")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    def measure():
        return count("/api/v1/readiness"), count("/api/v1/reviews")

    world.own.size_tier = world.other.size_tier = "large"
    world.own.save()
    world.other.save()
    services.readiness_assess(principal=pm, distributor=world.own, assessed_on=date(2024, 1, 1), answers=answers())
    services.review_create(principal=pm, distributor=world.own, period="p0", reviewed_on=date(2024, 1, 1))
    small = measure()
    for i in range(1, 10):
        d = world.own if i % 2 else world.other
        services.readiness_assess(principal=pm, distributor=d, assessed_on=date(2024, 1, 1 + i), answers=answers(i % 5))
        services.review_create(principal=pm, distributor=d, period=f"p{i}", reviewed_on=date(2024, 1, 1))
    assert measure() == small
