"""The program's rules of the catalogue (support money, levels, lifecycle, sign-off, rule conditions, the goal
cascade): part of tests/rules_catalogue.RULES, whose docstring says what each entry declares."""

from __future__ import annotations

from tests.rule_types import (
    CLAIM,
    LEVELS,
    LIFE,
    RC,
    SERVICE,
    SIGNOFF,
    Rule,
)

GOALS = "keychannel/program/tests/test_goal_cascade.py::"
GOAL_ADMIN = "keychannel/program/tests/test_goal_admin.py::"

PROGRAM_RULES: dict[str, Rule] = {
    "support_claim": Rule(
        title="A support claim never exceeds what was approved",
        enforced_by=("keychannel.program.support_money.support_claim",),
        paths={
            SERVICE: (CLAIM + "test_a_claim_above_the_approved_amount_is_refused_by_the_service",
                      CLAIM + "test_partial_claims_add_up_to_at_most_the_approved_amount"),
            "POST /api/v1/support-requests/{request_id}/claims": (
                CLAIM + "test_a_claim_above_the_approved_amount_is_refused_by_the_api",
                "tests/races/test_support_claim_race.py::test_simultaneous_claims_resolve_to_at_most_the_approved_amount",
                "tests/races/test_support_claim_race.py::"
                "test_simultaneous_claims_of_the_whole_amount_let_exactly_one_through"),
            "program:support_claim": (CLAIM + "test_a_claim_above_the_approved_amount_is_refused_on_the_page",),
            "admin:program.SupportRequest": (CLAIM + "test_no_path_can_store_more_claimed_than_approved",),
        },
        fields=("program.SupportRequest.amount_approved", "program.SupportRequest.amount_claimed"),
    ),
    "program_levels": Rule(
        title="A distributor's program level sets its protection and its budget share",
        enforced_by=("keychannel.channel.benefits.protection_days_for", "keychannel.program.levels.budget_apply",
                     "keychannel.program.levels.budget_set_from_pool", "keychannel.program.levels.recompute_levels",
                     "keychannel.program.levels.hold_level"),
        paths={
            SERVICE: (LEVELS + "test_approval_uses_the_level_protection_days_else_the_channel_default",
                      LEVELS + "test_budget_is_the_level_share_of_the_pool",
                      LEVELS + "test_only_the_program_office_recomputes"),
            "POST /api/v1/registrations/{registration_id}/approve": (
                LEVELS + "test_api_approval_and_lead_acceptance_use_the_level_protection_days",),
            **{key: (LEVELS + "test_page_approval_and_lead_acceptance_on_every_path_use_the_level_protection_days",)
               for key in ("channel:registration_decide", "POST /api/v1/leads/{lead_id}/accept", "channel:lead_respond")},
            "POST /api/v1/support-budgets": (LEVELS + "test_budget_is_the_level_share_of_the_pool",),
            "program:budget_set": (LEVELS + "test_budget_page_sets_the_share_of_a_pool",),
            "POST /api/v1/program-levels/recompute": (LEVELS + "test_recompute_button_and_api",),
            "program:level_recompute": (LEVELS + "test_recompute_button_and_api",),
            "command:recompute_levels": (
                LEVELS + "test_recompute_changes_the_level_from_data_records_history_and_notifies_the_head",),
            "GET /api/v1/distributors/{distributor_id}/program-level": (
                LEVELS + "test_head_sees_level_benefits_next_level_needs_and_history",),
            "program:distributor_overview": (LEVELS + "test_head_sees_level_benefits_next_level_needs_and_history",),
        },
        fields=("program.DistributorLevel.level",),
        unaffected={"admin:program.DistributorLevel": "the Django admin shows levels read-only (see ReadOnlyLevelAdmin); "
                                                      "the level changes only by recompute_levels"},
    ),
    "program_lifecycle": Rule(
        title="A program's lifecycle: revise, withdraw, the current program by its period",
        enforced_by=("keychannel.program.lifecycle.program_revise", "keychannel.program.lifecycle.program_withdraw",
                     "keychannel.program.lifecycle.current_program", "keychannel.program.lifecycle.page_program"),
        paths={
            SERVICE: (LIFE + "test_a_launched_program_is_neither_revised_nor_withdrawn",
                      LIFE + "test_phase_and_current_program_by_date"),
            "POST /api/v1/programs/{program_id}/revise": (
                LIFE + "test_objected_program_is_revised_through_the_api_and_sign_off_restarts_with_the_comment_kept",),
            "POST /api/v1/programs/{program_id}/withdraw": (
                LIFE + "test_objected_program_is_withdrawn_with_a_reason_through_the_api",),
            "program:program_revise": (LIFE + "test_revise_and_withdraw_from_the_program_page",),
            "program:program_withdraw": (LIFE + "test_revise_and_withdraw_from_the_program_page",),
            "program:distributor_overview": (
                LIFE + "test_launching_next_years_program_keeps_this_years_distributor_page",
                LIFE + "test_distributor_page_with_a_foreign_or_unpublished_program_falls_back_to_the_current_one"),
            "program:statement_csv": (LIFE + "test_launching_next_years_program_keeps_this_years_distributor_page",),
            "POST /api/v1/distributors/{distributor_id}/awards": (
                "keychannel/program/tests/test_parity_api.py::test_new_awards_through_the_api_keep_to_the_current_program",),
            **{key: (LIFE + "test_new_awards_events_and_the_level_api_keep_to_the_current_program_after_next_years_launch",)
               for key in ("program:award_create", "program:event_create",
                           "GET /api/v1/distributors/{distributor_id}/program-level")},
        },
        unaffected={"program:event_update": "edits an event of the program it belongs to; only a new event "
                                            "(program:event_create) takes the current program"},
    ),
    "product_test_signoff": Rule(
        title="Product-test sign-off",
        enforced_by=("keychannel.deals.signoff.pass_blockers", "keychannel.deals.signoff.approval_record",
                     "keychannel.deals.signoff.manufacturer_signoff", "keychannel.deals.signoff.win_blockers"),
        paths={
            SERVICE: (SIGNOFF + "test_changing_the_named_signers_of_a_passed_test_is_checked_again",
                      SIGNOFF + "test_the_manufacturer_signoff_comes_from_someone_other_than_the_deal_owner",
                      SIGNOFF + "test_the_channel_policy_decides_whether_a_manufacturer_signoff_is_needed"),
            "PATCH /api/v1/product-tests/{product_test_id}": (
                SIGNOFF + "test_salesperson_cannot_mark_their_own_test_passed",
                SIGNOFF + "test_stakeholder_approvals_are_required_and_only_named_ones_count"),
            "POST /api/v1/opportunities/{opportunity_id}/product-tests": (
                "keychannel/deals/tests/test_deals.py::"
                "test_salesperson_takes_a_deal_from_discussion_to_won_through_a_product_test",),
            "POST /api/v1/product-tests/{product_test_id}/approvals": (
                SIGNOFF + "test_stakeholder_approvals_are_required_and_only_named_ones_count",),
            "POST /api/v1/product-tests/{product_test_id}/signoff": (
                SIGNOFF + "test_salesperson_cannot_mark_their_own_test_passed",),
            "deals:producttest_approve": (SIGNOFF + "test_the_deal_page_records_approvals_and_the_manufacturer_signoff",),
            "deals:producttest_signoff": (SIGNOFF + "test_the_deal_page_records_approvals_and_the_manufacturer_signoff",),
            "deals:producttest_update": (SIGNOFF + "test_the_edit_form_refuses_passed_without_signoffs",),
            "POST /api/v1/opportunities/{opportunity_id}/move": (
                SIGNOFF + "test_winning_is_blocked_by_a_pending_or_failed_test_on_every_path",
                SIGNOFF + "test_api_override_by_a_manufacturer"),
            "deals:opportunity_move": (SIGNOFF + "test_winning_is_blocked_by_a_pending_or_failed_test_on_every_path",
                                       SIGNOFF + "test_a_manufacturer_override_with_a_reason_wins_and_is_recorded"),
            "admin:deals.ProductTest": (SIGNOFF + "test_the_admin_refuses_passed_without_signoffs_and_keeps_signoffs_read_only",),
        },
        unaffected={
            "GET /api/v1/opportunities/{opportunity_id}/product-tests": "a read: lists the tests, writes nothing",
            "deals:opportunity_detail": "a read: the deal page shows what each open test still needs (pass_blockers) "
                                        "and writes nothing",
        },
        fields=("deals.ProductTest.result", "deals.ProductTest.signoff_stakeholders"),
    ),
    "goal_cascade": Rule(
        title="Goals cascade from the program down to distributors",
        enforced_by=("keychannel.program.services.goals.goal_validate",),
        paths={
            SERVICE: (GOALS + "test_the_service_refuses_what_the_cascade_forbids",),
            **{key: (GOALS + "test_the_goal_pages_refuse_a_distributor_goal_without_its_distributor_and_a_period_"
                             "outside_the_program",) for key in ("program:goal_create", "program:goal_update")},
            **{key: (GOALS + "test_the_api_refuses_a_goal_under_a_distributor_goal_and_a_period_outside_the_program",)
               for key in ("POST /api/v1/goals", "PATCH /api/v1/goals/{goal_id}")},
            "admin:program.Goal": (GOAL_ADMIN + "test_the_admin_refuses_a_goal_under_a_distributor_goal",
                                   GOAL_ADMIN + "test_the_admin_refuses_a_distributor_goal_without_its_distributor_"
                                                "and_a_period_outside_the_program"),
        },
    ),
    "rule_conditions": Rule(
        title="Penalties and restrictions are raised by their rule's condition, and restrictions take effect",
        enforced_by=("keychannel.program.rule_conditions.apply_rule_conditions",
                     "keychannel.program.rule_conditions.check_condition",
                     "keychannel.channel.benefits.registration_restrictions",
                     "keychannel.program.services.rules.ledger_decide_appeal"),
        paths={
            "command:apply_rule_conditions": (
                RC + "test_expired_registration_without_activity_raises_a_penalty_with_evidence_once",),
            SERVICE: (RC + "test_rule_not_acknowledged_within_n_days_and_goal_behind_at_a_milestone",
                      RC + "test_a_condition_the_check_cannot_evaluate_is_refused_on_every_path"),
            "program:rule_conditions_apply": (
                RC + "test_restriction_refuses_registrations_in_its_product_line_until_the_appeal_is_granted",),
            "POST /api/v1/program-rule-conditions/apply": (
                RC + "test_restriction_raised_over_the_api_refuses_registrations_on_the_api_and_the_page",),
            "POST /api/v1/registrations": (
                RC + "test_restriction_raised_over_the_api_refuses_registrations_on_the_api_and_the_page",),
            "channel:registration_create": (
                RC + "test_restriction_raised_over_the_api_refuses_registrations_on_the_api_and_the_page",),
            "POST /api/v1/rules": (RC + "test_a_condition_the_check_cannot_evaluate_is_refused_on_every_path",),
            "program:ledger_decide": (RC + "test_appeal_decision_on_the_page_notifies_head_and_channel_manager",),
            "POST /api/v1/ledger/{entry_id}/decision": (
                RC + "test_restriction_refuses_registrations_in_its_product_line_until_the_appeal_is_granted",),
        },
        gaps={"channel:lead_respond": "lead acceptance calls registration_submit; a restriction refuses it, not replayed",
              "POST /api/v1/leads/{lead_id}/accept": "lead acceptance: as channel:lead_respond, not replayed",
              "program:rule_create": "the rule form calls rule_create, which refuses a condition it cannot "
                                     "evaluate; proved through the service and the API, not the page"},
        fields=("program.LedgerEntry.evidence_key",),
    ),
}
