"""Deals by external id (docs/api.md, "Sync"): create or update through ``opportunity_create``/``opportunity_update``.

A deal's external id belongs to its distributor's book (the client's distributor), or to the manufacturer's
direct deals: the lookup never reaches another distributor's deals (core/external_ids.py). The stage is set when
the deal is made (the registration gate applies as on any create); later stage changes go through ``…/move``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from keychannel.core import external_ids
from keychannel.core.assignment import records_refusals

from . import services
from .models import Opportunity


def _find(principal, distributor, external_id):
    return (Opportunity.objects.visible_to(principal)
            .filter(external_id=external_id, distributor_id=getattr(distributor, "pk", None)).first())


@records_refusals
@transaction.atomic
def opportunity_upsert_by_external_id(*, principal, external_id: str, create: dict, changes: dict):
    """(deal, created). ``create``: the keyword arguments of ``opportunity_create`` (client, distributor, owner …);
    ``changes``: the fields of ``opportunity_update`` the request sent, applied when the deal exists.

    Two requests with one new external id at the same time: the second's insert waits on the unique index, then
    fails; it finds the first's deal and updates it instead (one deal, never two)."""
    external_id = external_ids.clean(external_id)
    if external_id is None:
        raise ValidationError({"external_id": _("Give the external id.")})
    existing = _find(principal, create["distributor"], external_id)
    if existing is None:
        try:
            with transaction.atomic():
                return services.opportunity_create(principal=principal, external_id=external_id, **create), True
        except (IntegrityError, ValidationError) as exc:
            existing = _find(principal, create["distributor"], external_id)
            if existing is None:
                if isinstance(exc, IntegrityError):
                    raise ValidationError({"external_id": _(
                        "Another record of this book already has this external id.")}) from None
                raise
    if existing.client_id != create["client"].pk:
        raise ValidationError({"client_id": _("This external id names a deal of another client: a deal's client "
                                              "does not change.")})
    return services.opportunity_update(principal=principal, opportunity=existing, **changes), False
