"""Issue 17 part 6: one place writes a notification in the recipient's language and time zone, mails it as the
recipient chose (at once, in a daily digest, or not), with absolute links and the sender's name."""

import datetime
import socket
import threading

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from keychannel.core import notifications, services
from keychannel.core.models import Membership, Notification, NotificationPreference
from keychannel.core.scoping import Principal

pytestmark = pytest.mark.django_db


def _speaks(user, language, zone="", email=""):
    Membership.objects.filter(user=user).update(language=language, time_zone=zone)
    if email:
        user.email = email
        user.save(update_fields=["email"])


def test_an_escalation_notice_to_a_romanian_head_is_in_romanian_while_the_worker_runs_in_english(world):
    """The scenario: ``escalate_cases`` (a worker, in English) warns a Romanian-speaking head of a near breach."""
    from keychannel.service.services import escalate_cases
    from keychannel.service.tests.factories import open_case

    head = world.user("dist_head")
    _speaks(head, "ro")
    case = open_case(world)
    with translation.override("en"):
        counts = escalate_cases(now=case.response_due_at - datetime.timedelta(minutes=1))
        assert translation.get_language() == "en"
    assert counts["near_breach"] == 1
    note = Notification.objects.get(recipient=head, event_type="case.escalated")
    with translation.override("ro"):
        expected = gettext("Service case %(ref)s is near its SLA breach") % {"ref": case.reference}
    assert note.title == expected and "near its SLA breach" not in note.title  # Romanian, not the worker's English


def test_times_in_a_notice_are_in_the_recipients_time_zone(world):
    from keychannel.service.services import escalate_cases
    from keychannel.service.tests.factories import open_case

    head = world.user("dist_head")
    _speaks(head, "en", "Asia/Tokyo")
    case = open_case(world)
    due = case.response_due_at
    escalate_cases(now=due - datetime.timedelta(minutes=1))
    note = Notification.objects.get(recipient=head, event_type="case.escalated")
    tokyo = timezone.localtime(due, datetime.timezone(datetime.timedelta(hours=9))).strftime("%Y-%m-%d %H:%M")
    assert f"due {tokyo}" in note.body


def test_the_mail_has_an_absolute_link_the_senders_name_and_the_recipients_language(
        world, settings, django_capture_on_commit_callbacks):
    settings.KEYCHANNEL_SITE_URL = "https://keychannel.example"
    settings.DEFAULT_FROM_EMAIL = "keychannel <noreply@keychannel.example>"
    head, sender = world.user("dist_head"), world.user("channel_manager")
    sender.first_name, sender.last_name = "Maria", "Popescu"
    sender.save()
    _speaks(head, "ro", email="head@alfa.example")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.notification_send(recipient=head, event="registration.decided", sender=sender,
                                   title=_lazy("Notifications"), body=lambda: gettext("Every automatic check passed."),
                                   url="/registrations/7/")
    [message] = mail.outbox
    with translation.override("ro"):
        subject, body = gettext("Notifications"), gettext("Every automatic check passed.")
        via = gettext("%(name)s via keychannel") % {"name": "Maria Popescu"}
    assert message.subject == subject == "Notificări"
    assert body in message.body and "https://keychannel.example/registrations/7/" in message.body
    assert "https://keychannel.example/notifications/preferences/" in message.body
    assert message.from_email == f'"{via}" <noreply@keychannel.example>' or message.from_email == f"{via} <noreply@keychannel.example>"
    assert message.to == ["head@alfa.example"]


def test_delivery_follows_the_recipients_preference(world, django_capture_on_commit_callbacks):
    head = world.user("dist_head")
    _speaks(head, "en", email="head@alfa.example")
    services.notification_preferences_set(principal=Principal.for_user(head),
                                           choices={"case.escalated": "in_app", "program.rule": "digest"})
    with django_capture_on_commit_callbacks(execute=True):
        for event in ("case.escalated", "program.rule", "program.level"):
            services.notification_send(recipient=head, event=event, title=lambda e=event: e)
    assert [m.subject for m in mail.outbox] == ["program.level"]  # at once: the default; the others are not mailed now
    assert dict(Notification.objects.values_list("event_type", "delivery")) == {
        "case.escalated": "in_app", "program.rule": "digest", "program.level": "immediate"}
    assert Notification.objects.filter(recipient=head).count() == 3  # every one is under the bell


def test_an_unknown_event_type_is_refused(world):
    with pytest.raises(ValueError):
        services.notification_send(recipient=world.user("dist_head"), event="no.such", title=lambda: "x")
    assert not Notification.objects.exists()


# --- the daily digest ------------------------------------------------------------------------------------------------


