"""Rules, acknowledgements, the ledger and a distributor's incentive statement."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from keychannel.core.scoping import get_visible_or_404
from keychannel.network.models import Distributor

from .. import metrics
from ..choices import ProgramStatus, RuleKind, RuleStatus
from ..models import Acknowledgement, LedgerEntry, ProgramRule
from .goals import goal_list, goal_progress

# --- rules, acknowledgement, ledger, statement ------------------------------------------------------------------


def rule_list(*, principal, program=None, filters: dict | None = None):
    filters = filters or {}
    qs = ProgramRule.objects.visible_to(principal).select_related("program")
    if program is not None:
        qs = qs.filter(program=program)
    for name in ("program_id", "kind", "status"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if not principal.is_manufacturer:
        qs = qs.filter(program__status__in=[ProgramStatus.LAUNCHED, ProgramStatus.CLOSED])
    return qs


def rule_get(*, principal, pk):
    return get_visible_or_404(rule_list(principal=principal), principal, pk=pk)


def acknowledgement_board(*, principal, program) -> dict:
    """Published rules × the distributors the principal reaches: who acknowledged, who not yet. Three queries."""
    rules = list(rule_list(principal=principal, program=program).filter(status=RuleStatus.PUBLISHED))
    distributors = list(Distributor.objects.visible_to(principal).filter(active=True))
    reach = principal.distributor_ids
    if reach is not None:
        distributors = [d for d in distributors if d.pk in reach]
    acks = Acknowledgement.objects.visible_to(principal).filter(rule__in=rules).select_related("acknowledged_by")
    done = {(a.rule_id, a.distributor_id): a for a in acks}
    rows = []
    for distributor in distributors:
        cells = [done.get((r.pk, distributor.pk)) for r in rules]
        rows.append({"distributor": distributor, "cells": cells, "missing": sum(1 for c in cells if c is None)})
    return {
        "rules": rules,
        "rows": rows,
        "pending": [r["distributor"] for r in rows if r["missing"]],
        "acknowledged": sum(1 for r in rows if not r["missing"]),
    }


def pending_rules_for(*, principal, distributor) -> list:
    """Published rules the distributor has not acknowledged yet."""
    done = Acknowledgement.objects.filter(distributor=distributor).values("rule_id")
    return list(
        rule_list(principal=principal).filter(status=RuleStatus.PUBLISHED).exclude(pk__in=done).order_by("program", "code")
    )


def ledger_list(*, principal, distributor=None):
    qs = LedgerEntry.objects.visible_to(principal).select_related("distributor", "rule", "owner")
    if distributor is not None:
        qs = qs.filter(distributor=distributor)
    return qs


def incentive_statement(*, principal, program, distributor, on: date | None = None, progress=None) -> dict:
    """Incentives earned by one distributor (a Distributor or its id) for the program period, computed from its goal
    actuals.

    An incentive rule's parameters: ``metric`` (a registry key), ``bonus_percent`` (of the value above target) or
    ``amount_per_unit`` (RON per unit above target, for count metrics), optionally ``cap`` (RON). Penalties and rewards on the ledger are listed beside.
    """
    on = on or timezone.localdate()
    if progress is None:  # a caller that already has this distributor's goal progress in the program passes it
        goals = [g for g in goal_list(principal=principal).filter(program=program, distributor=distributor)]
        progress = goal_progress(goals, on=on)
    progress = {p.goal.metric: p for p in progress}
    lines = []
    total = Decimal(0)
    for rule in rule_list(principal=principal, program=program).filter(status=RuleStatus.PUBLISHED, kind=RuleKind.INCENTIVE):
        key = rule.parameters.get("metric")
        p = progress.get(key)
        line = {"rule": rule, "metric": metrics.get(key).label if metrics.get(key) else key, "target": None,
                "actual": None, "excess": None, "amount": None, "note": ""}
        if p is None:
            line["note"] = "no_goal"
        elif p.actual is None:
            line["target"], line["note"] = p.goal.target, "not_available"
        else:
            excess = max(Decimal(0), p.actual - p.goal.target)
            if "amount_per_unit" in rule.parameters:
                amount = excess * Decimal(str(rule.parameters["amount_per_unit"]))
            else:
                amount = excess * rule.bonus_percent / 100
            amount = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
            if (cap := rule.parameters.get("cap")) is not None:
                amount = min(amount, Decimal(str(cap)))
            line.update(target=p.goal.target, actual=p.actual, excess=excess, amount=amount)
            total += amount
        lines.append(line)
    ledger = list(ledger_list(principal=principal, distributor=distributor).filter(rule__program=program))
    penalties = sum((e.amount for e in ledger if e.kind == "penalty" and e.appeal_status != "granted"), Decimal(0))
    rewards = sum((e.amount for e in ledger if e.kind == "reward" and e.appeal_status != "granted"), Decimal(0))
    return {"lines": lines, "incentives": total, "ledger": ledger, "penalties": penalties, "rewards": rewards,
            "net": total + rewards - penalties, "on": on}


def home_pending_acknowledgements(principal):
    """For a distributor head: published rules not acknowledged yet (None for everybody else)."""
    if not principal.has_role("dist_head") or not principal.own_distributor_id:
        return None
    done = Acknowledgement.objects.filter(distributor_id=principal.own_distributor_id).values("rule_id")
    return rule_list(principal=principal).filter(status=RuleStatus.PUBLISHED).exclude(pk__in=done).count()
