"""Write rules of the competence app.

KAM tasks are the manufacturer's alone: admin, program manager or the distributor's channel manager create,
assign, re-assign, re-prioritise and cancel them; the KAM updates status and comments; nobody at a
distributor writes a task, ever.
"""

from keychannel.core.choices import Role
from keychannel.core.policies import rule

from .choices import ConsultationStatus, TaskStatus


def _manages(principal, distributor_id) -> bool:
    """Program office anywhere; a channel manager for the distributors they manage."""
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    return principal.has_role(Role.CHANNEL_MANAGER) and distributor_id is not None and principal.reaches(distributor_id)


@rule("competence.kamtask.create")
def can_create_task(principal, distributor=None) -> bool:
    """``distributor`` None asks "may this principal set tasks at all" (to show the button)."""
    if principal.is_distributor_user:
        return False
    if distributor is None:
        return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER)
    return _manages(principal, distributor.pk)


@rule("competence.kamtask.manage")
def can_manage_task(principal, task=None) -> bool:
    """Re-assign, re-prioritise, edit, cancel."""
    if principal.is_distributor_user or task is None:
        return False
    return _manages(principal, task.distributor_id)


@rule("competence.kamtask.update_status")
def can_update_task_status(principal, task=None) -> bool:
    if principal.is_distributor_user or task is None or task.status == TaskStatus.CANCELLED:
        return False
    return task.kam_id == principal.user_id or _manages(principal, task.distributor_id)


@rule("competence.kamtask.comment")
def can_comment_task(principal, task=None) -> bool:
    if principal.is_distributor_user or task is None:
        return False
    return task.kam_id == principal.user_id or _manages(principal, task.distributor_id)


@rule("competence.mentorship.manage")
def can_manage_mentorship(principal, distributor=None) -> bool:
    if principal.is_distributor_user:
        return False
    if distributor is None:
        return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER)
    return _manages(principal, distributor.pk)


@rule("competence.session.record")
def can_record_session(principal, mentorship=None) -> bool:
    if mentorship is None or principal.is_distributor_user:
        return False
    return mentorship.mentor_id == principal.user_id or _manages(principal, mentorship.distributor_id)


@rule("competence.assignment.manage")
def can_manage_assignment(principal, distributor=None) -> bool:
    """Stationing a KAM is a program decision."""
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)


@rule("competence.consultation.create")
def can_ask_for_consultation(principal, distributor=None) -> bool:
    if not principal.is_distributor_user:
        return False
    return distributor is None or distributor.pk == principal.own_distributor_id


@rule("competence.consultation.respond")
def can_respond_consultation(principal, consultation=None) -> bool:
    return (
        consultation is not None
        and consultation.recipient_id == principal.user_id
        and consultation.status == ConsultationStatus.PENDING
    )


@rule("competence.consultation.convert")
def can_convert_consultation(principal, consultation=None) -> bool:
    if consultation is None or principal.is_distributor_user:
        return False
    return consultation.status == ConsultationStatus.ACCEPTED and _manages(principal, consultation.distributor_id)


@rule("competence.gap.assign")
def can_assign_gap(principal, client=None) -> bool:
    if principal.is_distributor_user:
        return False
    if client is None:
        return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER)
    return _manages(principal, client.distributor_id)


@rule("competence.workload.view")
def can_view_mentor_workload(principal, obj=None) -> bool:
    """Mentor workload (page and API): the manufacturer's people; a mentor reads its own row (the selector)."""
    return principal.is_manufacturer


@rule("competence.gap.view")
def can_view_coverage_gaps(principal, obj=None) -> bool:
    """Coverage gaps (page and API): the manufacturer's planning, never a distributor's to read."""
    return principal.is_manufacturer


@rule("competence.structure.view")
def can_view_channel_structure(principal, obj=None) -> bool:
    """The channel-structure graph: the manufacturer's people."""
    return principal.is_manufacturer


@rule("competence.distributor.manage")
def can_manage_at(principal, distributor=None) -> bool:
    """The distributors offered on the mentorship and KAM-task forms: where this principal sets the work."""
    return distributor is not None and _manages(principal, distributor.pk)
