"""A program's life across versions and years: revise after an objection, withdraw, and which program is current.

Writes (``program_revise``, ``program_withdraw``) follow the services' shape: policy first, one transaction, the
program row locked. Reads (``current_program``, ``page_program``, ``programs_by_year``, ``signoff_history``) start
from ``visible_to``. Kept apart from services.py and selectors.py, which are already large.

Which program is "current" is decided by its period, never by which one was launched last: launching next year's
program must not take this year's program away from the distributors (issue 15, part 6).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keychannel.core.policies import require
from keychannel.core.services import notification_send

from .choices import ProgramStatus
from .models import Program, Signoff

# What a program is to its reader on a given day (the label on the year switcher and the program list).
PHASES = {
    "current": gettext_lazy("current"),
    "next": gettext_lazy("next"),
    "ended": gettext_lazy("ended, not closed yet"),
    "closed": gettext_lazy("closed"),
    "preparation": gettext_lazy("in preparation"),
    "withdrawn": gettext_lazy("withdrawn"),
}
WITHDRAWABLE = (ProgramStatus.DRAFT, ProgramStatus.AWAITING_SIGNOFF)


def _reason(reason: str, field: str, message) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: message})
    return reason


# --- writes ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def program_revise(*, principal, program: Program, reason: str) -> Program:
    """Awaiting sign-off → a new version, back in draft for the manager to change and submit again.

    The sign-offs given so far stay, recorded against the version they judged; the board of the new version starts
    empty, so every executive decides again once the program is resubmitted.
    """
    require(principal, "program.program.revise", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.AWAITING_SIGNOFF:
        raise ValidationError(_("Only a program awaiting sign-off can be revised; a draft is simply edited."))
    program.revision_note = _reason(reason, "reason", _("Say what the new version changes, e.g. in answer to an objection."))
    program.version += 1
    program.status = ProgramStatus.DRAFT
    program.full_clean()
    program.save()
    _tell_executives(
        program,
        lambda: _("%(name)s is being revised (version %(version)s)") % {"name": program.name, "version": program.version},
        program.revision_note, sender=principal.user,
    )
    return program


@transaction.atomic
def program_withdraw(*, principal, program: Program, reason: str) -> Program:
    """A draft or a program awaiting sign-off is abandoned, with the reason kept; a launched one is closed instead."""
    require(principal, "program.program.withdraw", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status not in WITHDRAWABLE:
        raise ValidationError(
            _("Only a draft or a program awaiting sign-off can be withdrawn; a launched program is closed.")
        )
    was_awaiting = program.status == ProgramStatus.AWAITING_SIGNOFF
    program.withdrawn_reason = _reason(reason, "reason", _("Say why the program is withdrawn."))
    program.status = ProgramStatus.WITHDRAWN
    program.full_clean()
    program.save()
    if was_awaiting:
        _tell_executives(program, lambda: _("%(name)s is withdrawn") % {"name": program.name}, program.withdrawn_reason,
                         sender=principal.user)
    return program


def _tell_executives(program: Program, title: Callable[[], str], body: str, sender=None) -> None:
    from .selectors import executives  # selectors.programs reads current_program from this module

    for user in executives():
        notification_send(recipient=user, event="program.changed", title=title, body=body,
                          url=program.get_absolute_url(), sender=sender)


# --- reads ----------------------------------------------------------------------------------------------------------


def _visible(principal):
    return Program.objects.visible_to(principal).select_related("manager")


def current_program(*, principal, on: date | None = None):
    """The launched program whose period holds the day (the latest started if several); between two periods the
    last one that started; before any, the first one to come. None when nothing is launched."""
    on = on or timezone.localdate()
    launched = _visible(principal).filter(status=ProgramStatus.LAUNCHED)
    return (
        launched.filter(starts_on__lte=on, ends_on__gte=on).order_by("-starts_on", "-pk").first()
        or launched.filter(starts_on__lte=on).order_by("-starts_on", "-pk").first()
        or launched.order_by("starts_on", "pk").first()
    )


def phase(program: Program, on: date | None = None) -> str:
    on = on or timezone.localdate()
    if program.status == ProgramStatus.CLOSED:
        return "closed"
    if program.status == ProgramStatus.WITHDRAWN:
        return "withdrawn"
    if program.status != ProgramStatus.LAUNCHED:
        return "preparation"
    if program.starts_on > on:
        return "next"
    return "ended" if program.ends_on < on else "current"


def programs_by_year(*, principal, on: date | None = None, include_withdrawn: bool = False) -> list[dict]:
    """Every program the principal reads, newest year first, each with its year and phase (one query)."""
    on = on or timezone.localdate()
    qs = _visible(principal).order_by("-starts_on", "name", "pk")
    if not include_withdrawn:
        qs = qs.exclude(status=ProgramStatus.WITHDRAWN)
    out = []
    for program in qs:
        key = phase(program, on)
        out.append({"program": program, "year": program.starts_on.year, "phase": key, "phase_label": PHASES[key]})
    return out


def page_program(*, principal, wanted=None, on: date | None = None):
    """The program a distributor's program page shows: the one asked for (``?program=<id>``, if the principal reads
    it and it is launched or closed), else the current one, else the latest closed one. None when there is none."""
    published = _visible(principal).filter(status__in=[ProgramStatus.LAUNCHED, ProgramStatus.CLOSED])
    if wanted not in (None, "") and str(wanted).isdigit():
        chosen = published.filter(pk=int(wanted)).first()
        if chosen is not None:
            return chosen
    return current_program(principal=principal, on=on) or published.order_by("-starts_on", "-pk").first()


def year_choices(*, principal) -> list[tuple[str, str]]:
    """The years programs start in, newest first, for the program list's year filter (one query)."""
    years = _visible(principal).dates("starts_on", "year", order="DESC")
    return [(str(d.year), str(d.year)) for d in years]


def signoff_history(*, principal, program: Program) -> list[Signoff]:
    """Sign-offs given on earlier versions, newest version first (manufacturer roles only, as every sign-off)."""
    return list(
        Signoff.objects.visible_to(principal).filter(program=program, version__lt=program.version)
        .select_related("executive").order_by("-version", "executive__username", "pk")
    )


def signoff_list(*, principal, program: Program) -> list[Signoff]:
    """Every sign-off on every version of the program, newest version first."""
    return list(
        Signoff.objects.visible_to(principal).filter(program=program)
        .order_by("-version", "executive__username", "pk")
    )
