"""The one entry point for write permissions: ``can(principal, action, obj)``.

Each domain app registers its rules with ``@rule("app.model.action")`` in its own policies.py; an
action with no rule is denied. Reads are decided by ``visible_to`` and writes follow reads, so every
rule may assume the object was fetched through the principal's scope.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied

from .choices import Role

PolicyRule = Callable[..., bool]
_rules: dict[str, PolicyRule] = {}


def rule(action: str):
    def register(fn: PolicyRule) -> PolicyRule:
        if action in _rules:
            raise RuntimeError(f"policy rule {action!r} registered twice")
        _rules[action] = fn
        return fn

    return register


def can(principal, action: str, obj=None) -> bool:
    fn = _rules.get(action)
    if fn is None or not principal.is_authenticated:
        return False
    return bool(fn(principal, obj))


def require(principal, action: str, obj=None) -> None:
    """Raise PermissionDenied (403) unless allowed; callers log the attempt where the issue asks for it."""
    if not can(principal, action, obj):
        raise PermissionDenied(action)


def registered_actions() -> list[str]:
    return sorted(_rules)


def is_network_admin(principal) -> bool:
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)


@rule("core.apitoken.manage")
def _manage_own_tokens(principal, token=None) -> bool:
    return token is None or token.user_id == principal.user_id


@rule("core.notification_preferences.manage")
def _manage_own_notification_preferences(principal, obj=None) -> bool:
    """Everyone chooses how they are notified, and only for themselves (the service writes the caller's rows)."""
    return True


@rule("core.securityevent.view")
def _view_security_events(principal, obj=None) -> bool:
    """Security events sit beside the audit log: the administrator and the program manager review both."""
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)


@rule("core.auditlog.view")
def _view_audit_log(principal, obj=None) -> bool:
    """The network-wide audit log (every change of every distributor's records): administrator, program manager."""
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)


@rule("core.lockout.clear")
def _clear_lockouts(principal, obj=None) -> bool:
    return principal.has_role(Role.ADMIN)


@rule("core.user.list")
def _list_users(principal, obj=None) -> bool:
    """The administrator manages every account; a distributor's head the accounts of its own company."""
    return principal.has_role(Role.ADMIN, Role.DIST_HEAD)


@rule("core.user.invite")
def _invite_users(principal, obj=None) -> bool:
    """Who may invite at all; where to and as what is core.assignment.may_place (refusals are security events)."""
    return principal.has_role(Role.ADMIN, Role.DIST_HEAD)


@rule("core.user.invite_anywhere")
def _invite_anywhere(principal, obj=None) -> bool:
    """The administrator picks the organisation and role on the invitation form (a head's form fixes its company)."""
    return principal.has_role(Role.ADMIN)


@rule("core.user.manage")
def _manage_user(principal, membership=None) -> bool:
    """Deactivate, reactivate, send the invitation again: never one's own account; a head only its salespeople."""
    if membership is None or membership.user_id == principal.user_id:
        return False
    if principal.has_role(Role.ADMIN):
        return True
    return (principal.has_role(Role.DIST_HEAD) and membership.organization_id == principal.organization_id
            and membership.role == Role.DIST_SALES)
