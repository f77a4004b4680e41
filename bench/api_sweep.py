"""Every GET endpoint of the API as a benchmark row (issue 22: "every API endpoint's median ≤ 3× bare").

bench_api.py's hand-written rows measure the places that were slow and the ones the issue names; these rows come from
the OpenAPI schema, so an endpoint added later is measured without anyone remembering to add it. (The lead's sweep
of wave 14 found the scorecards' network table at 375× bare, the audit log at 62× and the coverage gaps at 49×: none
was a row.) An endpoint keyed by an id is asked for the middle row of its table (``bench.runner.middle``); the
admin asks every endpoint, the distributor head every list (its own scope).
"""

from __future__ import annotations

import re

# The model whose middle row fills each path parameter. Endpoints with a parameter missing here are listed as not
# measured (``skipped``), never silently left out.
PARAMETER_MODELS = {
    "distributor_id": "network.Distributor", "client_id": "clients.CorporateClient",
    "opportunity_id": "deals.Opportunity", "activity_id": "deals.Activity", "contract_id": "deals.CorporateContract",
    "assessment_id": "network.ReadinessAssessment", "assignment_id": "competence.EmbeddedAssignment",
    "case_id": "service.ServiceCase", "conflict_id": "channel.Conflict", "lead_id": "channel.Lead",
    "registration_id": "channel.DealRegistration", "consultation_id": "competence.ConsultationRequest",
    "mentorship_id": "competence.Mentorship", "task_id": "competence.KamTask", "course_id": "program.Course",
    "event_id": "program.Event", "goal_id": "program.Goal", "program_id": "program.Program",
    "request_id": "program.SupportRequest", "job_id": "sales.ImportJob", "report_id": "sales.SalesReport",
    "survey_id": "sales.Survey", "stakeholder_id": "clients.Stakeholder",
    "subscription_id": "integrations.WebhookSubscription", "delivery_id": "integrations.WebhookDelivery",
}
# Asked otherwise: /me is the bare endpoint; search has its own benchmark (bench_search.py); a cockpit panel is a row
# per key in bench_api.py; the CSV exports stream whole tables (their cost is the table's, by design).
NOT_SWEPT = re.compile(r"^/api/v1/(me|search|cockpit/\{key\})$|\.csv$")


def rows(fixed: list[tuple], middle) -> tuple[list[tuple], list[str]]:
    """(rows to add, endpoints not measured): ``fixed`` are bench_api's own rows, not asked twice."""
    from django.apps import apps

    from keychannel.api import api

    asked = {(who, path) for _label, who, _method, path, _body in fixed}
    labels = {label for label, *_rest in fixed}
    ids: dict[str, int | None] = {}
    added, skipped = [], []
    for template, operations in api.get_openapi_schema()["paths"].items():
        if "get" not in operations or NOT_SWEPT.search(template):
            continue
        path, keyed = template, False
        for name in re.findall(r"{(\w+)}", template):
            if name not in ids:
                label = PARAMETER_MODELS.get(name)
                row = middle(apps.get_model(label).objects.all()) if label else None
                ids[name] = row.pk if row is not None else None
            if ids[name] is None:
                skipped.append(template)
                break
            path, keyed = path.replace("{" + name + "}", str(ids[name])), True
        else:
            query = {p["name"] for p in operations["get"].get("parameters", []) if p.get("in") == "query"}
            url = path + ("?limit=50" if "limit" in query else "")
            shown = "GET " + url.removeprefix("/api/v1")
            for who, label, wanted in (("admin", shown, True), ("head", f"head: {shown}", not keyed)):
                if wanted and (who, url) not in asked and label not in labels:
                    added.append((label, who, "GET", url, None))
    return added, skipped
