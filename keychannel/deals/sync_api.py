"""Sync endpoints of the deals API (docs/api.md, "Sync"): upsert by external id and bulk writes.

They join ``deals.api.router`` and go through ``deals/sync.py`` and ``deals/services.py``: the registration gate,
the assignment rule and the stage rules hold on these paths as on ``POST /opportunities``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status

from keychannel.clients.models import CorporateClient
from keychannel.core import api_refs, bulk
from keychannel.core.schemas import WRITE_ERRORS, BulkOut

from . import services, sync
from .api import _detail, _product_lines, router
from .schemas import OpportunityDetailOut, OpportunityIn

UPDATE_FIELDS = ("title", "value", "volume", "expected_close_on", "next_step", "next_step_on", "source_reference")


class OpportunityBulkIn(Schema):
    items: list[OpportunityIn] = Field(..., min_length=1, max_length=settings.KEYCHANNEL_API_BULK_MAX, description=(
        "Deals to open; an item with an external_id opens or updates the deal with that external id. "
        f"At most {settings.KEYCHANNEL_API_BULK_MAX} (KEYCHANNEL_API_BULK_MAX)."))


def _write(principal, payload: OpportunityIn, external_id=None):
    """One deal as ``POST /opportunities`` (or, with an external id, the upsert) writes it: (deal, created)."""
    client = api_refs.visible(principal, CorporateClient.objects.select_related("distributor"), payload.client_id,
                              field="client_id")
    create = dict(
        client=client, distributor=None if payload.direct else client.distributor,
        owner=api_refs.active_user(payload.owner_id, field="owner_id") if payload.owner_id else principal.user, title=payload.title,
        product_lines=_product_lines(payload.product_line_ids), mentor=api_refs.active_user(payload.mentor_id, field="mentor_id"),
        kam=api_refs.active_user(payload.kam_id, field="kam_id"), value=payload.value, volume=payload.volume, stage=payload.stage,
        expected_close_on=payload.expected_close_on, next_step=payload.next_step, next_step_on=payload.next_step_on,
        origin=payload.origin, source_reference=payload.source_reference,
        gate_override_reason=payload.gate_override_reason,
    )
    external_id = external_id if external_id is not None else payload.external_id
    if not (external_id or "").strip():
        return services.opportunity_create(principal=principal, **create), True
    sent = payload.model_fields_set
    changes = {name: getattr(payload, name) for name in UPDATE_FIELDS if name in sent}
    for name in ("owner", "mentor", "kam"):
        if f"{name}_id" in sent:
            changes[name] = create[name]
    if "product_line_ids" in sent:
        changes["product_lines"] = create["product_lines"]
    return sync.opportunity_upsert_by_external_id(principal=principal, external_id=external_id, create=create,
                                                  changes=changes)


@router.put("/opportunities/by-external-id/{external_id}", response={200: OpportunityDetailOut,
            201: OpportunityDetailOut, **WRITE_ERRORS}, summary="Open or update the deal with this external id (your book)")
def opportunity_upsert(request, external_id: str, payload: OpportunityIn):
    """201 with the new deal, or 200 with the updated one (only the fields sent change; the stage moves through
    ``/move``). Idempotent: the same request again changes nothing. The path's external id counts."""
    if not external_id.strip():
        raise ValidationError({"external_id": _("Give the external id.")})
    deal, created = _write(request.principal, payload, external_id=external_id.strip())
    return Status(201 if created else 200, _detail(request.principal, deal.pk))


@router.post("/opportunities/bulk", response={200: BulkOut, **WRITE_ERRORS},
             summary="Open (or update by external id) many deals: all or none")
def opportunity_bulk(request, payload: OpportunityBulkIn):
    """Every item as ``POST /opportunities`` (or the upsert) would write it, in one transaction: if one item is
    refused nothing is written and the 422 lists each refused item's errors by index and field."""
    principal = request.principal

    def one(index, item):
        deal, created = _write(principal, item)
        return {"index": index, "id": deal.pk, "external_id": deal.external_id, "created": created}

    return {"items": bulk.run(payload.items, one)}
