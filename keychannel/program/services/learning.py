"""Learning: course enrollment and completion, best practices shared with the network."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.network.models import Distributor

from ..choices import BestPracticeStatus
from ..models import BestPractice, Course, Enrollment
from .common import _save

# --- learning, best practices ---------------------------------------------------------------------------------------


@transaction.atomic
def course_enroll(*, principal, course: Course) -> Enrollment:
    """The caller enrols in a course (once)."""
    require(principal, "program.course.enroll", course)
    distributor = Distributor.objects.filter(pk=principal.own_distributor_id).first() if principal.is_distributor_user else None
    enrollment, _created = Enrollment.objects.get_or_create(
        course=course, user=principal.user, defaults={"distributor": distributor}
    )
    return enrollment


@transaction.atomic
def enrollment_complete(*, principal, enrollment: Enrollment, completed_at=None) -> Enrollment:
    """Record completion; a certifying course issues a certificate number."""
    require(principal, "program.enrollment.complete", enrollment)
    enrollment = Enrollment.objects.select_for_update().select_related("course").get(pk=enrollment.pk)
    if enrollment.completed_at is not None:
        raise ConflictError(_("This enrolment is already complete."))
    enrollment.completed_at = completed_at or timezone.now()
    if enrollment.course.certificate_title:
        enrollment.certificate_number = f"KC-{enrollment.course.code.upper()[:12]}-{enrollment.pk:06d}"
    return _save(enrollment)


@transaction.atomic
def best_practice_create(*, principal, distributor: Distributor, title: str, story: str, lessons: str = "",
                         deal_reference: str = "", deal=None) -> BestPractice:
    require(principal, "program.bestpractice.create", distributor)
    if deal is not None and deal.distributor_id != distributor.pk:
        raise ValidationError({"deal": _("The deal belongs to another distributor.")})
    if deal is not None and not type(deal)._base_manager.filter(pk=deal.pk, stage="won").exists():
        raise ValidationError({"deal": _("A success story links a won deal.")})
    return _save(BestPractice(distributor=distributor, title=title, story=story, lessons=lessons, deal=deal,
                              deal_reference=deal_reference, author=principal.user))


@transaction.atomic
def best_practice_share(*, principal, practice: BestPractice) -> BestPractice:
    require(principal, "program.bestpractice.share", practice)
    practice.status = BestPracticeStatus.SHARED
    return _save(practice)
