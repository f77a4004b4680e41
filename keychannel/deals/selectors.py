"""Reads of the deals app, always from ``visible_to``; list reads run a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from keychannel.core.scoping import get_visible_or_404

from .choices import DEFAULT_PROBABILITY, OPEN_STAGES, Attention, ForecastDimension, Stage
from .models import Activity, CorporateContract, Opportunity, ProductTest, StageChange, StageSetting

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=2))
WEIGHTED = ExpressionWrapper(F("value") * F("probability") / 100, output_field=DecimalField(max_digits=20, decimal_places=2))


def parse_month(value) -> datetime.date | None:
    """'2026-03' → 2026-03-01; anything else → None."""
    try:
        year, month = str(value).split("-")
        return datetime.date(int(year), int(month), 1)
    except (TypeError, ValueError):
        return None


def next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def apply_filters(qs, filters: dict, today: datetime.date | None = None):
    """The pipeline filters shared by the table, the kanban, the API and the forecast."""
    today = today or timezone.localdate()
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(title__icontains=q) | Q(client__legal_name__icontains=q))
    if stage := filters.get("stage"):
        qs = qs.filter(stage=stage)
    if filters.get("open"):
        qs = qs.filter(stage__in=OPEN_STAGES)
    distributor = filters.get("distributor_id")
    if distributor == "direct" or filters.get("direct"):
        qs = qs.filter(distributor__isnull=True)
    elif distributor:
        qs = qs.filter(distributor_id=distributor)
    if territory := filters.get("territory_id"):
        qs = qs.filter(client__territory_id=territory)
    if line := filters.get("product_line_id"):
        qs = qs.filter(product_lines__id=line)
    if owner := filters.get("owner_id"):
        qs = qs.filter(owner_id=owner)
    if client := filters.get("client_id"):
        qs = qs.filter(client_id=client)
    if month := parse_month(filters.get("close_month")):
        qs = qs.filter(expected_close_on__gte=month, expected_close_on__lt=next_month(month))
    attention = filters.get("attention")
    if attention == Attention.NO_NEXT_STEP:
        qs = qs.filter(stage__in=OPEN_STAGES).filter(Q(next_step="") | Q(next_step_on__isnull=True))
    elif attention == Attention.OVERDUE:
        qs = qs.filter(stage__in=OPEN_STAGES).exclude(next_step="").filter(next_step_on__lt=today)
    return qs


def opportunity_list(*, principal, filters: dict | None = None):
    """Deals the principal may see, with everything list pages and the API show, in a fixed number of queries."""
    qs = (
        Opportunity.objects.visible_to(principal)
        .select_related("client", "client__territory", "distributor", "owner", "mentor", "kam")
        .prefetch_related("product_lines")
    )
    return apply_filters(qs, filters or {})


def opportunity_get(*, principal, pk):
    return get_visible_or_404(opportunity_list(principal=principal), principal, pk=pk)


def opportunity_count(principal) -> int | None:
    return Opportunity.objects.visible_to(principal).open().count()


def stage_history(*, opportunity, now=None) -> list[dict]:
    """Every move with who and when, and how long the deal stayed in the stage it moved to."""
    now = now or timezone.now()
    changes = list(StageChange.objects.filter(opportunity=opportunity).select_related("changed_by"))
    rows = []
    for index, change in enumerate(changes):
        left_at = changes[index + 1].changed_at if index + 1 < len(changes) else None
        duration = (left_at or now) - change.changed_at
        rows.append({"change": change, "left_at": left_at, "duration": duration, "current": left_at is None,
                     "days": round(duration.total_seconds() / 86400, 1)})
    return rows


def time_in_stages(*, opportunity, now=None) -> list[dict]:
    """Total time per stage (a deal may visit a stage twice), in pipeline order."""
    totals: dict[str, datetime.timedelta] = defaultdict(datetime.timedelta)
    for row in stage_history(opportunity=opportunity, now=now):
        if row["change"].to_stage in OPEN_STAGES or not row["current"]:
            totals[row["change"].to_stage] += row["duration"]
    labels = dict(Stage.choices)
    return [{"stage": s, "label": labels[s], "duration": totals[s], "days": round(totals[s].total_seconds() / 86400, 1)}
            for s in Stage.values if s in totals]


def activity_list(*, principal, opportunity=None):
    qs = Activity.objects.visible_to(principal).select_related("opportunity", "product_test", "created_by")
    qs = qs.prefetch_related("stakeholders", "participants")
    return qs.filter(opportunity=opportunity) if opportunity is not None else qs


def activity_get(*, principal, pk):
    return get_visible_or_404(activity_list(principal=principal), principal, pk=pk)


def product_test_list(*, principal, opportunity=None):
    qs = ProductTest.objects.visible_to(principal).select_related("opportunity", "contract")
    qs = qs.prefetch_related("signoff_stakeholders", "signoffs__stakeholder", "signoffs__signed_by",
                             "signoffs__recorded_by")
    return qs.filter(opportunity=opportunity) if opportunity is not None else qs


def product_test_get(*, principal, pk):
    return get_visible_or_404(product_test_list(principal=principal), principal, pk=pk)


def stage_settings() -> dict[str, int]:
    probabilities = {str(k): v for k, v in DEFAULT_PROBABILITY.items()}
    probabilities.update(dict(StageSetting.objects.values_list("stage", "probability")))
    return probabilities


def pipeline_board(*, principal, filters: dict | None = None, per_column: int = 30) -> list[dict]:
    """The kanban: one column per stage with its totals and its most recently touched cards.

    Queries: one aggregate plus one per stage, whatever the number of deals.
    """
    base = apply_filters(Opportunity.objects.visible_to(principal), filters or {})
    totals = {
        row["stage"]: row
        for row in base.order_by().values("stage").annotate(
            n=Count("pk"), total=Coalesce(Sum("value"), ZERO), weighted=Coalesce(Sum(WEIGHTED), ZERO)
        )
    }
    probabilities = stage_settings()
    columns = []
    for stage, label in Stage.choices:
        cards = list(
            base.filter(stage=stage).select_related("client", "distributor", "owner").order_by("-updated_at", "-pk")[
                :per_column
            ]
        )
        row = totals.get(stage, {})
        columns.append({
            "stage": stage, "label": label, "probability": probabilities.get(stage, 0), "cards": cards,
            "count": row.get("n", 0), "total": row.get("total", Decimal("0")),
            "weighted": row.get("weighted", Decimal("0")), "more": max(0, row.get("n", 0) - len(cards)),
        })
    return columns


def contract_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = CorporateContract.objects.visible_to(principal).select_related("client", "distributor", "owner", "tier", "tier_exception_by")
    if (days := filters.get("expiring_within")) not in (None, ""):
        qs = qs.expiring_within(int(days))
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    distributor = filters.get("distributor_id")
    if distributor == "direct":
        qs = qs.filter(distributor__isnull=True)
    elif distributor:
        qs = qs.filter(distributor_id=distributor)
    if client := filters.get("client_id"):
        qs = qs.filter(client_id=client)
    return qs


def contract_get(*, principal, pk):
    return get_visible_or_404(contract_list(principal=principal), principal, pk=pk)


def forecast(*, principal, dimension: str = ForecastDimension.MONTH, filters: dict | None = None) -> list[dict]:
    """Weighted open pipeline and won value grouped by month, distributor, territory or product line.

    Open deals count in the month they are expected to close, won deals in the month they closed. By product
    line a deal counts in full under each of its lines (so those rows may add up to more than the total).
    """
    filters = dict(filters or {})
    filters.pop("stage", None)
    base = apply_filters(Opportunity.objects.visible_to(principal), filters).order_by()
    open_qs = base.filter(stage__in=OPEN_STAGES)
    won_qs = base.filter(stage=Stage.WON)
    if since := parse_month(filters.get("from_month")):
        open_qs = open_qs.filter(expected_close_on__gte=since)
        won_qs = won_qs.filter(closed_on__gte=since)
    if until := parse_month(filters.get("to_month")):
        open_qs = open_qs.filter(expected_close_on__lt=next_month(until))
        won_qs = won_qs.filter(closed_on__lt=next_month(until))
    if dimension == ForecastDimension.MONTH:
        open_key, won_key = {"key": TruncMonth("expected_close_on")}, {"key": TruncMonth("closed_on")}
        label_fields = ()
    elif dimension == ForecastDimension.DISTRIBUTOR:
        open_key = won_key = {"key": F("distributor_id")}
        label_fields = ("distributor__code", "distributor__legal_name")
    elif dimension == ForecastDimension.TERRITORY:
        open_key = won_key = {"key": F("client__territory_id")}
        label_fields = ("client__territory__name",)
    elif dimension == ForecastDimension.PRODUCT_LINE:
        open_key = won_key = {"key": F("product_lines__id")}
        label_fields = ("product_lines__name",)
    else:
        raise ValueError(dimension)
    rows: dict = {}

    def label_of(row):
        if dimension == ForecastDimension.MONTH:
            key = row["key"]
            return key.strftime("%Y-%m") if key else "—"
        if dimension == ForecastDimension.DISTRIBUTOR:
            return f"{row['distributor__code']} · {row['distributor__legal_name']}" if row["key"] else "direct"
        value = row[label_fields[0]]
        return value or "—"

    for row in open_qs.annotate(**open_key).values("key", *label_fields).annotate(
        n=Count("pk", distinct=True), pipeline=Coalesce(Sum("value"), ZERO), weighted=Coalesce(Sum(WEIGHTED), ZERO)
    ):
        key = _normal_key(row["key"])
        entry = rows.setdefault(key, _empty_row(key, label_of(row)))
        entry.update(open_count=row["n"], pipeline=row["pipeline"], weighted=row["weighted"])
    for row in won_qs.annotate(**won_key).values("key", *label_fields).annotate(
        n=Count("pk", distinct=True), won=Coalesce(Sum("value"), ZERO)
    ):
        key = _normal_key(row["key"])
        entry = rows.setdefault(key, _empty_row(key, label_of(row)))
        entry.update(won_count=row["n"], won=row["won"])
    ordered = sorted(rows.values(), key=lambda r: (r["key"] is None, str(r["key"]) if dimension == "month" else r["label"]))
    for entry in ordered:
        for name in ("pipeline", "weighted", "won"):
            entry[name] = Decimal(entry[name]).quantize(Decimal("0.01"))
        entry["key"] = "" if entry["key"] is None else str(entry["key"])
    return ordered


def _normal_key(key):
    if isinstance(key, datetime.datetime):
        key = key.date()
    if isinstance(key, datetime.date):
        return key.strftime("%Y-%m")
    return key


def _empty_row(key, label):
    return {"key": key, "label": label, "open_count": 0, "pipeline": Decimal("0"), "weighted": Decimal("0"),
            "won_count": 0, "won": Decimal("0")}


def forecast_totals(rows: list[dict]) -> dict:
    cents = Decimal("0.01")
    totals = {name: sum(r[name] for r in rows) for name in ("open_count", "won_count")}
    totals.update({name: sum((r[name] for r in rows), Decimal("0")).quantize(cents)
                   for name in ("pipeline", "weighted", "won")})
    return totals
