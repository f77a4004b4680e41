"""Reads of the channel app, always starting from ``visible_to(principal)``."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.cockpit import (
    CockpitItem,
    due_badge,
    first_rows,
    item_url,
    limited,
    once_for,
    short_date,
)
from keychannel.core.scoping import get_visible_or_404, in_lookup

from .choices import OPEN_CONFLICT_STATUSES, ConflictStatus, OfferStatus, RegistrationStatus
from .filters import CONFLICT_FILTERS, LEAD_FILTERS, PRECEDENT_FILTERS, REGISTRATION_FILTERS
from .models import Conflict, ConflictComment, ConflictParty, DealRegistration, Lead, LeadOffer
from .redaction import conflict_hidden_fields


def registration_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = (
        DealRegistration.objects.visible_to(principal)
        .select_related("distributor", "registered_by", "decided_by")
        .prefetch_related("product_lines")
    )
    qs = REGISTRATION_FILTERS.apply(qs, filters, principal)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(client_name__icontains=q) | Q(title__icontains=q))
    return qs


MAX_ID = 2**63 - 1


def _checked(pk):
    """A primary key from a URL; out of the database's range is simply not found."""
    if not isinstance(pk, int) or not 0 < pk <= MAX_ID:
        raise Http404
    return pk


def registration_get(*, principal, pk) -> DealRegistration:
    pk = _checked(pk)
    return get_visible_or_404(
        DealRegistration.objects.select_related("distributor", "registered_by", "decided_by", "client"), principal, pk=pk
    )


def registration_conflicts(*, principal, registration):
    """The conflicts of a registration the principal may see (a salesperson's colleagues' are not theirs)."""
    return Conflict.objects.visible_to(principal).filter(registration=registration).order_by("id")


def conflict_list(*, principal, filters: dict | None = None, list_filters=CONFLICT_FILTERS):
    filters = filters or {}
    qs = (
        Conflict.objects.visible_to(principal)
        .select_related("territory", "decided_by", "awarded_to")
        .prefetch_related("product_lines", Prefetch("parties", queryset=ConflictParty.objects.select_related("distributor", "registration")))
    )
    qs = list_filters.apply(qs, filters, principal)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(client_name__icontains=q) | Q(reason__icontains=q) | Q(decision_note__icontains=q))
    return qs


def precedent_list(*, principal, filters: dict | None = None):
    """Resolved conflicts, newest decision first, to decide the next one like the last."""
    return conflict_list(principal=principal, filters=filters, list_filters=PRECEDENT_FILTERS).filter(status=ConflictStatus.RESOLVED).order_by(
        "-decided_at", "-id"
    )


def conflict_get(*, principal, pk) -> Conflict:
    pk = _checked(pk)
    qs = Conflict.objects.select_related("territory", "decided_by", "awarded_to", "registration", "project_opportunity")
    return get_visible_or_404(
        qs.prefetch_related(
            "product_lines",
            Prefetch("parties", queryset=ConflictParty.objects.select_related("distributor", "registration")),
        ),
        principal,
        pk=pk,
    )


def conflict_award_label(*, principal, conflict) -> str:
    """What the principal reads of who won an awarded conflict, from the one declared redaction: the manufacturer
    reads the distributor, the winner "to you", any other party only that another party won."""
    if conflict.awarded_to_id is None:
        return ""
    if "awarded_to" in conflict_hidden_fields(principal, conflict):
        return _("to another party")
    if conflict.awarded_to_id == principal.own_distributor_id:
        return _("to you")
    return str(conflict.awarded_to)


def conflict_comments(*, principal, conflict):
    return ConflictComment.objects.visible_to(principal).filter(conflict=conflict).select_related("author")


def conflict_sides(*, principal, conflict) -> list[dict]:
    """The parties as this principal may see them: a distributor sees its own side; the others only as
    "another distributor", with no registration data."""
    own = principal.own_distributor_id
    sides = []
    for party in conflict.parties.all():
        mine = principal.is_manufacturer or party.distributor_id == own
        sides.append({
            "party": party,
            "mine": party.distributor_id == own,
            "visible": mine,
            "distributor": party.distributor if mine else None,
            "registration": party.registration if mine else None,
        })
    return sides


def lead_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = Lead.objects.visible_to(principal).select_related("territory", "created_by").prefetch_related("product_lines", "offers")
    qs = LEAD_FILTERS.apply(qs, filters, principal)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(company_name__icontains=q)
    return qs


def lead_get(*, principal, pk) -> Lead:
    pk = _checked(pk)
    return get_visible_or_404(
        Lead.objects.select_related("territory", "created_by", "registration").prefetch_related("product_lines", "offers"),
        principal,
        pk=pk,
    )


