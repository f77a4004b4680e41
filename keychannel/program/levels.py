"""Program levels take effect: qualification from data, the level each distributor holds, its history and benefits.

A distributor's level is recomputed from the level criteria (metrics over the program period) by the daily job
``manage.py recompute_levels`` and on demand by the program office. A change is recorded (LevelChange: who,
when, from, to, why) and the distributor head is notified. The level held sets the distributor's registration
protection period (read by channel through ``channel.benefits``) and its share of a support pool when the office
sets budgets from a pool.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.policies import require
from keychannel.core.services import notification_send
from keychannel.network.models import Distributor

from . import metrics
from .choices import ProgramStatus
from .models import DistributorLevel, LevelChange, Program, ProgramLevel, SupportBudget
from .selectors.levels import distributor_level
from .services.common import _heads as heads
from .services.support import budget_set

SCHEDULED_REASON = "scheduled"


# --- qualification (pure reads; the selectors and the job share it) -------------------------------------------------


def qualify(levels: list[ProgramLevel], program: Program, distributor_id: int, on: date) -> dict:
    """Which level the data qualifies the distributor for and what the next one needs (one query per metric).

    Levels are climbed in rank order: a level counts only when every lower one is met too.
    """
    values: dict[str, Decimal | None] = {}
    end = min(on, program.ends_on)
    for level in levels:
        for criterion in level.criteria.all():
            if criterion.metric not in values:
                metric = metrics.get(criterion.metric)
                values[criterion.metric] = metric.total([distributor_id], program.starts_on, end) if metric else None
    reached, next_level, checks = None, None, []
    for level in levels:
        rows = []
        for criterion in level.criteria.all():
            value = values.get(criterion.metric)
            metric = metrics.get(criterion.metric)
            rows.append({
                "metric_code": criterion.metric,
                "metric": str(metric.label) if metric else criterion.metric,
                "threshold": criterion.threshold,
                "value": value,
                "met": value is not None and value >= criterion.threshold,
                "percent": int(min(100, (value or 0) * 100 / criterion.threshold)) if criterion.threshold else 100,
                "missing": max(Decimal(0), criterion.threshold - value) if value is not None else None,
            })
        ok = all(r["met"] for r in rows)
        checks.append({"level": level, "criteria": rows, "met": ok})
        if ok and next_level is None:
            reached = level
        elif next_level is None:
            next_level = {"level": level, "criteria": rows}
    return {"levels": checks, "reached": reached, "next": next_level}


def _program_levels(program) -> list[ProgramLevel]:
    return list(ProgramLevel.objects.filter(program=program).prefetch_related("criteria").order_by("rank"))


def running_program() -> Program | None:
    """The launched program levels are read from (the newest one, as distributors see it)."""
    return Program.objects.filter(status=ProgramStatus.LAUNCHED).order_by("-starts_on", "-pk").first()


def held_level(distributor_id: int, program: Program | None = None) -> ProgramLevel | None:
    program = program or running_program()
    if program is None:
        return None
    held = DistributorLevel.objects.filter(program=program, distributor_id=distributor_id).select_related("level").first()
    return held.level if held else None


def protection_days_provider(distributor_id: int, on_date: date) -> int | None:
    """Registered into channel.benefits: the held level's protection days; None lets channel use its default."""
    level = held_level(distributor_id)
    return level.protection_days if level else None


# --- writes -------------------------------------------------------------------------------------------------------


def _heads(distributor_id):
    return heads([distributor_id])  # one definition of "the distributor's heads"


def hold_level(program, distributor, level, *, user, reason: str, on_date: date) -> LevelChange | None:
    """Hold ``level`` from now on; record the change and tell the heads. No change, no record.

    No permission check: its callers are the recompute (which checks) and the demo seed. Call inside a transaction.
    """
    held = DistributorLevel.objects.select_for_update().filter(program=program, distributor=distributor).first()
    before = held.level if held else None
    if held is not None and before == level:
        return None
    if held is None:
        if level is None:
            return None
        held = DistributorLevel(program=program, distributor=distributor)
    held.level, held.since = level, on_date
    held._change_reason = reason
    held.save()
    change = LevelChange.objects.create(program=program, distributor=distributor, from_level=before, to_level=level,
                                        changed_by=user, reason=reason)
    def title() -> str:
        return _("Your program level is now %(level)s") % {"level": level.name} if level else _(
            "Your program level was withdrawn")

    def body() -> str:
        text = _("%(program)s: %(before)s → %(after)s. %(reason)s") % {
            "program": program.name, "before": before.name if before else _("no level"),
            "after": level.name if level else _("no level"), "reason": reason}
        if level is not None:
            text += " " + _("Benefits: %(days)s days registration protection, %(share)s %% support budget share.") % {
                "days": level.protection_days, "share": level.support_budget_share}
        return text

    for head in _heads(distributor.pk):  # notification_send writes it in each head's own language
        notification_send(recipient=head, event="program.level", title=title, body=body, url=change.get_absolute_url(),
                          sender=user)
    return change


