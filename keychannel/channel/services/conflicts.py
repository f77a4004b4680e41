"""Channel conflicts: opening, review, comments and the resolution that closes the registrations involved."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.clients.models import CorporateClient
from keychannel.core.errors import ConflictError
from keychannel.core.events import emit
from keychannel.core.policies import require
from keychannel.network.models import Distributor

from .. import (
    conf,
    out_of_scope,  # a module import: out_of_scope imports .common and .registrations
)
from ..choices import ConflictKind, ConflictStatus, PartyRole, RegistrationStatus, Resolution
from ..models import Conflict, ConflictComment, ConflictParty, DealRegistration
from .common import _notify, _party_users, _today
from .registrations import _reject

# --- conflicts -------------------------------------------------------------------------------------------------


def _locked_conflict(conflict) -> Conflict:
    return Conflict.objects.select_for_update().get(pk=conflict.pk)


@transaction.atomic
def conflict_open(*, principal, kind, client, reason: str, distributor_ids, on_date=None) -> Conflict:
    """Open a dispute by hand (pricing, client ownership): the deciders list the distributors involved."""
    require(principal, "channel.conflict.open")
    on_date = _today(on_date)
    if kind not in ConflictKind.values:
        raise ValidationError({"kind": _("Unknown kind.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Describe the dispute.")})
    distributors = list(Distributor.objects.filter(pk__in=list(distributor_ids or [])))
    if not distributors or len(distributors) != len(set(distributor_ids)):
        raise ValidationError({"distributor_ids": _("Name the distributors involved.")})
    conflict = Conflict.objects.create(
        kind=kind, client=client, client_name=client.legal_name, territory_id=client.territory_id,
        reason=reason.strip(), opened_by=principal.user,
        due_on=on_date + datetime.timedelta(days=conf.conflict_due_days(kind)),
    )
    for distributor in distributors:
        role = PartyRole.HOLDER if distributor.pk == client.distributor_id else PartyRole.CLAIMANT
        ConflictParty.objects.create(conflict=conflict, distributor=distributor, role=role)
    require(principal, "channel.conflict.resolve", conflict)  # a channel manager opens only what they may decide
    for user in _party_users(conflict):
        _notify(user, "conflict.opened", lambda: _("Conflict opened: %(client)s") % {"client": conflict.client_name},
                conflict.reason, conflict.get_absolute_url(), sender=principal.user)
    emit("conflict.opened", conflict)
    return conflict


@transaction.atomic
def conflict_start_review(*, principal, conflict) -> Conflict:
    require(principal, "channel.conflict.resolve", conflict)
    conflict = _locked_conflict(conflict)
    if conflict.status != ConflictStatus.OPEN:
        raise ConflictError(_("This conflict is already %(s)s.") % {"s": conflict.get_status_display()})
    conflict.status = ConflictStatus.UNDER_REVIEW
    conflict.save(update_fields=["status", "updated_at"])
    return conflict


@transaction.atomic
def conflict_comment(*, principal, conflict, body: str, internal: bool = False) -> ConflictComment:
    require(principal, "channel.conflict.comment", conflict)
    if not (body or "").strip():
        raise ValidationError({"body": _("Write a comment.")})
    if internal and not principal.is_manufacturer:
        raise ValidationError({"internal": _("Only the manufacturer writes internal comments.")})
    return ConflictComment.objects.create(
        conflict=conflict, author=principal.user, body=body.strip(), internal=bool(internal),
        author_distributor_id=None if principal.is_manufacturer else principal.own_distributor_id,
    )


def _close_registrations(registrations, *, user, reason):
    for registration in registrations:
        if registration.status in (RegistrationStatus.PENDING, RegistrationStatus.APPROVED):
            _reject(registration, user=user, reason=reason)


@transaction.atomic
def conflict_resolve(
    *, principal, conflict, resolution: str, note: str = "", awarded_to_id=None, shares: dict | None = None,
    out_of_scope_reason: str = "", notice_days=None, in_flight: str = "", grace_until=None, compensation=None,
    on_date=None, grace_days=None, hand_over_ids=(), end_contract: bool = False, end_contract_reason: str = "",
) -> Conflict:
    """Decide a conflict once. A second, simultaneous decision finds it resolved and gets a ConflictError (409).

    Out of scope: see ``out_of_scope`` (grace period, deals handed over now, ending the contract with a reason).
    """
    require(principal, "channel.conflict.resolve", conflict)
    on_date = _today(on_date)
    # The client row first, then the conflict: an out-of-scope decision closes the client's other conflicts, so
    # decisions on one client queue here instead of deadlocking over each other's conflict rows.
    CorporateClient.objects.select_for_update().filter(pk=conflict.client_id).first()
    conflict = _locked_conflict(conflict)
    if not conflict.is_open:
        raise ConflictError(_("This conflict was decided meanwhile; reload it to see the outcome."))
    parties = list(conflict.parties.select_related("registration__registered_by", "distributor"))
    by_distributor = {p.distributor_id: p for p in parties}
    errors = {}
    if resolution not in Resolution.values:
        raise ValidationError({"resolution": _("Choose a resolution.")})
    if resolution == Resolution.AWARDED and awarded_to_id not in by_distributor:
        errors["awarded_to_id"] = _("Award the conflict to one of its parties.")
    if resolution == Resolution.SHARED:
        shares = {int(k): int(v) for k, v in (shares or {}).items()}
        if set(shares) != set(by_distributor) or len(shares) < 2:
            errors["shares"] = _("Give a share to every party (at least two).")
        elif any(v < 0 or v > 100 for v in shares.values()) or sum(shares.values()) != 100:
            errors["shares"] = _("The shares must add up to 100%.")
    if resolution == Resolution.OUT_OF_SCOPE:
        found, out_of_scope_values = out_of_scope.validate(
            conflict=conflict, on_date=on_date, out_of_scope_reason=out_of_scope_reason, notice_days=notice_days,
            in_flight=in_flight, grace_until=grace_until, grace_days=grace_days, compensation=compensation,
            hand_over_ids=hand_over_ids, end_contract=end_contract, end_contract_reason=end_contract_reason,
        )
        errors.update(found)
    if resolution in (Resolution.REJECTED, Resolution.OUT_OF_SCOPE) and not (note or "").strip():
        errors["note"] = _("Explain the decision.")
    if errors:
        raise ValidationError(errors)

    user = principal.user
    label = _("Conflict #%(n)s") % {"n": conflict.pk}
    if resolution == Resolution.AWARDED:
        winner = by_distributor[awarded_to_id]
        conflict.awarded_to_id = awarded_to_id
        losers = [p.registration for p in parties if p.registration and p.distributor_id != awarded_to_id]
        _close_registrations(losers, user=user, reason=_("%(c)s was awarded to another party.") % {"c": label})
        if conflict.kind in (ConflictKind.DOUBLE_REGISTRATION, ConflictKind.CLIENT_OWNERSHIP):
            client = CorporateClient.objects.select_for_update().get(pk=conflict.client_id)
            if client.distributor_id != awarded_to_id and not client.out_of_scope:
                client.distributor_id = awarded_to_id
                client._change_reason = f"conflict {conflict.pk} awarded"
                client.save()
            registration = winner.registration
            if registration is not None and registration.status == RegistrationStatus.PENDING and not registration.holds_claim:
                other_claim = DealRegistration.objects.active().filter(client_id=conflict.client_id, holds_claim=True)
                if not other_claim.exclude(pk=registration.pk).exists():
                    registration.holds_claim = True
                    registration.save(update_fields=["holds_claim", "updated_at"])
    elif resolution == Resolution.SHARED:
        for party in parties:
            party.share_percent = shares[party.distributor_id]
            party.save(update_fields=["share_percent", "updated_at"])
        others = [p.registration for p in parties if p.registration and not p.registration.holds_claim]
        _close_registrations(others, user=user, reason=_("%(c)s was shared: the first registration carries the deal "
                                                         "and the credit is split.") % {"c": label})
    elif resolution == Resolution.REJECTED:
        claims = [p.registration for p in parties if p.role == PartyRole.CLAIMANT and p.registration]
        _close_registrations(claims, user=user, reason=_("%(c)s was rejected: %(note)s") % {"c": label, "note": note})
    elif resolution == Resolution.OUT_OF_SCOPE:
        told = out_of_scope.apply(
            principal=principal, conflict=conflict, cleaned=out_of_scope_values, out_of_scope_reason=out_of_scope_reason,
            notice_days=notice_days, compensation=compensation, on_date=on_date,
        )
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolution = resolution
    conflict.decision_note = (note or "").strip()
    conflict.decided_at = timezone.now()
    conflict.decided_by = user
    conflict.save()
    def body() -> str:
        decided = str(conflict.get_resolution_display())
        return f"{decided}. {told()}" if resolution == Resolution.OUT_OF_SCOPE else decided

    for party_user in _party_users(conflict):
        _notify(party_user, "conflict.resolved",
                lambda: _("Conflict decided: %(client)s") % {"client": conflict.client_name},
                body, conflict.get_absolute_url(), sender=user)
    emit("conflict.resolved", conflict)
    return conflict
