"""API authentication: personal bearer tokens or the browser session (with CSRF)."""

from ninja.security import HttpBearer, SessionAuth

from .preferences import activate_for
from .scoping import Principal
from .services import api_token_check


def _bind(request, user):
    request.user = user
    request.principal = Principal.for_user(user)
    activate_for(request, user)  # the API's messages in the caller's language, its times in their zone
    if not request.principal.is_authenticated:
        return None  # a user without a membership has no place in the network
    return user


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user, why = api_token_check(token)
        if user is None:
            request.auth_failure = why  # the 401 says why a real token stopped working (expired, revoked)
            return None
        return _bind(request, user)


class SessionPrincipalAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return _bind(request, user) if user is not None else None
