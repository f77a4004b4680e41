"""Courses, enrollments and completion, learning resources and best practices."""

from __future__ import annotations

from django.db.models import Count, Q

from keychannel.core.scoping import get_visible_or_404
from keychannel.deals.models import Opportunity

from ..models import BestPractice, Course, Enrollment, LearningResource

# --- learning, best practices, tiers ----------------------------------------------------------------------------


def course_list(*, principal):
    return Course.objects.visible_to(principal).annotate(
        module_total=Count("modules", distinct=True),
    )


def course_get(*, principal, pk):
    return get_visible_or_404(
        Course.objects.prefetch_related("modules"), principal, pk=pk
    )


def enrollment_list(*, principal, course=None, filters: dict | None = None):
    filters = filters or {}
    qs = Enrollment.objects.visible_to(principal).select_related("course", "user", "distributor")
    if course is not None:
        qs = qs.filter(course=course)
    for name in ("course_id", "distributor_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    return qs


def completion_by_distributor(*, principal) -> list[dict]:
    """Enrolled and completed people per distributor (one grouped query)."""
    rows = (
        enrollment_list(principal=principal)
        .filter(distributor__isnull=False)
        .order_by()
        .values("distributor_id", "distributor__code", "distributor__legal_name")
        .annotate(enrolled=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False)))
        .order_by("distributor__code")
    )
    return [dict(r, percent=int(r["completed"] * 100 / r["enrolled"]) if r["enrolled"] else 0) for r in rows]


def resource_list(*, principal):
    return LearningResource.objects.visible_to(principal)


def resource_get(*, principal, pk):
    return get_visible_or_404(LearningResource, principal, pk=pk)


def best_practice_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = BestPractice.objects.visible_to(principal).select_related("distributor", "author")
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if year := filters.get("year"):
        qs = qs.filter(starts_on__year=year)
    return qs


def best_practice_get(*, principal, pk):
    return get_visible_or_404(best_practice_list(principal=principal), principal, pk=pk)


def best_practice_deal_visible(*, principal, practice) -> bool:
    """Whether the reader may open the linked deal (the story is shared; the deal's data is not)."""
    if not practice.deal_id:
        return False
    return Opportunity.objects.visible_to(principal).filter(pk=practice.deal_id).exists()
