"""API authentication: personal bearer tokens or the browser session (with CSRF)."""

from ninja.security import HttpBearer, SessionAuth

from .scoping import Principal
from .services import api_token_authenticate


def _bind(request, user):
    request.user = user
    request.principal = Principal.for_user(user)
    if not request.principal.is_authenticated:
        return None  # a user without a membership has no place in the network
    return user


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        return _bind(request, user) if user is not None else None


class SessionPrincipalAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return _bind(request, user) if user is not None else None
