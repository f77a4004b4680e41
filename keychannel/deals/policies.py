"""Write rules of the deals app (DESIGN.md §2: writes follow reads; distributor sales write their own deals)."""

from keychannel.core.choices import Role
from keychannel.core.policies import rule

# Manufacturer roles that work deals inside their reach (the executive reads only).
DEAL_WORKERS = (Role.CHANNEL_MANAGER, Role.MENTOR, Role.EMBEDDED_KAM)


def _can_work_distributor(principal, distributor_id) -> bool:
    """May the principal start a deal for this distributor (None = direct, manufacturer-led)?"""
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    if distributor_id is None:
        return False
    if principal.has_role(*DEAL_WORKERS, Role.DIST_HEAD, Role.DIST_SALES):
        return principal.reaches(distributor_id)
    return False


@rule("deals.opportunity.create")
def can_create_opportunity(principal, distributor=None) -> bool:
    """``obj`` is the distributor the deal is for; without one, may the principal create deals at all."""
    if distributor is None:
        return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER, *DEAL_WORKERS, Role.DIST_HEAD, Role.DIST_SALES)
    return _can_work_distributor(principal, getattr(distributor, "pk", distributor))


@rule("deals.opportunity.create_direct")
def can_create_direct_opportunity(principal, obj=None) -> bool:
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)


@rule("deals.opportunity.change")
def can_change_opportunity(principal, opportunity=None) -> bool:
    """Also covers moving, logging activities and product tests on the deal."""
    if opportunity is None:
        return False
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    if principal.has_role(*DEAL_WORKERS):
        return (
            principal.reaches(opportunity.distributor_id)
            or opportunity.mentor_id == principal.user_id
            or opportunity.kam_id == principal.user_id
        )
    if principal.has_role(Role.DIST_HEAD):
        return opportunity.distributor_id is not None and opportunity.distributor_id == principal.own_distributor_id
    if principal.has_role(Role.DIST_SALES):
        return opportunity.distributor_id == principal.own_distributor_id and opportunity.owner_id == principal.user_id
    return False


@rule("deals.opportunity.reassign")
def can_reassign_opportunity(principal, opportunity=None) -> bool:
    """Changing the owner, mentor or KAM of a deal: not for a salesperson (who would give their deal away)."""
    return can_change_opportunity(principal, opportunity) and not principal.has_role(Role.DIST_SALES)


@rule("deals.opportunity.gate_override")
def can_override_gate(principal, opportunity=None) -> bool:
    """Letting a deal past the registration gate: the ones who decide registrations (program office, the
    distributor's channel manager), never the distributor nor the people placed at it."""
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    distributor_id = getattr(opportunity, "distributor_id", None)
    return principal.has_role(Role.CHANNEL_MANAGER) and distributor_id is not None and principal.reaches(distributor_id)


@rule("deals.contract.change")
def can_change_contract(principal, contract=None) -> bool:
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    if contract is None:
        return False
    if principal.has_role(Role.CHANNEL_MANAGER):
        return principal.reaches(contract.distributor_id)
    if principal.has_role(Role.DIST_HEAD):
        return contract.distributor_id is not None and contract.distributor_id == principal.own_distributor_id
    return False


@rule("deals.contract.set_tier")
def can_set_contract_tier(principal, contract=None) -> bool:
    """The corporate program tier is the manufacturer's decision (its benefits are the manufacturer's cost)."""
    return principal.is_manufacturer


@rule("deals.contract.tier_exception")
def can_record_tier_exception(principal, contract=None) -> bool:
    """Keeping a tier above the contract's volume is a commercial exception: program office and channel managers."""
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    if principal.has_role(Role.CHANNEL_MANAGER):
        return contract is None or contract.distributor_id is None or principal.reaches(contract.distributor_id)
    return False


@rule("deals.stagesetting.change")
def can_change_stage_settings(principal, obj=None) -> bool:
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)


def _manufacturer_on_deal(principal, opportunity) -> bool:
    return opportunity is not None and principal.is_manufacturer and can_change_opportunity(principal, opportunity)


@rule("deals.producttest.signoff")
def can_sign_product_test(principal, opportunity=None) -> bool:
    """The manufacturer's sign-off of a product test: a manufacturer role who works this deal (the service also
    refuses the deal's owner, with a message: docs/rules.md, "Product-test sign-off")."""
    return _manufacturer_on_deal(principal, opportunity)


@rule("deals.opportunity.test_override")
def can_override_product_test(principal, opportunity=None) -> bool:
    """Winning a deal whose product test is pending or failed, with a reason: a manufacturer role on the deal."""
    return _manufacturer_on_deal(principal, opportunity)