def lead_offers(*, principal, lead):
    """The offers of a lead the principal may see: manufacturer roles the whole routing, a distributor its own."""
    return LeadOffer.objects.visible_to(principal).filter(lead=lead).select_related("distributor", "responded_by")


def open_offer_for(*, principal, lead):
    return lead_offers(principal=principal, lead=lead).filter(status=OfferStatus.OFFERED).first()


def queue_figures(*, principal) -> dict:
    """Counts for the queues page chart: open conflicts by kind and by territory, registrations by status."""
    conflicts = Conflict.objects.visible_to(principal)
    by_kind = dict(conflicts.open().values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    by_territory = list(
        conflicts.values("territory__name").annotate(
            open=Count("pk", filter=Q(status__in=OPEN_CONFLICT_STATUSES)),
            resolved=Count("pk", filter=Q(status=ConflictStatus.RESOLVED)),
        ).order_by("territory__name")
    )
    today = timezone.localdate()
    registrations = DealRegistration.objects.visible_to(principal)
    by_status = {
        "pending": registrations.filter(status=RegistrationStatus.PENDING).count(),
        "approved": registrations.protected_on(today).count(),
    }
    return {"by_kind": by_kind, "by_territory": by_territory, "registrations": by_status}


def pending_decision_count(principal):
    """Registrations waiting for a decision (a home figure; the decisions panel shows the same count, read once)."""
    if not principal.is_authenticated:
        return None
    return once_for(principal, "channel.pending_count",
                    DealRegistration.objects.visible_to(principal).filter(status=RegistrationStatus.PENDING).count)


def open_conflict_count(principal):
    """Open conflicts (a home figure; the conflicts panel shows the same count, read once)."""
    if not principal.is_authenticated:
        return None
    return once_for(principal, "channel.open_conflict_count", Conflict.objects.visible_to(principal).open().count)


def expired_without_activity(*, distributor_ids=None, on_date=None):
    """Expired registrations with no activity on their deal during the protection (no deal at all counts as none).

    A system read for program rule conditions (keychannel/program/rule_conditions.py), which run unscoped on a
    schedule; callers scope what they show.
    """
    on_date = on_date or timezone.localdate()
    qs = DealRegistration.objects.filter(status=RegistrationStatus.EXPIRED, protected_until__lt=on_date)
    if distributor_ids is not None:
        qs = qs.filter(distributor_id__in=list(distributor_ids))
    worked = Q(opportunity__activities__occurred_on__gte=models.F("submitted_on"),
               opportunity__activities__occurred_on__lte=models.F("protected_until"))
    return qs.exclude(pk__in=DealRegistration.objects.filter(worked).values("pk")).select_related("distributor")


# --- cockpit panels (registered in apps.py; docs/cockpits.md) --------------------------------------------------

EXPIRY_WARNING_DAYS = 14
CONFLICT_DUE_DAYS = 7


def cockpit_decisions(principal, today):
    """Registrations waiting for a decision by the principal (program or channel manager), oldest first."""
    qs = (DealRegistration.objects.visible_to(principal).filter(status=RegistrationStatus.PENDING)
          .select_related("distributor").order_by("submitted_on", "pk"))
    total = pending_decision_count(principal)
    items = [
        CockpitItem(
            label=r.client_name, url=item_url("channel:registration_detail", r.pk),
            detail=_("%(distributor)s · submitted %(date)s") % {"distributor": r.distributor.code, "date": short_date(r.submitted_on)},
            badge=_("%(days)d d waiting") % {"days": (today - r.submitted_on).days},
            tone="danger" if (today - r.submitted_on).days > 5 else "warning",
        )
        for r in qs[:8]
    ]
    return limited(items, total)


def cockpit_conflicts(principal, today):
    """Open conflicts the principal reaches, the most urgent due date first."""
    qs = Conflict.objects.visible_to(principal).open().order_by("due_on", "pk")
    total = open_conflict_count(principal)
    items = []
    for c in qs[:8]:
        badge, tone = due_badge(c.due_on, today)
        items.append(CockpitItem(label=str(c), url=item_url("channel:conflict_detail", c.pk), detail=c.get_status_display(), badge=badge,
                                 tone=tone))
    return limited(items, total)


def cockpit_expiring(principal, today):
    """Approved registrations whose protection ends within two weeks (renew, or move the deal on)."""
    qs = (DealRegistration.objects.visible_to(principal).protected_on(today)
          .filter(protected_until__lte=today + timedelta(days=EXPIRY_WARNING_DAYS))
          .select_related("distributor").order_by("protected_until", "pk"))
    if principal.has_role("dist_sales"):
        qs = qs.filter(registered_by_id=principal.user_id)
    rows, total = first_rows(qs)
    items = []
    for r in rows:
        badge, tone = due_badge(r.protected_until, today)
        items.append(CockpitItem(label=r.client_name, url=item_url("channel:registration_detail", r.pk),
                                 detail=_("protected until %(date)s") % {"date": short_date(r.protected_until)}, badge=badge,
                                 tone=tone))
    return limited(items, total)


def cockpit_my_registrations(principal, today):
    """A salesperson's own registrations still in play: waiting for a decision or protected."""
    qs = (DealRegistration.objects.visible_to(principal)
          .filter(registered_by_id=principal.user_id, status__in=[RegistrationStatus.PENDING, RegistrationStatus.APPROVED])
          .order_by("status", "protected_until", "pk"))
    rows, total = first_rows(qs)
    items = []
    for r in rows:
        if r.status == RegistrationStatus.APPROVED and r.protected_until:
            badge, tone = due_badge(r.protected_until, today)
        else:
            badge, tone = _("%(days)d d waiting") % {"days": (today - r.submitted_on).days}, "secondary"
        items.append(CockpitItem(label=r.client_name, url=item_url("channel:registration_detail", r.pk), detail=r.get_status_display(),
                                 badge=badge, tone=tone))
    return limited(items, total)


def _per_distributor(qs, distributor_ids, field="distributor_id") -> dict[int, int]:
    rows = (qs.filter(**{f"{field}__in": in_lookup(distributor_ids)}).order_by().values(field)
            .annotate(n=Count("pk", distinct=True)).values_list(field, "n"))
    return dict(rows)


def _registration_attention(principal, distributor_ids, today) -> dict[int, tuple[int, int]]:
    """{distributor_id: (pending, expiring soon)}: the two registration sources of the channel manager's ranking
    share one statement, read once per cockpit (it was one statement each)."""
    def read():
        pending = Q(status=RegistrationStatus.PENDING)
        expiring = Q(status=RegistrationStatus.APPROVED, protected_until__gte=today,
                     protected_until__lte=today + timedelta(days=EXPIRY_WARNING_DAYS))
        rows = (DealRegistration.objects.visible_to(principal).filter(pending | expiring)
                .filter(distributor_id__in=in_lookup(distributor_ids)).order_by().values("distributor_id")
                .annotate(pending=Count("pk", filter=pending), expiring=Count("pk", filter=expiring))
                .values_list("distributor_id", "pending", "expiring"))
        return {pk: (p, e) for pk, p, e in rows}

    return once_for(principal, ("channel.registration_attention", today, frozenset(distributor_ids)), read)


def attention_pending_registrations(principal, distributor_ids, today) -> dict[int, int]:
    return {pk: p for pk, (p, _e) in _registration_attention(principal, distributor_ids, today).items() if p}


def attention_conflicts_due(principal, distributor_ids, today) -> dict[int, int]:
    qs = Conflict.objects.visible_to(principal).open().filter(due_on__lte=today + timedelta(days=CONFLICT_DUE_DAYS))
    return _per_distributor(qs, distributor_ids, field="parties__distributor_id")


def attention_registrations_expiring(principal, distributor_ids, today) -> dict[int, int]:
    return {pk: e for pk, (_p, e) in _registration_attention(principal, distributor_ids, today).items() if e}


def registration_counts_by_distributor(*, principal, distributor_ids, start, end, today=None) -> dict:
    """{distributor_id: {"pending", "approved", "rejected", "expired": n}} for registrations submitted in
    [start, end], by the status users see (REGISTRATION_FILTERS: approved past its protection is expired)."""
    today = today or timezone.localdate()
    protected = Q(status=RegistrationStatus.APPROVED, protected_until__gte=today)
    expired = Q(status=RegistrationStatus.EXPIRED) | Q(status=RegistrationStatus.APPROVED) & (
        Q(protected_until__lt=today) | Q(protected_until__isnull=True))
    rows = (DealRegistration.objects.visible_to(principal)
            .filter(distributor_id__in=list(distributor_ids), submitted_on__gte=start, submitted_on__lte=end)
            .order_by().values("distributor_id").annotate(
                pending=Count("pk", filter=Q(status=RegistrationStatus.PENDING)),
                approved=Count("pk", filter=protected),
                rejected=Count("pk", filter=Q(status=RegistrationStatus.REJECTED)),
                expired=Count("pk", filter=expired),
            ))
    return {row.pop("distributor_id"): row for row in rows}


def registrations_approved_in_their_period():
    """Unscoped, for the program's goal metrics: an approved registration that has since expired was still
    approved in its period."""
    return DealRegistration._base_manager.filter(status__in=[RegistrationStatus.APPROVED, RegistrationStatus.EXPIRED])
