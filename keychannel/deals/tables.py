"""The pipeline table: core Table with filters whose choices come from what the principal may see."""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keychannel.core.filters import TYPED_FROM, QueryChoices, choice_lists
from keychannel.core.scoping import in_lookup
from keychannel.core.tables import Column, Filter, Table
from keychannel.network.models import Distributor, ProductLine, Territory

from .choices import Attention, Stage
from .selectors import apply_filters


class SelectorFilter(Filter):
    """A filter applied through the shared pipeline filters (so table, kanban and API agree)."""

    def apply(self, qs, value):
        return apply_filters(qs, {self.lookup: value}) if value else qs


def month_choices(today=None, back=6, ahead=12):
    today = today or timezone.localdate()
    first = datetime.date(today.year, today.month, 1)
    months = []
    for offset in range(-back, ahead + 1):
        index = first.year * 12 + first.month - 1 + offset
        months.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return [(m, m) for m in months]


def _owner_label(last_name, username, first_name) -> str:
    return f"{first_name} {last_name}".strip() or username


def filter_choices(principal) -> dict:
    """Choices for the pipeline filters, in a fixed number of queries."""
    distributors = Distributor.objects.visible_to(principal)
    if principal.distributor_ids is not None:
        distributors = distributors.filter(pk__in=in_lookup(principal.distributor_ids))
    direct = [("direct", str(_("Direct")))] if principal.sees_whole_network or principal.is_manufacturer else []
    # a few distributors are drawn as a select, read now with the other lists; a network-wide role has thousands
    # of them, read only when looked up (the pages type them)
    few = principal.distributor_ids is not None and len(principal.distributor_ids) + len(direct) <= TYPED_FROM
    users = get_user_model().objects.filter(membership__isnull=False, is_active=True)
    if principal.is_distributor_user:
        users = users.filter(membership__organization_id=principal.organization_id)
    elif principal.distributor_ids is not None:
        users = users.filter(
            Q(membership__organization__kind="manufacturer")
            | Q(membership__organization__distributor__in=in_lookup(principal.distributor_ids))
        )
    # one statement for every list read now (issue 22: four on the head's kanban)
    lists = choice_lists({
        "territory_id": (Territory.objects.visible_to(principal), "name"),
        "product_line_id": (ProductLine.objects.visible_to(principal), "name"),
        "owner_id": (users, ("last_name", "username", "first_name"), _owner_label),
        **({"distributor_id": (distributors, "code")} if few else {}),
    })
    dist_choices = (direct + lists.pop("distributor_id") if few
                    else QueryChoices(distributors.order_by("code"), "code", head=direct))
    return {
        "distributor_id": dist_choices,
        **lists,
        "stage": Stage.choices,
        "close_month": month_choices(),
        "attention": Attention.choices,
    }


FILTER_LABELS = {
    "stage": _("Stage"),
    "distributor_id": _("Distributor"),
    "territory_id": _("Territory"),
    "product_line_id": _("Product line"),
    "owner_id": _("Owner"),
    "close_month": _("Close month"),
    "attention": _("Needs attention"),
}


def pipeline_filters(principal) -> list[Filter]:
    choices = filter_choices(principal)
    return [SelectorFilter(name, label, choices[name], name) for name, label in FILTER_LABELS.items()]


def pipeline_table(principal) -> Table:
    return Table(
        columns=[
            Column("title", _("Deal"), sort="title", link=True),
            Column("client.legal_name", _("Client"), sort="client__legal_name"),
            Column("distributor_display", _("Distributor"), sort="distributor__code"),
            Column("get_stage_display", _("Stage"), sort="stage", badge=True),
            Column("value", _("Value (RON)"), sort="value"),
            Column("probability", _("Probability (%)"), sort="probability"),
            Column("expected_close_on", _("Expected close"), sort="expected_close_on"),
            Column("owner.get_full_name", _("Owner"), sort="owner__last_name"),
            Column("next_step", _("Next step")),
            Column("next_step_on", _("Next step date"), sort="next_step_on"),
            Column("attention_display", _("Attention")),
        ],
        search_fields=["title", "client__legal_name"],
        filters=pipeline_filters(principal),
        default_sort="-expected_close_on",
    )
