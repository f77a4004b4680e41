"""The webhook API and pages: the secret is given once, scopes follow the caller, bad input changes nothing."""

import json

import pytest

from keychannel.integrations.choices import DeliveryStatus
from keychannel.integrations.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

URL = "https://93.184.215.14/hooks"


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_api_creates_with_the_secret_once_and_scopes_a_head_to_its_distributor(world, api_as):
    admin = api_as(world.users["admin"])
    made = post(admin, "/api/v1/webhooks", {"name": "ERP", "url": URL, "event_types": ["deal.won", "deal.lost"]})
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    assert secret.startswith("whsec_") and made.json()["distributor_id"] is None
    listed = admin.get("/api/v1/webhooks").json()
    assert [s["name"] for s in listed["items"]] == ["ERP"] and secret not in json.dumps(listed)
    head = api_as(world.users["dist_head"])
    mine = post(head, "/api/v1/webhooks", {"name": "Our ERP", "url": URL, "event_types": ["registration.decided"]})
    assert mine.status_code == 201 and mine.json()["distributor_id"] == world.own.pk
    assert [s["name"] for s in head.get("/api/v1/webhooks").json()["items"]] == ["Our ERP"]
    assert post(api_as(world.users["dist_sales"]), "/api/v1/webhooks",
                {"name": "x", "url": URL, "event_types": ["deal.won"]}).status_code == 403


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "url": "http://127.0.0.1:9/x", "event_types": ["deal.won"]}, "url"),
    ({"name": "x", "url": "http://192.168.1.10/x", "event_types": ["deal.won"]}, "url"),
    ({"name": "x", "url": "gopher://93.184.215.14/", "event_types": ["deal.won"]}, "url"),
    ({"name": "x", "url": URL, "event_types": ["deal.exploded"]}, "event_types"),
    ({"name": " ", "url": URL, "event_types": ["deal.won"]}, "name"),
])
def test_api_refuses_bad_input_and_keeps_nothing(world, api_as, body, field):
    answer = post(api_as(world.users["admin"]), "/api/v1/webhooks", body)
    assert answer.status_code == 422
    assert field in {item["loc"][-1] for item in answer.json()["detail"]}
    assert not WebhookSubscription.objects.exists()


def test_redelivery_waits_for_the_attempts_to_finish(world, api_as):
    admin = api_as(world.users["admin"])
    sub_id = post(admin, "/api/v1/webhooks", {"name": "ERP", "url": URL, "event_types": ["deal.won"]}).json()["id"]
    delivery = WebhookDelivery.objects.create(subscription_id=sub_id, message_id="msg_1", event_type="deal.won",
                                              payload="{}", status=DeliveryStatus.RETRYING, attempts=1)
    path = f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver"
    assert admin.post(path).status_code == 409
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    assert admin.post(path).status_code == 202
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts_allowed > delivery.attempts
    assert admin.post(f"/api/v1/webhooks/{sub_id}/disable").json()["is_active"] is False
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    refused = admin.post(path)
    assert refused.status_code == 422 and "Enable the subscription" in refused.content.decode()


def test_pages_show_the_secret_once_and_the_delivery_log(world, login):
    client = login(world.users["program_manager"])
    assert client.get("/integrations/webhooks/new/").status_code == 200
    bad = client.post("/integrations/webhooks/new/", {"name": "ERP", "url": "http://10.0.0.1/x",
                                                      "event_types": ["deal.won"]})
    assert bad.status_code == 422 and "private" in bad.content.decode()
    made = client.post("/integrations/webhooks/new/", {"name": "ERP", "url": URL, "event_types": ["deal.won"]})
    assert made.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in made.content.decode()
    WebhookDelivery.objects.create(subscription=subscription, message_id="msg_log", event_type="deal.won",
                                   payload='{"type":"deal.won"}', status=DeliveryStatus.DELIVERED, attempts=1)
    detail = client.get(subscription.get_absolute_url()).content.decode()
    assert subscription.secret not in detail and "msg_log" in detail
    assert client.post(f"/integrations/webhooks/{subscription.pk}/disable/").status_code == 302
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "ERP" in client.get("/integrations/webhooks/").content.decode()
