"""API parity (issue 16): every write a page offers is an API operation calling the same service.

``write_pages()`` lists the page routes that accept POST (from the one URL walk, ``tests.access.url_patterns``).
Each is either in ``PARITY`` — mapped to the API operation(s) that do the same, by their operation key
("METHOD /api/v1/path") — or in ``UI_ONLY`` with the reason it has no API operation. ``shared_services()`` checks
that a mapped page and operation reach the same service function (statically, through ``tests.rules_walk``).
"""

from __future__ import annotations

import ast
import inspect

from tests import rules_walk
from tests.access import url_patterns

# Page route → the API operations that do what its POST does.
PARITY: dict[str, tuple[str, ...]] = {
    # core: the profile, notifications and people's accounts
    "core:profile": ("POST /api/v1/auth/token",),
    "core:api_token_revoke": ("DELETE /api/v1/auth/token",),
    "core:preferences": ("PATCH /api/v1/me/preferences",),
    "core:logout_everywhere": ("POST /api/v1/auth/logout-everywhere",),
    "core:notification_list": ("POST /api/v1/notifications/read",),
    "core:notification_preferences": ("PUT /api/v1/me/notification-preferences",),
    "core:user_invite": ("POST /api/v1/users/invitations",),
    "core:user_deactivate": ("POST /api/v1/users/{user_id}/deactivate",),
    "core:user_reactivate": ("POST /api/v1/users/{user_id}/reactivate",),
    "core:invitation_resend": ("POST /api/v1/users/{user_id}/invitation",),
    "core:login_lockout_clear": ("POST /api/v1/users/{user_id}/unlock",),
    "core:organization_login_settings": ("PATCH /api/v1/organizations/{organization_id}/login-settings",),
    # network
    "network:distributor_create": ("POST /api/v1/distributors",),
    "network:distributor_update": ("PATCH /api/v1/distributors/{distributor_id}",),
    "network:distributor_profile": ("PATCH /api/v1/distributors/{distributor_id}/profile",),
    "network:coverage_create": ("POST /api/v1/coverage",),
    "network:coverage_update": ("PATCH /api/v1/coverage/{coverage_id}",),
    "network:coverage_request_create": ("POST /api/v1/coverage-requests",),
    "network:coverage_request_decide": ("POST /api/v1/coverage-requests/{request_id}/decide",),
    "network:person_create": ("POST /api/v1/distributor-people",),
    "network:person_update": ("PATCH /api/v1/distributor-people/{person_id}",),
    "network:relationship_create": ("POST /api/v1/relationships",),
    "network:relationship_update": ("PATCH /api/v1/relationships/{relationship_id}",),
    "network:interaction_create": ("POST /api/v1/relationships/{relationship_id}/interactions",),
    "network:readiness_create": ("POST /api/v1/readiness",),
    "network:action_item_create": ("POST /api/v1/readiness/{assessment_id}/actions",),
    "network:action_item_update": ("PATCH /api/v1/readiness/actions/{item_id}",),
    "network:review_create": ("POST /api/v1/reviews",),
    "network:review_update": ("PATCH /api/v1/reviews/{review_id}",),
    "network:presence_update": ("PUT /api/v1/channel-presence/{territory_id}",),
    "network:questionnaire_create": ("POST /api/v1/readiness-questionnaires",),
    "network:questionnaire_update": ("PATCH /api/v1/readiness-questionnaires/{questionnaire_id}",),
    "network:questionnaire_activate": ("POST /api/v1/readiness-questionnaires/{questionnaire_id}/activate",),
    "network:playbook_update": ("PATCH /api/v1/playbooks/{playbook_id}",),
    "network:territory_create": ("POST /api/v1/territories",),
    "network:territory_update": ("PATCH /api/v1/territories/{territory_id}",),
    "network:productline_create": ("POST /api/v1/product-lines",),
    "network:productline_update": ("PATCH /api/v1/product-lines/{product_line_id}",),
    # clients
    "clients:client_create": ("POST /api/v1/clients",),
    "clients:client_update": ("PATCH /api/v1/clients/{client_id}",),
    "clients:client_delete": ("DELETE /api/v1/clients/{client_id}",),
    "clients:client_archive": ("POST /api/v1/clients/{client_id}/archive",),
    "clients:client_restore": ("POST /api/v1/clients/{client_id}/restore",),
    "clients:client_merge": ("POST /api/v1/clients/{client_id}/merge",),
    "clients:stakeholder_create": ("POST /api/v1/clients/{client_id}/stakeholders",),
    "clients:stakeholder_edit": ("PATCH /api/v1/stakeholders/{stakeholder_id}",),
    "clients:stakeholder_delete": ("DELETE /api/v1/stakeholders/{stakeholder_id}",),
    "clients:contact_add": ("POST /api/v1/stakeholders/{stakeholder_id}/contacts",),
    "clients:contact_delete": ("DELETE /api/v1/stakeholders/{stakeholder_id}/contacts/{user_id}",),
    "clients:link_create": ("POST /api/v1/clients/{client_id}/stakeholder-links",),
    "clients:link_delete": ("DELETE /api/v1/stakeholder-links/{link_id}",),
    "clients:account_plan": ("PATCH /api/v1/clients/{client_id}/account-plan",),
    "clients:account_plan_item_add": ("POST /api/v1/clients/{client_id}/account-plan/objectives",
                                      "POST /api/v1/clients/{client_id}/account-plan/actions",
                                      "POST /api/v1/clients/{client_id}/account-plan/competitors"),
    "clients:account_plan_item_edit": ("PATCH /api/v1/account-plan/objectives/{item_id}",
                                       "PATCH /api/v1/account-plan/actions/{item_id}",
                                       "PATCH /api/v1/account-plan/competitors/{item_id}"),
    "clients:account_plan_item_delete": ("DELETE /api/v1/account-plan/objectives/{item_id}",
                                         "DELETE /api/v1/account-plan/actions/{item_id}",
                                         "DELETE /api/v1/account-plan/competitors/{item_id}"),
    # deals
    "deals:opportunity_create": ("POST /api/v1/opportunities",),
    "deals:opportunity_update": ("PATCH /api/v1/opportunities/{opportunity_id}",),
    "deals:opportunity_move": ("POST /api/v1/opportunities/{opportunity_id}/move",),
    "deals:activity_create": ("POST /api/v1/opportunities/{opportunity_id}/activities",),
    "deals:producttest_create": ("POST /api/v1/opportunities/{opportunity_id}/product-tests",),
    "deals:producttest_update": ("PATCH /api/v1/product-tests/{product_test_id}",),
    "deals:producttest_approve": ("POST /api/v1/product-tests/{product_test_id}/approvals",),
    "deals:producttest_signoff": ("POST /api/v1/product-tests/{product_test_id}/signoff",),
    "deals:contract_update": ("PATCH /api/v1/contracts/{contract_id}",),
    "deals:stage_probabilities": ("PUT /api/v1/stage-probabilities/{stage}",),
    # channel
    "channel:registration_create": ("POST /api/v1/registrations",),
    "channel:registration_decide": ("POST /api/v1/registrations/{registration_id}/approve",
                                    "POST /api/v1/registrations/{registration_id}/reject",
                                    "POST /api/v1/registrations/{registration_id}/extend"),
    "channel:conflict_comment": ("POST /api/v1/conflicts/{conflict_id}/comments",),
    "channel:conflict_review": ("POST /api/v1/conflicts/{conflict_id}/review",),
    "channel:conflict_resolve": ("POST /api/v1/conflicts/{conflict_id}/resolve",),
    "channel:policy": ("PATCH /api/v1/channel-policy",),
    "channel:lead_create": ("POST /api/v1/leads",),
    "channel:lead_respond": ("POST /api/v1/leads/{lead_id}/accept", "POST /api/v1/leads/{lead_id}/decline"),
    "channel:lead_assign": ("POST /api/v1/leads/{lead_id}/assign",),
    # program
    "program:program_create": ("POST /api/v1/programs",),
    "program:program_update": ("PATCH /api/v1/programs/{program_id}",),
    "program:program_submit": ("POST /api/v1/programs/{program_id}/submit",),
    "program:program_signoff": ("POST /api/v1/programs/{program_id}/signoffs",),
    "program:program_launch": ("POST /api/v1/programs/{program_id}/launch",),
    "program:program_close": ("POST /api/v1/programs/{program_id}/close",),
    "program:program_revise": ("POST /api/v1/programs/{program_id}/revise",),
    "program:program_withdraw": ("POST /api/v1/programs/{program_id}/withdraw",),
    "program:goal_create": ("POST /api/v1/goals",),
    "program:goal_update": ("PATCH /api/v1/goals/{goal_id}",),
    "program:milestone_create": ("POST /api/v1/goals/{goal_id}/milestones",),
    "program:milestone_achieve": ("POST /api/v1/milestones/{milestone_id}/achieve",),
    "program:rule_create": ("POST /api/v1/rules",),
    "program:rule_publish": ("POST /api/v1/rules/{rule_id}/publish",),
    "program:rule_acknowledge": ("POST /api/v1/rules/{rule_id}/acknowledge",),
    "program:rule_conditions_apply": ("POST /api/v1/program-rule-conditions/apply",),
    "program:level_create": ("POST /api/v1/programs/{program_id}/levels",),
    "program:level_update": ("PATCH /api/v1/program-levels/{level_id}",),
    "program:level_recompute": ("POST /api/v1/program-levels/recompute",),
    "program:ledger_create": ("POST /api/v1/distributors/{distributor_id}/ledger",),
    "program:ledger_appeal": ("POST /api/v1/ledger/{entry_id}/appeal",),
    "program:ledger_decide": ("POST /api/v1/ledger/{entry_id}/decision",),
    "program:award_create": ("POST /api/v1/distributors/{distributor_id}/awards",),
    "program:event_create": ("POST /api/v1/events",),
    "program:event_update": ("PATCH /api/v1/events/{event_id}",),
    "program:event_invite": ("POST /api/v1/events/{event_id}/invitations",),
    "program:event_rsvp": ("POST /api/v1/events/{event_id}/rsvp",),
    "program:event_attendance": ("POST /api/v1/events/{event_id}/attendance",),
    "program:calendar_rotate": ("POST /api/v1/calendar-feed/rotate",),
    "program:support_create": ("POST /api/v1/support-requests",),
    "program:budget_set": ("POST /api/v1/support-budgets",),
    "program:support_decide": ("POST /api/v1/support-requests/{request_id}/decision",),
    "program:support_claim": ("POST /api/v1/support-requests/{request_id}/claims",),
    "program:support_pay": ("POST /api/v1/support-requests/{request_id}/pay",),
    "program:support_complete": ("POST /api/v1/support-requests/{request_id}/done",),
    "program:course_enroll": ("POST /api/v1/courses/{course_id}/enroll",),
    "program:enrollment_complete": ("POST /api/v1/enrollments/{enrollment_id}/complete",),
    "program:course_create": ("POST /api/v1/courses",),
    "program:course_update": ("PATCH /api/v1/courses/{course_id}",),
    "program:module_create": ("POST /api/v1/courses/{course_id}/modules",),
    "program:module_update": ("PATCH /api/v1/course-modules/{module_id}",),
    "program:resource_create": ("POST /api/v1/learning-resources",),
    "program:resource_update": ("PATCH /api/v1/learning-resources/{resource_id}",),
    "program:bestpractice_create": ("POST /api/v1/best-practices",),
    "program:bestpractice_share": ("POST /api/v1/best-practices/{practice_id}/share",),
    # competence
    "competence:mentorship_create": ("POST /api/v1/mentorships",),
    "competence:mentorship_detail": ("POST /api/v1/mentorships/{mentorship_id}/sessions",),
    "competence:mentorship_end": ("POST /api/v1/mentorships/{mentorship_id}/end",),
    "competence:kamtask_create": ("POST /api/v1/kam-tasks",),
    "competence:kamtask_import": ("POST /api/v1/kam-tasks/bulk",),
    "competence:kamtask_update": ("PATCH /api/v1/kam-tasks/{task_id}",),
    "competence:kamtask_status": ("POST /api/v1/kam-tasks/{task_id}/status",),
    "competence:kamtask_comment": ("POST /api/v1/kam-tasks/{task_id}/comments",),
    "competence:kamtask_cancel": ("POST /api/v1/kam-tasks/{task_id}/cancel",),
    "competence:consultation_create": ("POST /api/v1/consultations",),
    "competence:consultation_respond": ("POST /api/v1/consultations/{consultation_id}/accept",
                                        "POST /api/v1/consultations/{consultation_id}/decline"),
    "competence:consultation_convert": ("POST /api/v1/consultations/{consultation_id}/convert",),
    "competence:coverage_gap_assign": ("POST /api/v1/coverage-gaps/{client_id}/assign",),
    # sales
    "sales:report_upload": ("POST /api/v1/sales-imports",),
    "sales:report_revalidate": ("POST /api/v1/sales-reports/{report_id}/revalidate",),
    "sales:report_resolve_client": ("POST /api/v1/client-mappings",),
    "sales:report_map_product": ("POST /api/v1/product-mappings",),
    "sales:import_retry": ("POST /api/v1/sales-imports/{job_id}/retry",),
    # One page form applies every fix and re-runs; the API takes the same steps one call each.
    "sales:report_fix": ("POST /api/v1/sales-imports/{job_id}/clients", "POST /api/v1/sales-imports/{job_id}/client-mappings",
                         "POST /api/v1/sales-imports/{job_id}/product-mappings", "POST /api/v1/sales-imports/{job_id}/rerun"),
    "sales:mapping_list": ("POST /api/v1/product-mappings",),
    "sales:product_mapping_delete": ("DELETE /api/v1/product-mappings/{mapping_id}",),
    "sales:segment_recompute": ("POST /api/v1/segments/recompute",),
    "sales:survey_create": ("POST /api/v1/surveys",),
    "sales:survey_detail": ("POST /api/v1/surveys/{survey_id}/invitations",),
    "sales:survey_answer_record": ("POST /api/v1/survey-invitations/{invitation_id}/response",),
    # service
    "service:case_create": ("POST /api/v1/cases",),
    "service:case_message": ("POST /api/v1/cases/{case_id}/messages",),
    "service:case_status": ("POST /api/v1/cases/{case_id}/status",),
    "service:case_assign": ("POST /api/v1/cases/{case_id}/assign",),
    "service:case_takeover": ("POST /api/v1/cases/{case_id}/takeover",),
    "service:intake_link_create": ("POST /api/v1/clients/{client_id}/service-links",),
    # integrations, jobs
    "integrations:webhook_create": ("POST /api/v1/webhooks",),
    "integrations:webhook_disable": ("POST /api/v1/webhooks/{subscription_id}/disable",),
    "integrations:webhook_enable": ("POST /api/v1/webhooks/{subscription_id}/enable",),
    "integrations:delivery_redeliver": ("POST /api/v1/webhooks/deliveries/{delivery_id}/redeliver",),
    "jobs:task_retry": ("POST /api/v1/jobs/{task_id}/retry",),
    "jobs:scheduled_retry": ("POST /api/v1/jobs/scheduled-runs/{run_id}/retry",),
}

