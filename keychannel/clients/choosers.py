"""Clients as a form chooses among them (core/choosers.py): typed by code or name when there are many."""

from keychannel.core.choosers import SEPARATOR, ChooserKind

from .models import CorporateClient
from .selectors import client_searched


def _label(client) -> str:
    return f"{client.code}{SEPARATOR}{client.legal_name}" if client.code else client.legal_name


CLIENTS = ChooserKind(
    key="clients",
    rows=lambda principal: CorporateClient.objects.visible_to(principal).filter(archived_at__isnull=True),
    by_code=lambda qs, code: qs.filter(code__iexact=code).order_by("normalized_name", "pk"),
    # the clients list's search (names folded, diacritics and legal forms aside; the code; the tax id)
    search=lambda qs, text: client_searched(qs, text).order_by("normalized_name", "pk"),
    label=_label,
)
