"""Reads of the service app, always scoped: case lists, one case with what the reader may see of its
conversation, the SLA report, cases at risk, repeat incidents and the service-health panels."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from keychannel.core.scoping import get_visible_or_404
from keychannel.deals.models import CorporateContract

from . import satisfaction, sla
from .choices import OPEN_STATUSES, CaseStatus, CaseType, Risk
from .filters import CASE_FILTERS
from .models import CaseEvent, CaseMessage, IntakeLink, ServiceCase

MET = Q(response_breached=False, resolution_breached=False)
DIMENSIONS = {
    "distributor": ("distributor_id", "distributor__code"),
    "tier": ("tier_id", "tier__name"),
    "product_line": ("product_line_id", "product_line__name"),
    "month": ("month", None),
}
REPEAT_WINDOW_DAYS = 90
RENEWAL_WATCH_DAYS = 90


def case_list(*, principal, filters: dict | None = None):
    qs = ServiceCase.objects.visible_to(principal).select_related(
        "client", "distributor", "assignee", "product_line", "tier")
    return CASE_FILTERS.apply(qs, filters or {}, principal)


def case_get(*, principal, pk):
    return get_visible_or_404(case_list(principal=principal), principal, pk=pk)


def message_list(*, principal, case):
    return CaseMessage.objects.visible_to(principal).filter(case=case).select_related("author", "case")


def event_list(*, principal, case):
    return CaseEvent.objects.visible_to(principal).filter(case=case)


def public_messages(case):
    """What the client's contact reads: public replies only."""
    return case.messages.filter(kind="public").select_related("author").order_by("created_at", "id")


def intake_links(*, principal, client):
    return IntakeLink.objects.visible_to(principal).filter(client=client, active=True)


def with_risk(cases, now=None) -> list:
    now = now or timezone.now()
    rows = list(cases)
    for case in rows:
        case.risk = sla.risk(case, now)
    return rows


# ---------------------------------------------------------------------------------------------- the SLA report


