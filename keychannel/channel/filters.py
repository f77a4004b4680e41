"""The filters of the channel lists, defined once: the selectors apply them, the pages draw them, the API takes them.

A name here is both the page's query parameter and the API filter's field (``schemas.*Filter``, which adds the
types and the 422 for a bad value); ``tests/test_list_filters.py`` checks the two agree.
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from keychannel.core.filters import FilterSpec, ListFilters

from .choices import (
    OPEN_CONFLICT_STATUSES,
    ConflictKind,
    ConflictStatus,
    LeadStatus,
    RegistrationStatus,
    Resolution,
)


def _registration_status(qs, value, principal):
    """By the status a user sees (``effective_status``): an approved registration whose protection has passed
    is "Expired", not "Approved", although its stored status stays approved until the expiry job runs."""
    today = timezone.localdate()
    if value == RegistrationStatus.EXPIRED:
        return qs.filter(
            Q(status=RegistrationStatus.EXPIRED)
            | Q(status=RegistrationStatus.APPROVED) & (Q(protected_until__lt=today) | Q(protected_until__isnull=True))
        )
    if value == RegistrationStatus.APPROVED:
        return qs.protected_on(today)
    return qs.filter(status=value)


def _mine(qs, value, principal):
    return qs.filter(registered_by_id=principal.user_id) if value else qs


def _in_conflict(qs, value, principal):
    open_conflicts = Q(conflicts__status__in=OPEN_CONFLICT_STATUSES)
    return qs.filter(open_conflicts).distinct() if value else qs.exclude(open_conflicts)


REGISTRATION_FILTERS = ListFilters(
    FilterSpec("status", gettext_lazy("Status"), method=_registration_status, choices=RegistrationStatus.choices),
    FilterSpec("distributor_id", lookup="distributor_id"),
    FilterSpec("mine", method=_mine),  # the page's "mine" toggle
    FilterSpec("in_conflict", method=_in_conflict),
)


def _open(qs, value, principal):
    return qs.filter(status__in=OPEN_CONFLICT_STATUSES) if value else qs


def _overdue(qs, value, principal):
    return qs.filter(status__in=OPEN_CONFLICT_STATUSES, due_on__lt=timezone.localdate()) if value else qs


def _conflict_territories(principal):
    from keychannel.network.models import Territory

    return [(t.pk, t.name) for t in Territory.objects.visible_to(principal).filter(channel_conflicts__isnull=False).distinct()]


def _conflict_product_lines(principal):
    from keychannel.network.models import ProductLine

    return [(p.pk, p.name) for p in ProductLine.objects.visible_to(principal).filter(channel_conflicts__isnull=False).distinct()]


_KIND = FilterSpec("kind", gettext_lazy("Kind"), lookup="kind", choices=ConflictKind.choices)
_TERRITORY = FilterSpec("territory_id", gettext_lazy("Territory"), lookup="territory_id")
_PRODUCT_LINE = FilterSpec("product_line_id", gettext_lazy("Product line"), lookup="product_lines__id", distinct=True)
_OPEN = FilterSpec("open", method=_open)
_OVERDUE = FilterSpec("overdue", method=_overdue)  # the page's "overdue" toggle

CONFLICT_FILTERS = ListFilters(
    _KIND,
    FilterSpec("status", gettext_lazy("Status"), lookup="status", choices=ConflictStatus.choices),
    FilterSpec("resolution", gettext_lazy("Decision"), lookup="resolution"),
    _TERRITORY, _PRODUCT_LINE, _OPEN, _OVERDUE,
)

# Resolved conflicts only: the status filter would be pointless; territory and product line are on the page.
PRECEDENT_FILTERS = ListFilters(
    _KIND,
    FilterSpec("status", lookup="status"),
    FilterSpec("resolution", gettext_lazy("Decision"), lookup="resolution", choices=Resolution.choices),
    FilterSpec(_TERRITORY.name, _TERRITORY.label, lookup=_TERRITORY.lookup, choices=_conflict_territories,
               param="territory"),
    FilterSpec(_PRODUCT_LINE.name, _PRODUCT_LINE.label, lookup=_PRODUCT_LINE.lookup, distinct=True,
               choices=_conflict_product_lines, param="product_line"),
    _OPEN, _OVERDUE,
)

LEAD_FILTERS = ListFilters(
    FilterSpec("status", gettext_lazy("Status"), lookup="status", choices=LeadStatus.choices),
    FilterSpec("territory_id", lookup="territory_id"),
)
