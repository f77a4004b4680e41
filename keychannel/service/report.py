"""The manufacturer's SLA report page: attainment by distributor, tier, product line and month, open cases at risk,
repeat incidents per client (a distributor head reads the same figures over its own cases)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors

DIMENSION_LABELS = {"distributor": _("Distributor"), "tier": _("Tier"), "product_line": _("Product line"),
                    "month": _("Month")}


def _date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def report_context(request, principal) -> dict:
    today = timezone.localdate()
    date_from = _date(request.GET.get("from")) or today.replace(day=1) - datetime.timedelta(days=365)
    date_to = _date(request.GET.get("to")) or today
    tables = [(DIMENSION_LABELS[by], by, selectors.attainment(principal=principal, by=by, date_from=date_from,
                                                              date_to=date_to))
              for by in ("distributor", "tier", "product_line", "month")]
    return {
        "tables": tables, "date_from": date_from, "date_to": date_to,
        "at_risk": selectors.at_risk(principal=principal, limit=50),
        "repeats": selectors.repeat_incidents(principal=principal),
        "breadcrumbs": [(_("Service cases"), "service:case_list"), (_("Service levels report"), "")],
    }
