"""The filters of the client lists, defined once: the selectors apply them, the pages draw them, the API takes them.

A name here is the API filter's field (``schemas.ClientFilter`` adds the types and the 422 for a bad value) and,
unless ``param`` says otherwise, the page's query parameter; ``tests/test_list_filters.py`` checks they agree.
"""

from django.utils.translation import gettext_lazy

from keychannel.core.filters import FilterSpec, ListFilters

from .choices import ClientStatus, RevenueBand

YES_NO = [("1", gettext_lazy("Yes")), ("0", gettext_lazy("No"))]


def _truthy(value) -> bool:
    return value in (True, "1", "true", "True", "yes")


def _archived(qs, value, principal):
    # archived clients are out of every list unless asked for, and then they are the only ones
    return qs.filter(archived_at__isnull=not _truthy(value))


def _key_account(qs, value, principal):
    return qs.filter(is_key_account=_truthy(value))


def _direct(qs, value, principal):
    return qs.filter(distributor__isnull=_truthy(value))


def _industry(qs, value, principal):
    value = str(value).strip()
    return qs.filter(industry__iexact=value) if value else qs


def _external_id(qs, value, principal):
    value = str(value).strip()
    return qs.filter(external_id=value) if value else qs


def _at_risk(qs, value, principal):
    # imported here: selectors imports this module to apply the filters
    from .selectors import at_risk_condition

    return qs.filter(at_risk_condition()) if _truthy(value) else qs


CLIENT_FILTERS = ListFilters(
    FilterSpec("archived", gettext_lazy("Archived"), method=_archived, default=False,
               choices=[("1", gettext_lazy("Archived only"))]),
    FilterSpec("status", gettext_lazy("Status"), lookup="status", choices=ClientStatus.choices),
    FilterSpec("is_key_account", gettext_lazy("Key account"), method=_key_account, choices=YES_NO, param="key"),
    FilterSpec("distributor_id", lookup="distributor_id"),
    FilterSpec("direct", method=_direct),
    FilterSpec("territory_id", lookup="territory_id"),
    FilterSpec("revenue_band", gettext_lazy("Revenue"), lookup="revenue_band", choices=RevenueBand.choices),
    FilterSpec("industry", method=_industry),
    FilterSpec("at_risk", method=_at_risk),
    FilterSpec("external_id", method=_external_id),
)

# The at-risk page offers only the status select; its API takes every client filter (the same selector).
RISK_FILTERS = CLIENT_FILTERS.on_page("status")
