"""Reads of the webhooks app, always scoped to the principal."""

from keychannel.core.scoping import get_visible_or_404

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def subscription_list(*, principal):
    return WebhookSubscription.objects.visible_to(principal).select_related("distributor", "owner")


def subscription_get(*, principal, pk) -> WebhookSubscription:
    return get_visible_or_404(subscription_list(principal=principal), principal, pk=pk)


def delivery_list(*, principal, subscription=None):
    qs = WebhookDelivery.objects.visible_to(principal).select_related("subscription")
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    return qs


def delivery_get(*, principal, pk) -> WebhookDelivery:
    return get_visible_or_404(delivery_list(principal=principal), principal, pk=pk)


def attempt_list(*, principal, delivery):
    return WebhookAttempt.objects.visible_to(principal).filter(delivery=delivery)
