"""The stage probabilities the forecast applies, edited by the program office (issue 16)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keychannel.core.policies import can

from . import selectors, services


@require_http_methods(["GET", "POST"])
def stage_probabilities(request):
    """Everyone reads what each stage means and weighs; admin and program manager change them (all or nothing)."""
    principal = request.principal
    rows = selectors.stage_probability_rows()
    editable = can(principal, "deals.stagesetting.change")
    errors, status = {}, 200
    if request.method == "POST":
        if not editable:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        changed = 0
        try:
            with transaction.atomic():
                for row in rows:
                    if row["fixed"]:
                        continue
                    value = request.POST.get(f"probability-{row['stage']}", "").strip()
                    guidance = request.POST.get(f"guidance-{row['stage']}", row["guidance"])
                    try:
                        value = int(value)
                    except ValueError:
                        errors[row["stage"]] = _("Give a whole number from 0 to 100.")
                        continue
                    row["probability"], row["guidance"] = value, guidance
                    if value == selectors.stage_settings()[row["stage"]] and guidance == (
                            row["setting"].guidance if row["setting"] else ""):
                        continue
                    try:
                        services.stage_probability_set(principal=principal, stage=row["stage"], probability=value,
                                                       guidance=guidance)
                        changed += 1
                    except ValidationError as exc:
                        errors[row["stage"]] = " ".join(exc.messages)
                if errors:
                    raise ValidationError(errors)
        except ValidationError:
            status = 422
        else:
            messages.success(request, _("Stage probabilities saved: the deals in the changed stages are re-weighted."))
            return redirect("deals:stage_probabilities")
    for row in rows:
        row["error"] = errors.get(row["stage"], "")
    return render(request, "deals/stage_probabilities.html", {
        "rows": rows, "editable": editable,
        "breadcrumbs": [(_("Forecast"), "deals:forecast"), (_("Stage probabilities"), "")],
    }, status=status)
