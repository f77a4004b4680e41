"""The distributor scorecard: one card per distributor and a network table comparing them (docs/cockpits.md).

Every figure comes from the owning app's selectors, scoped to the reader, in a fixed number of queries for the
whole table: goals (this app), deals, registrations, sell-out, client potential, readiness and relationship
health (network), level and support spend with its return (this app, the attribution rule of support_money).

Relationship health is the manufacturer's internal assessment: it is left out (``None``) for anybody the
network app's redaction hides relationship strength from (distributor users).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keychannel.channel import selectors as channel_selectors
from keychannel.clients import selectors as client_selectors
from keychannel.core.filters import FilterSpec, ListFilters
from keychannel.core.scoping import get_visible_or_404, in_lookup
from keychannel.deals import selectors as deal_selectors
from keychannel.network import selectors as network_selectors
from keychannel.network.choices import SizeTier
from keychannel.network.models import Distributor, Relationship, Territory
from keychannel.network.redaction import relationship_hidden_fields
from keychannel.network.relationship_selectors import relationship_health, stale_days_setting
from keychannel.sales import selectors as sales_selectors

from . import metrics
from .choices import GoalStatus, ProgramStatus, SupportKind
from .models import DistributorLevel, Goal, Program, SupportRequest
from .selectors import goal_progress
from .support_money import FUNDED, spend_of, window

TREND_MONTHS = 12


def _territories(principal):
    return [(t.pk, t.name) for t in Territory.objects.visible_to(principal).filter(parent__isnull=True).order_by("name")]


def _managers(principal):
    if not principal.is_manufacturer:
        return []
    from django.contrib.auth import get_user_model

    return [(u.pk, u.get_full_name() or u.username) for u in get_user_model().objects.filter(
        membership__role="channel_manager", is_active=True).order_by("last_name", "username")]


def _search(qs, value, principal):
    value = str(value).strip()
    return qs.filter(Q(code__icontains=value) | Q(legal_name__icontains=value)) if value else qs


def _territory(qs, value, principal):
    return qs.filter(Q(territory_id=value) | Q(territory__parent_id=value))


SCORECARD_FILTERS = ListFilters(
    FilterSpec("size_tier", _("Size"), lookup="size_tier", choices=SizeTier.choices),
    FilterSpec("territory_id", _("Territory"), method=_territory, choices=_territories),
    FilterSpec("channel_manager_id", _("Channel manager"), lookup="channel_manager_id", choices=_managers),
    FilterSpec("q", method=_search),
)

# Sort keys of the network table (the page's ?sort=, the API's sort=); "-" first for descending.
SORTS = {
    "code": lambda r: r["code"],
    "name": lambda r: r["name"].lower(),
    "goals": lambda r: r["goals_behind"],
    "attainment": lambda r: r["attainment"] if r["attainment"] is not None else -1,
    "pipeline": lambda r: r["weighted_pipeline"],
    "win_rate": lambda r: r["win_rate"] if r["win_rate"] is not None else -1,
    "won": lambda r: r["won_value"],
    "registrations": lambda r: r["registrations"]["approved"],
    "sell_out": lambda r: r["sell_out"],
    "share": lambda r: r["share_of_potential"] if r["share_of_potential"] is not None else -1,
    "key_accounts": lambda r: r["key_accounts_won"],
    "readiness": lambda r: r["readiness"] if r["readiness"] is not None else -1,
    "level": lambda r: r["level_rank"] if r["level_rank"] is not None else -1,
    "support": lambda r: r["support_spend"],
    "return": lambda r: r["support_return"] if r["support_return"] is not None else -1,
    "health": lambda r: r["health_flags"] if r["health_flags"] is not None else -1,
}


def may_view(principal) -> bool:
    """Manufacturer roles (within their reach) and a distributor's head (its own card); salespeople do not."""
    return principal.is_authenticated and not principal.has_role("dist_sales")


@dataclass
class Period:
    year: int
    start: date
    end: date  # the year's end, or today while the year runs

    @property
    def months(self) -> int:
        return max(1, (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1)


def period_for(year: int | None, today: date | None = None) -> Period:
    today = today or timezone.localdate()
    year = year or today.year
    end = date(year, 12, 31)
    return Period(year, date(year, 1, 1), min(end, today) if year == today.year else end)


def _month_starts(end: date, count: int) -> list[date]:
    months, year, month = [], end.year, end.month
    for _i in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def _ratio(numerator, denominator, scale=100) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal("0.1"))


