"""The program as a project: create, edit, submit for sign-off, the executives' decisions, launch, close."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.choices import Role
from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.core.services import notification_send

from ..choices import ProgramStatus, SignoffDecision
from ..models import Program, Signoff
from ..selectors.programs import executives, signoff_board
from .common import _save

PROGRAM_FIELDS = {"name", "strategy", "manager", "starts_on", "ends_on"}


# --- program and sign-off ---------------------------------------------------------------------------------------


@transaction.atomic
def program_create(*, principal, name: str, strategy: str, manager, starts_on: date, ends_on: date) -> Program:
    require(principal, "program.program.create")
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The program cannot end before it starts.")})
    return _save(Program(name=name.strip(), strategy=strategy, manager=manager, starts_on=starts_on, ends_on=ends_on))


@transaction.atomic
def program_update(*, principal, program: Program, **fields) -> Program:
    require(principal, "program.program.change", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.DRAFT:
        raise ValidationError(_("Only a draft program can be changed; a submitted one is what the executives sign."))
    for name, value in fields.items():
        if name in PROGRAM_FIELDS:
            setattr(program, name, value)
    if program.ends_on < program.starts_on:
        raise ValidationError({"ends_on": _("The program cannot end before it starts.")})
    return _save(program)


@transaction.atomic
def program_submit(*, principal, program: Program) -> Program:
    """Draft → awaiting sign-off: every executive is asked to approve or object."""
    require(principal, "program.program.submit", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.DRAFT:
        raise ConflictError(_("Only a draft program can be submitted for sign-off."))
    program.status = ProgramStatus.AWAITING_SIGNOFF
    program.save()
    for user in executives():
        notification_send(
            recipient=user, event="program.changed", sender=principal.user,
            title=lambda: _("Sign-off requested: %(name)s") % {"name": program.name},
            body=lambda: _("Approve the program or object to it with a comment."), url=program.get_absolute_url(),
        )
    return program


@transaction.atomic
def signoff_record(*, principal, program: Program, decision: str, comment: str = "") -> Signoff:
    require(principal, "program.signoff.decide", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.AWAITING_SIGNOFF:
        raise ValidationError(_("Sign-off is only recorded while the program awaits it."))
    if decision not in SignoffDecision.values:
        raise ValidationError({"decision": _("Choose approve or object.")})
    comment = (comment or "").strip()
    if decision == SignoffDecision.OBJECT and not comment:
        raise ValidationError({"comment": _("Say why you object: the program manager needs it to change the program.")})
    # One decision per executive per version: a revision starts a new round and keeps the earlier decisions.
    signoff, _created = Signoff.objects.update_or_create(
        program=program, executive=principal.user, version=program.version,
        defaults={"decision": decision, "comment": comment},
    )
    notification_send(
        recipient=program.manager, event="program.changed", sender=principal.user,
        title=lambda: _("%(who)s: %(decision)s on %(name)s")
        % {"who": principal.user.get_full_name() or principal.user.get_username(),
           "decision": signoff.get_decision_display(), "name": program.name},
        body=comment, url=program.get_absolute_url(),
    )
    return signoff


@transaction.atomic
def program_launch(*, principal, program: Program, override_reason: str = "") -> Program:
    """Launch when every executive approved; otherwise only an admin may, with a recorded reason."""
    require(principal, "program.program.launch", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.AWAITING_SIGNOFF:
        raise ValidationError(_("Only a program awaiting sign-off can be launched."))
    board = signoff_board(principal=principal, program=program)
    override_reason = (override_reason or "").strip()
    if not board["all_approved"]:
        if not principal.has_role(Role.ADMIN):
            raise ValidationError(
                _("Not every executive has approved: the program cannot launch without an administrator's override.")
            )
        if not override_reason:
            raise ValidationError({"override_reason": _("An override needs a recorded reason.")})
        require(principal, "program.program.override", program)
        program.override_reason = override_reason
        program.override_by = principal.user
    program.status = ProgramStatus.LAUNCHED
    program.launched_at = timezone.now()
    program.save()
    return program


@transaction.atomic
def program_close(*, principal, program: Program) -> Program:
    require(principal, "program.program.close", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != ProgramStatus.LAUNCHED:
        raise ValidationError(_("Only a launched program can be closed."))
    program.status = ProgramStatus.CLOSED
    program.save()
    return program
