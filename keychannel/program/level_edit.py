"""Program levels kept in the product (issue 16): the program office adds and edits a program's levels and their
qualification criteria. ``program.level.change`` (admin, program manager); every change is in the history.

A closed or withdrawn program's levels are history and do not change. A launched program's levels may be
adjusted: the next requalification (``recompute_levels`` or "Recompute levels") applies them, and the statements
show the level's budget share and protection as they are now.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from keychannel.core.policies import require

from . import metrics
from .choices import ProgramStatus
from .models import LevelCriterion, Program, ProgramLevel

LEVEL_FIELDS = {"name", "rank", "support_budget_share", "protection_days", "benefits"}
FINISHED = (ProgramStatus.CLOSED, ProgramStatus.WITHDRAWN)


def _check_program(program: Program) -> None:
    if program.status in FINISHED:
        raise ValidationError(_("A closed or withdrawn program's levels are history: they do not change."))


def _set_criteria(level: ProgramLevel, criteria: dict) -> None:
    """``criteria``: metric → threshold; a metric given as None (or left out of a full set) is no longer required."""
    known = dict(metrics.metric_choices())
    for metric, threshold in criteria.items():
        if metric not in known:
            raise ValidationError({"criteria": _("Unknown metric: %(metric)s.") % {"metric": metric}})
        if threshold is None or threshold == "":
            LevelCriterion.objects.filter(level=level, metric=metric).delete()
            continue
        try:
            value = Decimal(str(threshold))
        except InvalidOperation:
            raise ValidationError({"criteria": _("A threshold is a number.")}) from None
        if value < 0 or not value.is_finite():
            raise ValidationError({"criteria": _("A threshold is zero or more.")})
        criterion = LevelCriterion.objects.filter(level=level, metric=metric).first() or LevelCriterion(
            level=level, metric=metric)
        if criterion.pk is None or criterion.threshold != value:
            criterion.threshold = value
            criterion.full_clean()
            criterion.save()


def _save(level: ProgramLevel) -> ProgramLevel:
    level.name = (level.name or "").strip()
    level.full_clean(validate_unique=False)
    if ProgramLevel.objects.filter(program_id=level.program_id, rank=level.rank).exclude(pk=level.pk).exists():
        raise ValidationError({"rank": _("Another level of this program has this rank.")})
    try:
        with transaction.atomic():
            level.save()
    except IntegrityError:  # two levels given the same rank at the same moment: one wins
        raise ValidationError({"rank": _("Another level of this program has this rank.")}) from None
    return level


@transaction.atomic
def level_create(*, principal, program: Program, criteria: dict | None = None, **fields) -> ProgramLevel:
    require(principal, "program.level.change", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    _check_program(program)
    level = ProgramLevel(program=program, **{k: v for k, v in fields.items() if k in LEVEL_FIELDS})
    _save(level)
    _set_criteria(level, criteria or {})
    return level


@transaction.atomic
def level_update(*, principal, level: ProgramLevel, criteria: dict | None = None, **fields) -> ProgramLevel:
    require(principal, "program.level.change", level.program)
    program = Program.objects.select_for_update().get(pk=level.program_id)
    _check_program(program)
    level = ProgramLevel.objects.select_for_update().get(pk=level.pk)
    for name, value in fields.items():
        if name in LEVEL_FIELDS:
            setattr(level, name, value)
    _save(level)
    if criteria is not None:
        _set_criteria(level, criteria)
    return level
