"""Write rules of the service app (DESIGN.md §2: service cases of own clients; dist_head assigns own staff)."""

from keychannel.core.choices import Role
from keychannel.core.policies import rule

# Manufacturer roles that work cases inside their reach (the executive reads only).
CASE_WORKERS = (Role.CHANNEL_MANAGER, Role.MENTOR, Role.EMBEDDED_KAM)


def _distributor_id(obj):
    """The distributor of a client or a case (None: direct, manufacturer-led)."""
    return getattr(obj, "distributor_id", None)


def _works(principal, obj, *roles) -> bool:
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    if obj is None:
        return principal.has_role(*roles)
    distributor_id = _distributor_id(obj)
    if distributor_id is None:
        return False
    return principal.has_role(*roles) and principal.reaches(distributor_id)


@rule("service.case.create")
def can_open_case(principal, client=None) -> bool:
    """``obj`` is the client: its serving distributor's staff, the KAM / mentor / channel manager reaching it."""
    return _works(principal, client, *CASE_WORKERS, Role.DIST_HEAD, Role.DIST_SALES)


@rule("service.case.work")
def can_work_case(principal, case=None) -> bool:
    """Reply, note, move the status, edit the details."""
    return _works(principal, case, *CASE_WORKERS, Role.DIST_HEAD, Role.DIST_SALES)


@rule("service.case.assign")
def can_assign_case(principal, case=None) -> bool:
    """The distributor head assigns its own staff; the manufacturer roles working the case may too."""
    return _works(principal, case, *CASE_WORKERS, Role.DIST_HEAD)


@rule("service.case.manufacturer_note")
def can_write_manufacturer_note(principal, case=None) -> bool:
    return principal.is_manufacturer and _works(principal, case, *CASE_WORKERS)


@rule("service.case.takeover")
def can_take_over(principal, case=None) -> bool:
    """Program office, and the channel manager of the case's distributor."""
    return _works(principal, case, Role.CHANNEL_MANAGER)


@rule("service.report.view")
def can_view_report(principal, obj=None) -> bool:
    """The manufacturer's SLA report (a distributor head reads its own figures on it)."""
    return principal.is_authenticated and principal.has_role(
        Role.ADMIN, Role.PROGRAM_MANAGER, Role.EXECUTIVE, Role.CHANNEL_MANAGER, Role.MENTOR, Role.EMBEDDED_KAM,
        Role.DIST_HEAD)
