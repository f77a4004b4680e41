"""The one NinjaAPI at /api/v1/: auth set once here, one router per app, one error format."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from keychannel.core.api_auth import BearerTokenAuth, SessionPrincipalAuth
from keychannel.core.errors import ConflictError

api = NinjaAPI(
    title="keychannel API",
    version="1",
    description="Key-account channel management: distributors, clients, deals, registrations, program.",
    auth=[BearerTokenAuth(), SessionPrincipalAuth()],
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": _("You are not allowed to do this.")}, status=403)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    return api.create_response(request, {"detail": _("Authentication required.")}, status=401)


@api.exception_handler(ConflictError)
def conflict(request, exc):
    return api.create_response(request, {"detail": str(exc.message)}, status=409)


@api.exception_handler(DjangoValidationError)
def invalid(request, exc):
    if hasattr(exc, "error_dict"):
        detail = [
            {"loc": ["body", field], "msg": " ".join(str(m) for m in errors[0].messages), "type": "value_error"}
            for field, errors in exc.error_dict.items()
        ]
    else:
        detail = [{"loc": ["body"], "msg": " ".join(exc.messages), "type": "value_error"}]
    return api.create_response(request, {"detail": detail}, status=422)


def _add_routers():
    from keychannel.core.api import router as core_router

    api.add_router("/", core_router)
    import importlib

    for app in ("network", "clients", "deals", "channel", "program", "competence", "sales"):
        try:
            module = importlib.import_module(f"keychannel.{app}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"keychannel.{app}.api":
                raise
            continue
        api.add_router("/", module.router)


_add_routers()
