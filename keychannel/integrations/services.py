"""Webhook subscriptions (writes), the event fan-out and the delivery attempts (docs/webhooks.md)."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from keychannel.core.errors import ConflictError
from keychannel.core.events import EVENT_TYPES
from keychannel.core.policies import require
from keychannel.core.scoping import Principal
from keychannel.core.services import notification_send

from . import conf, net, payloads
from .choices import DeliveryStatus
from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription, new_secret

logger = logging.getLogger(__name__)


# --- subscriptions ---------------------------------------------------------------------------------------------


def _clean_event_types(event_types) -> list[str]:
    chosen = sorted({str(e) for e in (event_types or [])})
    if not chosen:
        raise ValidationError({"event_types": _("Choose at least one event.")})
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        raise ValidationError({"event_types": _("Unknown event: %(names)s.") % {"names": ", ".join(unknown)}})
    return chosen


def _own_distributor(principal):
    from keychannel.network.models import Distributor

    if principal.own_distributor_id is None:
        return None
    return Distributor.objects.visible_to(principal).filter(pk=principal.own_distributor_id).first()


@transaction.atomic
def subscription_create(*, principal, name: str, url: str, event_types) -> tuple[WebhookSubscription, str]:
    """A new subscription owned by the caller: the network's (administrator, program manager) or the caller's
    distributor's (distributor head). Returns it with its signing secret, shown this once."""
    distributor = _own_distributor(principal) if principal.is_distributor_user else None
    require(principal, "integrations.webhook.create", distributor)
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the subscription a name.")
    url = (url or "").strip()
    try:
        net.check_url(url)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        event_types = _clean_event_types(event_types)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    secret = new_secret()
    subscription = WebhookSubscription(
        name=name[:100], url=url, event_types=event_types, distributor=distributor, owner=principal.user, secret=secret,
    )
    subscription.full_clean()
    subscription.save()
    return subscription, secret


@transaction.atomic
def subscription_disable(*, principal, subscription: WebhookSubscription, reason: str = "") -> WebhookSubscription:
    require(principal, "integrations.webhook.manage", subscription)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.is_active:
        subscription.is_active = False
        subscription.disabled_at = timezone.now()
        subscription.disabled_reason = (reason or "").strip()[:300] or _("Disabled by %(user)s.") % {
            "user": principal.user.get_username()}
        subscription._change_reason = "disabled"
        subscription.save()
    return subscription


@transaction.atomic
def subscription_enable(*, principal, subscription: WebhookSubscription) -> WebhookSubscription:
    require(principal, "integrations.webhook.manage", subscription)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not subscription.is_active:
        net.check_url(subscription.url)  # the rules may have changed since it was made
        subscription.is_active = True
        subscription.disabled_at = None
        subscription.disabled_reason = ""
        subscription.consecutive_failures = 0
        subscription._change_reason = "enabled"
        subscription.save()
    return subscription


# --- events → deliveries ---------------------------------------------------------------------------------------


def _receives(subscription, principal) -> bool:
    """The owner still has their place, and a distributor's subscription still belongs to the owner's distributor."""
    if not principal.is_authenticated or not subscription.owner.is_active:
        return False
    if subscription.distributor_id is not None:
        return principal.own_distributor_id == subscription.distributor_id
    return principal.has_role("admin", "program_manager")


def on_event(event_type: str, obj) -> list[WebhookDelivery]:
    """The listener of ``core.events.emit``: one delivery per active subscription whose owner may read ``obj``."""
    subscriptions = [s for s in WebhookSubscription.objects.active().select_related("owner")
                     if event_type in (s.event_types or [])]
    if not subscriptions:
        return []
    message_id = payloads.new_message_id()
    occurred_at = timezone.now()
    principals: dict[int, Principal] = {}
    made = []
    for subscription in subscriptions:
        principal = principals.get(subscription.owner_id)
        if principal is None:
            principal = principals[subscription.owner_id] = Principal.for_user(subscription.owner)
        if not _receives(subscription, principal):
            continue
        data = payloads.data_for(principal, obj)
        if data is None:  # not the owner's to know
            continue
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, message_id=message_id, event_type=event_type,
            payload=payloads.envelope(event_type, data, occurred_at=occurred_at),
            attempts_allowed=conf.max_attempts(),
        )
        _schedule(delivery.pk, 0)
        made.append(delivery)
    return made


