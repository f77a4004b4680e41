"""What of a network record a distributor user may not read, declared once (DESIGN.md §2: the
manufacturer-internal assessment — stance, the quadrant answers, relationship health, internal notes — is never
shown to the distributor it is about). Registered for the audit history in ``apps.py``."""

# The alignment quadrant is computed from shares_goals and shares_methods, so hiding them hides it.
DISTRIBUTOR_INTERNAL_FIELDS = frozenset({"stance", "shares_goals", "shares_methods"})
RELATIONSHIP_INTERNAL_FIELDS = frozenset({"strength", "note"})
# Our people's notes of a contact: the distributor's pages never show the interaction log.
INTERACTION_INTERNAL_FIELDS = frozenset({"summary"})


def distributor_hidden_fields(principal, distributor) -> set[str]:
    return set() if principal.is_manufacturer else set(DISTRIBUTOR_INTERNAL_FIELDS)


def relationship_hidden_fields(principal, relationship) -> set[str]:
    return set() if principal.is_manufacturer else set(RELATIONSHIP_INTERNAL_FIELDS)


def interaction_hidden_fields(principal, interaction) -> set[str]:
    return set() if principal.is_manufacturer else set(INTERACTION_INTERNAL_FIELDS)
