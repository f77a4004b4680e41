"""The channel's write services, one module per sub-domain; callers import them from here.

registrations (the client a registration is about, submission and its checks, decisions, expiry), conflicts
(opening, review, resolution; out_of_scope.py holds the out-of-scope outcome), leads (routing, offers,
re-routing, assignment by hand); common holds what they share."""

from .conflicts import conflict_comment, conflict_open, conflict_resolve, conflict_start_review
from .leads import (
    STANCE_WEIGHT,
    assignable_people,
    lead_accept,
    lead_assign,
    lead_candidates,
    lead_create,
    lead_decline,
    pick_distributor,
    reroute_leads,
)
from .registrations import (
    expire_registrations,
    registration_approve,
    registration_extend,
    registration_reject,
    registration_submit,
)

__all__ = [
    "STANCE_WEIGHT", "assignable_people", "conflict_comment", "conflict_open", "conflict_resolve",
    "conflict_start_review", "expire_registrations", "lead_accept", "lead_assign", "lead_candidates",
    "lead_create", "lead_decline", "pick_distributor", "registration_approve", "registration_extend",
    "registration_reject", "registration_submit", "reroute_leads",
]