def _digest_user(world, language="ro"):
    head = world.user("dist_head")
    _speaks(head, language, email="head@alfa.example")
    NotificationPreference.objects.create(user=head, event_type="program.rule", delivery="digest")
    NotificationPreference.objects.create(user=head, event_type="case.changed", delivery="digest")
    sender = world.user("program_manager")
    services.notification_send(recipient=head, event="program.rule", title=_lazy("Notifications"),
                               body="Rule one", url="/program/rules/1/", sender=sender)
    services.notification_send(recipient=head, event="case.changed", title=lambda: "Case SC-1", body="Reply")
    return head


def test_the_digest_gathers_a_days_notifications_in_one_mail_once(world, settings):
    settings.KEYCHANNEL_SITE_URL = "https://keychannel.example"
    head = _digest_user(world)
    assert not mail.outbox
    assert notifications.digests_send() == (1, 2)
    [message] = mail.outbox
    assert message.to == ["head@alfa.example"]
    assert "Notificări" in message.body and "Case SC-1" in message.body  # written in Romanian
    assert "https://keychannel.example/program/rules/1/" in message.body
    assert not Notification.objects.filter(recipient=head, delivery="digest", emailed_at__isnull=True).exists()
    assert notifications.digests_send() == (0, 0) and len(mail.outbox) == 1  # never twice


def test_a_failed_digest_loses_nothing_the_next_run_sends_it(world, settings):
    head = _digest_user(world, language="en")
    with socket.socket() as probe:  # a port nothing listens on: the mail server refuses the connection
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    assert notifications.digests_send() == (0, 0)
    assert Notification.objects.filter(recipient=head, emailed_at__isnull=True).count() == 2  # still waiting
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.digests_send() == (1, 2) and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_one_digest(world, tmp_path):
    """A retried digest job beside the first (or a run by hand): one of them mails the notices, the other none."""
    from django.db import connections

    from tests.file_database import sqlite_in_a_file

    head = _digest_user(world, language="en")
    outcomes = []
    with sqlite_in_a_file(tmp_path, "digest.sqlite3"):
        start = threading.Barrier(2)

        def run():
            try:
                start.wait()
                outcomes.append(notifications.digest_send_one(head.pk))
            except Exception as exc:  # noqa: BLE001 - SQLite may refuse the loser's write: it then sends nothing
                outcomes.append(type(exc).__name__)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(mail.outbox) == 1 and 2 in outcomes, outcomes
        assert not Notification.objects.filter(delivery="digest", emailed_at__isnull=True).exists()


def test_the_digest_runs_as_a_scheduled_job():
    from keychannel.jobs.scheduler import JOBS, schedule

    assert "send_notification_digests" in JOBS and schedule()["send_notification_digests"] == 86400


# --- the preferences page and API ------------------------------------------------------------------------------------


def test_preferences_through_the_api(world, api_as):
    api = api_as(world.user("dist_sales"))
    url = "/api/v1/me/notification-preferences"
    rows = api.get(url).json()
    assert {r["event_type"] for r in rows} >= {"case.escalated", "registration.decided", "webhook.disabled"}
    assert all(r["delivery"] == "immediate" and r["label"] for r in rows)
    changed = api.put(url, {"preferences": {"case.escalated": "digest", "lead.routed": "in_app"}},
                      content_type="application/json")
    assert changed.status_code == 200
    assert {r["event_type"]: r["delivery"] for r in changed.json()}["case.escalated"] == "digest"
    refused = api.put(url, {"preferences": {"case.escalated": "in_app", "no.such": "digest"}},
                      content_type="application/json")
    assert refused.status_code == 422
    refused = api.put(url, {"preferences": {"case.escalated": "sometimes"}}, content_type="application/json")
    assert refused.status_code == 422
    assert dict(NotificationPreference.objects.values_list("event_type", "delivery")) == {
        "case.escalated": "digest", "lead.routed": "in_app"}  # the refused writes changed nothing
    # Setting a type back to the default keeps the row (its history shows the change); nobody else's rows exist.
    api.put(url, {"preferences": {"lead.routed": "immediate"}}, content_type="application/json")
    assert set(NotificationPreference.objects.values_list("user_id", flat=True)) == {world.user("dist_sales").pk}


def test_preferences_page(world, login):
    page = login(world.user("dist_head"))
    listing = page.get(reverse("core:notification_list")).content.decode()
    assert reverse("core:notification_preferences") in listing  # reached from the bell's page
    form = page.get(reverse("core:notification_preferences"))
    assert form.status_code == 200 and "Service case near or past its service-level target" in form.content.decode()
    saved = page.post(reverse("core:notification_preferences"), {"case.escalated": "digest"})
    assert saved.status_code == 302
    assert NotificationPreference.objects.get(user=world.user("dist_head")).delivery == "digest"
    bad = page.post(reverse("core:notification_preferences"), {"case.escalated": "weekly"})
    assert bad.status_code == 422
    assert NotificationPreference.objects.get(user=world.user("dist_head")).delivery == "digest"
