"""A user's language and time zone: the switcher, the profile, the middleware, the API and notifications."""

import datetime
import zoneinfo

import pytest
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _lazy

from keychannel.core import services
from keychannel.core.models import ApiToken, Membership, Notification

pytestmark = pytest.mark.django_db


def test_switcher_keeps_a_members_language_and_the_next_page_is_in_it(world, client):
    user = world.users["dist_sales"]
    client.force_login(user)
    response = client.post("/language/", {"language": "ro", "next": "/profile/"})
    assert response.status_code == 302 and response["Location"] == "/profile/"
    assert Membership.objects.get(user=user).language == "ro"
    page = client.get("/profile/")
    assert page["Content-Language"] == "ro" and '<html lang="ro">' in page.content.decode()
    # The choice follows the user, not the browser: a fresh session without the cookie is Romanian too.
    other = client.__class__()
    other.force_login(user)
    assert other.get("/profile/", HTTP_ACCEPT_LANGUAGE="ru")["Content-Language"] == "ro"


def test_switcher_refuses_a_get_and_an_unknown_language_changes_nothing(world, client):
    user = world.users["dist_head"]
    client.force_login(user)
    assert client.get("/language/").status_code == 405
    client.post("/language/", {"language": "xx", "next": "/"})
    assert Membership.objects.get(user=user).language == ""


def test_anonymous_pages_follow_accept_language(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ru,en;q=0.5")
    assert page.status_code == 200 and page["Content-Language"] == "ru"
    assert 'id="language-switcher"' in page.content.decode()


def test_profile_sets_language_and_time_zone(world, client):
    user = world.users["channel_manager"]
    client.force_login(user)
    response = client.post("/profile/preferences/", {"pref-language": "ru", "pref-time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert (membership.language, membership.time_zone) == ("ru", "Asia/Tokyo")
    client.post("/profile/preferences/", {"pref-language": "en", "pref-time_zone": "Mars/Olympus"})
    membership.refresh_from_db()
    assert (membership.language, membership.time_zone) == ("ru", "Asia/Tokyo")  # bad input: nothing changed


def test_times_show_in_the_users_time_zone(world, client):
    user = world.users["admin"]
    Membership.objects.filter(user=user).update(time_zone="Asia/Tokyo", language="en")
    token = ApiToken.objects.create(user=user, name="tz", key_hash="x" * 64, hint="kc_")
    moment = datetime.datetime(2026, 3, 1, 22, 30, tzinfo=datetime.UTC)
    ApiToken.objects.filter(pk=token.pk).update(created_at=moment)
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    assert "2 Mar 2026 07:30" in page  # 22:30 UTC is 07:30 the next day in Tokyo
    Membership.objects.filter(user=user).update(time_zone="")
    page = client.get("/profile/").content.decode()
    assert "2 Mar 2026 00:30" in page  # the default: Europe/Bucharest (UTC+2 in March)


def test_api_messages_follow_the_token_users_language(world, api_as):
    user = world.users["dist_head"]
    Membership.objects.filter(user=user).update(language="ro")
    response = api_as(user).get("/api/v1/me")
    assert response.status_code == 200 and response["Content-Language"] == "ro"


def test_notifications_are_written_in_the_recipients_language(world):
    recipient = world.users["dist_head"]
    Membership.objects.filter(user=recipient).update(language="ru")
    seen = []

    def record(sender, instance, created, **kwargs):
        if created:
            seen.append(translation.get_language())

    post_save.connect(record, sender=Notification)
    try:
        with translation.override("en"):  # the worker's language; notification_send renders in the recipient's
            note = services.notification_send(recipient=recipient, event="program.level",
                                              title=lambda: translation.get_language(), body=_lazy("Notifications"))
            assert translation.get_language() == "en"
    finally:
        post_save.disconnect(record, sender=Notification)
    assert seen == ["ru"]
    assert (note.title, note.body) == ("ru", "Уведомления")


def test_an_eagerly_rendered_title_is_refused(world):
    """A plain string was rendered before notification_send could choose the language: refused, nothing written."""
    with pytest.raises(TypeError):
        services.notification_send(recipient=world.users["dist_head"], event="program.level", title="Already English")
    assert not Notification.objects.exists()


def test_the_default_time_zone_is_bucharest(client):
    assert timezone.get_default_timezone() == zoneinfo.ZoneInfo("Europe/Bucharest")


def test_password_reset_mail_is_in_the_account_owners_language(world, client, mailoutbox, monkeypatch):
    from django.template import loader

    user = world.users["dist_head"]
    user.email = "head@example.test"
    user.save(update_fields=["email"])
    Membership.objects.filter(user=user).update(language="ru")
    seen = []
    original = loader.render_to_string

    def recording(template_name, *args, **kwargs):  # the real rendering, noting the language it renders in
        if "password_reset" in str(template_name):
            seen.append(translation.get_language())
        return original(template_name, *args, **kwargs)

    monkeypatch.setattr(loader, "render_to_string", recording)
    client.post(reverse("password_reset"), {"email": "head@example.test"}, HTTP_ACCEPT_LANGUAGE="en")
    assert seen and set(seen) == {"ru"} and len(mailoutbox) == 1  # subject and body, both in Russian


@pytest.mark.parametrize("username", ["program_manager", "dist_head"])
def test_a_page_reads_the_membership_once_for_the_principal_and_the_preferences(world, client, username):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = world.user(username)
    Membership.objects.filter(user=user).update(language="ro")
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("core:notification_list"))
    assert page.status_code == 200 and page["Content-Language"] == "ro"
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "core_membership"' in q["sql"]]
    assert len(reads) == 1, reads
