"""Deals of a client taken out of scope (docs/rules.md, "Out of scope keeps running business").

The decision belongs to the channel app (a conflict taken out of scope), which checks its policy and then calls
down here: deals cannot import channel. These are the deals-side steps of that decision and of the scheduled
hand-over, so they take no principal of their own; ``contract_end_early`` also serves a decider directly and
checks the contract policy.

- ``deals_keep_until``: the distributors' open deals on the client stay theirs until the grace end.
- ``opportunity_hand_over``: one open distributor deal becomes manufacturer-led, linked to the project, with its
  activities, tests and stage history (they follow the deal), so the manufacturer starts from the client's history.
- ``contract_end_early``: an active distributor contract ends today, with a reason; otherwise it runs to its end.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.core.services import notification_send

from .choices import OPEN_STAGES, ContractStatus, Origin
from .models import CorporateContract, Opportunity


def open_distributor_deals(client_id):
    """The open deals of distributors on this client (not yet handed over)."""
    return Opportunity.objects.filter(client_id=client_id, distributor__isnull=False, stage__in=OPEN_STAGES)


def deals_due_for_hand_over(on_date: datetime.date):
    """Open distributor deals whose grace period ended before ``on_date`` (the scheduled hand-over's work)."""
    return (Opportunity.objects.filter(kept_until__lt=on_date, distributor__isnull=False, stage__in=OPEN_STAGES)
            .order_by("client_id", "pk"))


def active_distributor_contracts(client_id):
    return CorporateContract.objects.filter(client_id=client_id, distributor__isnull=False, status=ContractStatus.ACTIVE)


@transaction.atomic
def deals_keep_until(*, client_id, until: datetime.date, exclude_ids=()) -> list[Opportunity]:
    """Mark the distributors' open deals on the client as theirs until ``until``; tell each owner. Returns them."""
    deals = list(
        open_distributor_deals(client_id).exclude(pk__in=list(exclude_ids)).select_for_update(of=("self",))
        .select_related("owner", "client")
    )
    for deal in deals:
        deal.kept_until = until
        deal._change_reason = "client taken out of scope: grace period"
        deal.save(update_fields=["kept_until", "updated_at"])
        notification_send(
            recipient=deal.owner, event="deal.handed_over",
            title=lambda deal=deal: _("Your deal stays yours until %(date)s: %(deal)s") % {
                "date": until.isoformat(), "deal": deal.title},
            body=lambda deal=deal: _("The client %(client)s was taken out of the distributors' scope. Close the deal "
                                     "by %(date)s; then it is handed over to the manufacturer.") % {
                "client": deal.client.legal_name, "date": until.isoformat()},
            url=deal.get_absolute_url(),
        )
    return deals


@transaction.atomic
def opportunity_hand_over(*, opportunity: Opportunity, project: Opportunity, reason: str) -> Opportunity:
    """Hand one open distributor deal over to the manufacturer-led ``project`` on the same client."""
    deal = Opportunity.objects.select_for_update(of=("self",)).select_related("owner").get(pk=opportunity.pk)
    if (deal.distributor_id is None or deal.stage not in OPEN_STAGES or project.client_id != deal.client_id
            or project.distributor_id is not None or project.origin != Origin.OUT_OF_SCOPE_PROJECT):
        raise ConflictError(_("Only an open deal of a distributor on this client can be handed over."))
    previous_owner = deal.owner
    deal.handed_over_from_id = deal.distributor_id
    deal.handed_over_to = project
    deal.distributor = None
    deal.owner_id = project.owner_id
    deal.kept_until = None
    deal._change_reason = (reason or "handed over to the manufacturer")[:100]
    deal.save()
    if previous_owner is not None and previous_owner.pk != project.owner_id:
        notification_send(
            recipient=previous_owner, event="deal.handed_over",
            title=lambda: _("Deal handed over to the manufacturer: %(deal)s") % {"deal": deal.title},
            body=reason,  # no link: the deal is the manufacturer's now, the distributor no longer sees it
        )
    return deal


@transaction.atomic
def contract_end_early(*, principal, contract: CorporateContract, reason: str, on_date=None) -> CorporateContract:
    """End an active contract today, for a stated reason (the owner is told)."""
    require(principal, "deals.contract.change", contract)
    if not (reason or "").strip():
        raise ValidationError({"end_contract_reason": _("Give the reason for ending the contract early.")})
    on_date = on_date or timezone.localdate()
    contract = CorporateContract.objects.select_for_update(of=("self",)).select_related("client", "owner").get(pk=contract.pk)
    if contract.status != ContractStatus.ACTIVE:
        raise ConflictError(_("Only an active contract can be ended."))
    contract.status = ContractStatus.TERMINATED
    contract.ends_on = max(on_date, contract.starts_on)
    contract.ended_reason = reason.strip()
    contract._change_reason = "ended early"
    contract.save()
    if contract.owner is not None:
        notification_send(
            recipient=contract.owner, event="deal.handed_over", sender=principal.user,
            title=lambda: _("Corporate contract with %(client)s ended") % {"client": contract.client.legal_name},
            body=contract.ended_reason, url=contract.get_absolute_url(),
        )
    return contract
