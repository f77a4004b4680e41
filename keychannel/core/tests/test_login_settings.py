"""Issue 16: the per-organisation "local passwords" flag is kept on a page and in the API by the administrator."""

import pytest
from django.urls import reverse

from keychannel.core.models import Organization

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_local_passwords_are_turned_off_only_with_single_sign_on_and_never_for_ones_own_organisation(
        world, api_as, settings):
    admin = api_as(world.users["admin"])
    organization = world.own.organization
    url = f"/api/v1/organizations/{organization.pk}/login-settings"
    settings.KEYCHANNEL_SSO_ENABLED = False
    assert admin.patch(url, {"password_login": False}, content_type=JSON).status_code == 422
    assert Organization.objects.get(pk=organization.pk).password_login is True
    settings.KEYCHANNEL_SSO_ENABLED = True
    assert admin.patch(url, {"password_login": False}, content_type=JSON).json()["password_login"] is False
    assert Organization.objects.get(pk=organization.pk).history.first().password_login is False
    own = world.users["admin"].membership.organization
    assert admin.patch(f"/api/v1/organizations/{own.pk}/login-settings", {"password_login": False},
                       content_type=JSON).status_code == 422
    assert api_as(world.users["dist_head"]).patch(url, {"password_login": True}, content_type=JSON).status_code == 403


def test_the_page_turns_local_passwords_back_on(world, login, settings):
    organization = world.own.organization
    organization.password_login = False
    organization.save()
    client = login(world.users["admin"])
    page = client.get(reverse("core:organization_login_settings"))
    assert f'id="organization-{organization.pk}"'.encode() in page.content
    assert client.post(reverse("core:organization_login_settings"),
                       {"organization": organization.pk, "password_login": "on"}).status_code == 302
    assert Organization.objects.get(pk=organization.pk).password_login is True


def test_the_organisations_are_paged_like_every_list(world, api_as):
    """Issue 22 (wave 14 sweep): the list answered every organisation at once (2,000: 199 KB, 200 ms); it is paged
    (limit, offset or cursor) like the other lists, and a walk by cursor reads each organisation once."""
    admin = api_as(world.users["admin"])
    first = admin.get("/api/v1/organizations", {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["count"] == Organization.objects.count() and first["next_cursor"]
    seen, cursor = [], None
    while True:
        page = admin.get("/api/v1/organizations", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [row["id"] for row in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == list(Organization.objects.order_by("kind", "name", "pk").values_list("pk", flat=True))
    assert set(page["items"][0]) == {"id", "name", "kind", "password_login"}
