"""Write rules of the clients app (DESIGN.md §2: writes follow reads).

- admin and program_manager write every client, including direct (manufacturer-led) ones, and alone merge.
- channel_manager, mentor and embedded_kam write the clients of the distributors they reach.
- dist_head writes own distributor's clients; dist_sales creates clients for own distributor, edits the
  ones they created, and edits the stakeholders of own clients.
- executive reads only.
"""

from keychannel.core.choices import Role
from keychannel.core.policies import is_network_admin, rule

REACH_WRITERS = (Role.CHANNEL_MANAGER, Role.MENTOR, Role.EMBEDDED_KAM)


def writes_book(principal, distributor_id) -> bool:
    """May this principal write the client book of ``distributor_id`` (None = direct clients)?"""
    if is_network_admin(principal):
        return True
    if principal.has_role(*REACH_WRITERS):
        return distributor_id is not None and principal.reaches(distributor_id)
    if principal.has_role(Role.DIST_HEAD):
        return distributor_id is not None and distributor_id == principal.own_distributor_id
    return False


def _client_distributor_id(obj):
    return getattr(obj, "distributor_id", None)


@rule("clients.corporateclient.create")
def _create_client(principal, distributor=None) -> bool:
    """``obj`` is the target distributor (or None for a direct client)."""
    distributor_id = getattr(distributor, "pk", distributor)
    if principal.has_role(Role.DIST_SALES):
        return distributor_id is not None and distributor_id == principal.own_distributor_id
    return writes_book(principal, distributor_id)


@rule("clients.corporateclient.change")
def _change_client(principal, client=None) -> bool:
    if client is None:
        return False
    if principal.has_role(Role.DIST_SALES):
        return client.distributor_id == principal.own_distributor_id and client.created_by_id == principal.user_id
    return writes_book(principal, client.distributor_id)


@rule("clients.corporateclient.delete")
def _delete_client(principal, client=None) -> bool:
    if client is None:
        return False
    if is_network_admin(principal):
        return True
    return principal.has_role(Role.DIST_HEAD) and client.distributor_id == principal.own_distributor_id


@rule("clients.corporateclient.archive")
def _archive_client(principal, client=None) -> bool:
    """Archive and restore: whoever may delete the client (the head of its distributor, the program office)."""
    return _delete_client(principal, client)


@rule("clients.corporateclient.merge")
def _merge_clients(principal, client=None) -> bool:
    return is_network_admin(principal)


@rule("clients.corporateclient.make_direct")
def _make_direct(principal, client=None) -> bool:
    if is_network_admin(principal):
        return True
    return (
        principal.has_role(Role.CHANNEL_MANAGER)
        and client is not None
        and client.distributor_id is not None
        and principal.reaches(client.distributor_id)
    )


@rule("clients.stakeholder.change")
def _change_stakeholders(principal, client=None) -> bool:
    """Create, edit, delete stakeholders, their links and our contacts of ``client``."""
    if client is None:
        return False
    if principal.has_role(Role.DIST_SALES):
        return client.distributor_id is not None and client.distributor_id == principal.own_distributor_id
    return writes_book(principal, client.distributor_id)


@rule("clients.accountplan.change")
def _change_account_plan(principal, client=None) -> bool:
    if client is None:
        return False
    return writes_book(principal, client.distributor_id)


@rule("clients.corporateclient.move")
def _move_client(principal, client=None) -> bool:
    """Moving a client between books is a program-office decision (conflicts go through channel)."""
    return is_network_admin(principal)


@rule("clients.corporateclient.choose_book")
def _choose_book(principal, obj=None) -> bool:
    """Who picks the book a new client goes to: the manufacturer's people (a distributor user writes its own)."""
    return principal.is_manufacturer
