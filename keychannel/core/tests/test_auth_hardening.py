"""Issue 23, findings 3 and 9: a lockout nobody can aim at somebody else, password change and reset, first start.

Addresses: A (attacker) 203.0.113.7, B (the real user) 198.51.100.9, the reverse proxy 10.0.0.1.
"""

import io
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from keychannel.core.choices import OrganizationKind, Role
from keychannel.core.client_ip import client_ip
from keychannel.core.models import Membership, Organization

PASSWORD = "test-password"  # core.tests.factories.UserFactory
A, B, PROXY = "203.0.113.7", "198.51.100.9", "10.0.0.1"
TOKEN_URL = "/api/v1/auth/token"


def _behind_proxy(client_address):
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def _fail_page(client, username, times):
    for _ in range(times):
        client.post(reverse("login"), {"username": username, "password": "wrong"})


def _token(client, username, password):
    return client.post(TOKEN_URL, {"username": username, "password": password}, content_type="application/json")


@pytest.fixture
def proxied(settings):
    settings.KEYCHANNEL_TRUSTED_PROXIES = [PROXY]
    return settings


# ---- the client address ------------------------------------------------------------------------------


def test_client_ip_is_the_peer_unless_the_peer_is_a_trusted_proxy(settings):
    factory = RequestFactory()
    settings.KEYCHANNEL_TRUSTED_PROXIES = []
    assert client_ip(factory.get("/", REMOTE_ADDR=A, HTTP_X_FORWARDED_FOR=B)) == A
    settings.KEYCHANNEL_TRUSTED_PROXIES = ["10.0.0.0/24"]
    # An untrusted peer's header is ignored; the proxy's header names the client.
    assert client_ip(factory.get("/", REMOTE_ADDR=A, HTTP_X_FORWARDED_FOR=B)) == A
    assert client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=B)) == B
    # What the client wrote itself (left of the address the proxy appended) does not count.
    assert client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {B}")) == B
    # Chained trusted proxies are skipped; no header or garbage falls back to the proxy itself.
    assert client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{B}, 10.0.0.2")) == B
    assert client_ip(factory.get("/", REMOTE_ADDR=PROXY)) == PROXY
    assert client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="nonsense")) == PROXY
    settings.KEYCHANNEL_CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=A, HTTP_X_REAL_IP=B)) == B


# ---- nobody locks out somebody else ------------------------------------------------------------------


