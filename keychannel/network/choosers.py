"""Distributors as a form chooses among them (core/choosers.py): typed by code or name past a few hundred (the
issue-10 network has 2,000: a select of them was 150 KB of every form that offered one)."""

from keychannel.core.choosers import SEPARATOR, ChooserKind

from .models import Distributor


def _matching(text):
    from keychannel.deals.selectors import distributors_matching  # local: deals imports network

    return distributors_matching(text)


DISTRIBUTORS = ChooserKind(
    key="distributors",
    rows=lambda principal: Distributor.objects.visible_to(principal).filter(active=True),
    by_code=lambda qs, code: qs.filter(code__iexact=code).order_by("code", "pk"),
    # as the typed distributor filters read a text (the code it is, else codes and names holding it)
    search=lambda qs, text: qs.filter(pk__in=_matching(text)).order_by("code", "pk"),
    label=lambda distributor: f"{distributor.code}{SEPARATOR}{distributor.legal_name}",
)
