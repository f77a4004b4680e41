"""Sync endpoints of the clients API (docs/api.md, "Sync"): upsert by external id and bulk writes.

They join ``clients.api.router`` and go through ``clients/sync.py`` and ``clients/services.py``, the functions a
single create uses, so the duplicate check, its rate limit and the book rules hold on these paths too.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status

from keychannel.core import bulk
from keychannel.core.errors import ConflictError
from keychannel.core.ratelimit import ApiThrottle, hit
from keychannel.core.schemas import BulkOut, ErrorOut, ValidationErrorOut

from . import selectors, services, sync
from .api import DUPLICATE_CHECK_THROTTLE, _resolve_refs, router
from .schemas import ClientIn, ClientOut


class ClientBulkIn(Schema):
    items: list[ClientIn] = Field(..., min_length=1, max_length=settings.KEYCHANNEL_API_BULK_MAX, description=(
        "Clients to create; an item with an external_id creates or updates the client with that external id. "
        f"At most {settings.KEYCHANNEL_API_BULK_MAX} (KEYCHANNEL_API_BULK_MAX)."))


REFS = {"distributor_id": "distributor", "territory_id": "territory"}  # body names → service names (_resolve_refs)


def _write(principal, item: ClientIn, external_id=None):
    """One client as a single request would write it: (client, created)."""
    data = item.model_dump()
    sent = set(item.model_fields_set)
    confirm = data.pop("confirm_not_duplicate")
    external_id = external_id if external_id is not None else data.get("external_id")
    fields = _resolve_refs(principal, data)
    if external_id:
        sent_names = {REFS.get(name, name) for name in sent}
        return sync.client_upsert_by_external_id(principal=principal, external_id=external_id, fields=fields,
                                                 sent=sent_names, confirm_not_duplicate=confirm)
    return services.client_create(principal=principal, confirm_not_duplicate=confirm, **fields), True


def _count_duplicate_checks(request, n: int) -> None:
    """Each item runs the duplicate check: the per-user limit of the check counts every one (core/ratelimit.py)."""
    from ninja.errors import Throttled

    for _i in range(n):
        wait = hit("duplicate-check", request.principal.user_id, settings.KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT)
        if wait is not None:
            raise Throttled(wait)


@router.put("/clients/by-external-id/{external_id}",
            response={200: ClientOut, 201: ClientOut, 403: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut},
            throttle=DUPLICATE_CHECK_THROTTLE, summary="Create or update the client with this external id (your book)")
def client_upsert(request, external_id: str, payload: ClientIn):
    """201 with the new client, or 200 with the updated one (only the fields sent change). Idempotent: the same
    request again changes nothing. The body's external_id, if any, is ignored: the path's counts."""
    principal = request.principal
    if not external_id.strip():
        raise ValidationError({"external_id": _("Give the external id.")})
    try:
        client, created = _write(principal, payload, external_id=external_id.strip())
    except services.DuplicateClientError as exc:
        return Status(409, {"detail": str(exc.message)})
    except ConflictError as exc:
        return Status(409, {"detail": str(exc.message)})
    return Status(201 if created else 200, selectors.client_get(principal=principal, pk=client.pk))


@router.post("/clients/bulk", response={200: BulkOut, 403: ErrorOut, 422: ValidationErrorOut},
             throttle=[ApiThrottle()], summary="Create (or update by external id) many clients: all or none")
def client_bulk(request, payload: ClientBulkIn):
    """Every item as ``POST /clients`` (or, with an external_id, as the upsert) would write it, in one transaction:
    if one item is refused nothing is written and the 422 lists each refused item's errors by index and field."""
    principal = request.principal
    _count_duplicate_checks(request, len(payload.items))

    def one(index, item):
        try:
            client, created = _write(principal, item)
        except services.DuplicateClientError as exc:
            # A field error in a bulk answer: the same tax id (never to be confirmed) or a look-alike name.
            field = "tax_id" if exc.check.exact else "legal_name"
            raise ValidationError({field: exc.message}) from None
        return {"index": index, "id": client.pk, "external_id": client.external_id, "created": created}

    return {"items": bulk.run(payload.items, one)}
