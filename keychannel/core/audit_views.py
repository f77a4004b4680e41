"""The audit log page (issue 17 part 5): every change across the network, for the administrator and the program
manager, filtered by person, record type, distributor and dates; exported like every table (core/tables.py)."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import selectors
from .audit import AUDIT_FILTERS
from .partials import render_partial
from .policies import require
from .tables import Column, Table


def _describe(rows, request):
    return selectors.audit_describe(principal=request.principal, rows=rows)


AUDIT_TABLE = Table(
    columns=[
        Column("history_date", gettext_lazy("When")),
        Column("who", gettext_lazy("Who")),
        Column("action", gettext_lazy("What")),
        Column("record_type", gettext_lazy("Record type")),
        Column("record", gettext_lazy("Record"), link=True),
        Column("distributor_name", gettext_lazy("Distributor")),
        Column("changes_text", gettext_lazy("Changes")),
    ],
    filters=AUDIT_FILTERS,
    prepare=_describe,
    export_name="audit-log",
    keep_params=("date_from", "date_to"),
)


def _dates(request) -> tuple[dict, list[str]]:
    """The page's date range; a date that is not one is named and left out (the rest of the filters still apply)."""
    dates, errors = {}, []
    for name, label in (("date_from", _("From")), ("date_to", _("To"))):
        raw = request.GET.get(name, "").strip()
        if not raw:
            continue
        try:
            dates[name] = datetime.date.fromisoformat(raw)
        except ValueError:
            errors.append(_("%(field)s: %(value)s is not a date (YYYY-MM-DD).") % {"field": label, "value": raw[:20]})
    return dates, errors


def audit_log(request):
    principal = request.principal
    require(principal, "core.auditlog.view")
    filters = AUDIT_TABLE.filter_values(request)
    dates, errors = _dates(request)
    try:
        qs = selectors.audit_log(principal=principal, filters={**filters, **dates})
    except ValidationError as exc:
        errors += exc.messages
        qs = selectors.audit_log(principal=principal, filters=filters)
    keep = [(name, request.GET[name]) for name in ("person", "model", "distributor") if request.GET.get(name)]
    return render_partial(request, "core/audit_log.html", {
        "table": AUDIT_TABLE.build(request, qs),
        "errors": errors,
        "date_from": request.GET.get("date_from", ""),
        "date_to": request.GET.get("date_to", ""),
        "keep": keep,
        "tab": "changes",
        "breadcrumbs": [(_("Audit log"), "")],
    }, partial="includes/table.html")
