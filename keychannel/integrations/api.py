"""JSON API of webhooks: subscriptions, their deliveries, redelivery (docs/webhooks.md)."""

from ninja import Router, Status

from keychannel.core.events import EVENT_TYPES
from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.policies import require
from keychannel.core.schemas import WRITE_ERRORS, ErrorOut

from . import selectors, services
from .schemas import (
    DeliveryDetailOut,
    DeliveryOut,
    EventTypeOut,
    SubscriptionCreatedOut,
    SubscriptionIn,
    SubscriptionOut,
)

router = Router(tags=["webhooks"])



@router.get("/webhooks/event-types", response=list[EventTypeOut], summary="The events one may subscribe to")
def event_types(request):
    return [{"type": key, "label": str(label)} for key, label in EVENT_TYPES.items()]


@router.get("/webhooks", response={200: list[SubscriptionOut], 403: ErrorOut}, summary="Webhook subscriptions")
@paginate(BoundedPagination)
def subscription_list(request):
    require(request.principal, "integrations.webhook.manage")
    return selectors.subscription_list(principal=request.principal)


@router.post("/webhooks", response={201: SubscriptionCreatedOut, **WRITE_ERRORS},
             summary="Subscribe an endpoint (the signing secret is in this answer only)")
def subscription_create(request, payload: SubscriptionIn):
    subscription, secret = services.subscription_create(
        principal=request.principal, name=payload.name, url=payload.url, event_types=payload.event_types)
    out = SubscriptionCreatedOut.from_orm(subscription).model_dump()
    out["secret"] = secret
    return Status(201, out)


@router.get("/webhooks/{int:subscription_id}", response={200: SubscriptionOut, 404: ErrorOut})
def subscription_get(request, subscription_id: int):
    return selectors.subscription_get(principal=request.principal, pk=subscription_id)


@router.post("/webhooks/{int:subscription_id}/disable", response={200: SubscriptionOut, **WRITE_ERRORS})
def subscription_disable(request, subscription_id: int):
    subscription = selectors.subscription_get(principal=request.principal, pk=subscription_id)
    return services.subscription_disable(principal=request.principal, subscription=subscription)


@router.post("/webhooks/{int:subscription_id}/enable", response={200: SubscriptionOut, **WRITE_ERRORS})
def subscription_enable(request, subscription_id: int):
    subscription = selectors.subscription_get(principal=request.principal, pk=subscription_id)
    return services.subscription_enable(principal=request.principal, subscription=subscription)


@router.get("/webhooks/{int:subscription_id}/deliveries", response={200: list[DeliveryOut], 404: ErrorOut},
            summary="The delivery log of a subscription, newest first")
@paginate(BoundedPagination)
def delivery_list(request, subscription_id: int):
    subscription = selectors.subscription_get(principal=request.principal, pk=subscription_id)
    return selectors.delivery_list(principal=request.principal, subscription=subscription)


@router.get("/webhooks/deliveries/{int:delivery_id}", response={200: DeliveryDetailOut, 404: ErrorOut})
def delivery_get(request, delivery_id: int):
    return selectors.delivery_get(principal=request.principal, pk=delivery_id)


@router.post("/webhooks/deliveries/{int:delivery_id}/redeliver", response={202: DeliveryOut, **WRITE_ERRORS},
             summary="Send a delivered or failed message again")
def delivery_redeliver(request, delivery_id: int):
    delivery = selectors.delivery_get(principal=request.principal, pk=delivery_id)
    return Status(202, services.delivery_redeliver(principal=request.principal, delivery=delivery))
