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


def _reaches(principal, distributor) -> bool:
    """Writes follow reads: the principal must reach the distributor (always passed) the record belongs to."""
    return distributor is not None and principal.reaches(distributor.pk)


PEOPLE_EDITORS = (Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER, Role.MENTOR, Role.EMBEDDED_KAM, Role.DIST_HEAD)
RELATIONSHIP_EDITORS = (Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER, Role.MENTOR, Role.EMBEDDED_KAM)
ASSESSORS = (Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER, Role.MENTOR)
ACTION_EDITORS = (Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER, Role.MENTOR, Role.EMBEDDED_KAM, Role.DIST_HEAD)
REVIEWERS = (Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER)


@rule("network.person.change")
def can_change_person(principal, distributor=None) -> bool:
    """A distributor's head keeps its own people list; manufacturer roles that work with the distributor too."""
    return principal.has_role(*PEOPLE_EDITORS) and _reaches(principal, distributor)


@rule("network.relationship.change")
def can_change_relationship(principal, distributor=None) -> bool:
    """Relationships are the manufacturer's: its people record them (executives read)."""
    return principal.has_role(*RELATIONSHIP_EDITORS) and _reaches(principal, distributor)


@rule("network.readiness.change")
def can_assess_readiness(principal, distributor=None) -> bool:
    return principal.has_role(*ASSESSORS) and _reaches(principal, distributor)


@rule("network.action_item.change")
def can_change_action_item(principal, distributor=None) -> bool:
    """Action plans are worked on both sides: the distributor's head updates its items as well."""
    return principal.has_role(*ACTION_EDITORS) and _reaches(principal, distributor)


@rule("network.review.change")
def can_change_review(principal, distributor=None) -> bool:
    """Control of large distributors: program office and the distributor's channel manager; the head reads."""
    return principal.has_role(*REVIEWERS) and _reaches(principal, distributor)


@rule("network.coverage.request")
def can_request_coverage(principal, distributor=None) -> bool:
    """A distributor's head asks for a change of its own coverage (issue 16)."""
    return (principal.has_role(Role.DIST_HEAD) and distributor is not None
            and distributor.pk == principal.own_distributor_id)


@rule("network.coverage.decide")
def can_decide_coverage_request(principal, distributor=None) -> bool:
    """The distributor's channel manager decides (the program office too)."""
    if principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER):
        return True
    return (principal.has_role(Role.CHANNEL_MANAGER) and distributor is not None
            and distributor.channel_manager_id == principal.user_id)


@rule("network.presence.change")
def can_change_presence(principal, territory=None) -> bool:
    """The manufacturer's own channels in a territory: the program office and the channel managers keep them."""
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER)


@rule("network.distributor.profile")
def can_edit_own_profile(principal, distributor=None) -> bool:
    """A distributor's head keeps its company's contact details (issue 16: partner self-service)."""
    return (principal.has_role(Role.DIST_HEAD) and distributor is not None
            and distributor.pk == principal.own_distributor_id)


# ---- manufacturer knowledge: who reads it (page and API ask the same rule) ------------------------------------

@rule("network.coverage.matrix")
def can_view_coverage_matrix(principal, obj=None) -> bool:
    """The coverage matrix and "who may sell here": the manufacturer's map of every distributor's rights."""
    return principal.is_manufacturer


@rule("network.presence.view")
def can_view_presence(principal, obj=None) -> bool:
    """The manufacturer's own channels per territory (drawn on the coverage matrix)."""
    return principal.is_manufacturer


@rule("network.alignment.view")
def can_view_alignment(principal, obj=None) -> bool:
    """The alignment quadrant is the manufacturer's internal assessment (docs/access.md)."""
    return principal.is_manufacturer


@rule("network.playbook.view")
def can_view_playbooks(principal, obj=None) -> bool:
    return principal.is_manufacturer


@rule("network.relationship.health")
def can_view_relationship_health(principal, distributor=None) -> bool:
    """Relationship health is the manufacturer's internal assessment (DESIGN.md §2), never the distributor's."""
    return principal.is_manufacturer


@rule("network.coverage_request.list")
def can_list_coverage_requests(principal, obj=None) -> bool:
    """Heads read their own requests, manufacturer roles those of the distributors they reach; not salespeople."""
    return not principal.has_role(Role.DIST_SALES)


@rule("network.distributor.change_terms")
def can_change_distributor_terms(principal, distributor=None) -> bool:
    """Every field of a distributor (contract, agreement, product lines); a channel manager edits the segment only."""
    return principal.has_role(Role.ADMIN, Role.PROGRAM_MANAGER)
