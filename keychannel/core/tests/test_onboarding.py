"""Issue 16, part 1: onboarding by invitation, deactivation, and the links in e-mails."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from keychannel.core import onboarding
from keychannel.core.choices import Role, SecurityEventKind
from keychannel.core.models import ApiToken, Invitation, Membership, SecurityEvent

pytestmark = pytest.mark.django_db
SITE = "https://keychannel.example.com"
INVITE = "/api/v1/users/invitations"
LINK = re.compile(r"(https?://\S+)(/invitation/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.KEYCHANNEL_SITE_URL = SITE


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    """The mail leaves when the invitation's transaction commits: run those callbacks as the test's requests end."""
    global _COMMIT
    _COMMIT = django_capture_on_commit_callbacks
    yield
    _COMMIT = None


_COMMIT = None


def _post(client, path, *args, **kwargs):
    with _COMMIT(execute=True):
        return client.post(path, *args, **kwargs)


def _link(message) -> str:
    """The path of the invitation link in a mail, after checking the link is absolute and on the site's address."""
    found = LINK.search(message.body)
    assert found, message.body
    assert found.group(1) == SITE
    return found.group(2)


def _accept(path, password="A-long-new-secret-42", client=None):
    """Follow the link like a browser: the token moves into the session, then the password form is posted."""
    client = client or Client()
    response = client.get(path)
    assert response.status_code == 302, response.status_code
    form_url = response["Location"]
    response = client.post(form_url, {"new_password1": password, "new_password2": password})
    return client, response


def _invite(api, organization, role, email, **extra):
    body = {"organization_id": organization.pk, "role": role, "email": email, "first_name": "Ana", "last_name": "Pop",
            **extra}
    return _post(api, INVITE, body, content_type="application/json")


def test_the_admin_invites_a_head_who_sets_a_password_once(world, api_as):
    response = _invite(api_as(world.users["admin"]), world.other.organization, "dist_head", "Ana.Pop@Beta.example")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "invited" and data["role"] == "dist_head" and data["email"] == "ana.pop@beta.example"
    user = get_user_model().objects.get(pk=data["id"])
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).organization == world.other.organization
    invitation = Invitation.objects.get(user=user)
    assert invitation.invited_by == world.users["admin"] and invitation.accepted_at is None
    assert invitation.history.count() == 1
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.USER_INVITED, user=world.users["admin"]).exists()

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana.pop@beta.example"]
    path = _link(mail.outbox[0])
    client, response = _accept(path)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    user.refresh_from_db()
    assert user.check_password("A-long-new-secret-42")
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert Client().post(reverse("login"), {"username": "ana.pop@beta.example",
                                            "password": "A-long-new-secret-42"}).status_code == 302

    # Once: the same link no longer opens the form.
    response = Client().get(path, follow=True)
    assert b"invitation-invalid" in response.content


def test_an_expired_or_replaced_link_does_not_work(world, api_as, settings):
    admin = api_as(world.users["admin"])
    user_id = _invite(admin, world.own.organization, "dist_sales", "late@alfa.example").json()["id"]
    user = get_user_model().objects.get(pk=user_id)

    class EightDaysAgo(onboarding.InvitationTokenGenerator):
        def _now(self):
            import datetime

            return super()._now() - datetime.timedelta(days=settings.KEYCHANNEL_INVITATION_DAYS + 1)

    old = EightDaysAgo().make_token(user)
    assert not onboarding.invitation_tokens.check_token(user, old)
    assert onboarding.invitation_tokens.check_token(user, onboarding.invitation_tokens.make_token(user))
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    response = Client().get(reverse("core:invitation_accept", kwargs={"uidb64": uid, "token": old}), follow=True)
    assert b"invitation-invalid" in response.content

    first = _link(mail.outbox[0])
    response = _post(admin, f"/api/v1/users/{user_id}/invitation")
    assert response.status_code == 200 and Invitation.objects.get(user=user).times_sent == 2
    assert len(mail.outbox) == 2
    assert b"invitation-invalid" in Client().get(first, follow=True).content  # the resend killed the first link
    _client, response = _accept(_link(mail.outbox[1]))
    assert response.status_code == 302
    # Once the password is set there is nothing to send again.
    assert admin.post(f"/api/v1/users/{user_id}/invitation").status_code == 422


