"""API of program levels taking effect: recompute on demand, a distributor's level with its next-level needs,
and budgets set by hand or as the level's share of a pool. Operations join the program router."""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from ninja import Field, Schema

from . import levels, selectors
from .api import WRITE, _distributor, router
from .schemas import BudgetOut


class LevelOut(Schema):
    id: int
    name: str
    rank: int
    protection_days: int
    support_budget_share: Decimal


class LevelChangeOut(Schema):
    id: int
    distributor_id: int
    from_level: LevelOut | None
    to_level: LevelOut | None
    changed_by_id: int | None = Field(None, description="Empty: the scheduled daily requalification.")
    reason: str
    created_at: datetime


class CriterionOut(Schema):
    metric: str = Field(..., alias="metric_code")
    label: str = Field(..., alias="metric")
    threshold: Decimal
    value: Decimal | None
    met: bool
    missing: Decimal | None


class NextLevelOut(Schema):
    level: LevelOut
    criteria: list[CriterionOut]


class LevelStateOut(Schema):
    program_id: int
    distributor_id: int
    level: LevelOut | None = Field(None, description="The level held: what the benefits are read from.")
    since: date | None
    protection_days: int = Field(..., description="Protection of a registration approved today.")
    qualifies_for: LevelOut | None = Field(None, description="What today's data qualifies for (applied at the next recompute).")
    next_level: NextLevelOut | None = Field(None, description="What the distributor needs for the next level.")
    history: list[LevelChangeOut]


class RecomputeIn(Schema):
    program_id: int | None = Field(None, description="Default: the launched program.")
    reason: str = Field("", max_length=500)


class RecomputeOut(Schema):
    program_id: int
    changes: list[LevelChangeOut]


class BudgetSetIn(Schema):
    distributor_id: int
    year: int = Field(..., ge=2000, le=2100)
    amount: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2, description="A fixed amount, or:")
    pool: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2,
                                 description="The support pool: the budget becomes the level's share of it.")


class BudgetSetOut(BudgetOut):
    level_id: int | None
    level_share: Decimal | None
    pool: Decimal | None


@router.post("/program-levels/recompute", response={200: RecomputeOut, **WRITE},
             summary="Requalify every distributor from data now; each change is recorded and its head notified")
def level_recompute(request, payload: RecomputeIn):
    if payload.program_id is not None:
        program = selectors.program_get(principal=request.principal, pk=payload.program_id)
    else:
        program = levels.running_program()
    changes = levels.recompute_levels(principal=request.principal, program=program, reason=payload.reason)
    return {"program_id": program.pk, "changes": changes}


@router.get("/distributors/{int:distributor_id}/program-level", response={200: LevelStateOut, **WRITE},
            summary="A distributor's level, its benefits, what it needs for the next level and the level history")
def level_state(request, distributor_id: int):
    principal = request.principal
    distributor = _distributor(principal, distributor_id)
    program = selectors.current_program(principal=principal)
    if program is None:
        raise Http404
    state = levels.level_state(principal=principal, program=program, distributor=distributor)
    return {"program_id": program.pk, "distributor_id": distributor.pk, "level": state["held"], "since": state["held_since"],
            "protection_days": state["protection_days"], "qualifies_for": state["reached"], "next_level": state["next"],
            "history": state["history"]}


@router.post("/support-budgets", response={200: BudgetSetOut, **WRITE},
             summary="Set a distributor's yearly budget: a fixed amount, or its level's share of a support pool")
def budget_set(request, payload: BudgetSetIn):
    distributor = _distributor(request.principal, payload.distributor_id)
    budget = levels.budget_apply(principal=request.principal, distributor=distributor, year=payload.year,
                                 amount=payload.amount, pool=payload.pool)
    return selectors.budgets_with_remaining([budget])[0]


