"""Webhooks end to end against a real HTTP receiver on 127.0.0.1 (tests/receiver.py).

Deliveries run through django-tasks: the ImmediateBackend (the test default) runs each enqueued attempt at once
when the emitting transaction commits; the backoff test uses the DummyBackend to look at what was enqueued and
when it may run, then runs those tasks itself.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel import services as channel
from keychannel.channel.models import Conflict
from keychannel.channel.tests.factories import cover, make_client
from keychannel.competence import services as competence
from keychannel.competence.choices import KamDuty
from keychannel.competence.tests.factories import kam_at
from keychannel.core.models import Notification
from keychannel.core.scoping import Principal
from keychannel.integrations import services
from keychannel.integrations.choices import DeliveryStatus
from keychannel.integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

from .receiver import Receiver

pytestmark = pytest.mark.django_db



@pytest.fixture
def hooks(settings):
    settings.KEYCHANNEL_WEBHOOK_ALLOW_PRIVATE = True
    settings.KEYCHANNEL_WEBHOOK_BACKOFF_SECONDS = 600
    settings.KEYCHANNEL_WEBHOOK_MAX_ATTEMPTS = 5
    settings.KEYCHANNEL_WEBHOOK_DISABLE_AFTER = 50
    settings.KEYCHANNEL_WEBHOOK_TIMEOUT = 5
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return settings


@pytest.fixture
def receiver():
    made = []

    def start(**kw):
        made.append(Receiver(**kw).start())
        return made[-1]

    yield start
    for r in made:
        r.stop()


def subscribe(world, role, url, events, *, other=False):
    user = (world.other_users if other else world.users)[role]
    subscription, secret = services.subscription_create(principal=Principal.for_user(user), name=f"{role} hook",
                                                        url=url, event_types=events)
    return subscription, secret


def task_for(world, distributor, kam, title="Visit the plant"):
    return competence.kam_task_create(principal=world.principal("program_manager"), distributor=distributor, kam=kam,
                                      duty=KamDuty.SELL_TO_LARGE_CLIENTS, title=title)


def test_an_event_arrives_signed_and_verifies_with_the_standard_library(world, hooks, receiver,
                                                                        django_capture_on_commit_callbacks):
    endpoint = receiver()
    subscription, secret = subscribe(world, "admin", endpoint.url, ["kam_task.changed"])
    endpoint.secret = secret
    assert secret.startswith("whsec_") and subscription.secret_hint == secret[:10]
    with django_capture_on_commit_callbacks(execute=True):
        task = task_for(world, world.own, world.users["embedded_kam"])
    assert len(endpoint.requests) == 1
    got = endpoint.requests[0]
    assert got.verified, "standardwebhooks' verifier accepts our signature"
    assert got.headers["webhook-id"].startswith("msg_") and got.headers["webhook-signature"].startswith("v1,")
    assert got.json["type"] == "kam_task.changed"
    assert got.json["data"]["id"] == task.pk and got.json["data"]["title"] == "Visit the plant"
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert delivery.message_id == got.headers["webhook-id"] and delivery.payload.encode() == got.body
    # A tampered body or another secret fails the same verifier: the check above can fail.
    endpoint.secret = "whsec_" + "A" * 44
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(got.body.replace(b"Visit", b"Visiz"), got.headers)


def test_a_failing_endpoint_is_retried_until_it_answers(world, hooks, receiver, django_capture_on_commit_callbacks):
    endpoint = receiver(fail_first=2)
    subscription, secret = subscribe(world, "admin", endpoint.url, ["kam_task.changed"])
    endpoint.secret = secret
    with django_capture_on_commit_callbacks(execute=True):
        task_for(world, world.own, world.users["embedded_kam"])
    assert [r.status for r in endpoint.requests] == [500, 500, 204]
    assert len({r.headers["webhook-id"] for r in endpoint.requests}) == 1, "every attempt carries the same message id"
    assert all(r.verified for r in endpoint.requests)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert list(delivery.attempt_log.values_list("number", "status_code")) == [(1, 500), (2, 500), (3, 204)]
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0, "a success resets the failure count"


def test_retries_wait_with_exponential_backoff(world, hooks, receiver, django_capture_on_commit_callbacks):
    """With a backend that can wait (run_after), each retry is enqueued to run base × 2^(n-1) after its failure."""
    from django_tasks import default_task_backend

    from keychannel.integrations.tasks import deliver_webhook

    hooks.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    endpoint = receiver(always_fail=True)
    subscription, _secret = subscribe(world, "admin", endpoint.url, ["kam_task.changed"])
    with django_capture_on_commit_callbacks(execute=True):
        task_for(world, world.own, world.users["embedded_kam"])
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    def queued_deliveries():
        # Other tasks share the queue (the notification e-mail of the KAM task goes through mail_send).
        return [r for r in default_task_backend.results if r.task.func is deliver_webhook.func]

    waits = []
    for _round in range(5):
        queued = queued_deliveries()
        assert len(queued) == 1
        result = queued[0]
        default_task_backend.results.remove(result)
        with django_capture_on_commit_callbacks(execute=True):
            result.task.call(*result.args, **result.kwargs)
        delivery.refresh_from_db()
        attempt = delivery.attempt_log.order_by("-number").first()
        if queued_deliveries():
            run_after = queued_deliveries()[0].task.run_after
            assert run_after == delivery.next_attempt_at
            waits.append((run_after - attempt.attempted_at).total_seconds())
    assert waits == [600, 1200, 2400, 4800]
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 5 and len(endpoint.requests) == 5
    assert not queued_deliveries(), "no attempt after the last one"


def test_a_late_or_duplicate_task_sends_nothing(world, hooks, receiver, django_capture_on_commit_callbacks):
    endpoint = receiver()
    subscription, _secret = subscribe(world, "admin", endpoint.url, ["kam_task.changed"])
    with django_capture_on_commit_callbacks(execute=True):
        task_for(world, world.own, world.users["embedded_kam"])
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert services.attempt_delivery(delivery_id=delivery.pk, attempts_done=0) == "skipped"
    assert len(endpoint.requests) == 1


def test_repeated_failures_disable_the_subscription_and_tell_its_owner(world, hooks, receiver,
                                                                      django_capture_on_commit_callbacks):
    hooks.KEYCHANNEL_WEBHOOK_MAX_ATTEMPTS = 2
    hooks.KEYCHANNEL_WEBHOOK_DISABLE_AFTER = 3
    endpoint = receiver(always_fail=True)
    subscription, _secret = subscribe(world, "program_manager", endpoint.url, ["kam_task.changed"])
    with django_capture_on_commit_callbacks(execute=True):
        task_for(world, world.own, world.users["embedded_kam"], title="one")
    with django_capture_on_commit_callbacks(execute=True):
        task_for(world, world.own, world.users["embedded_kam"], title="two")
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.consecutive_failures == 3
    assert len(endpoint.requests) == 3, "the third failure in a row disables: no fourth attempt"
    note = Notification.objects.get(recipient=world.users["program_manager"], title__startswith="Webhook disabled")
    assert subscription.name in note.title and note.url == subscription.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        task_for(world, world.own, world.users["embedded_kam"], title="three")
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 2, "a disabled subscription gets nothing"
    # Enabled again and the endpoint fixed: a redelivery sends the failed message (same id) and succeeds.
    endpoint.always_fail = False
    services.subscription_enable(principal=world.principal("program_manager"), subscription=subscription)
    failed = WebhookDelivery.objects.filter(subscription=subscription, status=DeliveryStatus.FAILED).first()
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_redeliver(principal=world.principal("program_manager"), delivery=failed)
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.DELIVERED
    assert endpoint.requests[-1].headers["webhook-id"] == failed.message_id
    assert failed.attempt_log.last().redelivery


def test_a_distributors_subscription_never_receives_another_distributors_event(world, hooks, receiver,
                                                                              django_capture_on_commit_callbacks):
    own_endpoint, network_endpoint = receiver(), receiver()
    own_sub, own_secret = subscribe(world, "dist_head", own_endpoint.url, ["kam_task.changed"])
    assert own_sub.distributor_id == world.own.pk
    subscribe(world, "admin", network_endpoint.url, ["kam_task.changed"])
    other_kam = kam_at(world.other, "kam-at-b")
    with django_capture_on_commit_callbacks(execute=True):
        foreign = task_for(world, world.other, other_kam, title="FOREIGN")
        mine = task_for(world, world.own, world.users["embedded_kam"], title="MINE")
    assert [r.json["data"]["id"] for r in own_endpoint.requests] == [mine.pk]
    assert b"FOREIGN" not in b"".join(r.body for r in own_endpoint.requests)
    assert sorted(r.json["data"]["id"] for r in network_endpoint.requests) == sorted([foreign.pk, mine.pk])
    assert not WebhookDelivery.objects.filter(subscription=own_sub, payload__contains="FOREIGN").exists()


def test_payloads_leave_out_what_the_redaction_registry_hides(world, hooks, receiver,
                                                              django_capture_on_commit_callbacks):
    """A conflict seen by a party: no awarded_to (nor client, registration, opener); the manufacturer gets them."""
    cover(world.own, world.territory, world.product_line)
    cover(world.other, world.territory, world.product_line)
    party, network = receiver(), receiver()
    subscribe(world, "dist_head", party.url, ["conflict.opened", "registration.submitted"])
    subscribe(world, "admin", network.url, ["conflict.opened"])
    client = make_client(distributor=world.own, territory=world.territory, tax_id="20202020", legal_name="Carpathia SA")
    common = dict(title="Cold chain", product_lines=[world.product_line], estimated_value=Decimal("1000"),
                  expected_close_on=today() + datetime.timedelta(days=40))
    with django_capture_on_commit_callbacks(execute=True):
        channel.registration_submit(principal=world.principal("dist_sales"), distributor=world.own, client=client,
                                    **common)
        channel.registration_submit(principal=Principal.for_user(world.other_users["dist_sales"]),
                                    distributor=world.other, legal_name="Carpathia", tax_id="20202020",
                                    notes="OTHER-SECRET", **common)
    conflict = Conflict.objects.get()
    by_type = {}
    for r in party.requests:
        by_type.setdefault(r.json["type"], []).append(r.json["data"])
    assert len(by_type["registration.submitted"]) == 1, "the other distributor's registration is not ours"
    assert b"OTHER-SECRET" not in b"".join(r.body for r in party.requests)
    [seen_by_party] = by_type["conflict.opened"]
    [seen_by_network] = [r.json["data"] for r in network.requests]
    assert seen_by_party["id"] == seen_by_network["id"] == conflict.pk
    assert "awarded_to_id" in seen_by_network and "awarded_to_id" not in seen_by_party
    assert [s["distributor_id"] for s in seen_by_party["sides"] if not s["mine"]] == [None]


def test_private_addresses_are_refused_unless_allowed(world, hooks, receiver, django_capture_on_commit_callbacks):
    endpoint = receiver()
    hooks.KEYCHANNEL_WEBHOOK_ALLOW_PRIVATE = False
    for url in (endpoint.url, "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/latest", "ftp://x.org/"):
        with pytest.raises(ValidationError):
            subscribe(world, "admin", url, ["kam_task.changed"])
    assert not WebhookSubscription.objects.exists()
    # Made while allowed, sent after the setting went off: the attempt is refused before any connection.
    hooks.KEYCHANNEL_WEBHOOK_ALLOW_PRIVATE = True
    subscription, _secret = subscribe(world, "admin", endpoint.url, ["kam_task.changed"])
    hooks.KEYCHANNEL_WEBHOOK_ALLOW_PRIVATE = False
    with django_capture_on_commit_callbacks(execute=True):
        task_for(world, world.own, world.users["embedded_kam"])
    assert endpoint.requests == []
    attempt = WebhookAttempt.objects.get(delivery__subscription=subscription, number=1)
    assert attempt.status_code is None and "private" in attempt.error


def test_who_may_subscribe(world, hooks, receiver):
    endpoint = receiver()
    for role in ("executive", "channel_manager", "mentor", "embedded_kam", "dist_sales"):
        with pytest.raises(Exception) as exc:
            subscribe(world, role, endpoint.url, ["deal.won"])
        assert type(exc.value).__name__ == "PermissionDenied"
    with pytest.raises(ValidationError) as exc:
        subscribe(world, "admin", endpoint.url, ["deal.won", "no.such.event"])
    assert "event_types" in exc.value.message_dict
    network, _s = subscribe(world, "program_manager", endpoint.url, ["deal.won"])
    assert network.distributor_id is None


def test_a_rolled_back_write_sends_nothing(world, hooks, receiver, django_capture_on_commit_callbacks):
    from django.db import transaction

    endpoint = receiver()
    subscribe(world, "admin", endpoint.url, ["kam_task.changed"])
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            task_for(world, world.own, world.users["embedded_kam"])
            raise RuntimeError("the write fails after the event")
    assert endpoint.requests == [] and not WebhookDelivery.objects.exists()


def test_goal_status_changes_are_announced_to_who_may_read_the_goal(world, hooks, receiver,
                                                                    django_capture_on_commit_callbacks):
    from keychannel.program.goal_status import goal_status_sweep
    from keychannel.program.models import Goal
    from keychannel.program.tests.factories import goal_tree, program

    prog = program(world, name="Key accounts 2026")
    goals = goal_tree(prog, world)
    head_endpoint, network_endpoint = receiver(), receiver()
    subscribe(world, "dist_head", head_endpoint.url, ["goal.status_changed"])
    subscribe(world, "admin", network_endpoint.url, ["goal.status_changed"])
    midyear = datetime.date(prog.starts_on.year, 6, 30)
    with django_capture_on_commit_callbacks(execute=True):
        assert goal_status_sweep(on=midyear) == 0, "the first sweep records the statuses, announces nothing"
    assert Goal.objects.get(pk=goals["own"].pk).reported_status == "behind"
    Goal.objects.filter(pk__in=[goals["own"].pk, goals["other"].pk]).update(target=Decimal(0))
    with django_capture_on_commit_callbacks(execute=True):
        assert goal_status_sweep(on=midyear) == 2
        assert goal_status_sweep(on=midyear) == 0, "announced once"
    assert [(r.json["data"]["id"], r.json["data"]["status"]) for r in head_endpoint.requests] == [
        (goals["own"].pk, "on_track")]
    assert sorted(r.json["data"]["id"] for r in network_endpoint.requests) == sorted(
        [goals["own"].pk, goals["other"].pk])
