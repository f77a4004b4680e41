"""The report page's bulk fix (docs/sales.md, "Fixing a rejected file in bulk"): one form creates or maps the
unmatched clients and maps the unknown product codes (fixes.report_fix), then the report re-runs as a background
job (imports.import_job_rerun). A refusal re-renders the page with each row's reason and nothing changed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keychannel.core.errors import ConflictError
from keychannel.core.policies import can, require
from keychannel.core.ratelimit import throttle_page
from keychannel.jobs.choices import JobStatus

from . import fixes, imports, selectors

MAX_FORM_ROWS = fixes.MAX_ITEMS


def fix_context(principal, report, *, chosen=None, fix_errors=None) -> dict:
    """What the report page shows to fix a rejected report: the plan with the user's choices and errors."""
    plan = selectors.report_fix_plan(principal=principal, report=report)
    chosen = chosen or {}
    fix_errors = fix_errors or {}
    for index, row in enumerate(plan["clients"]):
        row["field"] = f"c{index}"
        row["action"] = chosen.get(("client", row["key"]), row["action"])
        row["map_id"] = int(row["action"][4:]) if row["action"].startswith("map:") and row["action"][4:].isdigit() else None
        row["error"] = fix_errors.get(f"clients.{row['key']}", "")
    for index, row in enumerate(plan["products"]):
        row["field"] = f"p{index}"
        picked = chosen.get(("product", row["code"]))
        if picked is not None:
            row["product_line_id"] = int(picked) if picked.isdigit() else None
        row["error"] = fix_errors.get(f"products.{row['code']}", "")
    return {"plan": plan, "fix_errors": fix_errors, "may_create_clients": can(
        principal, "clients.corporateclient.create", report.distributor)}


def _read_form(post, report):
    """The form's rows → the three lists fixes.report_fix takes, and the choices as sent (to show them again)."""
    create, map_clients, map_products, chosen = [], [], [], {}
    keys = {e["key"] for e in report.unmatched_clients or []}
    codes = {e["code"] for e in report.unknown_products or []}
    all_lines = post.get("all_products", "")
    for index in range(min(len(keys), MAX_FORM_ROWS)):
        key, action = post.get(f"c{index}-key", ""), post.get(f"c{index}", "")
        if key not in keys:
            continue
        chosen[("client", key)] = action
        if action in ("create", "confirm"):
            create.append({"key": key, "confirm_not_duplicate": action == "confirm"})
        elif action.startswith("map:") and action[4:].isdigit() and len(action) < 24:
            map_clients.append({"key": key, "client": int(action[4:])})
    for index in range(min(len(codes), MAX_FORM_ROWS)):
        code, line = post.get(f"p{index}-code", ""), post.get(f"p{index}", "") or all_lines
        if code not in codes:
            continue
        chosen[("product", code)] = line
        if line.isdigit() and len(line) < 19:
            map_products.append({"code": code, "product_line": int(line)})
    return create, map_clients, map_products, chosen


@require_POST
def report_fix(request, pk):
    """Apply the page's choices (all or none), then validate the report again in the background."""
    from .views import report_detail_context

    principal = request.principal
    report = selectors.report_get(principal=principal, pk=pk)
    require(principal, "sales.mapping.change", report.distributor)
    create, map_clients, map_products, chosen = _read_form(request.POST, report)
    if create:
        # Creating clients runs the duplicate check: it counts against the same limit as the clients page.
        limited = throttle_page(request, "duplicate-check", "KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT")
        if limited is not None:
            return limited
    try:
        counts = fixes.report_fix(principal=principal, report=report, create=create, map_clients=map_clients,
                                  map_products=map_products)
    except ValidationError as exc:
        errors = {k: " ".join(str(m) for m in v) for k, v in exc.message_dict.items()} if hasattr(
            exc, "error_dict") else {"": " ".join(exc.messages)}
        messages.error(request, _("Nothing was changed: %(n)d choices need another look.") % {"n": len(errors)})
        context = report_detail_context(request, report, chosen=chosen, fix_errors=errors)
        return render(request, "sales/report_detail.html", context, status=422)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect(report)
    messages.success(request, _("%(created)d clients created, %(mapped)d mapped, %(products)d product codes mapped.")
                     % counts)
    try:
        job = imports.import_job_rerun(principal=principal, report=report)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect(report)
    if job.status == JobStatus.DONE and job.report_id:
        return redirect(job.report)
    return redirect(job)
