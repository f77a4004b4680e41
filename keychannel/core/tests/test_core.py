"""Core behaviour: principal reach, tokens stored hashed, lockout, admin gate, audit trail, production profile."""

import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from keychannel.core import services
from keychannel.core.choices import SecurityEventKind
from keychannel.core.models import ApiToken, Membership, SecurityEvent, hash_token
from keychannel.core.scoping import Principal
from keychannel.network.models import Distributor

pytestmark = pytest.mark.django_db


def test_reach_per_role(world):
    assert world.principal("admin").distributor_ids is None
    assert world.principal("executive").distributor_ids is None
    assert world.principal("channel_manager").distributor_ids == {world.own.pk}
    assert world.principal("dist_head").distributor_ids == {world.own.pk}
    assert world.principal("dist_head").own_distributor_id == world.own.pk
    assert Principal.for_user(world.other_users["dist_sales"]).distributor_ids == {world.other.pk}


def test_distributor_visible_to(world):
    assert set(Distributor.objects.visible_to(world.principal("dist_sales"))) == {world.own}
    assert set(Distributor.objects.visible_to(world.principal("mentor"))) == {world.own, world.other}
    assert not Distributor.objects.visible_to(Principal(user=None)).exists()


def test_token_is_stored_hashed_and_authenticates(world):
    token, raw = services.api_token_create(principal=world.principal("dist_head"), name="erp")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.key_hash, stored.hint) and stored.key_hash == hash_token(raw)
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    me = client.get("/api/v1/me").json()
    assert me["username"] == "w-da-head" and me["distributor_id"] == world.own.pk
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_token_issue_with_password(world):
    client = Client()
    response = client.post(
        "/api/v1/auth/token", {"username": "w-da-sales", "password": "test-password"}, content_type="application/json"
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").json()["role"] == "dist_sales"


def test_profile_page_creates_and_revokes_tokens(world, login):
    client = login(world.user("dist_sales"))
    response = client.post(reverse("core:profile"), {"name": "laptop"})
    assert response.status_code == 200 and b"new-token" in response.content
    token = ApiToken.objects.get(user=world.user("dist_sales"))
    assert client.post(reverse("core:api_token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_login_lockout_by_username_and_ip(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(3):
        client.post(reverse("login"), {"username": "w-da-head", "password": "nope"})
    locked = client.post(reverse("login"), {"username": "w-da-head", "password": "test-password"})
    assert locked.status_code == 429
    # Same user from another address, and another user from the same address, are not locked.
    assert Client(REMOTE_ADDR="10.9.9.8").post(
        reverse("login"), {"username": "w-da-head", "password": "test-password"}
    ).status_code == 302
    assert Client(REMOTE_ADDR="10.9.9.9").post(
        reverse("login"), {"username": "w-da-sales", "password": "test-password"}
    ).status_code == 302
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_LOCKOUT, username="w-da-head").exists()


def test_admin_is_for_manufacturer_admins_only(world, login):
    assert login(world.user("admin")).get("/admin/").status_code == 200
    head = world.user("dist_head")
    head.is_staff = True  # even a mis-set staff flag does not open the admin to a distributor
    head.save()
    assert login(head).get("/admin/").status_code == 302
    # Issue 16: an administrator invited in the product (not a superuser) works without the Django admin.
    admin = world.user("admin")
    admin.is_superuser = False
    admin.save()
    assert login(admin).get("/admin/").status_code == 302
    assert b'href="/admin/' not in login(admin).get("/").content


def test_every_write_is_audited_including_bulk_update(world, login):
    client = login(world.user("program_manager"))
    client.patch(
        f"/api/v1/distributors/{world.own.pk}", {"stance": "resistant"}, content_type="application/json"
    )
    record = world.own.history.first()
    assert record.stance == "resistant" and record.history_user == world.user("program_manager")
    before = world.other.history.count()
    Distributor.objects.filter(pk=world.other.pk).update(stance="active")
    assert world.other.history.count() == before + 1
    page = client.get(reverse("core:history", args=["network", "distributor", world.own.pk]))
    assert b"Stance" in page.content and b"Resistant" in page.content


def test_membership_role_must_match_organisation_side(world):
    from django.core.exceptions import ValidationError

    membership = Membership(user=world.user("admin"), organization=world.own.organization, role="admin")
    with pytest.raises(ValidationError):
        membership.clean()


def _run_check(env_extra):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | env_extra
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True, text=True, env=env, cwd=os.path.dirname(os.path.dirname(__import__("keychannel").__file__)),
    )


def test_production_profile_passes_check_deploy(tmp_path):
    result = _run_check({
        "KEYCHANNEL_ENV": "production",
        "KEYCHANNEL_SECRET_KEY": "k3y-Ch4nn3l-t3st-" + "aZ9#qW2$eR5%tY8^uI1&oP4*" * 2,
        "KEYCHANNEL_ALLOWED_HOSTS": "keychannel.example.com",
        "KEYCHANNEL_DATA_DIR": str(tmp_path),
    })
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret(tmp_path):
    result = _run_check({"KEYCHANNEL_ENV": "production", "KEYCHANNEL_SECRET_KEY": "", "KEYCHANNEL_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0 and "KEYCHANNEL_SECRET_KEY" in result.stderr
