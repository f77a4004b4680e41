"""Reads of the deals app, always from ``visible_to``; list reads run a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.models import Count, DecimalField, ExpressionWrapper, F, IntegerField, Prefetch, Q, Sum, Value
from django.db.models.expressions import RawSQL, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from keychannel.core.cockpit import money
from keychannel.core.pagination import (
    BoundedPagination,
    beyond_rows,
    capped_count,
    capped_figure,
    count_beyond,
    sum_beyond,
)
from keychannel.core.scoping import (
    USER_NAME_COLUMNS,
    get_visible_or_404,
    in_lookup,
    own_and_related_columns,
)
from keychannel.network.models import Distributor, ProductLine

from . import rollups, stage_totals
from .api_rows import (
    API_LIST_CLIENT,
    API_LIST_COLUMNS,
    OpportunityRows,
    PageBeyond,
    counted_with_page,
    line_ids_array,
)
from .cards import CARD_FIELDS, Card
from .choices import DEFAULT_PROBABILITY, OPEN_STAGES, Attention, Stage
from .deal_rows import as_deal_rows
from .models import Activity, CorporateContract, Opportunity, ProductTest, StageChange, StageSetting
from .rollups import PipelineRollup, open_totals

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=2))
# × 0.01 rather than / 100: SQLite keeps a whole-number decimal as an integer, and integer / 100 drops the cents.
WEIGHTED = ExpressionWrapper(F("value") * F("probability") * Value(Decimal("0.01")),
                             output_field=DecimalField(max_digits=20, decimal_places=2))


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
    if text := (filters.get("distributor_q") or "").strip():
        qs = qs.filter(distributor_id__in=distributors_matching(text))
    if territory := filters.get("territory_id"):
        qs = qs.filter(client__territory_id=territory)
    if line := filters.get("product_line_id"):
        qs = qs.filter(product_lines__id=line)
    if owner := filters.get("owner_id"):
        qs = qs.filter(owner_id=owner)
    if client := filters.get("client_id"):
        qs = qs.filter(client_id=client)
    if external_id := (filters.get("external_id") or "").strip():
        qs = qs.filter(external_id=external_id)
    if month := parse_month(filters.get("close_month")):
        qs = qs.filter(expected_close_on__gte=month, expected_close_on__lt=next_month(month))
    attention = filters.get("attention")
    if attention == Attention.NO_NEXT_STEP:
        qs = qs.filter(stage__in=OPEN_STAGES).filter(Q(next_step="") | Q(next_step_on__isnull=True))
    elif attention == Attention.OVERDUE:
        qs = qs.filter(stage__in=OPEN_STAGES).exclude(next_step="").filter(next_step_on__lt=today)
    return qs


def distributors_matching(text: str):
    """The distributors a typed filter means: the one whose code it is, else those whose code or name contains it
    (a subquery of ids)."""
    exact = Distributor.objects.order_by().filter(code__iexact=text).values("pk")
    if exact.exists():
        return exact
    return Distributor.objects.order_by().filter(Q(code__icontains=text) | Q(legal_name__icontains=text)).values("pk")


def opportunity_list(*, principal, filters: dict | None = None):
    """Deals the principal may see, with everything list pages and the API show, in a fixed number of queries."""
    qs = (
        Opportunity.objects.visible_to(principal)
        .select_related("client", "client__territory", "distributor", "owner", "mentor", "kam")
        .prefetch_related("product_lines")
    )
    return apply_filters(qs, filters or {})


def opportunity_table_rows(*, principal):
    """The deals page's rows: the values its columns and export show, as ``deal_rows.DealRow``s (no model rows:
    four per deal, with the client, distributor and owner). For a principal who sees every deal, past the count cap
    the pipeline roll-up tells it (as the API's list): the count read 10,001 index entries on every first page."""
    qs = as_deal_rows(Opportunity.objects.visible_to(principal))
    if rollup_serves(principal, {}):
        qs = count_beyond(qs, lambda cap: sum_beyond(_rollup_of({}), "deal_count", cap))
    return qs


def opportunity_api_list(*, principal, filters: dict | None = None):
    """The rows of ``opportunity_list`` with only what the API's list answers, as ``OpportunityRows``."""
    qs = Opportunity.objects.visible_to(principal)
    qs = apply_filters(qs, filters or {}).values(*API_LIST_COLUMNS, **API_LIST_CLIENT)
    qs._iterable_class = OpportunityRows
    filters = filters or {}
    used = {name for name, value in filters.items() if value not in (None, "", False)}
    if rollup_serves(principal, {}) and used <= ROLLUP_FILTERS | {"open", "stage"}:
        # Past the count cap, the pipeline roll-up tells it (every deal of the network counts in it): the count
        # read 10,001 index entries of the deals on every first page.
        if connections[qs.db].vendor == "postgresql":  # and read by the page's statement (api_rows.PageBeyond)
            qs = count_beyond(qs, PageBeyond(lambda cap: beyond_rows(_rollup_of(filters), "deal_count", cap)))
        else:
            qs = count_beyond(qs, lambda cap: sum_beyond(_rollup_of(filters), "deal_count", cap))
    elif principal.is_authenticated and principal.is_distributor_user and connections[qs.db].vendor == "postgresql":
        qs = counted_with_page(qs)  # a distributor's deals: a few hundred, counted by the page's statement
    return qs


def _rollup_of(filters: dict):
    """The pipeline roll-up's rows of the deals ``filters`` select (distributor, direct, open, stage); for the
    whole network, its per-stage rows (deals/stage_totals.py: a few rows, not one per distributor)."""
    rows = rollup_rows(filters) if _by_distributor(filters) else stage_totals.network_rows()
    if filters.get("stage"):
        rows = rows.filter(stage=filters["stage"])
    if filters.get("open"):
        rows = rows.filter(stage__in=OPEN_STAGES)
    return rows


def opportunity_get(*, principal, pk):
    return get_visible_or_404(opportunity_list(principal=principal), principal, pk=pk)


def opportunity_api_get(*, principal, pk):
    """The deal of the API's detail (schemas.OpportunityDetailOut): every column of the deal, of its client and
    people only what it answers (no distributor or territory row), its moves read once (``moves``); on PostgreSQL
    its product lines' ids come with its row (``product_line_ids``, as the list's page reads them), elsewhere in one
    more statement. Issue 22: four statements and six joined tables of full rows, the moves read twice."""
    qs = (Opportunity.objects.visible_to(principal).select_related("client", "owner", "mentor", "kam")
          .only(*own_and_related_columns(Opportunity, client=("id", "legal_name", "territory_id"),
                                         owner=USER_NAME_COLUMNS, mentor=USER_NAME_COLUMNS, kam=USER_NAME_COLUMNS)))
    if connections[qs.db].vendor == "postgresql":
        qs = qs.annotate(product_line_ids=line_ids_array())
    else:
        qs = qs.prefetch_related(Prefetch("product_lines", queryset=ProductLine.objects.only("id", "name")))
    opportunity = get_visible_or_404(qs, principal, pk=pk)
    opportunity.moves = stage_history(opportunity=opportunity, who=False)  # not `history`: the model's log
    return opportunity


def opportunity_detail_get(*, principal, pk):
    """The deal of its page: every column of the deal, of its relations only what the page shows (and of its
    product lines, their names)."""
    qs = (
        Opportunity.objects.visible_to(principal)
        .select_related("client", "distributor", "owner", "mentor", "kam")
        # the client's and the distributor's names, the people's: the list's queryset (opportunity_list) also
        # joined the client's territory and read every column of six tables
        .only(*own_and_related_columns(Opportunity, client=("id", "legal_name"), distributor=("id", "legal_name"),
                                       owner=USER_NAME_COLUMNS, mentor=USER_NAME_COLUMNS, kam=USER_NAME_COLUMNS))
        .prefetch_related(Prefetch("product_lines", queryset=ProductLine.objects.only("id", "name")))
    )
    return get_visible_or_404(qs, principal, pk=pk)


# A reach of more distributors than this counts its open deals off the roll-up (a few distributors: live is as cheap).
ROLLUP_REACH_MIN = 50


def opportunity_count(principal) -> int | str | None:
    """Open deals the principal sees: the roll-up's count for the whole network; for the manufacturer's people with
    a large reach (a channel manager's 1,000 distributors), the roll-up's count of their distributors plus their own
    mentored or assigned deals elsewhere (counted up to the cap); else counted up to the lists' cap."""
    if rollup_serves(principal, {}):
        return open_totals()[0]
    if (principal.is_authenticated and principal.is_manufacturer
            and len(principal.distributor_ids) > ROLLUP_REACH_MIN):
        reach = in_lookup(principal.distributor_ids)
        cap = BoundedPagination.COUNT_CAP
        in_reach_rows = PipelineRollup.objects.order_by().filter(stage__in=OPEN_STAGES, distributor_id__in=reach)
        # Past the cap already (a channel manager's 1,000 distributors, from a few hundred roll-up rows): the sum of
        # every row of the reach grew with the network (issue 22).
        if sum_beyond(in_reach_rows, "deal_count", cap):
            return f"{money(cap)}+"
        in_reach = in_reach_rows.aggregate(n=Sum("deal_count"))["n"] or 0
        elsewhere, capped = capped_count(
            Opportunity.objects.open().filter(Q(mentor_id=principal.user_id) | Q(kam_id=principal.user_id))
            .exclude(distributor_id__in=reach), cap)
        return f"{money(cap)}+" if capped or in_reach + elsewhere > cap else in_reach + elsewhere
    return capped_figure(Opportunity.objects.visible_to(principal).open())


def stage_history(*, opportunity, now=None, who: bool = True) -> list[dict]:
    """Every move with who (``who``: a name; else the id only) and when, and how long the deal stayed in the
    stage it moved to."""
    now = now or timezone.now()
    changes = StageChange.objects.filter(opportunity=opportunity)
    if who:
        changes = changes.select_related("changed_by").only(*own_and_related_columns(StageChange, changed_by=USER_NAME_COLUMNS))
    changes = list(changes)
    rows = []
    for index, change in enumerate(changes):
        left_at = changes[index + 1].changed_at if index + 1 < len(changes) else None
        duration = (left_at or now) - change.changed_at
        rows.append({"change": change, "left_at": left_at, "duration": duration, "current": left_at is None,
                     "days": round(duration.total_seconds() / 86400, 1)})
    return rows


def time_in_stages(*, opportunity, now=None, history: list[dict] | None = None) -> list[dict]:
    """Total time per stage (a deal may visit a stage twice), in pipeline order; from ``history`` (``stage_history``
    of the same deal) when the page has read it already."""
    totals: dict[str, datetime.timedelta] = defaultdict(datetime.timedelta)
    for row in stage_history(opportunity=opportunity, now=now) if history is None else history:
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


def _with_signoffs(qs):
    return qs.prefetch_related("signoff_stakeholders", "signoffs__stakeholder", "signoffs__signed_by",
                               "signoffs__recorded_by")


def product_test_list(*, principal, opportunity=None):
    qs = _with_signoffs(ProductTest.objects.visible_to(principal).select_related("opportunity", "contract"))
    return qs.filter(opportunity=opportunity) if opportunity is not None else qs


def product_test_get(*, principal, pk):
    return get_visible_or_404(product_test_list(principal=principal), principal, pk=pk)


# The deal page reads its deal through ``visible_to`` (opportunity_detail_get): the deal's activities and tests
# are ParentScoped, visible exactly when the deal is, so they are read as the deal's own rows, not scoped again
# (a subquery of every deal the principal sees, compiled twice: a fifth of a distributor head's deal page).


def deal_page_activities(*, opportunity) -> list:
    """The deal page's activities: each with its product test's title and its people's names (not the deal, known,
    nor who recorded it, not shown; a user's every column was read per participant)."""
    people = get_user_model().objects.only(*USER_NAME_COLUMNS)
    return list(Activity.objects.filter(opportunity=opportunity).select_related("product_test")
                .only(*own_and_related_columns(Activity, product_test=("id", "title")))
                .prefetch_related("stakeholders", Prefetch("participants", people)))


def deal_page_tests(*, opportunity) -> list:
    """The deal page's product tests with their sign-offs, each given the page's deal (joined again before)."""
    tests = list(_with_signoffs(ProductTest.objects.filter(opportunity=opportunity).select_related("contract")))
    for test in tests:
        test.opportunity = opportunity
    return tests


def stage_probability_rows() -> list[dict]:
    """Every stage with its probability (the stored one, else the default), what it means, and its record.
    The deals per stage are the network's stored per-stage rows (deals/stage_totals.py), not a count of every deal
    (issue 22: 211 ms at 300k deals on every call of GET /stage-probabilities)."""
    stored = {s.stage: s for s in StageSetting.objects.all()}
    counts = {row["stage"]: row["n"] or 0 for row in stage_totals.network_by_stage()}
    rows = []
    for stage, label in Stage.choices:
        setting = stored.get(stage)
        rows.append({
            "stage": stage, "label": label, "setting": setting,
            "probability": setting.probability if setting else DEFAULT_PROBABILITY[Stage(stage)],
            "guidance": setting.guidance if setting else "", "fixed": stage in (Stage.WON, Stage.LOST),
            "deals": counts.get(stage, 0),
        })
    return rows


def stage_settings() -> dict[str, int]:
    probabilities = {str(k): v for k, v in DEFAULT_PROBABILITY.items()}
    probabilities.update(dict(StageSetting.objects.values_list("stage", "probability")))
    return probabilities


CARDS_PER_COLUMN = 10


def _card_rows(qs) -> list[Card]:
    """The cards of ``qs`` as rows of what a card shows and asks (``deals.cards.CARD_FIELDS``), joined to their
    client, distributor and owner: no model instances (issue 22: they were a third of the kanban's Python)."""
    return [Card(*row) for row in qs.values_list(*CARD_FIELDS)]


def _board_cards_qs(*, principal, filters: dict, stage: str):
    base = apply_filters(Opportunity.objects.visible_to(principal), filters)
    return base.filter(stage=stage).order_by("-updated_at", "-pk")


def board_cards(*, principal, filters: dict, stage: str, offset: int = 0, limit: int = CARDS_PER_COLUMN) -> list:
    """One column's cards, most recently touched first (the index on stage, -updated_at)."""
    return _card_rows(_board_cards_qs(principal=principal, filters=filters, stage=stage)[offset:offset + limit])


def board_first_cards(*, principal, filters: dict, limit: int = CARDS_PER_COLUMN) -> dict[str, list]:
    """Every column's first ``limit`` cards. On PostgreSQL in one statement: the deals whose ids the ``UNION ALL``
    of every column's first ids gives (each part read off the stage index on its own), with their client,
    distributor and owner. A query per column cost seven round trips, and one union of the joined rows took
    longer to plan than to run. The ids were a statement of their own before, and the cards' join read every
    distributor (a hash of 2,000 rows at full size, the board's growth with the network; issue 22): joined to
    the union, each card's distributor is read by its key. SQLite cannot limit the parts of a union: a query per
    column there."""
    if not connection.features.supports_slicing_ordering_in_compound:
        return {stage: board_cards(principal=principal, filters=filters, stage=stage, limit=limit)
                for stage in Stage.values}
    # the scope and the filters built once, each column's part only adds its stage (seven scopes were a third of it)
    ids_by_recency = (apply_filters(Opportunity.objects.visible_to(principal), filters)
                      .order_by("-updated_at", "-pk").values_list("pk", flat=True))
    ids = _first_ids_by_stage(ids_by_recency, limit)
    columns = {stage: [] for stage in Stage.values}
    for card in _card_rows(Opportunity.objects.filter(pk__in=ids).order_by()):
        columns[card.stage].append(card)
    for cards in columns.values():
        cards.sort(key=lambda card: (card.updated_at, card.pk), reverse=True)
    return columns


_STAGE_MARK = "kc:stage:mark"  # a stage no deal has: the place of the stage among a part's parameters


def _first_ids_by_stage(ids_by_recency, limit: int):
    """The first ``limit`` ids of every stage's part of ``ids_by_recency``, as a subquery (``RawSQL``, for a
    ``pk__in``): the ``UNION ALL`` the ORM writes for one part per stage, but one part compiled and its stage
    parameter set per stage (issue 22: seven compilations of the scope and filters were a sixth of the kanban's
    Python)."""
    part = ids_by_recency.filter(stage=_STAGE_MARK)[:limit]
    sql, params = part.query.sql_with_params()
    marks = [place for place, value in enumerate(params) if value == _STAGE_MARK]
    if len(marks) != 1:  # not found once (never expected): the ORM's union, read first
        parts = [ids_by_recency.filter(stage=stage)[:limit] for stage in Stage.values]
        return list(parts[0].union(*parts[1:], all=True))
    every = []
    for stage in Stage.values:
        every += [*params[:marks[0]], stage, *params[marks[0] + 1:]]
    return RawSQL(" UNION ALL ".join([f"({sql})"] * len(Stage.values)), every)


def board_totals(*, principal, filters: dict, probabilities: dict | None = None) -> dict:
    """``{stage: (count, total, weighted)}`` of the kanban: from the pipeline roll-up when it answers the same
    (a principal who sees every deal, filtered by distributor at most), else counted over the deals.
    ``probabilities``: a dict filled with the stored stage probabilities (``stage_settings``), read in the same
    statement (a ``UNION ALL`` of the few settings rows: one round trip fewer per board)."""
    if rollup_serves(principal, filters) and not _by_distributor(filters):
        rows = stage_totals.network_by_stage()  # the network's per-stage rows: the same at any size
    elif rollup_serves(principal, filters):
        rows = rollup_rows(filters).values("stage").annotate(n=Sum("deal_count"), total=Sum("amount"),
                                                              weighted=Sum("weighted"))
    else:
        rows = apply_filters(Opportunity.objects.visible_to(principal), filters).order_by().values("stage").annotate(
            n=Count("pk"), total=Coalesce(Sum("value"), ZERO), weighted=Coalesce(Sum(WEIGHTED), ZERO))
    if probabilities is not None:
        probabilities.update({str(k): v for k, v in DEFAULT_PROBABILITY.items()})
        nothing = Value(None, output_field=DecimalField(max_digits=20, decimal_places=2))
        rows = rows.annotate(setting=Value(None, output_field=IntegerField())).union(
            StageSetting.objects.order_by().values("stage").annotate(
                n=Value(None, output_field=IntegerField()), total=nothing, weighted=nothing,
                setting=F("probability")), all=True)
    cents = Decimal("0.01")
    totals = {}
    for row in rows:
        if row.get("setting") is not None:
            probabilities[row["stage"]] = row["setting"]
            continue
        totals[row["stage"]] = (row["n"] or 0, Decimal(row["total"] or 0).quantize(cents),
                                Decimal(row["weighted"] or 0).quantize(cents))
    return totals


def _own_board(*, principal, filters: dict, limit: int) -> tuple[dict, dict[str, list]]:
    """A distributor user's kanban in one statement: each stage's totals and first ``limit`` cards, as window
    functions over the deals in scope (issue 22). Its scope is one distributor's deals, so this reads no more than
    the live totals did, and the pipeline roll-up cannot answer it: its rows also count the deals of clients taken
    out of scope that the distributor no longer sees. Before, three statements (totals, the first ids of every
    column, the cards), the second's seven joined parts planned in longer than they ran (2.6 of 4 ms at full size);
    on SQLite, a statement per column besides."""
    by_stage = {"partition_by": [F("stage")]}
    rows = (apply_filters(Opportunity.objects.visible_to(principal), filters).order_by()
            .annotate(place=Window(RowNumber(), order_by=[F("updated_at").desc(), F("pk").desc()], **by_stage),
                      n=Window(Count("pk"), **by_stage), total=Window(Sum("value"), **by_stage),
                      weighted=Window(Sum(WEIGHTED), **by_stage))
            .filter(place__lte=limit).values_list(*CARD_FIELDS, "n", "total", "weighted"))
    cents = Decimal("0.01")
    totals, columns = {}, {stage: [] for stage in Stage.values}
    for *card, n, total, weighted_total in rows:
        card = Card(*card)
        columns[card.stage].append(card)
        totals[card.stage] = (n, Decimal(total or 0).quantize(cents), Decimal(weighted_total or 0).quantize(cents))
    for cards in columns.values():
        cards.sort(key=lambda card: (card.updated_at, card.pk), reverse=True)
    return totals, columns


def pipeline_board(*, principal, filters: dict | None = None, per_column: int = CARDS_PER_COLUMN) -> list[dict]:
    """The kanban: one column per stage with its totals and its ``per_column`` most recently touched cards; the
    rest of a column loads on demand (``board_cards`` with an offset).

    Queries: one for the totals (the roll-up's few rows, or an aggregate) with the stage probabilities, and two
    for the cards (one per stage on SQLite); a distributor user's, one for the totals with the cards and one for
    the stage probabilities (``_own_board``).
    """
    filters = filters or {}
    if principal.is_authenticated and principal.is_distributor_user:
        totals, first_cards = _own_board(principal=principal, filters=filters, limit=per_column)
        probabilities = stage_settings()
    else:
        probabilities = {}  # stage_settings(), read with the totals
        totals = board_totals(principal=principal, filters=filters, probabilities=probabilities)
        first_cards = board_first_cards(principal=principal, filters=filters, limit=per_column)
    columns = []
    for stage, label in Stage.choices:
        count, total, weighted = totals.get(stage, (0, Decimal("0"), Decimal("0")))
        cards = first_cards[stage]
        columns.append({
            "stage": stage, "label": label, "probability": probabilities.get(stage, 0), "cards": cards,
            "count": count, "total": total, "weighted": weighted, "more": max(0, count - len(cards)),
            "next_offset": len(cards),
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
    if external_id := (filters.get("external_id") or "").strip():
        qs = qs.filter(external_id=external_id)
    return qs


def contract_get(*, principal, pk):
    return get_visible_or_404(contract_list(principal=principal), principal, pk=pk)



# The filters the pipeline roll-up (deals/rollups.py) can answer: it knows each deal's distributor and stage only.
ROLLUP_FILTERS = {"distributor_id", "distributor_q", "direct"}


def rollup_serves(principal, filters: dict) -> bool:
    """Whether the roll-up gives the same figures as counting the deals: for a principal who sees every deal, with
    no filter but the distributor (and the stage)."""
    used = {name for name, value in filters.items() if value not in (None, "", False)}
    return principal.is_authenticated and principal.distributor_ids is None and used <= ROLLUP_FILTERS


def _by_distributor(filters: dict) -> bool:
    """Whether ``filters`` narrow the deals by distributor (else the network's per-stage rows answer)."""
    return any(filters.get(name) not in (None, "", False) for name in ROLLUP_FILTERS)


def rollup_rows(filters: dict):
    qs = PipelineRollup.objects.order_by()
    distributor = filters.get("distributor_id")
    if distributor == "direct" or filters.get("direct"):
        qs = qs.filter(distributor__isnull=True)
    elif distributor:
        qs = qs.filter(distributor_id=distributor)
    if text := (filters.get("distributor_q") or "").strip():
        qs = qs.filter(distributor_id__in=distributors_matching(text))
    return qs

# --- per distributor, for the scorecard (program app) ----------------------------------------------------------


def deal_figures_by_distributor(*, principal, distributor_ids, start: datetime.date, end: datetime.date) -> dict:
    """{distributor_id: open pipeline now (count, value, weighted), deals won and lost in [start, end] (count, value),
    key accounts won (distinct clients)}: one grouped query."""
    closed = Q(closed_on__gte=start, closed_on__lte=end)
    rows = (Opportunity.objects.visible_to(principal).filter(distributor_id__in=list(distributor_ids)).order_by()
            .values("distributor_id").annotate(
                open_count=Count("pk", filter=Q(stage__in=OPEN_STAGES)),
                open_value=Coalesce(Sum("value", filter=Q(stage__in=OPEN_STAGES)), ZERO),
                weighted=Coalesce(Sum(WEIGHTED, filter=Q(stage__in=OPEN_STAGES)), ZERO),
                won_count=Count("pk", filter=Q(stage=Stage.WON) & closed),
                won_value=Coalesce(Sum("value", filter=Q(stage=Stage.WON) & closed), ZERO),
                lost_count=Count("pk", filter=Q(stage=Stage.LOST) & closed),
                key_accounts_won=Count("client", filter=Q(stage=Stage.WON) & closed, distinct=True),
            ))
    return {row.pop("distributor_id"): row for row in rows}


# --- network aggregates: the program's goal metrics (unscoped; the metric filters by distributor) ---------------


def won_opportunities():
    return Opportunity._base_manager.filter(stage=Stage.WON)


def open_opportunities():
    return Opportunity._base_manager.filter(stage__in=OPEN_STAGES)


def open_weighted(distributor_ids=None, *, grouped: bool = False):
    """The weighted pipeline now (per distributor when ``grouped``), read off the pipeline roll-up."""
    return rollups.open_weighted(distributor_ids, grouped=grouped)


def open_weighted_rows(distributor_ids):
    """:func:`open_weighted`'s rows and sum as a query (a metric's ``current_rows``)."""
    return rollups.open_weighted_rows(distributor_ids)
