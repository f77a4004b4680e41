"""Leads: routing to an eligible distributor, offers accepted or declined, re-routing, and assignment by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.clients.matching import normalize_tax_id
from keychannel.core.assignment import records_refusals, require_assignable
from keychannel.core.errors import ConflictError
from keychannel.core.models import Membership
from keychannel.core.policies import require
from keychannel.deals.choices import Origin
from keychannel.deals.services import opportunity_create
from keychannel.network.models import Distributor
from keychannel.network.selectors import eligible_distributors

from .. import benefits, conf
from ..choices import LeadStatus, OfferStatus
from ..models import Lead, LeadOffer
from .common import _notify, _today
from .registrations import _approve, registration_submit

# --- leads -----------------------------------------------------------------------------------------------------

STANCE_WEIGHT = {"active": 3, "cautious": 2, "resistant": 1}


def lead_candidates(*, lead, on_date):
    """Distributors eligible for every product line of the lead in its territory, never one already offered it."""
    eligible = None
    for line in lead.product_lines.all():
        ids = set(eligible_distributors(territory=lead.territory_id, product_line=line, on_date=on_date)
                  .values_list("pk", flat=True))
        eligible = ids if eligible is None else eligible & ids
    offered = set(lead.offers.values_list("distributor_id", flat=True))
    return list(Distributor.objects.filter(pk__in=sorted((eligible or set()) - offered), active=True))


def pick_distributor(candidates):
    """Weighted choice among several: active stance first, fewer open offers next, then the code (deterministic)."""
    if not candidates:
        return None
    load = dict(
        LeadOffer.objects.filter(distributor__in=candidates, status=OfferStatus.OFFERED)
        .values("distributor_id").annotate(n=Count("pk", filter=Q(status=OfferStatus.OFFERED)))
        .values_list("distributor_id", "n")
    )
    return max(
        candidates,
        key=lambda d: (STANCE_WEIGHT.get(d.stance, 1) / (1 + load.get(d.pk, 0)), -len(d.code), [-ord(c) for c in d.code]),
    )


def _route(lead, *, on_date):
    distributor = pick_distributor(lead_candidates(lead=lead, on_date=on_date))
    if distributor is None:
        lead.status = LeadStatus.UNASSIGNED
        lead.save(update_fields=["status", "updated_at"])
        _notify(lead.created_by, "lead.routed", lambda: _("Lead without a distributor: %(c)s") % {"c": lead.company_name},
                lambda: _("No eligible distributor is left; the lead waits for the manufacturer."), lead.get_absolute_url())
        return None
    offer = LeadOffer.objects.create(
        lead=lead, distributor=distributor, offered_on=on_date,
        respond_by=on_date + datetime.timedelta(days=conf.lead_response_days()),
    )
    lead.status = LeadStatus.OFFERED
    lead.save(update_fields=["status", "updated_at"])
    for membership in Membership.objects.filter(organization_id=distributor.organization_id, role="dist_head").select_related("user"):
        _notify(membership.user, "lead.routed", lambda: _("New lead for you: %(c)s") % {"c": lead.company_name},
                lambda: _("Accept or decline by %(d)s.") % {"d": offer.respond_by}, lead.get_absolute_url())
    return offer


@transaction.atomic
def lead_create(*, principal, company_name: str, territory, product_lines, estimated_value=0, tax_id: str = "",
                source: str = "marketing", contact_name: str = "", contact_email: str = "", notes: str = "",
                on_date=None) -> Lead:
    require(principal, "channel.lead.create")
    on_date = _today(on_date)
    errors = {}
    if not (company_name or "").strip():
        errors["company_name"] = _("Give the company's name.")
    if not product_lines:
        errors["product_line_ids"] = _("Choose at least one product line.")
    if Decimal(estimated_value or 0) < 0:
        errors["estimated_value"] = _("The estimated value cannot be negative.")
    if errors:
        raise ValidationError(errors)
    lead = Lead(
        company_name=company_name.strip(), tax_id=normalize_tax_id(tax_id), territory=territory,
        estimated_value=Decimal(estimated_value or 0), source=source, contact_name=contact_name,
        contact_email=contact_email, notes=notes, created_by=principal.user,
    )
    lead.full_clean()
    lead.save()
    lead.product_lines.set(product_lines)
    _route(lead, on_date=on_date)
    return lead


def _locked_offer(offer) -> LeadOffer:
    return LeadOffer.objects.select_for_update().select_related("lead", "distributor").get(pk=offer.pk)


@transaction.atomic
def lead_accept(*, principal, offer, expected_close_on=None, on_date=None) -> Lead:
    """The distributor takes the lead: it becomes a registration (approved when every check passes) and an opportunity."""
    require(principal, "channel.lead.respond", offer)
    on_date = _today(on_date)
    offer = _locked_offer(offer)
    if offer.status != OfferStatus.OFFERED or offer.respond_by < on_date:
        raise ConflictError(_("This lead is no longer offered to you."))
    lead = Lead.objects.select_for_update().get(pk=offer.lead_id)
    registration = registration_submit(
        principal=principal, distributor=offer.distributor, title=_("Lead: %(c)s") % {"c": lead.company_name},
        product_lines=list(lead.product_lines.all()), estimated_value=lead.estimated_value,
        expected_close_on=expected_close_on or on_date + datetime.timedelta(days=conf.protection_days()),
        legal_name=lead.company_name, tax_id=lead.tax_id, territory=lead.territory, notes=lead.notes, on_date=on_date,
    )
    if registration.holds_claim and not registration.checks:
        _approve(registration, user=lead.created_by, reason=_("Lead passed by the manufacturer."),
                 protected_until=on_date + datetime.timedelta(
                     days=benefits.protection_days_for(offer.distributor_id, on_date)), on_date=on_date)
    registration.opportunity = opportunity_create(
        principal=principal, client=registration.client, distributor=offer.distributor, owner=principal.user,
        title=lead.company_name, origin=Origin.LEAD, source_reference=f"lead:{lead.pk}",
        product_lines=list(lead.product_lines.all()), value=lead.estimated_value,
    )
    registration.save(update_fields=["opportunity", "updated_at"])
    offer.status = OfferStatus.ACCEPTED
    offer.responded_at = timezone.now()
    offer.responded_by = principal.user
    offer.save()
    lead.status = LeadStatus.ACCEPTED
    lead.registration = registration
    lead.save()
    _notify(lead.created_by, "lead.routed", lambda: _("Lead accepted: %(c)s") % {"c": lead.company_name},
            offer.distributor.legal_name, lead.get_absolute_url(), sender=principal.user)
    return lead


@transaction.atomic
def lead_decline(*, principal, offer, reason: str, on_date=None) -> Lead:
    require(principal, "channel.lead.respond", offer)
    on_date = _today(on_date)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why you decline the lead.")})
    offer = _locked_offer(offer)
    if offer.status != OfferStatus.OFFERED:
        raise ConflictError(_("This lead is no longer offered to you."))
    offer.status = OfferStatus.DECLINED
    offer.decline_reason = reason.strip()
    offer.responded_at = timezone.now()
    offer.responded_by = principal.user
    offer.save()
    lead = Lead.objects.select_for_update().get(pk=offer.lead_id)
    _route(lead, on_date=on_date)
    return lead


def reroute_leads(*, on_date=None) -> int:
    """Time out the offers nobody answered and pass those leads on (the scheduled job). Returns offers timed out."""
    on_date = _today(on_date)
    count = 0
    for pk in list(LeadOffer.objects.filter(status=OfferStatus.OFFERED, respond_by__lt=on_date).values_list("pk", flat=True)):
        with transaction.atomic():
            offer = LeadOffer.objects.select_for_update().filter(pk=pk, status=OfferStatus.OFFERED).first()
            if offer is None:
                continue
            offer.status = OfferStatus.TIMED_OUT
            offer.save(update_fields=["status", "updated_at"])
            _route(Lead.objects.select_for_update().get(pk=offer.lead_id), on_date=on_date)
            count += 1
    return count


# --- a lead nobody took, assigned by hand (issue 16) -------------------------------------------------------------
# The person goes through core.assignment.require_assignable (only the manufacturer gives work to people) and must
# work at that distributor; the distributor then accepts or declines the offer as any other.


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
        _notify(user, "lead.routed", lambda: _("A lead for you: %(c)s") % {"c": lead.company_name},
                lambda: _("Assigned by the manufacturer. Accept or decline by %(d)s.") % {"d": offer.respond_by},
                lead.get_absolute_url(), sender=principal.user)
    return lead
