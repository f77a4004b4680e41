"""API of program levels taking effect: recompute on demand, a distributor's level with its next-level needs,
and budgets set by hand or as the level's share of a pool. Operations join the program router."""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from ninja import Field, Schema, Status

from keychannel.core.schemas import WRITE_ERRORS

from . import levels, selectors
from .api import _distributor, router
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


@router.post("/program-levels/recompute", response={200: RecomputeOut, **WRITE_ERRORS},
             summary="Requalify every distributor from data now; each change is recorded and its head notified")
def level_recompute(request, payload: RecomputeIn):
    if payload.program_id is not None:
        program = selectors.program_get(principal=request.principal, pk=payload.program_id)
    else:
        program = levels.running_program()
    changes = levels.recompute_levels(principal=request.principal, program=program, reason=payload.reason)
    return {"program_id": program.pk, "changes": changes}


@router.get("/distributors/{int:distributor_id}/program-level", response={200: LevelStateOut, **WRITE_ERRORS},
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


@router.post("/support-budgets", response={200: BudgetSetOut, **WRITE_ERRORS},
             summary="Set a distributor's yearly budget: a fixed amount, or its level's share of a support pool")
def budget_set(request, payload: BudgetSetIn):
    distributor = _distributor(request.principal, payload.distributor_id)
    budget = levels.budget_apply(principal=request.principal, distributor=distributor, year=payload.year,
                                 amount=payload.amount, pool=payload.pool)
    return selectors.budgets_with_remaining([budget])[0]




# --- levels kept in the product (issue 16; services in level_edit.py) ------------------------------------------


class CriterionOut(Schema):
    metric: str
    threshold: Decimal


class ProgramLevelOut(Schema):
    id: int
    program_id: int
    name: str
    rank: int
    support_budget_share: Decimal
    protection_days: int
    benefits: str
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_criteria(obj):
        return list(obj.criteria.all())


class ProgramLevelIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    rank: int = Field(..., ge=1, le=32767, description="1 is the entry level")
    support_budget_share: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    protection_days: int = Field(90, ge=0, le=3650)
    benefits: str = ""
    criteria: dict[str, Decimal | None] = Field(default_factory=dict,
                                                description="metric → threshold (null: not required)")


class ProgramLevelPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=80)
    rank: int | None = Field(None, ge=1, le=32767)
    support_budget_share: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    protection_days: int | None = Field(None, ge=0, le=3650)
    benefits: str | None = None
    criteria: dict[str, Decimal | None] | None = Field(None, description="Given metrics only; null removes one")


@router.post("/programs/{int:program_id}/levels", response={201: ProgramLevelOut, **WRITE_ERRORS},
             summary="Add a level to a program (program office)")
def level_create(request, program_id: int, payload: ProgramLevelIn):
    from keychannel.core.policies import require

    from . import level_edit

    require(request.principal, "program.level.change")
    program = selectors.program_get(principal=request.principal, pk=program_id)
    return Status(201, level_edit.level_create(principal=request.principal, program=program, **payload.model_dump()))


@router.patch("/program-levels/{int:level_id}", response={200: ProgramLevelOut, **WRITE_ERRORS},
              summary="Edit a level and its criteria (program office); the next requalification applies it")
def level_update(request, level_id: int, payload: ProgramLevelPatch):
    from django.core.exceptions import ValidationError
    from django.shortcuts import get_object_or_404

    from keychannel.core.policies import require

    from . import level_edit
    from .models import ProgramLevel

    require(request.principal, "program.level.change")
    level = get_object_or_404(ProgramLevel.objects.visible_to(request.principal).select_related("program"), pk=level_id)
    fields = payload.model_dump(exclude_unset=True)
    if any(v is None for k, v in fields.items() if k != "criteria") or ("criteria" in fields and fields["criteria"] is None):
        raise ValidationError({k: "may not be null" for k, v in fields.items() if v is None})
    return level_edit.level_update(principal=request.principal, level=level, **fields)
