"""Write rules of the program app: the program office edits, executives sign off, distributor heads acknowledge."""

from keychannel.core.choices import Role
from keychannel.core.policies import rule

OFFICE = (Role.ADMIN, Role.PROGRAM_MANAGER)


def _office(principal, obj=None) -> bool:
    return principal.has_role(*OFFICE)


def _own_head(principal, distributor_id) -> bool:
    return principal.has_role(Role.DIST_HEAD) and distributor_id is not None and distributor_id == principal.own_distributor_id


for _action in (
    "program.program.create",
    "program.program.change",
    "program.program.submit",
    "program.program.launch",
    "program.program.close",
    "program.program.revise",
    "program.program.withdraw",
    "program.goal.change",
    "program.milestone.change",
    "program.rule.change",
    "program.rule.publish",
    "program.ledger.apply",
    "program.ledger.decide_appeal",
    "program.level.change",
    "program.event.change",
    "program.event.attendance",
    "program.budget.change",
    "program.support.decide",
    "program.support.pay",
    "program.award.grant",
    "program.learning.change",
    "program.enrollment.complete",
    "program.bestpractice.share",
    "program.tier.change",
):
    rule(_action)(_office)


@rule("program.program.override")
def can_override_signoff(principal, program=None) -> bool:
    """Only an administrator may launch over an objection or a missing sign-off, with a recorded reason."""
    return principal.has_role(Role.ADMIN)


@rule("program.signoff.decide")
def can_sign_off(principal, program=None) -> bool:
    return principal.has_role(Role.EXECUTIVE)


def _head_for(principal, distributor) -> bool:
    """A distributor head for its own distributor; without one, whether the caller is a head at all: the page's
    question before it knows the distributor (the service always names it)."""
    if distributor is None:
        return principal.has_role(Role.DIST_HEAD)
    return _own_head(principal, getattr(distributor, "pk", None))


@rule("program.rule.acknowledge")
def can_acknowledge(principal, distributor=None) -> bool:
    return _head_for(principal, distributor)


@rule("program.ledger.appeal")
def can_appeal(principal, entry=None) -> bool:
    return entry is not None and _own_head(principal, entry.distributor_id)


@rule("program.support.request")
def can_request_support(principal, distributor=None) -> bool:
    return principal.has_role(*OFFICE) or _head_for(principal, distributor)


@rule("program.support.claim")
def can_claim_support(principal, request=None) -> bool:
    if principal.has_role(*OFFICE):
        return True
    return request is not None and _own_head(principal, request.distributor_id)


@rule("program.event.rsvp")
def can_rsvp(principal, invitation=None) -> bool:
    return invitation is not None and invitation.user_id == principal.user_id


@rule("program.course.enroll")
def can_enroll(principal, course=None) -> bool:
    return course is not None and (course.published or principal.is_manufacturer)


@rule("program.bestpractice.create")
def can_write_best_practice(principal, distributor=None) -> bool:
    return principal.has_role(*OFFICE) or _head_for(principal, distributor)


@rule("program.business.view")
def can_read_distributor_business(principal, obj=None) -> bool:
    """A distributor's business in the program (support and budgets, the ledger, the incentive statement): every
    manufacturer role and the heads, within their scope; never the salespeople (docs/program.md)."""
    return not principal.has_role(Role.DIST_SALES)


@rule("program.acknowledgement.view")
def can_read_acknowledgements(principal, program=None) -> bool:
    """The board of who acknowledged which rule is the manufacturer's."""
    return principal.is_manufacturer


@rule("program.calendar.manage")
def can_manage_own_feed(principal, feed=None) -> bool:
    return feed is None or feed.user_id == principal.user_id