def recompute_levels(*, principal=None, program: Program | None = None, reason: str = "", on_date=None) -> list[LevelChange]:
    """Requalify every active distributor from data; returns the changes made.

    ``principal`` None is the scheduled job (recorded with no user and the reason "scheduled"); a person needs
    ``program.level.change``. One transaction per distributor, so one failure leaves the others done.
    """
    if principal is not None:
        require(principal, "program.level.change", program)
    on_date = on_date or timezone.localdate()
    program = program or running_program()
    if program is None:
        if principal is not None:
            raise ValidationError({"program_id": _("There is no launched program to recompute levels for.")})
        return []
    if program.status != ProgramStatus.LAUNCHED:
        raise ValidationError({"program_id": _("Levels are recomputed for a launched program only.")})
    reason = (reason or "").strip() or (_("Recomputed on demand.") if principal is not None else _("Daily requalification."))
    levels = _program_levels(program)
    changes = []
    for distributor in Distributor.objects.filter(active=True).order_by("code"):
        reached = qualify(levels, program, distributor.pk, on_date)["reached"]
        try:
            with transaction.atomic():
                change = hold_level(program, distributor, reached, user=principal.user if principal else None,
                                    reason=reason, on_date=on_date)
        except IntegrityError:  # a concurrent recompute created this distributor's first level first: it stands
            continue
        if change is not None:
            changes.append(change)
    return changes


@transaction.atomic
def budget_set_from_pool(*, principal, distributor: Distributor, year: int, pool: Decimal) -> SupportBudget:
    """Set a distributor's budget to its level's share of the year's support pool (a distributor with no level: 0)."""
    if pool is None or pool < 0:
        raise ValidationError({"pool": _("Give the support pool in RON (0 or more).")})
    level = held_level(distributor.pk)
    share = level.support_budget_share if level else Decimal(0)
    amount = (pool * share / Decimal(100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    budget = budget_set(principal=principal, distributor=distributor, year=year, amount=amount)
    budget.level, budget.level_share, budget.pool = level, share, pool
    budget._change_reason = f"pool {pool} × {share} %"
    budget.save(update_fields=["level", "level_share", "pool", "updated_at"])
    return budget


# --- reads ----------------------------------------------------------------------------------------------------------


def level_state(*, principal, program, distributor, on: date | None = None) -> dict:
    """What the distributor page and the API show: the level held, its benefits, the next level's needs, history."""
    on = on or timezone.localdate()
    state = distributor_level(principal=principal, program=program, distributor=distributor, on=on)
    held = DistributorLevel.objects.visible_to(principal).filter(program=program, distributor=distributor).select_related("level").first()
    state["held"] = held.level if held else None
    state["held_since"] = held.since if held else None
    from keychannel.channel.benefits import protection_days_for

    state["protection_days"] = protection_days_for(distributor.pk, on)
    state["history"] = list(
        LevelChange.objects.visible_to(principal).filter(program=program, distributor=distributor)
        .select_related("from_level", "to_level", "changed_by")[:20]
    )
    return state


def holders(*, principal, program) -> list[DistributorLevel]:
    """Every distributor's held level in the program, as the principal may see them."""
    return list(DistributorLevel.objects.visible_to(principal).filter(program=program)
                .select_related("distributor", "level").order_by("-level__rank", "distributor__code"))


def budget_apply(*, principal, distributor, year: int, amount=None, pool=None) -> SupportBudget:
    """Set a budget by hand (``amount``) or as the distributor's level share of a ``pool``: exactly one of them."""
    if (amount is None) == (pool is None):
        raise ValidationError({"amount": _("Give either a fixed amount or a support pool, not both.")})
    if pool is not None:
        return budget_set_from_pool(principal=principal, distributor=distributor, year=year, pool=pool)
    budget = budget_set(principal=principal, distributor=distributor, year=year, amount=amount)
    if budget.pool is not None:  # set by hand now: the pool no longer explains the amount
        budget.level, budget.level_share, budget.pool = None, None, None
        budget.save(update_fields=["level", "level_share", "pool", "updated_at"])
    return budget
