"""The key-account program's reads, one module per sub-domain; callers import them from here.

programs (programs, sign-off, the overview's distributor), goals (progress and actuals), rules (rules, ledger,
incentive statement), levels, events, support, learning, tiers."""

from .events import (
    calendar_events_for_user,
    calendar_feed_get,
    event_get,
    event_list,
    invitation_list,
    my_invitations,
)
from .goals import (
    TOLERANCE,
    Progress,
    elapsed_share,
    flatten,
    goal_get,
    goal_list,
    goal_progress,
    goal_series,
    goal_tree,
    level_summary,
    milestone_list,
    month_ends,
    status_of,
    target_to_date,
)
from .learning import (
    best_practice_deal_visible,
    best_practice_get,
    best_practice_list,
    completion_by_distributor,
    course_get,
    course_list,
    enrollment_list,
    resource_get,
    resource_list,
)
from .levels import distributor_level
from .programs import (
    current_program,
    distributor_for_overview,
    executives,
    program_get,
    program_list,
    signoff_board,
)
from .rules import (
    acknowledgement_board,
    home_pending_acknowledgements,
    incentive_statement,
    ledger_list,
    pending_rules_for,
    rule_get,
    rule_list,
)
from .support import award_list, budget_list, budgets_with_remaining, support_get, support_list
from .tiers import tier_contracts, tier_for_volume, tier_list

__all__ = [
    "Progress", "TOLERANCE", "acknowledgement_board", "award_list", "best_practice_deal_visible",
    "best_practice_get", "best_practice_list", "budget_list", "budgets_with_remaining",
    "calendar_events_for_user", "calendar_feed_get", "completion_by_distributor", "course_get", "course_list",
    "current_program", "distributor_for_overview", "distributor_level", "elapsed_share", "enrollment_list",
    "event_get", "event_list", "executives", "flatten", "goal_get", "goal_list", "goal_progress",
    "goal_series", "goal_tree", "home_pending_acknowledgements", "incentive_statement", "invitation_list",
    "ledger_list", "level_summary", "milestone_list", "month_ends", "my_invitations", "pending_rules_for",
    "program_get", "program_list", "resource_get", "resource_list", "rule_get", "rule_list", "signoff_board",
    "status_of", "support_get", "support_list", "target_to_date", "tier_contracts", "tier_for_volume",
    "tier_list",
]