def support_by_distributor(*, principal, distributor_ids, on: date) -> dict[int, dict]:
    """Spend of funded financial support and the won value attributed to it (support_money's rule: same distributor,
    the request's client if it names one, deals won in the request's window), per distributor: two queries."""
    requests = list(SupportRequest.objects.visible_to(principal)
                    .filter(distributor_id__in=list(distributor_ids), kind=SupportKind.FINANCIAL, status__in=FUNDED))
    spans = [(r, window(r, on)) for r in requests]
    spans = [(r, s) for r, s in spans if s is not None]
    out = {pk: {"spend": Decimal(0), "won": Decimal(0)} for pk in distributor_ids}
    if not spans:
        return out
    earliest = min(s[0] for _r, s in spans)
    won = list(deal_selectors.opportunity_list(principal=principal)
               .filter(distributor_id__in=list(distributor_ids), stage="won", closed_on__gte=earliest, closed_on__lte=on)
               .order_by().values_list("distributor_id", "client_id", "closed_on", "value"))
    for request, (start, end) in spans:
        row = out[request.distributor_id]
        row["spend"] += spend_of(request)
        row["won"] += sum((value for d, c, closed, value in won if d == request.distributor_id
                           and (not request.client_id or c == request.client_id) and start <= closed <= end),
                          Decimal(0))
    return out


def _running_program(principal, today):
    return (Program.objects.visible_to(principal).filter(status=ProgramStatus.LAUNCHED, starts_on__lte=today)
            .order_by("-starts_on", "-pk").first())


# The figure families a sort key needs (computed for every distributor the list covers before it is paged); a key
# not named here (code, name) is an order of the distributors themselves, read by the database.
SORT_FAMILIES = {
    "goals": {"goals"}, "attainment": {"goals"}, "pipeline": {"deals"}, "win_rate": {"deals"}, "won": {"deals"},
    "key_accounts": {"deals"}, "registrations": {"registrations"}, "sell_out": {"sell_out"},
    "share": {"sell_out", "potential"}, "readiness": {"readiness"}, "level": {"level"}, "support": {"support"},
    "return": {"support"}, "health": {"health"},
}
FAMILIES = frozenset().union(*SORT_FAMILIES.values())
# Distributors whose figures are read together when every row is wanted (the export): each family is one statement
# per chunk, so the cost grows with the rows written, not with a statement per distributor.
CHUNK = 500


def _distributors(principal, filters: dict | None, distributor_id: int | None):
    qs = Distributor.objects.visible_to(principal).select_related("territory", "channel_manager")
    qs = qs.filter(pk=distributor_id) if distributor_id is not None else qs.filter(active=True)
    if principal.distributor_ids is not None:
        qs = qs.filter(pk__in=in_lookup(principal.distributor_ids))
    return SCORECARD_FILTERS.apply(qs, filters or {}, principal)


def _ordered(qs, sort: str | None):
    """The distributors in the order of a sort by code or name (the table's default: by code), by the database."""
    key, descending = (sort or "").lstrip("-"), (sort or "").startswith("-")
    if key == "name":
        name = Lower("legal_name")
        return qs.order_by(name.desc() if descending else name.asc(), "code")
    return qs.order_by("-code" if key == "code" and descending else "code")


def _health(principal, distributors, today) -> dict[int, list]:
    """Relationship flags of these distributors (network's rule, relationship_health): one statement for their
    relationships, instead of the whole network's overview for a page of it. An inactive distributor has none, as
    the overview (active distributors only) gave it."""
    mine: dict[int, list] = {}
    for relationship in (Relationship.objects.visible_to(principal)
                         .filter(person__distributor_id__in=[d.pk for d in distributors]).select_related("person")):
        mine.setdefault(relationship.person.distributor_id, []).append(relationship)
    stale_days, alone, out = stale_days_setting(), {}, {}
    for d in distributors:
        if not d.active:
            out[d.pk] = []
        elif d.pk in mine:
            out[d.pk] = relationship_health(distributor=d, relationships=mine[d.pk], on_date=today,
                                            stale_days=stale_days)
        else:  # without relationships the flags depend only on the contract's strength: worked out once each
            if d.contract_strength not in alone:
                alone[d.contract_strength] = relationship_health(distributor=d, relationships=[], on_date=today,
                                                                 stale_days=stale_days)
            out[d.pk] = [replace(flag) for flag in alone[d.contract_strength]]
    return out


