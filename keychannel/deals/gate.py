"""The registration gate's socket in the deals app (docs/rules.md, "Registration gate").

Deals cannot import the channel app (dependencies run core ← network ← clients ← deals ← channel), yet the
channel's rules decide whether a distributor's deal may be opened past the first stage, moved on or won. So the
channel app registers its check here (``register_deal_gate`` in its ``AppConfig.ready``) and every deals service
that creates, moves or re-scopes a deal calls ``enforce``. Without a registered check nothing is gated.

A check is ``check(*, opportunity, stage, product_lines, on_date) -> list[GateRefusal]``; ``opportunity`` may
be unsaved (the create path) and ``product_lines`` is what the deal will carry after the write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.policies import can

from .choices import Stage

_CHECKS: list[Callable] = []


@dataclass(frozen=True)
class GateRefusal:
    code: str  # the rule, e.g. "exclusive_other" (docs/rules.md lists them)
    message: str  # names the rule, never the other distributor
    registration_url: str = ""  # "register this deal": the registration form, filled in


class DealGateRefused(ValidationError):
    """A gate refusal: a 422 whose body also carries the rule codes and where to register (``api_extra``)."""

    def __init__(self, refusals: list[GateRefusal]):
        self.refusals = refusals
        self.registration_url = next((r.registration_url for r in refusals if r.registration_url), "")
        text = " ".join(r.message for r in refusals)
        super().__init__({"registration": _("This deal needs an approved deal registration: %(why)s") % {"why": text}})
        self.api_extra = {
            "rules": [r.code for r in refusals],
            "registration_url": self.registration_url,
            "hint": _("Register this deal: the registration runs the channel checks and opens a conflict where "
                      "they fail. A manufacturer decider may instead override with a reason "
                      "(gate_override_reason)."),
        }


# Channel-policy settings the deals services read (same direction problem as the gate): name -> provider.
_SETTINGS: dict[str, Callable[[], object]] = {}


def register_policy_setting(name: str, provider: Callable[[], object]) -> None:
    _SETTINGS[name] = provider


def policy_setting(name: str, default):
    """The channel policy's value of ``name``; ``default`` (the strict one) when no app provides it."""
    provider = _SETTINGS.get(name)
    return default if provider is None else provider()


def register_deal_gate(check: Callable) -> None:
    if check not in _CHECKS:
        _CHECKS.append(check)


def gated_stage(stage: str) -> bool:
    """The first stage is free (a distributor finds out whether there is a deal); every later one is gated."""
    return stage != Stage.DISCUSSION and stage != Stage.LOST


def refusals(*, opportunity, stage: str, product_lines, on_date=None) -> list[GateRefusal]:
    """Why this distributor deal may not be at ``stage`` now (empty: it may). Direct deals are never gated."""
    if opportunity.distributor_id is None or not gated_stage(stage):
        return []
    on_date = on_date or timezone.localdate()
    found: list[GateRefusal] = []
    for check in _CHECKS:
        found.extend(check(opportunity=opportunity, stage=stage, product_lines=list(product_lines), on_date=on_date))
    return found


def enforce(*, principal, opportunity, stage: str, product_lines, override_reason: str = "") -> None:
    """Refuse the write, or record the manufacturer's override on ``opportunity`` (the caller saves it).

    An override already on the deal stands for its later moves: the decider vouched for the deal, not a stage.
    """
    if opportunity.pk and opportunity.gate_override_at is not None:
        return
    found = refusals(opportunity=opportunity, stage=stage, product_lines=product_lines)
    if not found:
        return
    reason = (override_reason or "").strip()
    if not reason:
        raise DealGateRefused(found)
    if not can(principal, "deals.opportunity.gate_override", opportunity):
        raise ValidationError({"gate_override_reason": _(
            "Only the program office or the distributor's channel manager may override the registration gate.")})
    opportunity.gate_override_reason = reason[:500]
    opportunity.gate_override_by = principal.user
    opportunity.gate_override_at = timezone.now()
    opportunity.gate_override_rules = ", ".join(r.code for r in found)[:200]
