"""API of the distributor scorecard (docs/cockpits.md): the network table and one card. Operations join the
program router. A salesperson is refused (403); a distributor head reads only its own card (others: 404)."""

from datetime import date
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, FilterSchema, Query, Schema

from keychannel.core.api_rows import fast_list
from keychannel.core.pagination import MAX_OFFSET
from keychannel.core.schemas import WRITE_ERRORS
from keychannel.network.choices import SizeTier

from . import scorecard
from .api import router

SortKey = Literal[tuple(k for key in scorecard.SORTS for k in (key, f"-{key}"))]


class ScorecardFilter(FilterSchema):
    size_tier: SizeTier | None = None
    territory_id: int | None = Field(None, gt=0, description="A region or county: the distributors based in it")
    channel_manager_id: int | None = Field(None, gt=0)
    q: str | None = Field(None, max_length=200, description="Code or name contains")
    year: int | None = Field(None, ge=2000, le=2100, description="Period of won deals, registrations and sell-out")
    sort: SortKey | None = Field(None, description="A column, '-' first for descending")
    limit: int = Field(50, ge=1, le=500, description="Rows of the page (the figures are read for these only)")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class GoalLineOut(Schema):
    goal_id: int
    metric: str
    metric_label: str
    target: Decimal
    target_to_date: Decimal
    actual: Decimal | None
    status: str


class RegistrationCountsOut(Schema):
    pending: int
    approved: int
    rejected: int
    expired: int


class TrendPointOut(Schema):
    month: str
    amount: Decimal


class HealthFlagOut(Schema):
    code: str
    severity: str
    message: str


class ScorecardOut(Schema):
    id: int
    code: str
    name: str
    size_tier: str
    goals: list[GoalLineOut]
    goals_total: int
    goals_behind: int
    goals_on_track: int
    attainment: Decimal | None = Field(None, description="Mean of actual / target to date over the goals, % (each capped at 200)")
    open_deals: int
    open_pipeline: Decimal
    weighted_pipeline: Decimal
    won_deals: int
    won_value: Decimal
    lost_deals: int
    win_rate: Decimal | None = Field(None, description="Won / (won + lost) in the year, %")
    key_accounts_won: int
    registrations: RegistrationCountsOut
    sell_out: Decimal
    sell_out_trend: list[TrendPointOut]
    potential: Decimal
    share_of_potential: Decimal | None = Field(None, description="Annualised sell-out / the clients' potential, %")
    readiness: int | None
    readiness_on: date | None
    level: str
    support_spend: Decimal
    support_won: Decimal
    support_return: Decimal | None = Field(None, description="Won value attributed to funded support per RON spent")
    health: list[HealthFlagOut] | None = Field(
        None, description="Relationship health flags; null for distributor users (manufacturer-internal)")


class ScorecardPage(Schema):
    items: list[ScorecardOut]
    count: int = Field(..., description="Rows of the whole table (filtered)")


def _allowed(principal):
    if not scorecard.may_view(principal):
        raise PermissionDenied


@router.get("/scorecards", response={200: ScorecardPage, **WRITE_ERRORS},
            summary="Distributor scorecards: a page of the distributors the caller reaches, filtered and sorted")
@fast_list
def scorecard_list(request, filters: Query[ScorecardFilter]):
    principal = request.principal
    _allowed(principal)
    values = filters.model_dump()
    rows, count = scorecard.scorecard_page(principal=principal, filters=values, year=values.pop("year"),
                                           sort=values.pop("sort"), limit=values.pop("limit"),
                                           offset=values.pop("offset"))
    return {"items": rows, "count": count}


@router.get("/scorecards/{int:distributor_id}", response={200: ScorecardOut, **WRITE_ERRORS},
            summary="One distributor's scorecard")
def scorecard_detail(request, distributor_id: int, year: int | None = Query(None, ge=2000, le=2100)):
    principal = request.principal
    _allowed(principal)
    return scorecard.scorecard_get(principal=principal, pk=distributor_id, year=year)
