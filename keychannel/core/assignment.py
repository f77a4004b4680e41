"""Who may give work to whom, in one place (issue 14): the manufacturer's people answer only to the manufacturer.

A distributor user may make only people of its own distributor the owner, KAM, mentor, assignee or responsible
of anything; manufacturer roles may assign anyone their reach allows (a manufacturer person, or a person of a
distributor they reach). Every service that sets a person calls ``require_assignable`` before it writes.

Keeping the value a record already holds is not an assignment: a distributor head re-saving a deal whose KAM the
manufacturer set keeps working; only *changing* the person to somebody it may not assign is refused.

A refusal is a ``PermissionDenied`` (403 in the API; the forms show its message with 422) and a security event.
The event must outlive the rolled-back write, so services that may refuse are wrapped in ``records_refusals``
*outside* their ``transaction.atomic``: it records the event once the service's transaction has rolled back.
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .scoping import Principal


class AssignmentRefused(PermissionDenied):
    """A distributor user tried to give work to somebody it may not (a manufacturer person, another company's)."""

    def __init__(self, message, *, principal, field: str, action: str, detail: str):
        super().__init__(message)
        self.message = message
        self.principal = principal
        self.field = field
        self.action = action
        self.detail = detail
        self.event_id = None

    def record(self) -> None:
        """Record the attempt once; again if the transaction it was first recorded in has rolled back since."""
        from .choices import SecurityEventKind
        from .models import SecurityEvent
        from .services import security_event_record

        if self.event_id is not None and SecurityEvent.objects.filter(pk=self.event_id).exists():
            return
        event = security_event_record(kind=SecurityEventKind.FORBIDDEN_WRITE, principal=self.principal,
                                      action=self.action, detail=self.detail)
        self.event_id = event.pk


def _membership(person):
    try:
        return person.membership
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist: a user with no role in the network
        return None


def may_assign(principal: Principal, person) -> bool:
    """The rule itself: may ``principal`` make ``person`` responsible for something?"""
    if person is None:
        return True
    membership = _membership(person)
    if membership is None:
        return False
    if principal.is_distributor_user:
        return membership.organization_id == principal.organization_id
    if not principal.is_manufacturer:
        return False
    target = Principal(user=person, role=membership.role, organization_id=membership.organization_id)
    if target.is_manufacturer:
        return True
    return target.is_distributor_user and principal.reaches(target.own_distributor_id)


def _label(obj) -> str:
    if obj is None:
        return "-"
    if isinstance(obj, type):
        return obj._meta.label_lower
    return f"{obj._meta.label_lower} {obj.pk or 'new'}"


def require_assignable(principal: Principal, person, *, field: str, obj=None, current=None) -> None:
    """Refuse (and record) making ``person`` the ``field`` of ``obj`` unless ``principal`` may assign them.

    ``current`` is the person the record holds now (default: ``obj.<field>_id`` of a saved ``obj``); keeping it
    is always allowed. Call it before writing, with the record as stored (not after setting the new value).
    """
    if person is None:
        return
    if current is None and obj is not None and not isinstance(obj, type) and obj.pk is not None:
        current = getattr(obj, f"{field}_id", None)
    if current is not None and getattr(current, "pk", current) == person.pk:
        return
    if may_assign(principal, person):
        return
    membership = _membership(person)
    role = membership.role if membership is not None else "none"
    model = obj if isinstance(obj, type) else type(obj) if obj is not None else None
    action = f"assign:{model._meta.label_lower}.{field}" if model is not None else f"assign:{field}"
    exc = AssignmentRefused(
        _("Only the manufacturer gives work to its people: choose somebody of your own company."),
        principal=principal, field=field, action=action,
        detail=f"{_label(obj)}: {field} -> user {person.pk} ({person.get_username()}, {role}) refused",
    )
    if not transaction.get_connection().in_atomic_block:
        exc.record()
    raise exc


def may_place(principal: Principal, organization, role: str) -> bool:
    """May ``principal`` give somebody a place (a membership) in ``organization`` with ``role``?

    The administrator places anybody; a distributor's head only salespeople of its own company — never a
    manufacturer person nor another head (the manufacturer places those).
    """
    from .choices import Role

    if principal.has_role(Role.ADMIN):
        return True
    if principal.is_distributor_user:
        return organization.pk == principal.organization_id and role == Role.DIST_SALES
    return False


def require_placeable(principal: Principal, organization, role: str) -> None:
    """Refuse (and record) an invitation into a company or role the principal may not place people in."""
    if may_place(principal, organization, role):
        return
    exc = AssignmentRefused(
        _("You may invite only salespeople of your own company: the manufacturer places everybody else."),
        principal=principal, field="role", action="assign:core.membership.organization",
        detail=f"invite into {organization._meta.label_lower} {organization.pk} ({organization}) as {role} refused",
    )
    if not transaction.get_connection().in_atomic_block:
        exc.record()
    raise exc


def records_refusals(fn):
    """Record an ``AssignmentRefused`` raised by ``fn`` once ``fn``'s own transaction has rolled back.

    Put it above ``@transaction.atomic``. A caller that catches the refusal inside a transaction it then commits
    keeps the event (the demo does); a caller whose transaction rolls back too re-records it in its own wrapper.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AssignmentRefused as exc:
            exc.record()
            raise

    return wrapper


def offer_assignable(form_field, principal: Principal, current_id=None) -> None:
    """Show a distributor user only the people it may assign (and the one the record holds).

    The field still *accepts* anybody of its queryset, so a forged choice reaches ``require_assignable`` and is
    refused and recorded there instead of vanishing as "not a valid choice".
    """
    if not principal.is_distributor_user:
        return
    people = form_field.queryset.filter(Q(membership__organization_id=principal.organization_id) | Q(pk=current_id))
    choices = [(p.pk, form_field.label_from_instance(p)) for p in people]
    if getattr(form_field, "empty_label", None) is not None:
        choices.insert(0, ("", form_field.empty_label))
    form_field.widget.choices = choices



def form_refusal(form, exc: AssignmentRefused) -> int:
    """Show a refused assignment on its form field; the page answers 422 (the status forms use for refusals)."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return 422
