"""The corporate program's tiers page."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from .. import selectors


def tier_list(request):
    return render(request, "program/tier_list.html", {
        "tiers": selectors.tier_list(principal=request.principal),
        "contracts": selectors.tier_contracts(principal=request.principal),
        "breadcrumbs": [(_("Corporate program tiers"), "")],
    })
