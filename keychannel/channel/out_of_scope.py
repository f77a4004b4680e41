"""Taking a client out of scope keeps running business (docs/rules.md, "Out of scope keeps running business").

The out-of-scope branch of ``services.conflict_resolve`` (which checks the policy and locks the conflict) and the
scheduled hand-over after the grace period. The decision:

- states a grace period (``grace_days``, default ``ChannelPolicy.out_of_scope_grace_days``; or ``grace_until``):
  the distributors' open deals on the client stay theirs until then, except those handed over now
  (``hand_over_ids``); with 0 days every one is handed over at once;
- lets the distributors' active contracts run to their end date unless it ends them (``end_contract`` with a
  reason);
- closes every other open conflict and every pending or approved registration on the client, each linked to it
  (``Conflict.closed_by_decision``, ``DealRegistration.closed_by_conflict``), and notifies their parties;
- starts the manufacturer-led project; handed-over deals carry their activities, tests and stage history into it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.deals import handover

from .choices import ConflictStatus, InFlightHandling, OutOfScopeReason, RegistrationStatus, Resolution
from .models import ChannelPolicy, Conflict, DealRegistration
from .services.common import _notify, _party_users, _start_project
from .services.registrations import _reject

logger = logging.getLogger(__name__)


def _ids(values) -> list[int] | None:
    try:
        return sorted({int(v) for v in (values or [])})
    except (TypeError, ValueError):
        return None


def validate(*, conflict, on_date, out_of_scope_reason, notice_days, in_flight, grace_until, grace_days, compensation,
             hand_over_ids, end_contract, end_contract_reason) -> tuple[dict, dict]:
    """The decision's errors (field → message) and, when there are none, its cleaned values."""
    errors = {}
    if out_of_scope_reason not in OutOfScopeReason.values:
        errors["out_of_scope_reason"] = _("Choose the reason for taking the client out of scope.")
    if notice_days is None or not 0 <= int(notice_days) <= 365:
        errors["notice_days"] = _("Give a notice period of 0 to 365 days.")
    in_flight = in_flight or InFlightHandling.GRACE_PERIOD
    if in_flight not in InFlightHandling.values:
        errors["in_flight"] = _("Say what happens to the distributor's deals in flight.")
    elif in_flight == InFlightHandling.COMPENSATION and (compensation is None or Decimal(compensation) < 0):
        errors["compensation"] = _("Give the compensation amount.")
    if grace_until is not None:
        if grace_until < on_date:
            errors["grace_until"] = _("Give the end of the grace period (today or later).")
    elif grace_days is not None and not (isinstance(grace_days, int) and 0 <= grace_days <= 365):
        errors["grace_days"] = _("Give a grace period of 0 to 365 days.")
    else:
        days = ChannelPolicy.current().out_of_scope_grace_days if grace_days is None else grace_days
        grace_until = on_date + datetime.timedelta(days=days)
    ids = _ids(hand_over_ids)
    if ids is None:
        errors["hand_over_ids"] = _("List the deals to hand over by their numbers.")
    elif ids:
        open_ids = set(handover.open_distributor_deals(conflict.client_id).filter(pk__in=ids).values_list("pk", flat=True))
        if open_ids != set(ids):
            errors["hand_over_ids"] = _("Only open deals of distributors on this client can be handed over: "
                                        "%(ids)s cannot.") % {"ids": ", ".join(f"#{i}" for i in ids if i not in open_ids)}
    if end_contract and not (end_contract_reason or "").strip():
        errors["end_contract_reason"] = _("Give the reason for ending the contract before its end date.")
    cleaned = dict(in_flight=in_flight, grace_until=grace_until, hand_over_ids=ids or [],
                   end_contract=bool(end_contract), end_contract_reason=(end_contract_reason or "").strip())
    return errors, cleaned


def _close_registrations(conflict, *, user, label):

    active = (
        DealRegistration.objects.select_for_update(of=("self",))
        .filter(client_id=conflict.client_id, status__in=[RegistrationStatus.PENDING, RegistrationStatus.APPROVED])
        .select_related("registered_by")
    )
    for registration in active:
        registration.closed_by_conflict = conflict
        _reject(registration, user=user,
                reason=_("%(c)s: the client was taken out of scope.") % {"c": label})


def _close_other_conflicts(conflict, *, user, label, now):

    others = list(
        Conflict.objects.select_for_update().open().filter(client_id=conflict.client_id).exclude(pk=conflict.pk)
    )
    note = _("Closed by the decision on %(c)s: the client was taken out of scope.") % {"c": label}
    for other in others:
        other.status = ConflictStatus.RESOLVED
        other.resolution = Resolution.OUT_OF_SCOPE
        other.decision_note = note
        other.decided_at = now
        other.decided_by = user
        other.closed_by_decision = conflict
        other._change_reason = f"closed by conflict {conflict.pk}"
        other.save()
        for party_user in _party_users(other):
            _notify(party_user, "conflict.resolved",
                    lambda other=other: _("Conflict closed: %(client)s") % {"client": other.client_name},
                    lambda: _("Closed by the decision on %(c)s: the client was taken out of scope.") % {"c": label},
                    other.get_absolute_url(), sender=user)
    return others


