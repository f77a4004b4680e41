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

from tests.rule_types import (  # noqa: F401 (EVERY_GET, EXEMPT_ROUTES, Rule, SERVICE: re-exported)
    ADMIN_CLOSED,
    ASSIGN,
    BULK,
    DELETE,
    EVERY_GET,
    EXEMPT_ROUTES,
    FILTERS,
    GATE,
    JOBS,
    KAM,
    LIMITS,
    MANUFACTURER_ONLY,
    ONBOARD,
    OOS,
    PATHS,
    PLAN_EDIT,
    REG,
    REGISTRATION_CREATES_UNWATCHED,
    RETRIED,
    REVALIDATE_NO_REPEATS,
    SALES,
    SERVICE,
    SUPPORT_EVIDENCE,
    SVC,
    SYNC,
    TIER,
    VERSION,
    Rule,
)
from tests.rules_program import PROGRAM_RULES

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
    **PROGRAM_RULES,
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
