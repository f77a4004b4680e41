"""The deals page's rows (issue 22): each deal read as a row of the values its table and export show, not as a deal
with its client, distributor and owner as model instances (four objects per row, a fifth of the page's Python).

``DealRow.table_getters`` answers each column's raw value as ``core.tables.resolve`` answers it on a deal (the same
rule: ``Opportunity.distributor_display``, ``get_stage_display``, ``attention_display``, the owner's
``get_full_name``), so the page's cells and the export's values are the ones the deals gave
(``deals/tests/test_deal_rows.py`` compares them).
"""

from operator import attrgetter

from django.db.models import F
from django.db.models.query import ValuesListIterable
from django.utils import timezone
from django.utils.translation import gettext

from .choices import Attention, attention_flags
from .models import Opportunity

# What the table's columns (deals.tables.pipeline_table) and the export read, in DealRow's order. The related
# rows' columns are annotations so that the page's count drops their joins (core.pagination.capped_count).
RELATED = {"client_name": F("client__legal_name"), "distributor_code": F("distributor__code"),
           "owner_first_name": F("owner__first_name"), "owner_last_name": F("owner__last_name")}
FIELDS = (
    "pk", "title", "client_name", "distributor_id", "distributor_code", "stage", "value", "probability",
    "expected_close_on", "owner_id", "owner_first_name", "owner_last_name", "next_step", "next_step_on",
)


class DealRow:
    __slots__ = ("pk", "title", "client_name", "distributor_id", "distributor_code", "stage", "value", "probability",
                 "expected_close_on", "owner_id", "owner_first_name", "owner_last_name", "next_step", "next_step_on")

    detail_url_name = Opportunity.detail_url_name  # core.tables links a row to its deal's page by pk

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    @staticmethod
    def table_getters(keys: list[str]) -> list:
        """Each column's getter of a row's raw value, its labels read once per page (for the active language and
        today) where a deal looked them up on every row. An unknown key is an error, not an empty column."""
        stage_labels = {value: str(label) for value, label in Opportunity._meta.get_field("stage").flatchoices}
        direct = gettext("direct")
        attention = {flag: str(Attention(flag).label) for flag in Attention.values}
        today = timezone.localdate()
        getters = {
            "title": attrgetter("title"),
            "client.legal_name": attrgetter("client_name"),
            "distributor_display": lambda row: row.distributor_code if row.distributor_id else direct,
            "get_stage_display": lambda row: stage_labels.get(row.stage, row.stage),
            "value": attrgetter("value"),
            "probability": attrgetter("probability"),
            "expected_close_on": attrgetter("expected_close_on"),
            "owner.get_full_name": lambda row: (None if row.owner_id is None
                                                else f"{row.owner_first_name} {row.owner_last_name}".strip()),
            "next_step": attrgetter("next_step"),
            "next_step_on": attrgetter("next_step_on"),
            "attention_display": lambda row: ", ".join(
                attention[flag] for flag in attention_flags(row.stage, row.next_step, row.next_step_on, today)),
        }
        return [getters[key] for key in keys]


class DealRows(ValuesListIterable):
    """A values list of ``FIELDS`` yielding ``DealRow``s (pages, exports and counts keep the queryset's API)."""

    def __iter__(self):
        return (DealRow(*values) for values in super().__iter__())


def as_deal_rows(queryset):
    queryset = queryset.annotate(**RELATED).values_list(*FIELDS)
    queryset._iterable_class = DealRows
    return queryset