def apply(*, principal, conflict, cleaned, out_of_scope_reason, notice_days, compensation, on_date) -> Callable[[], str]:
    """Take the conflict's client out of scope as decided. Returns what builds the parties' notice."""
    from keychannel.clients.services import client_make_direct


    user = principal.user
    label = _("Conflict #%(n)s") % {"n": conflict.pk}
    client = client_make_direct(principal=principal, client=conflict.client, reason=f"conflict {conflict.pk}")
    _close_registrations(conflict, user=user, label=label)
    _close_other_conflicts(conflict, user=user, label=label, now=timezone.now())
    grace_until = cleaned["grace_until"]
    conflict.out_of_scope_reason = out_of_scope_reason
    conflict.notice_days = int(notice_days)
    conflict.in_flight = cleaned["in_flight"]
    conflict.grace_until = grace_until
    conflict.compensation = Decimal(compensation) if cleaned["in_flight"] == InFlightHandling.COMPENSATION else None
    project = _start_project(principal=principal, conflict=conflict, client=client)
    conflict.project_opportunity = project
    reason = _("%(c)s: the client was taken out of scope.") % {"c": label}
    now_ids = cleaned["hand_over_ids"]
    if grace_until <= on_date:  # no grace period: every deal goes now
        now_ids = list(handover.open_distributor_deals(client.pk).values_list("pk", flat=True))
    for deal in handover.open_distributor_deals(client.pk).filter(pk__in=now_ids):
        handover.opportunity_hand_over(opportunity=deal, project=project, reason=reason)
    kept = handover.deals_keep_until(client_id=client.pk, until=grace_until, exclude_ids=now_ids)
    for contract in handover.active_distributor_contracts(client.pk).select_related("owner"):
        if cleaned["end_contract"]:
            handover.contract_end_early(principal=principal, contract=contract, reason=cleaned["end_contract_reason"],
                                        on_date=on_date)
        else:
            _notify(contract.owner, "deal.handed_over",
                    lambda: _("Your contract with %(client)s runs to its end date") % {"client": client.legal_name},
                    lambda contract=contract: _("The client was taken out of the distributors' scope; the contract "
                                                "runs until %(date)s.") % {"date": contract.ends_on.isoformat()},
                    contract.get_absolute_url(), sender=principal.user)

    def told() -> str:
        """What the parties are told, built in each reader's language (notification_send calls it)."""
        parts = [_("Grace period until %(date)s.") % {"date": grace_until.isoformat()}]
        if kept:
            parts.append(_("%(n)s open deal(s) stay with the distributor until then.") % {"n": len(kept)})
        if now_ids:
            parts.append(_("%(n)s deal(s) handed over to the manufacturer now.") % {"n": len(now_ids)})
        if cleaned["end_contract"]:
            parts.append(_("The active contract ends today: %(reason)s") % {"reason": cleaned["end_contract_reason"]})
        return " ".join(parts)

    return told


def hand_over_after_grace(*, on_date=None) -> int:
    """The scheduled job: hand the deals still open after their grace period to the manufacturer-led project.

    Runs daily with ``expire_registrations``. One transaction per deal, so one failure leaves the rest to go.
    """
    on_date = on_date or timezone.localdate()
    due = handover.deals_due_for_hand_over(on_date)
    projects: dict[int, object] = {}
    count = 0
    for deal in due:
        if deal.client_id not in projects:
            decision = (
                Conflict.objects.filter(client_id=deal.client_id, resolution=Resolution.OUT_OF_SCOPE,
                                        project_opportunity__isnull=False)
                .select_related("project_opportunity").order_by("-decided_at", "-pk").first()
            )
            projects[deal.client_id] = decision
        decision = projects[deal.client_id]
        if decision is None:
            logger.warning("deal %s kept after its grace period, but its client has no manufacturer-led project", deal.pk)
            continue
        reason = _("Conflict #%(n)s: the grace period ended on %(date)s.") % {
            "n": decision.pk, "date": deal.kept_until.isoformat()}
        try:
            with transaction.atomic():
                handover.opportunity_hand_over(opportunity=deal, project=decision.project_opportunity, reason=reason)
        except Exception:  # noqa: BLE001 - one deal's problem must not stop the others; it is retried tomorrow
            logger.exception("could not hand over deal %s", deal.pk)
            continue
        count += 1
    return count
