"""What of a channel record a principal may not read, declared once.

The conflict's API schema, its audit history (registered with core's ``register_history_redaction`` in
``apps.py``) and its page (``selectors.conflict_award_label``) all read ``conflict_hidden_fields``.
"""

# Never on a distributor user's screen: who opened the conflict and from which registration (the other party's
# people and deal), the client record behind the name, the manufacturer-led project.
_PARTY_HIDDEN = frozenset({"opened_by", "registration", "client", "project_opportunity"})


def conflict_hidden_fields(principal, conflict) -> set[str]:
    """The manufacturer reads every field; a party reads who won only when it won itself."""
    if principal.is_manufacturer:
        return set()
    hidden = set(_PARTY_HIDDEN)
    if conflict.awarded_to_id is None or conflict.awarded_to_id != principal.own_distributor_id:
        hidden.add("awarded_to")
    return hidden
