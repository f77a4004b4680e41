"""Write rules of the channel app (DESIGN.md §2: registrations and conflicts)."""

from keychannel.core.choices import Role
from keychannel.core.policies import is_network_admin, rule


def _pk(value):
    return getattr(value, "pk", value)


def _manages(principal, distributor_id) -> bool:
    return principal.has_role(Role.CHANNEL_MANAGER) and distributor_id is not None and principal.reaches(distributor_id)


@rule("channel.registration.create")
def _register(principal, distributor=None) -> bool:
    """A distributor's own people register for it; the KAM stationed there may register on its behalf."""
    distributor_id = _pk(distributor)
    if distributor_id is None:  # the page's question before a distributor is chosen; the service always names one
        return principal.has_role(Role.DIST_HEAD, Role.DIST_SALES, Role.EMBEDDED_KAM)
    if principal.has_role(Role.DIST_HEAD, Role.DIST_SALES):
        return distributor_id == principal.own_distributor_id
    return principal.has_role(Role.EMBEDDED_KAM) and principal.reaches(distributor_id)


@rule("channel.registration.decide")
def _decide_registration(principal, registration=None) -> bool:
    """Program office decides every registration; a channel manager those of the distributors they manage."""
    if is_network_admin(principal):
        return True
    return registration is not None and _manages(principal, registration.distributor_id)


@rule("channel.conflict.resolve")
def _resolve_conflict(principal, conflict=None) -> bool:
    if is_network_admin(principal):
        return True
    if not principal.has_role(Role.CHANNEL_MANAGER):
        return False
    if conflict is None:  # the queue's question (any conflict of theirs); the service always names the conflict
        return True
    return any(_manages(principal, party.distributor_id) for party in conflict.parties.all())


@rule("channel.conflict.comment")
def _comment_conflict(principal, conflict=None) -> bool:
    """Deciders and the parties' own people write in the thread; executives, mentors and KAMs read it."""
    if conflict is None:
        return False
    if principal.has_role(Role.DIST_HEAD, Role.DIST_SALES):
        return True  # the conflict was fetched through their scope: they are a party
    return _resolve_conflict(principal, conflict)


@rule("channel.conflict.open")
def _open_conflict(principal, obj=None) -> bool:
    """Pricing and ownership disputes are opened by the program office or a channel manager."""
    return is_network_admin(principal) or principal.has_role(Role.CHANNEL_MANAGER)


@rule("channel.lead.create")
def _create_lead(principal, obj=None) -> bool:
    return is_network_admin(principal) or principal.has_role(Role.CHANNEL_MANAGER)


@rule("channel.lead.respond")
def _respond_lead(principal, offer=None) -> bool:
    """The distributor a lead is offered to answers it (its head or salespeople, or its embedded KAM)."""
    if offer is None:
        return False
    return _register(principal, offer.distributor_id)


@rule("channel.figures.view")
def _read_figures(principal, obj=None) -> bool:
    """The queues' figures: the program office, executives and channel managers."""
    return is_network_admin(principal) or principal.has_role(Role.EXECUTIVE, Role.CHANNEL_MANAGER)


@rule("channel.lead.assign")
def _assign_lead(principal, lead=None) -> bool:
    """The program office and the channel managers hand out leads nobody took (services.leads.lead_assign)."""
    return principal.has_role("admin", "program_manager", "channel_manager")


@rule("channel.policy.change")
def _change_policy(principal, policy=None) -> bool:
    """The registration gate's settings are the program office's."""
    return is_network_admin(principal)
