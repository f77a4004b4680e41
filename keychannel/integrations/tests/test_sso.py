"""Single sign-on end to end against a real OpenID Connect provider: django-oauth-toolkit in a second Django process
on 127.0.0.1 (tests/oidc_provider), with an RSA key generated here. The provider's browser side is a requests
session (its login form, then the authorization endpoint); keychannel's side is Django's test client."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model

from keychannel.core.models import Membership

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
CALLBACK = "http://testserver/oidc/callback/"
USERS = [
    {"username": "ana", "password": "pw-ana", "email": "ana@maker.example", "first_name": "Ana", "last_name": "Pop",
     "groups": ["staff", "kc-program"]},
    {"username": "dan", "password": "pw-dan", "email": "dan@alfa.example", "first_name": "Dan", "last_name": "Ion",
     "groups": ["kc-dist-da-head"]},
    {"username": "eve", "password": "pw-eve", "email": "eve@maker.example", "groups": ["marketing"]},
    {"username": "zed", "password": "pw-zed", "email": "zed@alfa.example", "groups": ["kc-dist-zz-head"]},
]
RULES = ("kc-admins=admin, kc-program=program_manager, kc-dist-{distributor}-head=dist_head, "
         "kc-dist-{distributor}-sales=dist_sales")


@pytest.fixture(scope="module")
def provider():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"users": USERS, "client_id": "keychannel", "client_secret": "s3cret-for-tests",
                                      "redirect_uri": CALLBACK,
                                      "post_logout_redirect_uri": "http://testserver/login/"}))
        env = {**os.environ, "OIDC_PROVIDER_DB": str(Path(tmp) / "op.sqlite3"), "OIDC_PROVIDER_KEY": key,
               "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings", "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider.serve", str(config)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            if not line.startswith("PORT "):
                proc.kill()
                raise RuntimeError(f"the OIDC provider did not start: {line}{proc.stderr.read()}")
            base = f"http://127.0.0.1:{int(line.split()[1])}"
            discovery = requests.get(f"{base}/o/.well-known/openid-configuration", timeout=10).json()
            yield {"base": base, **discovery}
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def sso(settings, provider):
    settings.KEYCHANNEL_SSO_ENABLED = True
    settings.KEYCHANNEL_OIDC_PROVIDER_NAME = "Maker ID"
    settings.OIDC_RP_CLIENT_ID = "keychannel"
    settings.OIDC_RP_CLIENT_SECRET = "s3cret-for-tests"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = provider["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = provider["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = provider["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = provider["jwks_uri"]
    settings.KEYCHANNEL_OIDC_END_SESSION_ENDPOINT = provider["end_session_endpoint"]
    settings.KEYCHANNEL_OIDC_ROLE_RULES = RULES
    return provider


def sign_in(client, provider, username):
    """The whole code flow: keychannel → the provider's login and authorization → keychannel's callback."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302 and start["Location"].startswith(provider["authorization_endpoint"])
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["redirect_uri"] == [CALLBACK] and query["code_challenge_method"] == ["S256"]
    browser = requests.Session()
    password = next(u["password"] for u in USERS if u["username"] == username)
    authorize = urlsplit(start["Location"])
    logged = browser.post(f"{provider['base']}/login/", allow_redirects=False, timeout=10, data={
        "username": username, "password": password, "next": f"{authorize.path}?{authorize.query}"})
    assert logged.status_code == 302
    back = browser.get(provider["base"] + logged.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(CALLBACK), back.text[:300]
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}"), browser


def test_the_login_page_offers_the_company_sign_in(world, client, sso):
    page = client.get("/login/").content.decode()
    assert 'id="sso-login"' in page and "Maker ID" in page


def test_a_mapped_manufacturer_user_is_created_and_lands_with_the_mapped_role(world, client, sso):
    answer, _browser = sign_in(client, sso, "ana")
    assert answer.status_code == 302 and answer["Location"] == "/"
    user = get_user_model().objects.get(email="ana@maker.example")
    assert (user.membership.role, user.membership.organization) == ("program_manager", world.manufacturer)
    assert not user.has_usable_password() and user.first_name == "Ana"
    home = client.get("/")
    assert home.status_code == 200 and home.context["principal"].role == "program_manager"


def test_a_distributor_head_is_placed_in_the_distributor_named_by_the_group(world, client, sso):
    answer, _browser = sign_in(client, sso, "dan")
    assert answer.status_code == 302
    membership = Membership.objects.get(user__email="dan@alfa.example")
    assert (membership.role, membership.organization) == ("dist_head", world.own.organization)
    assert client.get("/").context["principal"].own_distributor_id == world.own.pk


def test_an_existing_user_is_matched_by_email_and_follows_the_claims(world, client, sso):
    head = world.users["dist_head"]
    head.email = "ana@maker.example"
    head.save()
    users_before = get_user_model().objects.count()
    answer, _browser = sign_in(client, sso, "ana")
    assert answer.status_code == 302 and get_user_model().objects.count() == users_before
    head.membership.refresh_from_db()
    assert (head.membership.role, head.membership.organization) == ("program_manager", world.manufacturer)


@pytest.mark.parametrize("username", ["eve", "zed"])
def test_a_user_without_a_mapped_role_is_refused_and_nothing_is_created(world, client, sso, username):
    """eve's groups match no rule; zed's names a distributor that does not exist."""
    users, memberships = get_user_model().objects.count(), Membership.objects.count()
    answer, _browser = sign_in(client, sso, username)
    assert answer.status_code == 302 and answer["Location"] == "/login/"
    page = client.get("/login/").content.decode()
    assert "has no role in keychannel" in page
    assert get_user_model().objects.count() == users and Membership.objects.count() == memberships
    assert client.get("/").status_code == 302, "not logged in"


def test_logout_ends_the_session_here_and_at_the_provider(world, client, sso):
    _answer, browser = sign_in(client, sso, "ana")
    out = client.post("/logout/")
    assert out.status_code == 302 and out["Location"].startswith(sso["end_session_endpoint"])
    assert "id_token_hint" in parse_qs(urlsplit(out["Location"]).query)
    assert client.get("/").status_code == 302, "our session is over"
    at_provider = browser.get(out["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302 and at_provider.headers["Location"] == "http://testserver/login/"
    again = browser.get(f"{sso['base']}/o/authorize/?client_id=keychannel&response_type=code&scope=openid",
                        allow_redirects=False, timeout=10)
    assert again.status_code == 302 and "/login/" in again.headers["Location"], "the provider session is over too"


def test_password_login_is_refused_when_the_organisation_turned_it_off(world, client, api_as):
    from django.test import Client

    organization = world.own.organization
    organization.password_login = False
    organization.save()
    head = world.users["dist_head"]
    head.set_password("a-good-password-42")
    head.save()
    page = client.post("/login/", {"username": head.username, "password": "a-good-password-42"})
    assert page.status_code == 200 and "single sign-on only" in page.content.decode()
    assert client.get("/").status_code == 302
    token = Client().post("/api/v1/auth/token", data=json.dumps(
        {"username": head.username, "password": "a-good-password-42"}), content_type="application/json")
    assert token.status_code == 403 and "single sign-on" in token.json()["detail"]
    # The manufacturer's people still log in with their passwords.
    admin = world.users["admin"]
    admin.set_password("a-good-password-42")
    admin.save()
    assert client.post("/login/", {"username": admin.username, "password": "a-good-password-42"}).status_code == 302


def test_sso_routes_are_closed_while_it_is_not_configured(world, client):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    assert 'id="sso-login"' not in client.get("/login/").content.decode()