@pytest.mark.django_db
def test_page_failures_from_one_address_do_not_lock_the_user_out_elsewhere(world, proxied):
    attacker, owner = _behind_proxy(A), _behind_proxy(B)
    _fail_page(attacker, "w-admin", proxied.AXES_FAILURE_LIMIT + 1)
    response = owner.post(reverse("login"), {"username": "w-admin", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("core:home")
    response = attacker.post(reverse("login"), {"username": "w-admin", "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in attacker.session


@pytest.mark.django_db
def test_token_failures_from_one_address_do_not_lock_the_user_out_elsewhere(world, proxied):
    attacker, owner = _behind_proxy(A), _behind_proxy(B)
    for _ in range(proxied.AXES_FAILURE_LIMIT + 1):
        _token(attacker, "w-admin", "wrong")
    assert _token(owner, "w-admin", PASSWORD).status_code == 201
    assert _token(attacker, "w-admin", PASSWORD).status_code == 429
    # The page shares the counter: the attacker's address is locked there too, the owner's is not.
    assert attacker.post(reverse("login"), {"username": "w-admin", "password": PASSWORD}).status_code == 429
    assert owner.post(reverse("login"), {"username": "w-admin", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_for_from_an_untrusted_peer_does_not_change_the_key(world, settings):
    settings.KEYCHANNEL_TRUSTED_PROXIES = []
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=A, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
            reverse("login"), {"username": "w-admin", "password": "wrong"}
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}
    fresh_header = Client(REMOTE_ADDR=A, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert fresh_header.post(reverse("login"), {"username": "w-admin", "password": PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_one_address_spraying_many_usernames_is_locked_as_a_whole(world, settings):
    settings.KEYCHANNEL_ADDRESS_FAILURE_LIMIT = 6
    sprayer = Client(REMOTE_ADDR=A)
    for role in ["admin", "program_manager", "executive", "channel_manager", "mentor", "embedded_kam"]:
        _token(sprayer, f"w-{role}", "wrong")  # one failure each: no username reaches its own limit
    assert _token(sprayer, "w-da-head", PASSWORD).status_code == 429
    assert Client(REMOTE_ADDR=B).post(reverse("login"), {"username": "w-da-head", "password": PASSWORD}).status_code == 302


# ---- ways out of a lockout ---------------------------------------------------------------------------


def _lock(username, address=A):
    client = Client(REMOTE_ADDR=address)
    _fail_page(client, username, 5)
    assert client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code == 429
    return client


@pytest.mark.django_db
def test_a_password_reset_by_mail_lifts_the_lock(world, settings):
    settings.AXES_FAILURE_LIMIT = 5
    client = _lock("w-da-sales")
    page = client.get(reverse("login"))
    assert reverse("password_reset").encode() in page.content
    response = client.post(reverse("password_reset"), {"email": world.user("dist_sales").email})
    assert response.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    set_password_url = client.get(link).url
    response = client.post(set_password_url, {"new_password1": "Harbour-lantern-93", "new_password2": "Harbour-lantern-93"})
    assert response.status_code == 302 and response.url == reverse("password_reset_complete")
    assert not AccessAttempt.objects.filter(username="w-da-sales").exists()
    response = client.post(reverse("login"), {"username": "w-da-sales", "password": "Harbour-lantern-93"})
    assert response.status_code == 302 and response.url == reverse("core:home")


@pytest.mark.django_db
def test_an_administrator_unlocks_on_the_security_events_page(world, login, settings):
    settings.AXES_FAILURE_LIMIT = 5
    locked = _lock("w-da-head")
    admin = login(world.user("admin"))
    page = admin.get(reverse("core:securityevent_list"))
    assert b"w-da-head" in page.content and reverse("core:login_lockout_clear").encode() in page.content
    response = admin.post(reverse("core:login_lockout_clear"), {"username": "w-da-head"})
    assert response.status_code == 302
    assert locked.post(reverse("login"), {"username": "w-da-head", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_an_administrator_unlocks_through_the_api(world, api_as, settings):
    settings.AXES_FAILURE_LIMIT = 5
    locked = _lock("w-da-head")
    url = f"/api/v1/users/{world.user('dist_head').pk}/unlock"
    assert api_as(world.user("program_manager")).post(url).status_code == 403
    assert api_as(world.user("admin")).post(url).status_code == 204
    assert _token(locked, "w-da-head", PASSWORD).status_code == 201
    assert api_as(world.user("admin")).post("/api/v1/users/999999/unlock").status_code == 404


# ---- password change ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_user_changes_their_password_from_the_profile(world, login):
    client = login(world.user("dist_sales"))
    assert reverse("password_change").encode() in client.get(reverse("core:profile")).content
    response = client.post(reverse("password_change"), {"old_password": "wrong", "new_password1": "Quiet-orchard-57",
                                                        "new_password2": "Quiet-orchard-57"})
    assert response.status_code == 200  # the form again, with the error; nothing changed
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Quiet-orchard-57",
                                                        "new_password2": "Quiet-orchard-57"})
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    assert client.get(reverse("core:home")).status_code == 200  # still logged in
    user = get_user_model().objects.get(pk=world.user("dist_sales").pk)
    assert user.check_password("Quiet-orchard-57") and not user.check_password(PASSWORD)


# ---- first start -------------------------------------------------------------------------------------


def _log_in_through_the_page(username, password):
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302 and response.url == reverse("core:home"), response.status_code
    assert client.get(reverse("core:home")).status_code == 200
    assert client.get("/admin/").status_code == 200
    return client


@pytest.mark.django_db
def test_the_documented_first_start_gives_a_working_administrator():
    """docs/operations.md "First start": migrate (the test database), createadmin, log in."""
    assert not Organization.objects.exists()
    call_command("createadmin", username="boss", email="boss@example.com", password_stdin=True,
                 organization="Carpatica SA", stdin=io.StringIO("Granite-window-71\n"), stdout=io.StringIO())
    membership = Membership.objects.select_related("organization").get(user__username="boss")
    assert membership.role == Role.ADMIN and membership.organization.kind == OrganizationKind.MANUFACTURER
    assert membership.organization.name == "Carpatica SA"
    _log_in_through_the_page("boss", "Granite-window-71")


@pytest.mark.django_db
def test_createadmin_joins_the_existing_manufacturer_and_refuses_bad_input(world, monkeypatch):
    monkeypatch.setenv("KEYCHANNEL_ADMIN_PASSWORD", "Granite-window-71")
    call_command("createadmin", username="second", email="", interactive=False, stdout=io.StringIO())
    assert Membership.objects.get(user__username="second").organization == world.manufacturer
    with pytest.raises(CommandError, match="already exists"):
        call_command("createadmin", username="second", interactive=False, stdout=io.StringIO())
    monkeypatch.setenv("KEYCHANNEL_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError):
        call_command("createadmin", username="third", email="", interactive=False, stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="third").exists()


@pytest.mark.django_db
def test_a_createsuperuser_account_becomes_the_administrator_at_its_first_login(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Granite-window-71")
    call_command("createsuperuser", username="root", email="root@example.com", interactive=False, stdout=io.StringIO())
    assert not Membership.objects.filter(user__username="root").exists()
    _log_in_through_the_page("root", "Granite-window-71")
    assert Membership.objects.get(user__username="root").role == Role.ADMIN


@pytest.mark.django_db
def test_a_createsuperuser_account_gets_its_role_on_the_token_endpoint_too(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Granite-window-71")
    call_command("createsuperuser", username="root", email="root@example.com", interactive=False, stdout=io.StringIO())
    assert _token(Client(), "root", "Granite-window-71").status_code == 201
