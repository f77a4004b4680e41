"""What the channel's services share: the day they act on, who hears about a conflict and how they are told,
the project a conflict restarts an out-of-scope client with (conflicts and out_of_scope both use them)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.models import Membership
from keychannel.core.services import notification_send
from keychannel.deals.choices import Origin
from keychannel.deals.services import opportunity_create


def _today(on_date=None) -> datetime.date:
    return on_date or timezone.localdate()


def _notify(user, event, title, body, url, sender=None):
    """``title`` and ``body`` are callables: notification_send renders them in the recipient's language."""
    if user is not None:
        notification_send(recipient=user, event=event, title=title, body=body, url=url, sender=sender)


def _party_users(conflict):
    """Who hears about a conflict's outcome: each party's registrant, else its heads."""
    users = []
    for party in conflict.parties.select_related("registration__registered_by", "distributor"):
        if party.registration is not None:
            users.append(party.registration.registered_by)
        else:
            users.extend(
                m.user for m in Membership.objects.filter(
                    organization_id=party.distributor.organization_id, role="dist_head"
                ).select_related("user")
            )
    return users


def _start_project(*, principal, conflict, client):
    """The manufacturer-led opportunity that restarts an out-of-scope client from scratch."""
    return opportunity_create(
        principal=principal,
        client=client,
        distributor=None,
        owner=principal.user,
        title=_("Cooperation project: %(client)s") % {"client": client.legal_name},
        origin=Origin.OUT_OF_SCOPE_PROJECT,
        source_reference=f"conflict:{conflict.pk}",
        product_lines=list(conflict.product_lines.all()),
    )
