"""The filters of the service-case list, defined once: the selector applies them, the page draws them, the API
takes them (``schemas.CaseFilter``)."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from keychannel.core.filters import FilterSpec, ListFilters

from .choices import CaseStatus, CaseType, ServicePriority

OPEN_CHOICES = [("1", gettext_lazy("Open")), ("0", gettext_lazy("Resolved or closed"))]


def _truthy(value) -> bool:
    return value in (True, "1", "true", "True", "yes")


def _open(qs, value, principal):
    done = [CaseStatus.RESOLVED, CaseStatus.CLOSED]
    return qs.exclude(status__in=done) if _truthy(value) else qs.filter(status__in=done)


def _breached(qs, value, principal):
    condition = Q(response_breached=True) | Q(resolution_breached=True)
    return qs.filter(condition) if _truthy(value) else qs.exclude(condition)


def _overdue(qs, value, principal):
    """Open, not waiting on the client, past a due time the escalation run may not have seen yet."""
    now = timezone.now()
    late = (Q(resolution_due_at__lt=now) | Q(first_response_at__isnull=True, response_due_at__lt=now))
    qs = qs.filter(status__in=[CaseStatus.NEW, CaseStatus.IN_PROGRESS])
    return qs.filter(late) if _truthy(value) else qs.exclude(late)


def _mine(qs, value, principal):
    return qs.filter(assignee_id=principal.user.pk) if _truthy(value) else qs


YES_NO = [("1", gettext_lazy("Yes")), ("0", gettext_lazy("No"))]

CASE_FILTERS = ListFilters(
    FilterSpec("open", gettext_lazy("Open"), method=_open, choices=OPEN_CHOICES),
    FilterSpec("status", gettext_lazy("Status"), lookup="status", choices=CaseStatus.choices),
    FilterSpec("priority", gettext_lazy("Priority"), lookup="priority", choices=ServicePriority.choices),
    FilterSpec("case_type", gettext_lazy("Type"), lookup="case_type", choices=CaseType.choices),
    FilterSpec("breached", gettext_lazy("Breached"), method=_breached, choices=YES_NO),
    FilterSpec("overdue", gettext_lazy("Overdue"), method=_overdue, choices=YES_NO),
    FilterSpec("mine", gettext_lazy("Assigned to me"), method=_mine, choices=[("1", gettext_lazy("Yes"))]),
    FilterSpec("distributor_id", lookup="distributor_id"),
    FilterSpec("client_id", lookup="client_id"),
    FilterSpec("product_line_id", lookup="product_line_id"),
)