# Page route → why it has no API operation. Keep this short: each line is a door only a browser has.
UI_ONLY: dict[str, str] = {
    "login": "starts a browser session; API clients get a bearer token with POST /api/v1/auth/token",
    "logout": "ends the browser session; an API client revokes its token with DELETE /api/v1/auth/token",
    "password_change": "a password is typed by its owner in the browser, and changing it revokes every API token",
    "password_reset": "for someone who cannot sign in, so holds no token: the link goes by e-mail",
    "password_reset_confirm": "the e-mailed one-time link is the credential; no token exists yet",
    "core:invitation_accept": "the invited person has no password nor token yet: the e-mailed one-time link is the credential",
    "core:set_language": "the language of this browser's anonymous pages (a cookie); a user's own language is "
                         "PATCH /api/v1/me/preferences",
    "sales:survey_public": "the client contact's public answer form (no account: the link is the credential); staff "
                           "record an answer given by phone with POST /api/v1/survey-invitations/{invitation_id}/response",
    "service:intake_public": "the client's public form to open a case (no account: the signed link is the credential); "
                             "staff open cases with POST /api/v1/cases",
    "service:case_public": "the client's public view of its case, with replies (no account: the signed link is the "
                           "credential); staff reply with POST /api/v1/cases/{case_id}/messages",
}

