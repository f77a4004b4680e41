"""Who may subscribe to webhooks: administrators and program managers for the network, a distributor head for its
own distributor (docs/webhooks.md)."""

from keychannel.core.choices import Role
from keychannel.core.policies import rule


@rule("integrations.webhook.create")
def _create(principal, distributor=None) -> bool:
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return distributor is None
    if principal.has_role(Role.DIST_HEAD):
        return distributor is not None and distributor.pk == principal.own_distributor_id
    return False


@rule("integrations.webhook.manage")
def _manage(principal, subscription=None) -> bool:
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    if principal.has_role(Role.DIST_HEAD):
        return subscription is None or (
            subscription.distributor_id is not None and subscription.distributor_id == principal.own_distributor_id)
    return False
