"""Programs and their sign-off; the distributor a program page is about."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404

from keychannel.core.choices import Role
from keychannel.core.scoping import get_visible_or_404
from keychannel.network.models import Distributor

from ..choices import SignoffDecision
from ..lifecycle import current_program as by_period
from ..models import Program, Signoff

# --- programs and sign-off ------------------------------------------------------------------------------------


def program_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = Program.objects.visible_to(principal).select_related("manager")
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if year := filters.get("year"):
        qs = qs.filter(starts_on__year=year)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(name__icontains=q) | Q(strategy__icontains=q))
    return qs


def program_get(*, principal, pk):
    return get_visible_or_404(program_list(principal=principal), principal, pk=pk)


def current_program(*, principal, on: date | None = None):
    """The launched program a distributor works in today (by its period, see lifecycle.current_program), or None."""
    return by_period(principal=principal, on=on)


def executives():
    return get_user_model().objects.filter(membership__role=Role.EXECUTIVE, is_active=True).order_by("username")


def signoff_board(*, principal, program) -> dict:
    """Every executive with their decision (or none yet), and whether the program may launch without override."""
    decisions = {
        s.executive_id: s for s in Signoff.objects.visible_to(principal).filter(program=program, version=program.version)
    }
    rows = [{"executive": user, "signoff": decisions.get(user.pk)} for user in executives()]
    all_approved = bool(rows) and all(r["signoff"] and r["signoff"].decision == SignoffDecision.APPROVE for r in rows)
    return {"rows": rows, "all_approved": all_approved, "objections": sum(
        1 for r in rows if r["signoff"] and r["signoff"].decision == SignoffDecision.OBJECT
    )}


def distributor_for_overview(*, principal, pk):
    """A distributor whose program page the caller may open: within reach (404 otherwise)."""
    distributor = get_visible_or_404(Distributor.objects.select_related("territory"), principal, pk=pk)
    if not principal.reaches(distributor.pk):
        raise Http404
    return distributor
