"""The key-account program's write services, one module per sub-domain; callers import them from here.

common (shared helpers), programs (the program and its sign-off), goals, rules (rules, acknowledgements, ledger),
events, support, learning. Claims, levels, lifecycle and rule conditions keep their own
modules (support_money, levels, lifecycle, rule_conditions)."""

from .events import (
    calendar_feed_ensure,
    calendar_feed_rotate,
    event_attendance,
    event_create,
    event_invite,
    event_rsvp,
    event_send_reminders,
    event_update,
)
from .goals import goal_create, goal_update, milestone_achieve, milestone_create
from .learning import best_practice_create, best_practice_share, course_enroll, enrollment_complete
from .programs import (
    PROGRAM_FIELDS,
    program_close,
    program_create,
    program_launch,
    program_submit,
    program_update,
    signoff_record,
)
from .rules import (
    LEDGER_KIND_FOR_RULE,
    ledger_appeal,
    ledger_apply,
    ledger_decide_appeal,
    rule_acknowledge,
    rule_create,
    rule_publish,
)
from .support import (
    PROOF_MAX_BYTES,
    PROOF_TYPES,
    award_grant,
    budget_set,
    check_proof,
    support_complete,
    support_decide,
    support_pay,
    support_request_create,
)

__all__ = [
    "LEDGER_KIND_FOR_RULE", "PROGRAM_FIELDS", "PROOF_MAX_BYTES", "PROOF_TYPES", "award_grant",
    "best_practice_create", "best_practice_share", "budget_set", "calendar_feed_ensure",
    "calendar_feed_rotate", "check_proof", "course_enroll", "enrollment_complete", "event_attendance",
    "event_create", "event_invite", "event_rsvp", "event_send_reminders", "event_update", "goal_create",
    "goal_update", "ledger_appeal", "ledger_apply", "ledger_decide_appeal", "milestone_achieve",
    "milestone_create", "program_close", "program_create", "program_launch", "program_submit",
    "program_update", "rule_acknowledge", "rule_create", "rule_publish", "signoff_record",
    "support_complete", "support_decide", "support_pay", "support_request_create",
]
