"""Single sign-on with OpenID Connect (mozilla-django-oidc): claim → role mapping, just-in-time users, logout.

The company's identity provider says who someone is and, through a claim (``groups`` by default), what they are
here: ``KEYCHANNEL_OIDC_ROLE_RULES`` maps claim values to a role and, for distributor roles, a distributor (by its
code). The first rule that matches decides; no match, no entry — and nothing is created. docs/sso.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    OIDCLogoutView,
)

from keychannel.core.choices import DISTRIBUTOR_ROLES, MANUFACTURER_ROLES, OrganizationKind, Role
from keychannel.core.models import Organization


def enabled() -> bool:
    return bool(getattr(settings, "KEYCHANNEL_SSO_ENABLED", False))


@dataclass(frozen=True)
class Rule:
    pattern: str  # a claim value, with * wildcards and at most one {distributor}
    role: str

    def match(self, value: str) -> tuple[bool, str | None]:
        """(matched, distributor code or None)."""
        parts = [re.escape(p).replace(r"\*", ".*") for p in self.pattern.split("{distributor}")]
        regex = "(?P<distributor>[^/]+?)".join(parts)
        found = re.fullmatch(regex, value)
        if not found:
            return False, None
        return True, found.groupdict().get("distributor")


def parse_rules(text: str) -> list[Rule]:
    """``pattern=role`` pairs separated by commas or new lines, e.g.
    ``kc-admins=admin, kc-program=program_manager, kc-dist-{distributor}-head=dist_head``."""
    rules = []
    for item in re.split(r"[,\n;]", text or ""):
        item = item.strip()
        if not item:
            continue
        pattern, sep, role = item.rpartition("=")
        pattern, role = pattern.strip(), role.strip()
        if not sep or not pattern or role not in Role.values:
            raise ImproperlyConfigured(f"KEYCHANNEL_OIDC_ROLE_RULES: {item!r} is not pattern=role with a known role")
        if (role in DISTRIBUTOR_ROLES) != ("{distributor}" in pattern):
            raise ImproperlyConfigured(
                f"KEYCHANNEL_OIDC_ROLE_RULES: {item!r}: distributor roles, and only they, need {{distributor}}")
        rules.append(Rule(pattern, role))
    return rules


@dataclass(frozen=True)
class Placement:
    role: str
    organization: Organization


def claim_values(claims: dict) -> list[str]:
    value = claims.get(getattr(settings, "KEYCHANNEL_OIDC_ROLE_CLAIM", "groups"))
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if isinstance(v, str | int)]


def placement_for(claims: dict) -> Placement | None:
    """The role and organisation the rules give these claims, or None."""
    from keychannel.network.models import Distributor

    values = claim_values(claims)
    for rule in parse_rules(getattr(settings, "KEYCHANNEL_OIDC_ROLE_RULES", "")):
        for value in values:
            matched, code = rule.match(value)
            if not matched:
                continue
            if rule.role in MANUFACTURER_ROLES:
                organization = Organization.objects.filter(kind=OrganizationKind.MANUFACTURER).first()
            else:
                distributor = Distributor.objects.select_related("organization").filter(code__iexact=code).first()
                organization = distributor.organization if distributor else None
            if organization is not None:
                return Placement(rule.role, organization)
    return None


def _username(claims: dict) -> str:
    base = claims.get("preferred_username") or (claims.get("email") or "").split("@")[0] or "user"
    base = unicodedata.normalize("NFKD", str(base)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^\w.@+-]", "", base)[:140] or "user"
    User = get_user_model()
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


class KeychannelOIDCBackend(BaseBackend):
    """The authentication backend named in settings: answers nothing while single sign-on is not configured, and
    hands the sign-in to ``oidc_backend.OIDCBackend`` when it is. That module (mozilla-django-oidc's backend) pulls
    in PyJWT, cryptography and requests, about 15 MB a worker: it is imported on the first single sign-on only,
    not by every password sign-in that goes through the list of backends."""

    def authenticate(self, request, **kwargs):
        if not enabled():
            return None
        from .oidc_backend import OIDCBackend

        return OIDCBackend().authenticate(request, **kwargs)

    def get_user(self, user_id):
        """The session's user (mozilla-django-oidc's ``get_user``: by primary key)."""
        user_model = get_user_model()
        try:
            return user_model.objects.get(pk=user_id)
        except user_model.DoesNotExist:
            return None


class AuthenticateView(OIDCAuthenticationRequestView):
    """Off to the provider (state, nonce and PKCE kept in the session); 404 while single sign-on is not configured."""

    def get(self, request):
        if not enabled():
            raise Http404
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: a refusal is said on the login page, in words."""

    def get(self, request):
        if not enabled():
            raise Http404
        return super().get(request)

    def login_failure(self):
        reason = getattr(self.request, "sso_refusal", "") or _(
            "Single sign-on did not succeed. Try again, or ask your administrator.")
        messages.error(self.request, reason)
        return HttpResponseRedirect(reverse("login"))


def provider_logout_url(request) -> str:
    """RP-initiated logout: when the provider has an end-session endpoint and the user signed in through it, log out
    there too and come back to our login page; otherwise just our login page."""
    login_url = request.build_absolute_uri(reverse("login"))
    endpoint = getattr(settings, "KEYCHANNEL_OIDC_END_SESSION_ENDPOINT", "")
    id_token = request.session.get("oidc_id_token")
    if not endpoint or not id_token:
        return reverse("login")
    query = {"id_token_hint": id_token, "post_logout_redirect_uri": login_url,
             "client_id": getattr(settings, "OIDC_RP_CLIENT_ID", "")}
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


class LogoutView(OIDCLogoutView):
    """The one logout (POST): ends our session, then the provider's when the user came through single sign-on."""

    @property
    def redirect_url(self):
        return reverse("login")


