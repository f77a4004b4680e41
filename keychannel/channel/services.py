"""Writes of the channel app: registrations and their checks, decisions, conflicts, lead routing.

Every public function checks its policy first and runs in one transaction. Registrations of one client are
serialised on the client row (``select_for_update``; on SQLite the IMMEDIATE transaction mode does the same),
and the partial unique constraint ``channel_dealregistration_one_claim_per_client`` is the last word: two
simultaneous registrations can never both become the first one.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.clients.matching import normalize_company_name, normalize_tax_id
from keychannel.clients.models import CorporateClient
from keychannel.clients.selectors import similar_clients
from keychannel.clients.services import DuplicateClientError, client_create
from keychannel.core.errors import ConflictError
from keychannel.core.events import emit
from keychannel.core.policies import can, require
from keychannel.core.services import notification_send

from . import benefits, conf
from .checks import CheckFailure, describe_checks
from .choices import (
    ConflictKind,
    ConflictStatus,
    LeadStatus,
    OfferStatus,
    PartyRole,
    RegistrationStatus,
    Resolution,
)
from .models import Conflict, ConflictComment, ConflictParty, DealRegistration, Lead, LeadOffer


def _today(on_date=None) -> datetime.date:
    return on_date or timezone.localdate()


def _notify(user, event, title, body, url, sender=None):
    """``title`` and ``body`` are callables: notification_send renders them in the recipient's language."""
    if user is not None:
        notification_send(recipient=user, event=event, title=title, body=body, url=url, sender=sender)


# --- the client a registration is about ------------------------------------------------------------------------


def _new_client(*, principal, distributor, legal_name, tax_id, territory):
    """The client of a registration for a company not picked from the book: found by tax id, or created through
    the clients service (its duplicate check and matcher, ``clients.selectors.client_matches``)."""
    tax = normalize_tax_id(tax_id)
    if tax:
        existing = CorporateClient.objects.filter(tax_id=tax).first()
        if existing is not None:
            return existing, []
    if not normalize_company_name(legal_name):
        raise ValidationError({"legal_name": _("Enter the client's legal name or pick an existing client.")})
    if territory is None:
        raise ValidationError({"territory_id": _("Give the territory of a new client.")})
    similar = similar_clients(legal_name=legal_name)
    own = [c for c in similar if c.distributor_id == distributor.pk]
    if own:
        raise ValidationError(
            {"legal_name": _("This looks like your client “%(name)s”: register that client instead.") % {"name": own[0]}}
        )
    try:
        # The look-alikes elsewhere become the registration's own checks (similar_to_other), so the create is
        # confirmed and not watched a second time.
        client = client_create(principal=principal, legal_name=legal_name.strip(), tax_id=tax, territory=territory,
                               distributor=distributor, confirm_not_duplicate=True, watch_duplicates=False)
    except (ValidationError, DuplicateClientError):
        # Somebody registered the same tax id a moment ago: theirs is the client record.
        existing = CorporateClient.objects.filter(tax_id=tax).first() if tax else None
        if existing is None:
            raise
        return existing, []
    return client, [c for c in similar if c.pk != client.pk]


# --- registrations ---------------------------------------------------------------------------------------------


def _expire(registrations) -> int:
    """Expire these approved registrations (past their end) one by one, so the history shows each change."""
    count = 0
    for registration in registrations.select_related("registered_by"):
        registration.status = RegistrationStatus.EXPIRED
        registration.holds_claim = False
        registration._change_reason = "protection period ended"
        registration.save(update_fields=["status", "holds_claim", "updated_at"])
        _notify(
            registration.registered_by, "registration.expired",
            lambda r=registration: _("Registration expired: %(client)s") % {"client": r.client_name},
            lambda r=registration: _("The protection period ended on %(date)s.") % {"date": r.protected_until},
            registration.get_absolute_url(),
        )
        count += 1
    return count


def _validate_registration(*, product_lines, estimated_value, expected_close_on, title, on_date):
    errors = {}
    if not product_lines:
        errors["product_line_ids"] = _("Choose at least one product line.")
    if estimated_value is None or Decimal(estimated_value) < 0:
        errors["estimated_value"] = _("The estimated value cannot be negative.")
    if expected_close_on is None or expected_close_on < on_date:
        errors["expected_close_on"] = _("The expected close cannot be in the past.")
    if not (title or "").strip():
        errors["title"] = _("Say what the deal is about.")
    if errors:
        raise ValidationError(errors)


def _run_checks(*, client, distributor, product_lines, similar, on_date) -> tuple[list[CheckFailure], object]:
    """The automatic checks of a registration (see docs/channel.md). Returns the failures and the current holder."""
    from keychannel.network.selectors import distributor_covers

    failures: list[CheckFailure] = []
    holder = (
        DealRegistration.objects.active().filter(client=client, holds_claim=True).exclude(distributor=distributor)
        .select_related("distributor").first()
    )
    if holder is not None:
        failures.append(CheckFailure(ConflictKind.DOUBLE_REGISTRATION, "registered_by_other",
                                     other=holder.distributor, other_registration=holder))
    if client.distributor_id is not None and client.distributor_id != distributor.pk:
        if holder is None or holder.distributor_id != client.distributor_id:
            failures.append(CheckFailure(ConflictKind.DOUBLE_REGISTRATION, "owned_by_other", other=client.distributor))
    for match in similar:
        if match.distributor_id is None:
            failures.append(CheckFailure(ConflictKind.DOUBLE_REGISTRATION, "similar_to_direct"))
        elif match.distributor_id != distributor.pk:
            failures.append(CheckFailure(ConflictKind.DOUBLE_REGISTRATION, "similar_to_other", other=match.distributor))
    if client.territory_id is None:
        failures.append(CheckFailure(ConflictKind.TERRITORY, "territory_unknown", lines=list(product_lines)))
    else:
        uncovered = distributor_covers(
            distributor=distributor, territory=client.territory_id, product_lines=product_lines, on_date=on_date
        )
        if uncovered:
            failures.append(CheckFailure(ConflictKind.TERRITORY, "territory_not_covered", lines=uncovered))
    agreement = set(distributor.product_lines.values_list("pk", flat=True))
    outside = [line for line in product_lines if line.pk not in agreement]
    if outside:
        failures.append(CheckFailure(ConflictKind.PRODUCT_RANGE, "outside_agreement", lines=outside))
    return failures, holder


def _open_conflicts_for(registration, failures, *, principal, on_date):
    by_kind: dict[str, list[CheckFailure]] = {}
    for failure in failures:
        by_kind.setdefault(failure.kind, []).append(failure)
    conflicts = []
    for kind, items in by_kind.items():
        conflict = Conflict.objects.create(
            kind=kind,
            client=registration.client,
            client_name=registration.client_name,
            territory_id=registration.client.territory_id,
            registration=registration,
            reason="\n".join(describe_checks([f.as_dict() for f in items])),
            opened_by=principal.user,
            due_on=on_date + datetime.timedelta(days=conf.conflict_due_days(kind)),
        )
        lines = {line.pk for f in items for line in f.lines} or {line.pk for line in registration.product_lines.all()}
        conflict.product_lines.set(sorted(lines))
        ConflictParty.objects.create(
            conflict=conflict, distributor=registration.distributor, role=PartyRole.CLAIMANT, registration=registration
        )
        seen = {registration.distributor_id}
        for failure in items:
            if failure.other is not None and failure.other.pk not in seen:
                seen.add(failure.other.pk)
                ConflictParty.objects.create(
                    conflict=conflict, distributor=failure.other, role=PartyRole.HOLDER,
                    registration=failure.other_registration,
                )
        conflicts.append(conflict)
        emit("conflict.opened", conflict)
    return conflicts


@transaction.atomic
def registration_submit(
    *, principal, distributor, title: str, product_lines, estimated_value, expected_close_on,
    client=None, legal_name: str = "", tax_id: str = "", territory=None, notes: str = "", on_date=None,
    opportunity=None,
) -> DealRegistration:
    """Register a client and a deal for ``distributor``; failed checks open conflicts, direct clients are refused.

    ``opportunity``: the existing deal being registered ("register this deal" from the registration gate); the
    approval then protects it instead of opening a new one.
    """
    require(principal, "channel.registration.create", distributor)
    on_date = _today(on_date)
    product_lines = sorted(set(product_lines or []), key=lambda p: p.pk)
    _validate_registration(product_lines=product_lines, estimated_value=estimated_value,
                           expected_close_on=expected_close_on, title=title, on_date=on_date)
    # A program restriction in force (e.g. no new registrations in a product line) refuses before anything is written.
    restricted = benefits.registration_restrictions(distributor.pk, [p.pk for p in product_lines], on_date)
    if restricted:
        raise ValidationError({"product_lines": restricted})
    similar = []
    if client is None:
        client, similar = _new_client(
            principal=principal, distributor=distributor, legal_name=legal_name, tax_id=tax_id, territory=territory
        )
        client_name = legal_name.strip() or client.legal_name
    else:
        client_name = client.legal_name
    # One registration of a client at a time: the row lock queues simultaneous ones behind each other.
    client = CorporateClient.objects.select_for_update(of=("self",)).select_related("distributor").get(pk=client.pk)
    if (client.out_of_scope or client.distributor_id is None) and not principal.is_manufacturer:
        # One answer for direct and out-of-scope clients: a distributor learns the client is not open to it,
        # not who serves it (like the check reasons, which never name the other side).
        raise ValidationError({"client": _("This client already exists in the network and cannot be registered. "
                                           "Ask your channel manager.")})
    if client.out_of_scope:
        raise ValidationError({"client": _("This client was taken out of the distributors' scope: the manufacturer leads it.")})
    if client.distributor_id is None:
        raise ValidationError({"client": _("This client is served directly by the manufacturer and cannot be registered.")})
    if opportunity is not None and (opportunity.client_id != client.pk or opportunity.distributor_id != distributor.pk):
        raise ValidationError({"opportunity": _("Register a deal of this distributor with this client.")})
    _expire(DealRegistration.objects.filter(client=client).due_to_expire(on_date))
    if DealRegistration.objects.active().filter(client=client, distributor=distributor).exists():
        raise ConflictError(_("Your distributor already has an active registration for this client."))
    failures, holder = _run_checks(
        client=client, distributor=distributor, product_lines=product_lines, similar=similar, on_date=on_date
    )
    claim = holder is None and client.distributor_id == distributor.pk
    fields = dict(
        client=client, distributor=distributor, registered_by=principal.user,
        on_behalf=principal.is_manufacturer, client_name=client_name[:200], title=title.strip()[:200],
        estimated_value=Decimal(estimated_value), expected_close_on=expected_close_on, notes=notes,
        submitted_on=on_date, opportunity=opportunity,
    )
    try:
        with transaction.atomic():
            registration = DealRegistration.objects.create(holds_claim=claim, **fields)
    except IntegrityError:
        if DealRegistration.objects.active().filter(client=client, distributor=distributor).exists():
            raise ConflictError(_("Your distributor already has an active registration for this client.")) from None
        if not claim:
            raise
        # Lost the race for the claim (only possible where the row lock is not available).
        holder = DealRegistration.objects.active().filter(client=client, holds_claim=True).first()
        failures.insert(0, CheckFailure(ConflictKind.DOUBLE_REGISTRATION, "registered_by_other",
                                        other=holder.distributor if holder else None, other_registration=holder))
        registration = DealRegistration.objects.create(holds_claim=False, **fields)
    registration.product_lines.set(product_lines)
    registration.checks = [f.as_dict() for f in failures]
    registration.save(update_fields=["checks", "updated_at"])
    _open_conflicts_for(registration, failures, principal=principal, on_date=on_date)
    manager = distributor.channel_manager
    _notify(
        manager, "registration.submitted",
        lambda: _("New registration to decide: %(client)s (%(code)s)") % {"client": client_name, "code": distributor.code},
        lambda: _("%(n)s check(s) failed.") % {"n": len(failures)} if failures else _("Every automatic check passed."),
        registration.get_absolute_url(), sender=principal.user,
    )
    emit("registration.submitted", registration)
    return registration


def _locked_registration(registration) -> DealRegistration:
    return DealRegistration.objects.select_for_update().select_related("registered_by", "distributor").get(pk=registration.pk)


def _approve(registration, *, user, protected_until, reason, on_date):
    registration.status = RegistrationStatus.APPROVED
    registration.protected_until = protected_until
    registration.decided_at = timezone.now()
    registration.decided_by = user
    registration.decision_reason = reason or ""
    registration.save()
    _notify(
        registration.registered_by, "registration.decided",
        lambda: _("Registration approved: %(client)s") % {"client": registration.client_name},
        lambda: _("Protected until %(date)s.") % {"date": protected_until},
        registration.get_absolute_url(), sender=user,
    )
    emit("registration.decided", registration)
    return registration


@transaction.atomic
def registration_approve(*, principal, registration, protected_until=None, reason: str = "", on_date=None):
    require(principal, "channel.registration.decide", registration)
    on_date = _today(on_date)
    registration = _locked_registration(registration)
    if registration.status != RegistrationStatus.PENDING:
        raise ConflictError(_("Only a pending registration can be approved; this one is %(s)s.")
                            % {"s": registration.get_effective_status_display()})
    if registration.conflicts.open().exists():
        raise ConflictError(_("Resolve the open conflicts of this registration first."))
    if not registration.holds_claim:
        raise ConflictError(_("Another registration holds this client; this one cannot be protected."))
    # Empty: the distributor's own period (its program level's protection days, else the channel default).
    protected_until = protected_until or on_date + datetime.timedelta(
        days=benefits.protection_days_for(registration.distributor_id, on_date))
    if protected_until <= on_date:
        raise ValidationError({"protected_until": _("The protection must end after today.")})
    registration = _approve(registration, user=principal.user, protected_until=protected_until, reason=reason,
                            on_date=on_date)
    _open_registered_opportunity(principal, registration)
    return registration


def _open_registered_opportunity(principal, registration) -> None:
    """An approved registration starts its deal in the distributor's pipeline, owned by who registered it.

    Skipped (the approval stands) when the registration has a deal already, or the deal cannot be opened as
    things are: a client served by someone else, out of scope, or an owner who left the distributor.
    """
    from keychannel.deals.choices import Origin
    from keychannel.deals.services import opportunity_create

    client = registration.client
    if (registration.opportunity_id is not None or client is None or client.out_of_scope
            or client.distributor_id != registration.distributor_id
            or not can(principal, "deals.opportunity.create", registration.distributor)):
        return
    try:
        with transaction.atomic():
            registration.opportunity = opportunity_create(
                principal=principal, client=client, distributor=registration.distributor,
                owner=registration.registered_by, title=registration.title, origin=Origin.REGISTRATION,
                source_reference=f"registration:{registration.pk}", product_lines=list(registration.product_lines.all()),
                value=registration.estimated_value or Decimal("0"), expected_close_on=registration.expected_close_on,
            )
    except ValidationError:
        return
    registration.save(update_fields=["opportunity", "updated_at"])


def _reject(registration, *, user, reason):
    registration.status = RegistrationStatus.REJECTED
    registration.holds_claim = False
    registration.decided_at = timezone.now()
    registration.decided_by = user
    registration.decision_reason = reason
    registration.save()
    _notify(
        registration.registered_by, "registration.decided",
        lambda: _("Registration rejected: %(client)s") % {"client": registration.client_name},
        reason,
        registration.get_absolute_url(), sender=user,
    )
    emit("registration.decided", registration)
    return registration


@transaction.atomic
def registration_reject(*, principal, registration, reason: str):
    require(principal, "channel.registration.decide", registration)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    registration = _locked_registration(registration)
    if registration.effective_status not in (RegistrationStatus.PENDING, RegistrationStatus.APPROVED):
        raise ConflictError(_("This registration is already %(s)s.") % {"s": registration.get_effective_status_display()})
    return _reject(registration, user=principal.user, reason=reason.strip())


@transaction.atomic
def registration_extend(*, principal, registration, days: int | None = None, reason: str = "", on_date=None):
    require(principal, "channel.registration.decide", registration)
    on_date = _today(on_date)
    days = conf.extension_days() if days is None else int(days)
    if not 1 <= days <= 365:
        raise ValidationError({"days": _("Extend by 1 to 365 days.")})
    registration = _locked_registration(registration)
    if not registration.is_protected_on(on_date):
        raise ConflictError(_("Only a registration that is still protected can be extended."))
    registration.protected_until = registration.protected_until + datetime.timedelta(days=days)
    registration.extensions += 1
    registration.decided_by = principal.user
    registration.decided_at = timezone.now()
    if reason:
        registration.decision_reason = reason
    registration.save()
    _notify(
        registration.registered_by, "registration.decided",
        lambda: _("Registration extended: %(client)s") % {"client": registration.client_name},
        lambda: _("Protected until %(date)s.") % {"date": registration.protected_until},
        registration.get_absolute_url(), sender=principal.user,
    )
    return registration


def expire_registrations(*, on_date=None) -> int:
    """Expire every approved registration whose protection has ended (the scheduled job)."""
    on_date = _today(on_date)
    count = 0
    ids = list(DealRegistration.objects.due_to_expire(on_date).values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            count += _expire(DealRegistration.objects.select_for_update().filter(pk=pk).due_to_expire(on_date))
    return count


# --- conflicts -------------------------------------------------------------------------------------------------


def _locked_conflict(conflict) -> Conflict:
    return Conflict.objects.select_for_update().get(pk=conflict.pk)


def _party_users(conflict):
    """Who hears about a conflict's outcome: each party's registrant, else its heads."""
    from keychannel.core.models import Membership

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


@transaction.atomic
def conflict_open(*, principal, kind, client, reason: str, distributor_ids, on_date=None) -> Conflict:
    """Open a dispute by hand (pricing, client ownership): the deciders list the distributors involved."""
    require(principal, "channel.conflict.open")
    on_date = _today(on_date)
    from keychannel.network.models import Distributor

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


def _start_project(*, principal, conflict, client):
    """The manufacturer-led opportunity that restarts an out-of-scope client from scratch."""
    from keychannel.deals.choices import Origin
    from keychannel.deals.services import opportunity_create

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
        from . import out_of_scope

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


# --- leads -----------------------------------------------------------------------------------------------------

STANCE_WEIGHT = {"active": 3, "cautious": 2, "resistant": 1}


def lead_candidates(*, lead, on_date):
    """Distributors eligible for every product line of the lead in its territory, never one already offered it."""
    from keychannel.network.selectors import eligible_distributors

    eligible = None
    for line in lead.product_lines.all():
        ids = set(eligible_distributors(territory=lead.territory_id, product_line=line, on_date=on_date)
                  .values_list("pk", flat=True))
        eligible = ids if eligible is None else eligible & ids
    offered = set(lead.offers.values_list("distributor_id", flat=True))
    from keychannel.network.models import Distributor

    return list(Distributor.objects.filter(pk__in=sorted((eligible or set()) - offered), active=True))


def pick_distributor(candidates):
    """Weighted choice among several: active stance first, fewer open offers next, then the code (deterministic)."""
    if not candidates:
        return None
    from django.db.models import Count, Q

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
    from keychannel.core.models import Membership

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
    from keychannel.deals.choices import Origin
    from keychannel.deals.services import opportunity_create

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
