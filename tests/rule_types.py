"""The rule catalogue's vocabulary: the Rule record, the route keys every rule uses, and the test-node prefixes
shared by tests/rules_catalogue.py and tests/rules_program.py (split for size; the catalogue is one)."""

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
