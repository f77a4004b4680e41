"""Manual assignment of a lead nobody took (issue 16): when routing found no eligible distributor left, the
manufacturer hands the lead to a distributor of its choice, naming the person there who should take it.

The person goes through ``core.assignment.require_assignable`` (only the manufacturer gives work to people) and
must work at that distributor; the distributor then accepts or declines the offer as any other."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.assignment import records_refusals, require_assignable
from keychannel.core.errors import ConflictError
from keychannel.core.models import Membership
from keychannel.core.policies import require, rule
from keychannel.core.services import notification_send

from . import conf
from .choices import LeadStatus
from .models import Lead, LeadOffer


@rule("channel.lead.assign")
def _assign_lead(principal, lead=None) -> bool:
    """The program office and the channel managers hand out leads nobody took."""
    return principal.has_role("admin", "program_manager", "channel_manager")


def assignable_people(distributor):
    """The active people of a distributor a lead may be handed to (its head and salespeople)."""
    return (get_user_model().objects.filter(is_active=True, membership__organization_id=distributor.organization_id)
            .order_by("last_name", "first_name", "username"))


@records_refusals
@transaction.atomic
def lead_assign(*, principal, lead: Lead, distributor, assignee=None, on_date: datetime.date | None = None) -> Lead:
    """Offer an unassigned lead to ``distributor`` (within the caller's reach), asking ``assignee`` to take it."""
    require(principal, "channel.lead.assign", lead)
    if not principal.reaches(distributor.pk):
        raise ValidationError({"distributor": _("Choose a distributor you manage.")})
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status != LeadStatus.UNASSIGNED:
        raise ConflictError(_("Only a lead nobody took can be assigned by hand; this one is %(s)s.")
                            % {"s": lead.get_status_display()})
    if not distributor.active:
        raise ValidationError({"distributor": _("This distributor is inactive.")})
    if LeadOffer.objects.filter(lead=lead, distributor=distributor).exists():
        raise ValidationError({"distributor": _("This distributor already had this lead; choose another one.")})
    require_assignable(principal, assignee, field="assignee", obj=lead)
    if assignee is not None and not assignable_people(distributor).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("Choose a person who works at that distributor.")})
    on_date = on_date or timezone.localdate()
    offer = LeadOffer.objects.create(lead=lead, distributor=distributor, offered_on=on_date,
                                     respond_by=on_date + datetime.timedelta(days=conf.lead_response_days()))
    lead.status = LeadStatus.OFFERED
    lead.assignee = assignee
    lead.assigned_by = principal.user
    lead.save(update_fields=["status", "assignee", "assigned_by", "updated_at"])
    recipients = [assignee] if assignee is not None else [
        m.user for m in Membership.objects.filter(organization_id=distributor.organization_id, role="dist_head")
        .select_related("user")]
    for user in recipients:
        # Rendered by notification_send in each recipient's language and time zone.
        notification_send(recipient=user, event="lead.routed",
                          title=lambda: _("A lead for you: %(c)s") % {"c": lead.company_name},
                          body=lambda: _("Assigned by the manufacturer. Accept or decline by %(d)s.") % {"d": offer.respond_by},
                          url=lead.get_absolute_url(), sender=principal.user)
    return lead