def _rows_of(principal, distributors: list, *, period: Period, today: date, families=FAMILIES) -> list[dict]:
    """The scorecard rows of these distributors (in their order): each figure family one statement for all of them
    (``families``: only those, the others left empty, to sort a list before it is paged)."""
    ids = [d.pk for d in distributors]
    if not ids:
        return []
    on = period.end
    program = _running_program(principal, today) if families & {"goals", "level"} else None
    progress: dict[int, list] = {}
    if program and "goals" in families:
        goals = list(Goal.objects.visible_to(principal).filter(program=program, distributor_id__in=ids))
        for p in goal_progress(goals, on=on):
            progress.setdefault(p.goal.distributor_id, []).append(p)
    levels = {h.distributor_id: h.level for h in DistributorLevel.objects.visible_to(principal)
              .filter(program=program, distributor_id__in=ids).select_related("level")} \
        if program and "level" in families else {}
    deals = deal_selectors.deal_figures_by_distributor(principal=principal, distributor_ids=ids, start=period.start,
                                                       end=period.end) if "deals" in families else {}
    registrations = channel_selectors.registration_counts_by_distributor(
        principal=principal, distributor_ids=ids, start=period.start, end=period.end, today=today) \
        if "registrations" in families else {}
    months = _month_starts(period.end, TREND_MONTHS)
    sell_out = sales_selectors.sell_out_by_month(principal=principal, distributor_ids=ids, start=months[0],
                                                 end=period.end) if "sell_out" in families else {}
    potential = client_selectors.potential_by_distributor(principal=principal, distributor_ids=ids) \
        if "potential" in families else {}
    readiness = network_selectors.latest_readiness_by_distributor(principal=principal, distributor_ids=ids) \
        if "readiness" in families else {}
    support = support_by_distributor(principal=principal, distributor_ids=ids, on=on) if "support" in families \
        else {pk: {"spend": Decimal(0), "won": Decimal(0)} for pk in ids}
    health = None
    if not relationship_hidden_fields(principal, None):
        health = _health(principal, distributors, today) if "health" in families else {}
    rows = []
    empty_deals = {"open_count": 0, "open_value": Decimal(0), "weighted": Decimal(0), "won_count": 0,
                   "won_value": Decimal(0), "lost_count": 0, "key_accounts_won": 0}
    for d in distributors:
        goal_rows = progress.get(d.pk, [])
        measured = [p for p in goal_rows if p.actual is not None and p.target_to_date]
        deal = deals.get(d.pk, empty_deals)
        monthly = sell_out.get(d.pk, {})
        year_sell_out = sum((v for m, v in monthly.items() if m >= period.start), Decimal(0))
        pot = potential.get(d.pk, {"potential": 0, "clients": 0})
        annualised = year_sell_out * 12 / period.months
        level = levels.get(d.pk)
        flags = health.get(d.pk, []) if health is not None else None
        spend = support[d.pk]["spend"]
        rows.append({
            "distributor": d, "id": d.pk, "code": d.code, "name": d.legal_name, "size_tier": d.size_tier,
            "size_tier_label": d.get_size_tier_display(),
            "channel_manager": (d.channel_manager.get_full_name() or d.channel_manager.username)
            if d.channel_manager_id else "",
            "goals": [{"goal_id": p.goal.pk, "metric": p.goal.metric,
                       "metric_label": str(metrics.get(p.goal.metric).label) if metrics.get(p.goal.metric) else p.goal.metric,
                       "target": p.goal.target, "target_to_date": p.target_to_date, "actual": p.actual,
                       "status": p.status, "status_label": str(p.get_status_display()), "percent": p.percent}
                      for p in goal_rows],
            "goals_total": len(goal_rows),
            "goals_behind": sum(1 for p in goal_rows if p.status == GoalStatus.BEHIND),
            "goals_on_track": sum(1 for p in goal_rows if p.status in (GoalStatus.ON_TRACK, GoalStatus.AHEAD)),
            # Mean of actual / target-to-date over the measured goals, each capped at 200 %.
            "attainment": (sum(min(Decimal(2), p.actual / p.target_to_date) for p in measured) * 100
                           / len(measured)).quantize(Decimal("1")) if measured else None,
            "open_deals": deal["open_count"], "open_pipeline": deal["open_value"], "weighted_pipeline": deal["weighted"],
            "won_deals": deal["won_count"], "won_value": deal["won_value"], "lost_deals": deal["lost_count"],
            "win_rate": _ratio(deal["won_count"], deal["won_count"] + deal["lost_count"]),
            "key_accounts_won": deal["key_accounts_won"],
            "registrations": {k: registrations.get(d.pk, {}).get(k, 0)
                              for k in ("pending", "approved", "rejected", "expired")},
            "sell_out": year_sell_out,
            "sell_out_trend": [{"month": m.isoformat()[:7], "amount": monthly.get(m, Decimal(0))} for m in months],
            "potential": Decimal(pot["potential"] or 0),
            "share_of_potential": _ratio(annualised, pot["potential"]),
            "readiness": readiness[d.pk][0] if d.pk in readiness else None,
            "readiness_on": readiness[d.pk][1] if d.pk in readiness else None,
            "level": level.name if level else "", "level_rank": level.rank if level else None,
            "support_spend": spend, "support_won": support[d.pk]["won"],
            "support_return": (support[d.pk]["won"] / spend).quantize(Decimal("0.01")) if spend else None,
            "health_flags": len(flags) if flags is not None else None,
            "health": [{"code": f.code, "severity": str(f.severity), "message": str(f.message)} for f in flags]
            if flags is not None else None,
        })
    return rows




