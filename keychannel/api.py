"""The one NinjaAPI at /api/v1/: auth set once here, one router per app, one error format."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, Throttled
from ninja.errors import ValidationError as InputError

from keychannel.core.api_auth import BearerTokenAuth, SessionPrincipalAuth
from keychannel.core.api_messages import translate
from keychannel.core.bulk import BulkRefused
from keychannel.core.errors import ConflictError
from keychannel.core.middleware import record_refusal
from keychannel.core.ratelimit import ApiThrottle, hit_anonymous

# Every operation can answer these through the handlers below; ninja documents only what an operation declares.
STANDARD_ERRORS = {
    "400": ("Malformed request body", "ErrorOut"),
    "401": ("Authentication required", "ErrorOut"),
    "403": ("Not allowed for your role", "ErrorOut"),
    "404": ("Not found (or not visible to the caller)", "ErrorOut"),
    "422": ("Invalid input, with field errors", "ValidationErrorOut"),
    "429": ("Too many requests (rate limit, see docs/api.md): retry after the Retry-After header's seconds",
            "ErrorOut"),
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before the next request", "schema": {"type": "integer"}}}
ERROR_SCHEMAS = {
    "ErrorOut": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    "FieldErrorItem": {
        "type": "object",
        "required": ["loc", "msg"],
        "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
    },
    "ValidationErrorOut": {
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/FieldErrorItem"}}},
    },
}


class KeychannelAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """The schema with the error answers every operation really gives (401/403/404/422/400) documented."""
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in ERROR_SCHEMAS.items():
            components.setdefault(name, definition)
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = {str(code): value for code, value in operation.get("responses", {}).items()}
                wanted = {"429"}  # every operation is rate limited (ApiThrottle below)
                if operation.get("security"):
                    wanted |= {"401", "403", "404"}
                if operation.get("parameters") or operation.get("requestBody"):
                    wanted.add("422")
                if operation.get("requestBody"):
                    wanted.add("400")
                for code in sorted(wanted - set(responses)):
                    description, ref = STANDARD_ERRORS[code]
                    responses[code] = {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
                    }
                responses["429"].setdefault("headers", RETRY_AFTER)
                operation["responses"] = responses
        return schema


api = KeychannelAPI(
    title="keychannel API",
    version="1",
    description="Key-account channel management: distributors, clients, deals, registrations, program.",
    auth=[BearerTokenAuth(), SessionPrincipalAuth()],
    throttle=[ApiThrottle()],
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    record_refusal(request, exc)
    return api.create_response(request, {"detail": _("You are not allowed to do this.")}, status=403)


@api.exception_handler(Throttled)
def throttled(request, exc):
    # ninja adds the Retry-After header to this answer when its throttle refused; a limit counted in the operation
    # itself (a bulk write's items) raises Throttled with the wait.
    response = api.create_response(request, {"detail": _("Too many requests: wait a moment and try again.")}, status=429)
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait))
    return response


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    # Unauthenticated calls count towards the client address's limit, so guessing tokens is throttled too.
    wait = hit_anonymous(request)
    if wait is not None:
        response = throttled(request, exc)
        response["Retry-After"] = str(wait)
        return response
    detail = getattr(request, "auth_failure", "") or _("Authentication required.")
    return api.create_response(request, {"detail": detail}, status=401)


@api.exception_handler(ConflictError)
def conflict(request, exc):
    return api.create_response(request, {"detail": str(exc.message)}, status=409)


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def out_of_range(request, exc):
    # A number too large for the database (SQLite raises OverflowError, PostgreSQL DataError) is bad input.
    return api.create_response(
        request, {"detail": [{"loc": ["request"], "msg": _("A number is out of range."), "type": "value_error"}]}, status=422
    )


@api.exception_handler(BulkRefused)
def bulk_refused(request, exc):
    """A bulk write with refused items: nothing was written; each error names its item's index and field."""
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(InputError)
def invalid_input(request, exc):
    """A value that does not fit the schema: pydantic's errors, their sentences in the caller's language."""
    return api.create_response(request, {"detail": translate(exc.errors)}, status=422)


@api.exception_handler(DjangoValidationError)
def invalid(request, exc):
    if hasattr(exc, "error_dict"):
        detail = [
            {"loc": ["body", field], "msg": " ".join(str(m) for m in errors[0].messages), "type": "value_error"}
            for field, errors in exc.error_dict.items()
        ]
    else:
        detail = [{"loc": ["body"], "msg": " ".join(exc.messages), "type": "value_error"}]
    # A rule's refusal may say more than field errors: the rule codes and the way out (the registration gate).
    extra = {k: v for k, v in (getattr(exc, "api_extra", None) or {}).items() if k != "detail"}
    return api.create_response(request, {"detail": detail, **extra}, status=422)


def _add_routers():
    from keychannel.core.api import router as core_router

    api.add_router("/", core_router)
    import importlib

    for app in ("network", "clients", "deals", "channel", "program", "competence", "sales", "service", "integrations", "jobs"):
        try:
            module = importlib.import_module(f"keychannel.{app}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"keychannel.{app}.api":
                raise
            continue
        api.add_router("/", module.router)


_add_routers()
