"""Write rules of the network app."""

from keychannel.core.choices import Role
from keychannel.core.policies import rule


@rule("network.distributor.change")
def can_change_distributor(principal, distributor=None) -> bool:
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    return (
        principal.has_role(Role.CHANNEL_MANAGER)
        and distributor is not None
        and distributor.channel_manager_id == principal.user_id
    )


@rule("network.distributor.create")
def can_create_distributor(principal, obj=None) -> bool:
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)


@rule("network.reference.change")
def can_change_reference_data(principal, obj=None) -> bool:
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)


@rule("network.coverage.change")
def can_change_coverage(principal, distributor=None) -> bool:
    """Territorial rights are the program office's call (a channel manager proposes, the program manager decides)."""
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)


@rule("network.playbook.change")
def can_change_playbook(principal, playbook=None) -> bool:
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)