_POST_MARKERS = ("POST", "request.FILES")


def _accepted_methods(callback):
    """The methods a ``require_http_methods`` decorator allows (None: no restriction), and the undecorated view."""
    allowed, func = None, callback
    while True:
        if func.__code__.co_freevars:
            nonlocals = inspect.getclosurevars(func).nonlocals
            if "request_method_list" in nonlocals:
                allowed = set(nonlocals["request_method_list"])
        if not hasattr(func, "__wrapped__"):
            return allowed, func
        func = func.__wrapped__


def _reads_post(func) -> bool:
    """Whether an unrestricted view (or a helper of its own module it calls) reads a POST."""
    qual = rules_walk.qualname(func)
    module = qual.rpartition(".")[0] if qual in rules_walk._definitions() else None
    names = [q for q in rules_walk.reaches([qual]) if module and q.startswith(module + ".")] or []
    sources = [ast.unparse(rules_walk._definitions()[q][1]) for q in names] or [inspect.getsource(func)]
    return any(marker in source for source in sources for marker in _POST_MARKERS)


def accepts_post(callback) -> bool:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return "post" in view_class.http_method_names and hasattr(view_class, "post")
    allowed, func = _accepted_methods(callback)
    if allowed is not None:
        return "POST" in allowed
    return _reads_post(func)