def _schedule(delivery_id: int, attempts_done: int, *, run_after=None, redelivery: bool = False) -> None:
    """Enqueue the next attempt once the current transaction commits; ``run_after`` waits where the task backend
    can (the database backend does), else the attempt is queued at once."""
    from .tasks import deliver_webhook

    task = deliver_webhook
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    transaction.on_commit(lambda: task.enqueue(delivery_id, attempts_done, redelivery))


# --- attempts --------------------------------------------------------------------------------------------------


def signed_headers(subscription, delivery, *, at=None) -> dict[str, str]:
    at = at or timezone.now()
    signature = Webhook(subscription.secret).sign(msg_id=delivery.message_id, timestamp=at,
                                                  data=delivery.payload.encode())
    return {"webhook-id": delivery.message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature}


def attempt_delivery(*, delivery_id: int, attempts_done: int, redelivery: bool = False) -> str:
    """Send one attempt. Only the attempt that was scheduled runs: a duplicate or late task finds the counter
    moved on and does nothing (two workers never send the same attempt)."""
    with transaction.atomic():
        claimed = WebhookDelivery.objects.filter(
            pk=delivery_id, attempts=attempts_done, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
        ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=None)
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription", "subscription__owner").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, attempts=F("attempts") - 1,
            last_error=_("Not sent: the subscription is disabled."))
        return "disabled"
    attempted_at = timezone.now()
    answer = net.post(subscription.url, delivery.payload.encode(), signed_headers(subscription, delivery, at=attempted_at))
    ok = answer.status_code is not None and 200 <= answer.status_code < 300
    error = answer.error or ("" if ok else _("The endpoint answered %(code)s.") % {"code": answer.status_code})
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, attempted_at=attempted_at, status_code=answer.status_code,
            error=error[:500], response_excerpt=answer.body[:500], duration_ms=answer.duration_ms, redelivery=redelivery,
        )
        delivery.last_status_code = answer.status_code
        delivery.last_error = error[:500]
        if ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = attempted_at
            delivery.save(update_fields=["status", "delivered_at", "last_status_code", "last_error", "updated_at"])
            WebhookSubscription.objects.filter(pk=subscription.pk).exclude(consecutive_failures=0).update(
                consecutive_failures=0)
            return "delivered"
        still_active = _count_failure(subscription)
        if still_active and delivery.attempts < delivery.attempts_allowed:
            delivery.status = DeliveryStatus.RETRYING
            delivery.next_attempt_at = attempted_at + conf.retry_delay(delivery.attempts)
            _schedule(delivery.pk, delivery.attempts, run_after=delivery.next_attempt_at)
        else:
            delivery.status = DeliveryStatus.FAILED
        delivery.save(update_fields=["status", "next_attempt_at", "last_status_code", "last_error", "updated_at"])
    return "failed"


def _count_failure(subscription) -> bool:
    """One more failure in a row; at the limit the subscription is disabled and its owner told. True: still active."""
    sub = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    sub.consecutive_failures += 1
    if not sub.is_active:
        sub.save(update_fields=["consecutive_failures", "updated_at"])
        return False
    if sub.consecutive_failures < conf.disable_after():
        sub.save(update_fields=["consecutive_failures", "updated_at"])
        return True
    sub.is_active = False
    sub.disabled_at = timezone.now()
    sub.disabled_reason = _("Disabled after %(n)s failed deliveries in a row.") % {"n": sub.consecutive_failures}
    sub._change_reason = "disabled after repeated failures"
    sub.save()
    notification_send(
        recipient=sub.owner, event="webhook.disabled",
        title=lambda: _("Webhook disabled: %(name)s") % {"name": sub.name},
        body=lambda: _("%(url)s failed %(n)s times in a row, so no more events are sent to it. Fix the endpoint, then "
                       "enable the subscription and redeliver what it missed.") % {
            "url": sub.url, "n": sub.consecutive_failures},
        url=sub.get_absolute_url(),
    )
    return False


@transaction.atomic
def delivery_redeliver(*, principal, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered or failed message again (same id, so receivers can tell), with a new series of attempts."""
    require(principal, "integrations.webhook.manage", delivery.subscription)
    delivery = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if not delivery.subscription.is_active:
        raise ValidationError(_("Enable the subscription before redelivering."))
    if not delivery.is_finished:
        raise ConflictError(_("This message is already on its way; wait for its attempts to finish."))
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = None
    delivery.attempts_allowed = delivery.attempts + conf.max_attempts()
    delivery.save(update_fields=["status", "next_attempt_at", "attempts_allowed", "updated_at"])
    _schedule(delivery.pk, delivery.attempts, redelivery=True)
    return delivery
