"""Distributors as a form chooses among them (core/choosers.py): typed by code or name past a few hundred (the
issue-10 network has 2,000: a select of them was 150 KB of every form that offered one)."""

from django.db.models import Q

from keychannel.core.choosers import SEPARATOR, ChooserKind

from .models import Distributor

DISTRIBUTORS = ChooserKind(
    key="distributors",
    rows=lambda principal: Distributor.objects.visible_to(principal).filter(active=True),
    by_code=lambda qs, code: qs.filter(code__iexact=code).order_by("code", "pk"),
    search=lambda qs, text: qs.filter(Q(code__icontains=text) | Q(legal_name__icontains=text)).order_by("code", "pk"),
    label=lambda distributor: f"{distributor.code}{SEPARATOR}{distributor.legal_name}",
)
