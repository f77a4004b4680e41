"""Writes of the clients app. Every write checks its policy first and runs in one transaction."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from keychannel.core.policies import require

from .models import CorporateClient, Stakeholder


@transaction.atomic
def stakeholders_record_contact(*, stakeholder_ids, on_date: datetime.date) -> int:
    """Move ``last_contact_on`` of these stakeholders to ``on_date`` unless they were met later already.

    Called by the deals app when an activity with client participants is logged (its service has already
    checked the permission). Each change is saved one by one so the history shows it. Returns how many
    stakeholders changed.
    """
    changed = 0
    ids = list(stakeholder_ids or [])
    for stakeholder in Stakeholder.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if stakeholder.last_contact_on is None or stakeholder.last_contact_on < on_date:
            stakeholder.last_contact_on = on_date
            stakeholder.save(update_fields=["last_contact_on", "updated_at"])
            changed += 1
    return changed


@transaction.atomic
def client_make_direct(*, principal, client: CorporateClient, reason: str = "") -> CorporateClient:
    """Take a client out of its distributor's scope: it becomes a direct, manufacturer-led client."""
    require(principal, "clients.corporateclient.make_direct", client)
    client = CorporateClient.objects.select_for_update().get(pk=client.pk)
    client.distributor = None
    client.out_of_scope = True
    client.out_of_scope_since = timezone.now()
    client._change_reason = (reason or "taken out of scope")[:100]
    client.save()
    return client
