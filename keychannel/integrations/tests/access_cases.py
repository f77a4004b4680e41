from tests.access import Route, anon_api, anon_page, expect

MANAGERS = ("admin", "program_manager")
PUBLIC_URL = "https://93.184.215.14/hooks"  # a public address literal: passes the private-network check, no DNS


def _subscription(world, side):
    from keychannel.integrations.models import WebhookSubscription

    def make():
        head = (world.users if side == "own" else world.other_users)["dist_head"]
        return WebhookSubscription.objects.create(
            name=f"ERP {side}", url=PUBLIC_URL, event_types=["deal.won"], owner=head, distributor=world.distributor(side))

    return world.once(f"webhook-{side}", make)


def _delivery(world, side):
    from keychannel.integrations.choices import DeliveryStatus
    from keychannel.integrations.models import WebhookDelivery

    def make():
        return WebhookDelivery.objects.create(subscription=_subscription(world, side), message_id=f"msg_{side}",
                                              event_type="deal.won", payload="{}", status=DeliveryStatus.FAILED,
                                              attempts=1)

    return world.once(f"delivery-{side}", make)


def sub(w, side):
    return {"pk": _subscription(w, side).pk}


def sub_api(w, side):
    return {"subscription_id": _subscription(w, side).pk}


def delivery(w, side):
    return {"pk": _delivery(w, side).pk}


def delivery_api(w, side):
    return {"delivery_id": _delivery(w, side).pk}


def _managers(ok, *, head_other=404, default=404):
    """Administrators and program managers reach every subscription; a distributor head its own only."""
    return expect(default, **{r: ok for r in MANAGERS}, dist_head={"own": ok, "other": head_other})


def _list(ok, anon):
    return expect(403, **{r: ok for r in MANAGERS}, dist_head=ok, **anon)


BODY = lambda w, side: {"name": "ERP", "url": PUBLIC_URL, "event_types": ["deal.won"]}  # noqa: E731

ROUTES = [
    # Single sign-on: closed (404) while it is not configured, as in the matrix; tests/test_sso.py runs it for real.
    Route(name="oidc_authentication_init", expect=expect(404), note="404 until KEYCHANNEL_OIDC_CLIENT_ID is set"),
    Route(name="oidc_authentication_callback", expect=expect(404), note="404 until KEYCHANNEL_OIDC_CLIENT_ID is set"),
    Route(name="integrations:webhook_list", expect=_list(200, anon_page())),
    Route(name="integrations:webhook_create", expect=_list(200, anon_page())),
    Route(name="integrations:webhook_detail", params=sub, expect=_managers(200) | anon_page()),
    Route(name="integrations:webhook_disable", method="POST", params=sub, expect=_managers(302) | anon_page()),
    Route(name="integrations:webhook_enable", method="POST", params=sub, expect=_managers(302) | anon_page()),
    Route(name="integrations:delivery_detail", params=delivery, expect=_managers(200) | anon_page()),
    Route(name="integrations:delivery_redeliver", method="POST", params=delivery, expect=_managers(302) | anon_page()),
    Route(api="GET /api/v1/webhooks/event-types", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/webhooks", expect=_list(200, anon_api())),
    Route(api="POST /api/v1/webhooks", body=BODY, expect=_list(201, anon_api())),
    Route(api="GET /api/v1/webhooks/{subscription_id}", params=sub_api, expect=_managers(200) | anon_api()),
    Route(api="POST /api/v1/webhooks/{subscription_id}/disable", params=sub_api, expect=_managers(200) | anon_api()),
    Route(api="POST /api/v1/webhooks/{subscription_id}/enable", params=sub_api, expect=_managers(200) | anon_api()),
    Route(api="GET /api/v1/webhooks/{subscription_id}/deliveries", params=sub_api, expect=_managers(200) | anon_api()),
    Route(api="GET /api/v1/webhooks/deliveries/{delivery_id}", params=delivery_api,
          expect=_managers(200) | anon_api()),
    Route(api="POST /api/v1/webhooks/deliveries/{delivery_id}/redeliver", params=delivery_api,
          expect=_managers(202) | anon_api()),
]
