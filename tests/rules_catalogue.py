"""The rule catalogue: every business rule, the functions that enforce it, every path that reaches them, the tests.

``tests/test_rules_catalogue.py`` checks it against the code and against ``docs/rules.md``:

- every test named here exists (its module imports and defines it);
- every route that reaches an enforcing function (a static walk, ``tests/rules_walk.py``) is declared for the rule,
  either as a path with its tests or in ``unaffected`` with the reason it reaches the function without the rule
  applying; a Django admin that edits one of the rule's ``fields`` (it saves without the services) counts as
  reaching it;
- every declared route exists and reaches the rule (a stale path is an error too);
- a path known to have no test yet is declared in ``gaps`` (and listed in docs/rules.md), never left out;
- each test named for a route mentions that route (its URL name, its API path, ``admin``, the command);
- docs/rules.md has one ``##`` section per rule, titled as here, naming the enforcing functions, and no other.

Route keys are the access matrix's (URL names, "METHOD /api/v1/path") plus ``admin:<app_label>.<Model>``,
``command:<name>`` and ``task:<name>`` (a background task, run by a worker). ``service`` is the service called directly (no route); ``GET *`` is every GET route of the access
matrix (a test that walks them all).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SERVICE = "service"
EVERY_GET = "GET *"


@dataclass(frozen=True)
class Rule:
    title: str  # the "## " heading in docs/rules.md
    enforced_by: tuple[str, ...]  # qualified names of the functions that enforce it
    paths: dict[str, tuple[str, ...]]  # route key → test node ids ("path/to/test_x.py::test_name")
    unaffected: dict[str, str] = field(default_factory=dict)  # route key → why the rule does not apply there
    fields: tuple[str, ...] = ()  # "app_label.Model.field" the rule guards; the admin writing one is a path
    # route key → what is missing: a path known to reach the rule with no test of its own yet (listed in
    # docs/rules.md under the rule; the aim is to empty it)
    gaps: dict[str, str] = field(default_factory=dict)


# Routes that reach every service on purpose and are proved by the demo test, not per rule.
EXEMPT_ROUTES = {
    "command:demo": "seeds the demo through the services; tests/test_demo.py checks the data keeps every rule",
}

ADMIN_CLOSED = "keychannel/core/tests/test_core.py::test_admin_is_for_manufacturer_admins_only"
GATE = "keychannel/channel/tests/test_gate.py::"
ASSIGN = "keychannel/core/tests/test_assignment.py::"
ONBOARD = "keychannel/core/tests/test_onboarding.py::"
PLAN_EDIT = "keychannel/clients/tests/test_account_plan_edit.py::"
OOS = "keychannel/channel/tests/test_out_of_scope.py::"
KAM = "keychannel/competence/tests/test_kam_tasks.py::"
REG = "keychannel/channel/tests/test_registrations.py::"
PATHS = "tests/test_rule_paths.py::"
SALES = "keychannel/sales/tests/test_sales.py::"
JOBS = "keychannel/sales/tests/test_import_jobs.py::"
RETRIED = (JOBS + "test_a_retried_import_keeps_the_import_rules",)
LIMITS = "keychannel/sales/tests/test_import_limits.py::"
BULK = "keychannel/sales/tests/test_bulk_fix_api.py::"
REGISTRATION_CREATES_UNWATCHED = ("creates the client through clients.services.client_create with watch_duplicates=False: "
                                  "the registration's own checks record the look-alikes (similar_to_other) and open "
                                  "its conflict")
VERSION = "keychannel/clients/tests/test_stakeholder_version.py::"
DELETE = "keychannel/clients/tests/test_archive_delete.py::"
TIER = "keychannel/deals/tests/test_contract_tier.py::"
SVC = "keychannel/service/tests/test_service_cases.py::"
CLAIM = "keychannel/program/tests/test_support_money.py::"
LEVELS = "keychannel/program/tests/test_levels.py::"
LIFE = "keychannel/program/tests/test_lifecycle.py::"
SIGNOFF = "keychannel/deals/tests/test_signoff.py::"
RC = "keychannel/program/tests/test_rule_conditions.py::"
FILTERS = "tests/test_list_filters.py::"
SYNC = "keychannel/channel/tests/test_sync_paths.py::"
SUPPORT_EVIDENCE = ("a support return reads the list with no filter (program.support_money.support_return filters by stored "
                    "status and decision date itself); no user-chosen filter, no page to agree with")

REVALIDATE_NO_REPEATS = ("re-reads a stored file, and a file with a repeated line is never stored (not fixable in the "
                         "app: sales.services.FIXABLE_IN_APP), so revalidation finds none")
FIRST_STAGE = "opens its deal in the first stage (discussion), which is never gated"
MANUFACTURER_ONLY = "only manufacturer roles reach it (its policy); the person set is the caller or a manufacturer person"

RULES: dict[str, Rule] = {
    "assignment": Rule(
        title="Work for manufacturer people comes only from the manufacturer",
        enforced_by=("keychannel.core.assignment.require_assignable", "keychannel.core.assignment.require_placeable"),
        paths={
            SERVICE: (ASSIGN + "test_who_may_assign_whom", ASSIGN + "test_contract_owner_refuses_manufacturer_people"),
            "POST /api/v1/users/invitations": (ONBOARD + "test_a_head_invites_only_salespeople_of_its_own_company",),
            "core:user_invite": (ONBOARD + "test_a_head_invites_only_salespeople_of_its_own_company",),
            "POST /api/v1/opportunities": (ASSIGN + "test_deal_api_refuses_manufacturer_people",),
            **{key: (SYNC + "test_the_assignment_rule_holds_on_the_deal_upsert_and_bulk",) for key in (
                "PUT /api/v1/opportunities/by-external-id/{external_id}", "POST /api/v1/opportunities/bulk")},
            "POST /api/v1/leads/{lead_id}/assign": (
                "keychannel/channel/tests/test_lead_assignment.py::"
                "test_the_manufacturer_assigns_a_lead_nobody_took_to_a_person_at_a_distributor",),
            "channel:lead_assign": ("keychannel/channel/tests/test_lead_assignment.py::test_the_lead_page_assigns_by_hand",),
            **{key: (SVC + "test_a_distributor_user_never_assigns_a_manufacturer_person",) for key in (
                "POST /api/v1/cases", "POST /api/v1/cases/{case_id}/assign", "service:case_assign")},
            "service:case_create": (SVC + "test_the_new_case_form_refuses_a_manufacturer_assignee_and_offers_own_people",),
            "PATCH /api/v1/opportunities/{opportunity_id}": (
                ASSIGN + "test_deal_patch_refuses_new_manufacturer_people_and_keeps_the_ones_set",),
            "deals:opportunity_update": (ASSIGN + "test_deal_form_refuses_with_422_and_offers_only_own_people",),
            "deals:opportunity_create": (PATHS + "test_new_deal_form_refuses_a_manufacturer_owner",),
            "clients:account_plan": (ASSIGN + "test_account_plan_refuses_manufacturer_owners",),
            "clients:account_plan_item_add": (ASSIGN + "test_account_plan_refuses_manufacturer_owners",),
            "clients:account_plan_item_edit": (PLAN_EDIT + "test_items_are_edited_in_place_on_the_plan_page",),
            **{key: (PLAN_EDIT + "test_owners_through_the_api_follow_the_assignment_rule",) for key in (
                "PATCH /api/v1/account-plan/objectives/{item_id}", "PATCH /api/v1/account-plan/actions/{item_id}",
                "POST /api/v1/clients/{client_id}/account-plan/actions",
                "POST /api/v1/clients/{client_id}/account-plan/objectives",
                "PATCH /api/v1/clients/{client_id}/account-plan")},
            "POST /api/v1/stakeholders/{stakeholder_id}/contacts": (
                ASSIGN + "test_stakeholder_contact_refuses_manufacturer_people",),
            "clients:contact_add": (PATHS + "test_contact_form_refuses_a_manufacturer_person",),
            "POST /api/v1/readiness/{assessment_id}/actions": (
                ASSIGN + "test_readiness_action_refuses_manufacturer_owner",),
            "PATCH /api/v1/readiness/actions/{item_id}": (ASSIGN + "test_readiness_action_refuses_manufacturer_owner",),
            "network:action_item_update": (ASSIGN + "test_readiness_action_refuses_manufacturer_owner",),
            "network:action_item_create": (PATHS + "test_readiness_action_form_refuses_a_manufacturer_owner",),
            "admin:deals.Opportunity": (ADMIN_CLOSED,),
            "admin:deals.CorporateContract": (ADMIN_CLOSED,),
        },
        unaffected={
            "PATCH /api/v1/account-plan/competitors/{item_id}": "a competitor has no owner: the shared item service "
                                                                "assigns nobody for it",
            "PATCH /api/v1/contracts/{contract_id}": "the contract API takes no owner (a win copies the deal owner)",
            "deals:contract_update": "the contract form takes no owner (a win copies the deal owner)",
            "POST /api/v1/conflicts/{conflict_id}/resolve": MANUFACTURER_ONLY,
            "channel:conflict_resolve": MANUFACTURER_ONLY,
            "POST /api/v1/coverage-gaps/{client_id}/assign": MANUFACTURER_ONLY,
            "competence:coverage_gap_assign": MANUFACTURER_ONLY,
            "POST /api/v1/mentorships": MANUFACTURER_ONLY,
            "competence:mentorship_create": MANUFACTURER_ONLY,
            "POST /api/v1/registrations/{registration_id}/approve": "the deal opened is owned by the registrant",
            "channel:registration_decide": "the deal opened is owned by the registrant",
            "POST /api/v1/leads/{lead_id}/accept": "the deal opened is owned by the user who accepts",
            "channel:lead_respond": "the deal opened is owned by the user who accepts",
        },
        fields=("deals.Opportunity.owner", "deals.Opportunity.kam", "deals.Opportunity.mentor",
                "deals.CorporateContract.owner"),
    ),
    "registration_gate": Rule(
        title="Registration gate",
        enforced_by=("keychannel.deals.gate.enforce", "keychannel.channel.gate.deal_gate"),
        paths={
            SERVICE: (GATE + "test_service_refuses_a_deal_opened_at_negotiation_in_anothers_exclusive_cell",
                      GATE + "test_own_book_and_coverage_need_nothing",
                      GATE + "test_key_account_and_value_rules_follow_the_policy",
                      GATE + "test_direct_or_moved_clients_need_a_registration"),
            "POST /api/v1/opportunities": (
                GATE + "test_api_create_at_negotiation_is_a_422_naming_the_rule_with_a_registration_url",),
            **{key: (SYNC + "test_the_gate_holds_on_the_deal_upsert_and_bulk",) for key in (
                "PUT /api/v1/opportunities/by-external-id/{external_id}", "POST /api/v1/opportunities/bulk")},
            "POST /api/v1/opportunities/{opportunity_id}/move": (
                GATE + "test_first_stage_is_free_but_moving_on_or_winning_is_refused_on_api_kanban_and_form",),
            "deals:opportunity_move": (
                GATE + "test_first_stage_is_free_but_moving_on_or_winning_is_refused_on_api_kanban_and_form",),
            "deals:opportunity_create": (GATE + "test_new_deal_form_refuses_and_offers_register_this_deal",),
            "PATCH /api/v1/opportunities/{opportunity_id}": (
                GATE + "test_changing_the_lines_of_a_deal_past_the_first_stage_is_checked_again",),
            "deals:opportunity_update": (PATHS + "test_changing_the_lines_on_the_edit_form_is_checked_again",),
            "admin:deals.Opportunity": (
                GATE + "test_admin_cannot_move_a_deal_into_anothers_exclusive_cell_without_an_override",),
            "POST /api/v1/leads/{lead_id}/accept": (PATHS + "test_accepting_a_lead_opens_an_ungated_first_stage_deal",),
            "channel:lead_respond": (PATHS + "test_accepting_a_lead_opens_an_ungated_first_stage_deal",),
            "POST /api/v1/registrations/{registration_id}/approve": (
                GATE + "test_register_this_deal_runs_the_checks_opens_the_conflict_and_then_lets_the_deal_through",),
            "channel:registration_decide": (PATHS + "test_approving_on_the_page_opens_an_ungated_first_stage_deal",),
        },
        unaffected={
            "POST /api/v1/conflicts/{conflict_id}/resolve": "the out-of-scope project is a direct deal, never gated",
            "channel:conflict_resolve": "the out-of-scope project is a direct deal, never gated",
            "POST /api/v1/coverage-gaps/{client_id}/assign": "sets the mentor only; the gate runs on lines and value",
            "competence:coverage_gap_assign": "sets the mentor only; the gate runs on lines and value",
            "POST /api/v1/mentorships": "sets the mentor only; the gate runs on lines and value",
            "competence:mentorship_create": "sets the mentor only; the gate runs on lines and value",
        },
        fields=("deals.Opportunity.client", "deals.Opportunity.distributor", "deals.Opportunity.stage",
                "deals.Opportunity.value", "deals.Opportunity.product_lines"),
    ),
    "watched_duplicates": Rule(
        title="Watched duplicates",
        enforced_by=("keychannel.clients.services.client_create", "keychannel.channel.gate.watch_confirmed_duplicate"),
        paths={
            SERVICE: ("keychannel/channel/tests/test_watched_duplicates.py::test_an_unrelated_new_client_opens_nothing",),
            "POST /api/v1/clients": ("keychannel/channel/tests/test_watched_duplicates.py::"
                                     "test_confirmed_copy_of_a_client_served_elsewhere_opens_a_case_for_the_channel_manager",),
            "clients:client_create": ("keychannel/channel/tests/test_watched_duplicates.py::test_the_page_path_is_watched_too",),
            **{key: (SYNC + "test_watched_duplicates_hold_on_the_client_upsert_and_bulk",) for key in (
                "PUT /api/v1/clients/by-external-id/{external_id}", "POST /api/v1/clients/bulk")},
            "sales:report_resolve_client": (PATHS + "test_creating_a_client_from_a_sales_report_is_watched_too",),
            "POST /api/v1/sales-imports/{job_id}/clients": (BULK + "test_a_confirmed_look_alike_created_in_bulk_is_watched",),
            "sales:report_fix": (BULK + "test_a_confirmed_look_alike_created_in_bulk_is_watched",),
        },
        unaffected={route: REGISTRATION_CREATES_UNWATCHED for route in (
            "POST /api/v1/registrations", "channel:registration_create", "POST /api/v1/leads/{lead_id}/accept",
            "channel:lead_respond")},
    ),
    "out_of_scope": Rule(
        title="Out of scope keeps running business",
        enforced_by=("keychannel.channel.out_of_scope.apply", "keychannel.channel.out_of_scope.hand_over_after_grace"),
        paths={
            SERVICE: (OOS + "test_the_demo_scenario_keeps_running_business", OOS + "test_bad_hand_over_ids_change_nothing",
                      OOS + "test_ending_the_contract_needs_a_reason",
                      OOS + "test_zero_grace_days_hand_every_open_deal_over_now"),
            "POST /api/v1/conflicts/{conflict_id}/resolve": (
                OOS + "test_api_and_form_take_grace_days_hand_over_and_end_contract",
                "tests/races/test_out_of_scope_race.py::"
                "test_two_out_of_scope_decisions_on_one_client_one_decides_the_other_gets_409"),
            "channel:conflict_resolve": (OOS + "test_api_and_form_take_grace_days_hand_over_and_end_contract",),
            "command:expire_registrations": (PATHS + "test_the_daily_command_hands_deals_over_after_the_grace_period",),
        },
        fields=("channel.Conflict.resolution", "channel.Conflict.status"),
        unaffected={"admin:channel.Conflict": "the Django admin shows decisions read-only (see ConflictAdmin)"},
    ),
    "redaction": Rule(
        title="Partner-facing redaction",
        enforced_by=("keychannel.core.redaction.redacted",),
        paths={
            EVERY_GET: ("tests/test_redaction_fields.py::"
                        "test_no_route_shows_the_internal_assessment_to_a_distributor_user",),
            SERVICE: ("tests/test_redaction_fields.py::test_the_planted_assessment_shows_to_the_manufacturer",
                      "tests/test_redaction_fields.py::test_a_filter_on_a_hidden_field_tells_nothing"),
        },
        unaffected={
            key: "a write that fetches its distributor through the redacted selectors; the response schema carries "
                 "no hidden field, and saving a redacted record raises RedactedRecordSaved"
            for key in (
                "PATCH /api/v1/distributors/{distributor_id}", "PATCH /api/v1/relationships/{relationship_id}",
                "POST /api/v1/distributors", "POST /api/v1/coverage-requests", "POST /api/v1/coverage",
                "PATCH /api/v1/distributors/{distributor_id}/profile", "POST /api/v1/distributor-people", "POST /api/v1/readiness",
                "POST /api/v1/relationships", "POST /api/v1/relationships/{relationship_id}/interactions",
                "POST /api/v1/reviews", "network:coverage_create", "network:distributor_update",
                "network:person_create", "network:readiness_create", "network:relationship_create",
                "network:review_create")
        },
    ),
    "deletion": Rule(
        title="Deleting only what nothing else refers to",
        enforced_by=("keychannel.core.deletion.delete_unreferenced",),
        paths={
            SERVICE: ("keychannel/core/tests/test_deletion.py::"
                      "test_no_manufacturer_record_cascades_from_a_distributor_deletable_one",
                      DELETE + "test_a_reference_added_by_another_app_blocks_without_code_here"),
            "DELETE /api/v1/clients/{client_id}": (DELETE + "test_head_delete_of_a_referenced_client_is_refused_and_recorded",
                                                   DELETE + "test_admin_may_not_delete_a_referenced_client_either"
                                                            "_but_may_an_unreferenced_one"),
            "clients:client_delete": (DELETE + "test_archive_end_to_end_pages",),
            "DELETE /api/v1/stakeholders/{stakeholder_id}": (
                DELETE + "test_a_stakeholder_named_in_an_activity_is_not_deleted",),
            "clients:stakeholder_delete": (DELETE + "test_a_stakeholder_named_in_an_activity_is_not_deleted",),
            **{key: (PATHS + "test_contacts_links_plan_items_and_mappings_delete_when_unreferenced",) for key in (
                "DELETE /api/v1/stakeholders/{stakeholder_id}/contacts/{user_id}", "clients:contact_delete",
                "DELETE /api/v1/stakeholder-links/{link_id}", "clients:link_delete", "clients:account_plan_item_delete",
                "DELETE /api/v1/product-mappings/{mapping_id}", "sales:product_mapping_delete")},
            **{key: (PLAN_EDIT + "test_plan_items_delete_through_the_api",) for key in (
                "DELETE /api/v1/account-plan/objectives/{item_id}", "DELETE /api/v1/account-plan/actions/{item_id}",
                "DELETE /api/v1/account-plan/competitors/{item_id}")},
        },
    ),
    "contract_tier": Rule(
        title="Only the manufacturer sets a contract's tier",
        enforced_by=("keychannel.deals.services._check_tier_setter",),
        paths={
            "PATCH /api/v1/contracts/{contract_id}": (TIER + "test_head_cannot_set_own_contracts_tier_over_the_api",
                                                      TIER + "test_manufacturer_roles_set_the_tier"),
            "deals:contract_update": (TIER + "test_head_cannot_set_the_tier_through_the_form",),
            "POST /api/v1/opportunities/{opportunity_id}/move": (
                TIER + "test_a_distributor_win_creates_a_default_tier_contract_and_cannot_name_one",),
            "admin:deals.CorporateContract": (ADMIN_CLOSED,),
        },
        unaffected={"deals:opportunity_move": "the move form (deal page, kanban) takes no tier: a win on a page makes "
                                              "a default-tier contract"},
        fields=("deals.CorporateContract.tier",),
    ),
    "contract_tier_volume": Rule(
        title="A contract's tier matches its committed volume",
        enforced_by=("keychannel.deals.services.check_tier_volume",),
        paths={
            SERVICE: (TIER + "test_contract_tiers_are_the_program_tiers",),
            "PATCH /api/v1/contracts/{contract_id}": (
                TIER + "test_gold_below_its_threshold_is_refused_over_the_api_and_kept_with_an_exception",),
            "deals:contract_update": (TIER + "test_gold_below_its_threshold_is_refused_through_the_form",),
            "POST /api/v1/opportunities/{opportunity_id}/move": (
                TIER + "test_a_win_naming_a_tier_its_volume_does_not_reach_is_refused",),
            "admin:deals.CorporateContract": (TIER + "test_the_admin_refuses_gold_below_its_threshold",),
        },
        unaffected={"deals:opportunity_move": "the move form (deal page, kanban) takes no tier: a win on a page makes "
                                              "a default-tier contract or keeps the contract's tier and exception"},
        fields=("deals.CorporateContract.tier", "deals.CorporateContract.tier_exception_reason"),
    ),
    "kam_tasks": Rule(
        title="KAM tasks come from the manufacturer only",
        enforced_by=("keychannel.competence.services.refuse_distributor_write",),
        paths={
            **{key: (KAM + "test_head_cannot_create_or_change_through_the_api",) for key in (
                "POST /api/v1/kam-tasks", "PATCH /api/v1/kam-tasks/{task_id}",
                "POST /api/v1/kam-tasks/{task_id}/status", "POST /api/v1/kam-tasks/{task_id}/cancel",
                "POST /api/v1/kam-tasks/{task_id}/comments")},
            "POST /api/v1/kam-tasks/bulk": (KAM + "test_head_cannot_use_the_bulk_paths",
                                            KAM + "test_bulk_is_all_or_nothing"),
            "competence:kamtask_import": (KAM + "test_head_cannot_use_the_bulk_paths",),
            **{key: (KAM + "test_head_cannot_create_or_change_through_the_ui",) for key in (
                "competence:kamtask_create", "competence:kamtask_update", "competence:kamtask_status",
                "competence:kamtask_cancel")},
            "competence:kamtask_comment": (PATHS + "test_a_distributor_head_cannot_comment_as_the_manufacturer",),
            "POST /api/v1/consultations/{consultation_id}/convert": (
                PATHS + "test_a_distributor_cannot_convert_a_consultation_into_a_kam_task",),
            "competence:consultation_convert": (
                PATHS + "test_a_distributor_cannot_convert_a_consultation_into_a_kam_task",),
            "admin:competence.KamTask": (KAM + "test_head_cannot_use_the_admin",
                                         KAM + "test_admin_adds_and_reprioritises_in_the_django_admin"),
        },
        fields=("competence.KamTask.kam", "competence.KamTask.duty", "competence.KamTask.priority"),
    ),
    "registration_checks": Rule(
        title="Registration checks and expiry",
        enforced_by=("keychannel.channel.services.registrations._run_checks",
                     "keychannel.channel.services.registrations._expire"),
        paths={
            SERVICE: (REG + "test_clean_registration_passes_every_check_and_holds_the_client",
                      REG + "test_another_distributors_registration_is_a_double_registration_conflict",
                      REG + "test_territory_not_covered_is_a_territory_conflict",
                      REG + "test_product_line_outside_the_agreement_is_a_product_range_conflict",
                      REG + "test_extend_and_expiry", REG + "test_an_expired_registration_never_blocks_a_new_one"),
            "POST /api/v1/registrations": (
                GATE + "test_register_this_deal_runs_the_checks_opens_the_conflict_and_then_lets_the_deal_through",
                "tests/races/test_registration_race.py::"
                "test_simultaneous_registrations_of_one_client_give_one_first_and_conflicts_for_the_rest"),
            "channel:registration_create": (
                "keychannel/channel/tests/test_pages.py::test_register_page_end_to_end_with_form_errors_and_reasons",),
            "POST /api/v1/leads/{lead_id}/accept": (PATHS + "test_accepting_a_lead_opens_an_ungated_first_stage_deal",),
            "channel:lead_respond": (PATHS + "test_accepting_a_lead_opens_an_ungated_first_stage_deal",),
            "command:expire_registrations": (REG + "test_expire_command",),
        },
        fields=("channel.DealRegistration.status", "channel.DealRegistration.protected_until"),
        unaffected={"admin:channel.DealRegistration": "the Django admin shows registrations read-only "
                                                      "(see DealRegistrationAdmin)"},
    ),
    "conflict_decisions": Rule(
        title="Conflict decisions",
        enforced_by=("keychannel.channel.services.conflicts.conflict_resolve",),
        paths={
            SERVICE: ("keychannel/channel/tests/test_conflicts.py::test_award_closes_the_losers_registration_and_notifies",
                      "keychannel/channel/tests/test_conflicts.py::test_share_needs_percentages_adding_up_to_100",
                      "keychannel/channel/tests/test_conflicts.py::test_take_out_of_scope"),
            "POST /api/v1/conflicts/{conflict_id}/resolve": (
                "keychannel/channel/tests/test_conflicts.py::test_review_then_decide_and_validation_via_api",
                "tests/races/test_registration_race.py::"
                "test_two_simultaneous_decisions_on_one_conflict_one_wins_the_other_gets_409"),
            "channel:conflict_resolve": ("keychannel/channel/tests/test_pages.py::test_conflict_resolve_page_out_of_scope",),
        },
        fields=("channel.Conflict.resolution", "channel.Conflict.status"),
        unaffected={"admin:channel.Conflict": "the Django admin shows decisions read-only (see ConflictAdmin)"},
    ),
    "stakeholder_version": Rule(
        title="Stakeholder edits carry their version",
        enforced_by=("keychannel.clients.services.stakeholder_update",),
        paths={
            SERVICE: (VERSION + "test_each_edit_adds_one_to_the_version",
                      VERSION + "test_a_stale_version_is_refused_and_changes_nothing"),
            "PATCH /api/v1/stakeholders/{stakeholder_id}": (
                VERSION + "test_api_returns_the_version_and_answers_409_to_a_stale_one",
                "tests/races/test_stakeholder_race.py::test_simultaneous_edits_from_one_version_one_saves_the_rest_get_409"),
            "clients:stakeholder_edit": (
                VERSION + "test_edit_form_carries_the_version_and_a_stale_submit_shows_the_error",),
        },
    ),
    "sales_import": Rule(
        title="A sales report is applied whole or not at all",
        enforced_by=("keychannel.sales.services._process",),
        paths={
            SERVICE: (SALES + "test_an_import_killed_half_way_writes_nothing",
                      SALES + "test_three_bad_rows_are_reported_and_nothing_is_imported_then_the_fix_applies"),
            "POST /api/v1/sales-reports": (SALES + "test_api_upload_detail_and_error_file",
                                           "tests/races/test_import_race.py::"
                                           "test_the_same_file_uploaded_at_once_applies_once_and_the_rest_are_duplicates"),
            "sales:report_upload": (SALES + "test_ui_upload_with_htmx_redirects_to_the_report",),
            "POST /api/v1/sales-reports/{report_id}/revalidate": (
                PATHS + "test_revalidating_a_report_applies_it_whole_once_fixed",),
            "sales:report_revalidate": (PATHS + "test_revalidating_a_report_applies_it_whole_once_fixed",),
            "command:import_sales": (SALES + "test_command_line_import",),
            "POST /api/v1/sales-imports": (JOBS + "test_the_import_api_answers_202_then_progress_then_the_report",),
            "task:import_run": (JOBS + "test_the_import_rules_hold_on_the_background_paths",
                                "keychannel/jobs/tests/test_worker_lost.py::"
                                "test_a_worker_killed_during_an_import_leaves_nothing_and_the_retried_import_applies_once"),
            "POST /api/v1/sales-imports/{job_id}/retry": RETRIED,
            "sales:import_retry": RETRIED,
            "POST /api/v1/sales-imports/{job_id}/rerun": (BULK + "test_an_api_caller_fixes_a_first_file_in_four_calls",),
            "sales:report_fix": (BULK + "test_the_page_fixes_everything_in_one_submit",),
        },
    ),
    "repeated_lines": Rule(
        title="A repeated line is refused, not imported twice",
        enforced_by=("keychannel.sales.parsing.validate_rows",),
        paths={
            SERVICE: (LIMITS + "test_a_repeated_line_is_refused_and_named",),
            "POST /api/v1/sales-reports": (PATHS + "test_a_repeated_line_is_refused_on_every_upload_path",),
            "sales:report_upload": (PATHS + "test_a_repeated_line_is_refused_on_every_upload_path",),
            "command:import_sales": (PATHS + "test_a_repeated_line_is_refused_on_every_upload_path",),
            "POST /api/v1/sales-imports": (JOBS + "test_the_import_rules_hold_on_the_background_paths",),
            "task:import_run": (JOBS + "test_the_import_rules_hold_on_the_background_paths",),
            "POST /api/v1/sales-imports/{job_id}/retry": RETRIED,
            "sales:import_retry": RETRIED,
        },
        unaffected={
            "POST /api/v1/sales-reports/{report_id}/revalidate": REVALIDATE_NO_REPEATS,
            "sales:report_revalidate": REVALIDATE_NO_REPEATS,
            "POST /api/v1/sales-imports/{job_id}/rerun": REVALIDATE_NO_REPEATS,
            "sales:report_fix": REVALIDATE_NO_REPEATS,
        },
    ),
    "upload_limits": Rule(
        title="Upload limits",
        enforced_by=("keychannel.sales.limits.check_size", "keychannel.sales.limits.check_zip",
                     "keychannel.sales.limits.capped_rows"),
        paths={
            SERVICE: (LIMITS + "test_hostile_workbooks_are_refused_with_the_limit_named_and_nothing_stored",
                      LIMITS + "test_csv_rows_cells_and_bytes_are_capped",
                      LIMITS + "test_a_workbook_that_unpacks_past_its_share_is_refused"),
            "POST /api/v1/sales-reports": (PATHS + "test_an_oversized_upload_is_refused_on_every_upload_path",),
            "sales:report_upload": (PATHS + "test_an_oversized_upload_is_refused_on_every_upload_path",),
            "command:import_sales": (PATHS + "test_an_oversized_upload_is_refused_on_every_upload_path",),
            "POST /api/v1/sales-imports": (JOBS + "test_the_import_rules_hold_on_the_background_paths",),
            "task:import_run": (JOBS + "test_the_import_rules_hold_on_the_background_paths",),
        },
        unaffected={
            "POST /api/v1/sales-imports/{job_id}/retry": "re-reads a stored file, which passed the limits on upload",
            "sales:import_retry": "re-reads a stored file, which passed the limits on upload",
            "POST /api/v1/sales-reports/{report_id}/revalidate": "re-reads a stored file, which passed the limits on upload",
            "sales:report_revalidate": "re-reads a stored file, which passed the limits on upload",
            "POST /api/v1/sales-imports/{job_id}/rerun": "re-reads a stored file, which passed the limits on upload",
            "sales:report_fix": "re-reads a stored file, which passed the limits on upload",
        },
    ),
    "list_filters": Rule(
        title="A list answers the same rows on its page and in its API",
        enforced_by=("keychannel.channel.selectors.registration_list",),
        paths={
            "channel:registration_list": (FILTERS + "test_registration_page_and_api_answer_the_same_rows_for_every_filter",
                                          FILTERS + "test_approved_lists_no_registration_the_table_shows_as_expired"),
            "GET /api/v1/registrations": (FILTERS + "test_registration_page_and_api_answer_the_same_rows_for_every_filter",),
        },
        unaffected={route: SUPPORT_EVIDENCE for route in (
            "GET /api/v1/support-requests/{request_id}", "POST /api/v1/support-requests/{request_id}/claims",
            "program:distributor_overview", "program:support_detail")},
    ),
    "win_blockers": Rule(
        title="Winning a deal needs a value and a passed product test",
        enforced_by=("keychannel.deals.services._win_blockers",),
        paths={
            SERVICE: ("keychannel/deals/tests/test_deals.py::test_a_failed_test_blocks_winning_until_one_passes",
                      "keychannel/deals/tests/test_deals.py::test_winning_needs_a_value_and_a_second_win_extends_the_contract"),
            "POST /api/v1/opportunities/{opportunity_id}/move": (PATHS + "test_winning_without_a_value_is_refused_over_the_api",),
            "deals:opportunity_move": (PATHS + "test_winning_without_a_value_is_refused_on_the_kanban_and_the_form",),
        },
        fields=("deals.Opportunity.stage",),
    ),
    "lost_reason": Rule(
        title="A lost deal says why, from the list",
        enforced_by=("keychannel.deals.services._lost_reason_errors",),
        paths={
            SERVICE: ("keychannel/deals/tests/test_lost_reasons.py::test_the_service_refuses_a_lost_deal_without_a_reason_from_the_list",
                      "keychannel/deals/tests/test_lost_reasons.py::test_a_reason_from_the_list_is_enough_and_reopening_clears_it"),
            "POST /api/v1/opportunities/{opportunity_id}/move": (
                "keychannel/deals/tests/test_deals.py::test_lost_needs_a_reason_and_bad_moves_change_nothing",),
            "deals:opportunity_move": ("keychannel/deals/tests/test_deals.py::test_kanban_move_through_htmx_and_the_deal_form",),
        },
    ),
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


def paths_table(rule: Rule) -> str:
    """The rule's paths as docs/rules.md shows them (``python -m tests.rules_catalogue`` prints every rule's)."""
    lines = ["| path | test, or why the rule does not apply there |", "|---|---|"]
    for route, tests in rule.paths.items():
        lines.append(f"| `{route}` | " + ", ".join(f"`{t}`" for t in tests) + " |")
    for route, why in rule.unaffected.items():
        lines.append(f"| `{route}` | not affected: {why} |")
    for route, what in rule.gaps.items():
        lines.append(f"| `{route}` | **no test yet**: {what} |")
    return "\n".join(lines)


if __name__ == "__main__":
    for rule in RULES.values():
        print(f"## {rule.title}\n\n{paths_table(rule)}\n")