def _period(qs, date_from, date_to):
    if date_from:
        qs = qs.filter(resolved_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(resolved_at__date__lte=date_to)
    return qs


def attainment(*, principal, by: str = "distributor", date_from: datetime.date | None = None,
               date_to: datetime.date | None = None, distributor_id=None) -> list[dict]:
    """SLA attainment of the resolved cases the reader may see, grouped by distributor, tier, product line or month
    of resolution. A case meets its SLA when neither its response nor its resolution target was breached."""
    if by not in DIMENSIONS:
        raise ValueError(by)
    qs = _period(ServiceCase.objects.visible_to(principal).filter(resolved_at__isnull=False), date_from, date_to)
    if distributor_id:
        qs = qs.filter(distributor_id=distributor_id)
    key, label = DIMENSIONS[by]
    if by == "month":
        qs = qs.annotate(month=TruncMonth("resolved_at"))
        fields = ["month"]
    else:
        fields = [key, label]
    rows = qs.order_by().values(*fields).annotate(total=Count("pk"), met=Count("pk", filter=MET),
                                                  rating=Avg("rating"))
    out = []
    for row in rows:
        if by == "month":
            month = row["month"]
            row_key = month.strftime("%Y-%m") if month else ""
            row_label = row_key
        else:
            row_key = row[key]
            row_label = row[label] or "—"
        out.append({"key": str(row_key or ""), "label": str(row_label), "total": row["total"], "met": row["met"],
                    "breached": row["total"] - row["met"], "attainment": _share(row["met"], row["total"]),
                    "rating": round(Decimal(row["rating"]), 2) if row["rating"] is not None else None})
    return sorted(out, key=lambda r: r["label"])


def _share(part, whole) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def at_risk(*, principal, limit: int = 100) -> list:
    """Open cases at risk or breached across what the reader sees, most urgent first."""
    now = timezone.now()
    qs = (ServiceCase.objects.visible_to(principal).filter(status__in=OPEN_STATUSES)
          .select_related("client", "distributor", "assignee", "tier").order_by("resolution_due_at"))
    rows = [c for c in with_risk(qs[:2000], now) if c.risk in (Risk.AT_RISK, Risk.BREACHED)]
    return rows[:limit]


def repeat_incidents(*, principal, days: int = REPEAT_WINDOW_DAYS, minimum: int = 2) -> list[dict]:
    """Clients with at least ``minimum`` incidents opened in the last ``days`` days (per product line)."""
    since = timezone.now() - datetime.timedelta(days=days)
    rows = (ServiceCase.objects.visible_to(principal).filter(case_type=CaseType.INCIDENT, opened_at__gte=since)
            .order_by().values("client_id", "client__legal_name", "product_line__name")
            .annotate(count=Count("pk")).filter(count__gte=minimum).order_by("-count", "client__legal_name"))
    return list(rows)


# ---------------------------------------------------------------------------------------------- health panels


def _health(qs) -> dict:
    """The figures of a service-health panel (client page, distributor scorecard, their API): cases opened in the
    last 12 months, and the satisfaction of the cases rated in them (satisfaction.py, NPS-style)."""
    since = timezone.now() - datetime.timedelta(days=365)
    year = qs.filter(opened_at__gte=since)
    figures = year.aggregate(
        resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
        met=Count("pk", filter=Q(resolved_at__isnull=False) & MET),
        breached=Count("pk", filter=Q(response_breached=True) | Q(resolution_breached=True)),
        rated=Count("rating"), rating=Avg("rating"),
        incidents=Count("pk", filter=Q(case_type=CaseType.INCIDENT)),
    )
    rated = satisfaction.summary(year)
    open_cases = with_risk(qs.filter(status__in=OPEN_STATUSES).select_related("tier", "client")
                           .order_by("resolution_due_at")[:50])
    return {
        "open": len(open_cases),
        "open_cases": open_cases,
        "at_risk": sum(1 for c in open_cases if c.risk in (Risk.AT_RISK, Risk.BREACHED)),
        "resolved": figures["resolved"],
        "attainment": _share(figures["met"], figures["resolved"]),
        "breached": figures["breached"],
        "rated": figures["rated"],
        "rating": round(Decimal(figures["rating"]), 2) if figures["rating"] is not None else None,
        "incidents": figures["incidents"],
        "satisfaction": rated,
        "poor": bool(figures["resolved"] and _share(figures["met"], figures["resolved"]) < 80)
        or bool(figures["rating"] is not None and figures["rating"] < 3),
    }


def client_service_health(*, principal, client) -> dict:
    """The service panel of a client page: open cases and their risk, 12-month attainment, breaches, rating."""
    qs = ServiceCase.objects.visible_to(principal).filter(client=client)
    health = _health(qs)
    renewal = (CorporateContract.objects.visible_to(principal)
               .filter(client=client, status="active", renewal_on__isnull=False,
                       renewal_on__lte=timezone.localdate() + datetime.timedelta(days=RENEWAL_WATCH_DAYS))
               .order_by("renewal_on").values_list("renewal_on", flat=True).first())
    health["renewal_on"] = renewal
    health["renewal_at_risk"] = bool(renewal and health["poor"])
    health["ratings"] = list(qs.filter(rated_at__isnull=False).order_by("-rated_at")
                             .values("pk", "rating", "rating_comment", "rated_at", "title")[:5])
    return health


def service_health_for_distributor(principal, distributor) -> dict:
    """A distributor's service figures over the last 12 months (for the scorecard): what the reader may see."""
    distributor_id = getattr(distributor, "pk", distributor)
    return _health(ServiceCase.objects.visible_to(principal).filter(distributor_id=distributor_id))


def case_counts_by_status(*, principal) -> dict:
    rows = ServiceCase.objects.visible_to(principal).order_by().values("status").annotate(n=Count("pk"))
    counts = {status: 0 for status in CaseStatus.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts
