"""Deal registrations: the client they are about, submission with its checks, approval, rejection, extension, expiry."""

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
from keychannel.deals.choices import Origin
from keychannel.deals.services import opportunity_create
from keychannel.network.selectors import distributor_covers

from .. import benefits, conf
from ..checks import CheckFailure, describe_checks
from ..choices import ConflictKind, PartyRole, RegistrationStatus
from ..models import Conflict, ConflictParty, DealRegistration
from .common import _notify, _today

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