def test_a_head_invites_only_salespeople_of_its_own_company(world, api_as, login):
    head = api_as(world.users["dist_head"])
    response = _invite(head, world.own.organization, "dist_sales", "new.sales@alfa.example")
    assert response.status_code == 201
    assert Membership.objects.get(user__email="new.sales@alfa.example").role == Role.DIST_SALES

    before = SecurityEvent.objects.filter(kind=SecurityEventKind.FORBIDDEN_WRITE).count()
    for organization, role in [(world.other.organization, "dist_sales"), (world.own.organization, "dist_head"),
                               (world.manufacturer, "embedded_kam")]:
        response = _invite(head, organization, role, f"x-{role}-{organization.pk}@example.com")
        assert response.status_code == 403, (organization, role)
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.FORBIDDEN_WRITE,
                                        action="assign:core.membership.organization").count() == before + 3
    assert not get_user_model().objects.filter(email__startswith="x-").exists()

    # The page: a forged company reaches the same rule (422 on the form, recorded), a salesperson cannot invite.
    page = login(world.users["dist_head"])
    response = page.post(reverse("core:user_invite"), {
        "organization": world.other.organization.pk, "role": "dist_sales", "first_name": "F", "last_name": "G",
        "email": "forged@example.com"})
    assert response.status_code == 422
    assert SecurityEvent.objects.filter(action="assign:core.membership.organization").count() == before + 4
    response = _post(page, reverse("core:user_invite"), {
        "organization": world.own.organization.pk, "role": "dist_sales", "first_name": "Ion", "last_name": "Rus",
        "email": "ion.rus@alfa.example"})
    assert response.status_code == 302
    assert _invite(api_as(world.users["dist_sales"]), world.own.organization, "dist_sales",
                   "y@alfa.example").status_code == 403
    assert _invite(api_as(world.users["channel_manager"]), world.own.organization, "dist_sales",
                   "z@alfa.example").status_code == 403


def test_bad_invitations_answer_clearly_and_change_nothing(world, api_as):
    admin = api_as(world.users["admin"])
    users = get_user_model().objects.count()
    cases = [
        (world.manufacturer, "dist_sales", "a@example.com", "role"),
        (world.own.organization, "mentor", "b@example.com", "role"),
        (world.own.organization, "dist_sales", "not-an-address", "email"),
        (world.own.organization, "dist_sales", world.users["dist_head"].email.upper(), "email"),
        (world.own.organization, "nobody", "c@example.com", "role"),
    ]
    for organization, role, email, field in cases:
        response = _invite(admin, organization, role, email)
        assert response.status_code == 422, (role, email, response.content)
        assert response.json()["detail"][0]["loc"][-1] == field
    assert _invite(admin, world.own.organization, "dist_sales", "d@example.com", first_name="",
                   last_name="").status_code == 422
    assert get_user_model().objects.count() == users and not mail.outbox


def test_the_manufacturer_invites_its_staff_with_their_roles(world, api_as):
    response = _invite(api_as(world.users["admin"]), world.manufacturer, "program_manager", "pm2@maker.example",
                       title="Program office")
    assert response.status_code == 201 and response.json()["role"] == "program_manager"
    assert _invite(api_as(world.users["program_manager"]), world.manufacturer, "mentor",
                   "m2@maker.example").status_code == 403


def test_deactivation_ends_sessions_and_tokens_and_keeps_what_the_user_owns(world, api_as, login):
    from keychannel.clients.tests.factories import ClientFactory

    sales = world.users["dist_sales"]
    owned = ClientFactory(distributor=world.own, created_by=sales)
    token_client = api_as(sales)
    browser = Client()
    browser.force_login(sales)
    assert browser.get(reverse("core:home")).status_code == 200
    assert token_client.get("/api/v1/me").status_code == 200

    head = api_as(world.users["dist_head"])
    response = head.post(f"/api/v1/users/{sales.pk}/deactivate")
    assert response.status_code == 200 and response.json()["status"] == "deactivated"
    assert token_client.get("/api/v1/me").status_code == 401
    assert browser.get(reverse("core:home")).status_code == 302
    assert not ApiToken.objects.active().filter(user=sales).exists()
    owned.refresh_from_db()
    assert owned.created_by_id == sales.pk  # history and ownership stay
    assert Membership.objects.filter(user=sales).exists()
    event = SecurityEvent.objects.get(kind=SecurityEventKind.USER_DEACTIVATED)
    assert event.user == world.users["dist_head"] and "1 session(s)" in event.detail
    assert Client().post(reverse("login"), {"username": sales.username, "password": "test-password"}).status_code == 200

    response = head.post(f"/api/v1/users/{sales.pk}/reactivate")
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.USER_REACTIVATED).exists()