def iter_rows(*, principal, filters: dict | None = None, year: int | None = None, sort: str | None = None,
              today: date | None = None):
    """Every row of the network table (the export), sorted, read ``CHUNK`` distributors at a time."""
    today = today or timezone.localdate()
    period = period_for(year, today)
    distributors = _sorted_distributors(principal, filters, sort, period, today)
    for i in range(0, len(distributors), CHUNK):
        yield from _rows_of(principal, distributors[i:i + CHUNK], period=period, today=today)


def _sorted_distributors(principal, filters, sort, period, today) -> list:
    qs = _ordered(_distributors(principal, filters, None), sort)
    families = SORT_FAMILIES.get((sort or "").lstrip("-"))
    distributors = list(qs)
    if families is None:
        return distributors
    # A sort by a figure: that figure's family for every distributor of the list (one statement each), then the order
    keyed = sort_rows(_rows_of(principal, distributors, period=period, today=today, families=families), sort)
    return [r["distributor"] for r in keyed]


def scorecard_page(*, principal, filters: dict | None = None, year: int | None = None, sort: str | None = None,
                   limit: int = 50, offset: int = 0, today: date | None = None) -> tuple[list[dict], int]:
    """One page of the network table and how many rows it has: the figures are read for the page's distributors
    only (a sort by code or name pages in the database; a sort by a figure reads that figure for the whole list)."""
    today = today or timezone.localdate()
    period = period_for(year, today)
    if SORT_FAMILIES.get((sort or "").lstrip("-")) is None:
        qs = _ordered(_distributors(principal, filters, None), sort)
        page = list(qs[offset:offset + limit])
        count = offset + len(page) if len(page) < limit and (page or not offset) else qs.count()
    else:
        distributors = _sorted_distributors(principal, filters, sort, period, today)
        page, count = distributors[offset:offset + limit], len(distributors)
    return _rows_of(principal, page, period=period, today=today), count


def scorecard_rows(*, principal, filters: dict | None = None, year: int | None = None, sort: str | None = None,
                   today: date | None = None, distributor_id: int | None = None) -> list[dict]:
    """One row per active distributor the principal reaches (filtered), with every scorecard figure; or the one
    row of ``distributor_id`` (active or not)."""
    if distributor_id is None:
        return list(iter_rows(principal=principal, filters=filters, year=year, sort=sort, today=today))
    today = today or timezone.localdate()
    return _rows_of(principal, list(_distributors(principal, filters, distributor_id)), period=period_for(year, today),
                    today=today)


def sort_rows(rows: list[dict], sort: str | None) -> list[dict]:
    key = (sort or "").lstrip("-")
    if key not in SORTS:
        return rows
    return sorted(rows, key=SORTS[key], reverse=(sort or "").startswith("-"))


def scorecard_get(*, principal, pk, year: int | None = None, today: date | None = None) -> dict:
    """One distributor's card: 404 when it is outside the reader's reach (or missing)."""
    distributor = get_visible_or_404(Distributor, principal, pk=pk)
    if not principal.reaches(distributor.pk) or not may_view(principal):
        raise Http404
    return scorecard_rows(principal=principal, year=year, today=today, distributor_id=distributor.pk)[0]
