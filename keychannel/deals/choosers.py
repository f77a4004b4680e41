"""Deals as a form chooses among them (core/choosers.py): typed by number ("#123") or title when there are many."""

from keychannel.core.choosers import SEPARATOR, ChooserKind
from keychannel.core.search_sql import Fold
from keychannel.core.text import fold

from .models import Opportunity


def _label(deal) -> str:
    return f"#{deal.pk}{SEPARATOR}{deal.title}"


def _by_number(qs, code: str):
    number = code.removeprefix("#")
    return qs.filter(pk=int(number)) if number.isdigit() else qs.none()


def _search(qs, text: str):
    """Titles holding the text, folded as the global search folds it (ș/ş, ț/ţ, ă, î, â, case): on PostgreSQL through
    the trigram index on the folded title (deals_opportunity_title_fold_trgm). Unordered: ordered, the planner may
    walk the whole table in that order testing each title, for the few suggestions asked."""
    return qs.alias(folded_title=Fold("title")).filter(folded_title__contains=fold(text)).order_by()


DEALS = ChooserKind(
    key="deals",
    rows=lambda principal: Opportunity.objects.visible_to(principal),
    by_code=_by_number,
    search=_search,
    label=_label,
)