def test_who_may_deactivate_whom(world, api_as, login):
    head = api_as(world.users["dist_head"])
    assert head.post(f"/api/v1/users/{world.other_users['dist_sales'].pk}/deactivate").status_code == 404
    assert head.post(f"/api/v1/users/{world.users['admin'].pk}/deactivate").status_code == 404
    assert head.post(f"/api/v1/users/{world.users['dist_head'].pk}/deactivate").status_code == 403
    admin = api_as(world.users["admin"])
    assert admin.post(f"/api/v1/users/{world.users['admin'].pk}/deactivate").status_code == 403
    assert admin.post(f"/api/v1/users/{world.other_users['dist_head'].pk}/deactivate").status_code == 200
    assert api_as(world.users["program_manager"]).post(
        f"/api/v1/users/{world.users['dist_sales'].pk}/deactivate").status_code == 403
    # The page does the same through the same service.
    page = login(world.users["admin"])
    response = page.post(reverse("core:user_deactivate", args=[world.users["mentor"].pk]))
    assert response.status_code == 302
    world.users["mentor"].refresh_from_db()
    assert not world.users["mentor"].is_active


def test_a_deactivated_invitee_cannot_use_the_link(world, api_as):
    admin = api_as(world.users["admin"])
    user_id = _invite(admin, world.own.organization, "dist_sales", "gone@alfa.example").json()["id"]
    path = _link(mail.outbox[0])
    assert admin.post(f"/api/v1/users/{user_id}/deactivate").status_code == 200
    assert b"invitation-invalid" in Client().get(path, follow=True).content


def test_the_people_list_shows_each_side_its_own(world, api_as, login):
    rows = api_as(world.users["admin"]).get("/api/v1/users?limit=100").json()["items"]
    assert {r["username"] for r in rows} >= {"w-admin", "w-da-head", "w-db-sales"}
    rows = api_as(world.users["dist_head"]).get("/api/v1/users?limit=100").json()["items"]
    assert {r["username"] for r in rows} == {"w-da-head", "w-da-sales"}
    assert api_as(world.users["dist_sales"]).get("/api/v1/users").status_code == 403
    page = login(world.users["dist_head"]).get(reverse("core:user_list"))
    assert page.status_code == 200 and b"w-da-sales" in page.content and b"w-db-sales" not in page.content


def test_a_password_reset_link_is_built_on_the_site_address(world):
    user = world.users["dist_sales"]
    user.email = "sales@alfa.example"
    user.save()
    response = _post(Client(), reverse("password_reset"), {"email": "sales@alfa.example"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    assert re.search(rf"{re.escape(SITE)}/password/reset/\S+/", mail.outbox[0].body), mail.outbox[0].body


def test_without_a_site_address_links_follow_the_request(world, api_as, settings):
    settings.KEYCHANNEL_SITE_URL = ""
    assert _invite(api_as(world.users["admin"]), world.own.organization, "dist_sales",
                   "req@alfa.example").status_code == 201
    assert "http://testserver/invitation/" in mail.outbox[0].body


def test_notifications_are_marked_read_through_the_api_as_on_the_page(world, api_as):
    from keychannel.core.models import Notification
    from keychannel.core.services import notification_send

    head, sales = world.users["dist_head"], world.users["dist_sales"]
    first = notification_send(recipient=head, event="program.changed", title=lambda: "One")
    notification_send(recipient=head, event="program.changed", title=lambda: "Two")
    theirs = notification_send(recipient=sales, event="program.changed", title=lambda: "Not yours")
    api = api_as(head)
    response = api.post("/api/v1/notifications/read", {"ids": [first.pk, theirs.pk]}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"marked": 1}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert api.post("/api/v1/notifications/read", {}, content_type="application/json").json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=head, read_at__isnull=True).exists()