def write_pages(urlconf=None) -> set[str]:
    """Every named page route that accepts POST."""
    return {name or f"<unnamed {route}>" for name, route, pattern in url_patterns(urlconf) if accepts_post(pattern.callback)}


def unmapped(urlconf=None) -> set[str]:
    return write_pages(urlconf) - set(PARITY) - set(UI_ONLY)


def _is_service(qual: str) -> bool:
    """A write of the codebase's service layer: a function taking ``principal`` as a keyword, outside the views,
    API, selectors, forms and schemas modules (docs/development.md: ``<entity>_<action>(*, principal, ...)``)."""
    module, node = rules_walk._definitions()[qual]
    if not isinstance(node, ast.FunctionDef):
        return False
    # Every part of the name: a package by sub-domain (program/selectors/goals.py) is still the selectors layer.
    if any(name.endswith(part) for name in module.name.split(".")[1:]
           for part in ("views", "api", "selectors", "forms", "schemas")):
        return False
    return any(arg.arg == "principal" for arg in node.args.kwonlyargs)


def shared_services(page: str, operation: str) -> set[str]:
    """The service functions a page route and an API operation both reach."""
    pages, apis = rules_walk.page_roots(), rules_walk.api_roots()
    shared = rules_walk.reaches([pages[page]]) & rules_walk.reaches([apis[operation]])
    return {q for q in shared if _is_service(q)}
