"""Clients by external id (docs/api.md, "Sync"): create or update through the same services as the pages.

The external id is looked up in the caller's own book only: a distributor user's own distributor, or for a
manufacturer role the distributor the request names (or the direct clients). Another distributor's client with
the same external id is another record, never found, never touched (core/external_ids.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from keychannel.core import external_ids
from keychannel.core.errors import ConflictError

from . import services
from .models import CorporateClient


def _book(principal, distributor):
    """The distributor whose book the external id belongs to (None: the manufacturer's direct clients)."""
    if principal.own_distributor_id is not None:
        from keychannel.network.models import Distributor

        return Distributor.objects.get(pk=principal.own_distributor_id)
    return distributor


def _find(principal, book, external_id):
    return (CorporateClient.objects.visible_to(principal)
            .filter(external_id=external_id, distributor_id=getattr(book, "pk", None)).first())


@transaction.atomic
def client_upsert_by_external_id(*, principal, external_id: str, fields: dict, sent: set[str],
                                 confirm_not_duplicate: bool = False) -> tuple[CorporateClient, bool]:
    """(client, created). ``fields`` as for ``client_create``; on an update only the ``sent`` fields change.

    Two requests with one new external id at the same time: the book's lock (``services._lock_book``) makes the
    second wait and then find the first's client, which it updates; direct clients have no book row to lock,
    and the unique constraint answers instead (the loser then updates)."""
    external_id = external_ids.clean(external_id)
    if external_id is None:
        raise ValidationError({"external_id": _("Give the external id.")})
    book = _book(principal, fields.get("distributor"))
    services._lock_book(book)
    existing = _find(principal, book, external_id)
    if existing is None:
        try:
            with transaction.atomic():
                client = services.client_create(principal=principal, confirm_not_duplicate=confirm_not_duplicate,
                                                **{**fields, "distributor": book, "external_id": external_id})
            return client, True
        except (ConflictError, ValidationError) as exc:
            existing = _find(principal, book, external_id)  # made by a request that committed meanwhile
            if existing is None or isinstance(exc, services.DuplicateClientError):
                raise
    changes = {name: value for name, value in fields.items() if name in sent and name != "distributor"}
    return services.client_update(principal=principal, client=existing, **changes), False
