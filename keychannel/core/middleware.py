"""Request-scoped Principal, the one place where the API is exempted from page login redirects, and the
refusal of text no database can store."""

import json

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.utils.functional import SimpleLazyObject

from .scoping import Principal
from .text import bad_text_message, has_bad_text


class PrincipalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.principal = SimpleLazyObject(lambda: Principal.for_user(request.user))
        return self.get_response(request)


class KeychannelLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Default-deny for pages. The JSON API answers 401 through its own auth instead of redirecting."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RejectBadTextMiddleware:
    """Refuse NUL characters and lone surrogates in any request, as bad input and before a view runs.

    PostgreSQL refuses NUL in text and jsonb, and a lone surrogate cannot be encoded to UTF-8 for either
    database, so letting them through means a 500 at save time (or, on SQLite, a NUL stored). They arrive by
    many routes: the query string; form and multipart fields (Django decodes those with ``errors="replace"``,
    so only NUL survives); and any other body, which django-ninja parses as JSON whatever its content type
    (``"\\u0000"`` and ``"\\ud800"`` escapes, or raw surrogate bytes, which ``json.loads`` accepts). Answered
    422 (JSON) on the API and 400 on pages, with a message saying what is wrong.
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import RequestDataTooBig
        from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
        from django.utils.translation import gettext as _

        api = request.path_info.startswith("/api/")
        try:
            message = self._problem(request)
        except RequestDataTooBig:
            message = _("The request is larger than %(mb)d MB.") % {"mb": settings.KEYCHANNEL_MAX_UPLOAD_MB}
            if api:
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        if message is None:
            return self.get_response(request)
        if api:
            return JsonResponse({"detail": [{"loc": ["request"], "msg": message, "type": "value_error"}]}, status=422)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")

    @classmethod
    def _problem(cls, request) -> str | None:
        if "\x00" in request.path:
            return bad_text_message("\x00")
        found = _first_bad_text(request.GET.lists())
        if found is None and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if request.content_type in cls.FORM_TYPES:
                found = _first_bad_text(cls._form_fields(request))
            elif request.body:
                return _body_problem(request.body)
        return None if found is None else bad_text_message(found)

    @staticmethod
    def _form_fields(request):
        """The form's fields and file names. Django parses a form body for POST only; ninja parses PUT/PATCH
        bodies itself, so those are parsed here from the (cached) raw body."""
        if request.method == "POST":
            fields, files = request.POST, request.FILES
        elif request.content_type == "multipart/form-data":
            import io

            from django.http.multipartparser import MultiPartParser

            fields, files = MultiPartParser(request.META, io.BytesIO(request.body), request.upload_handlers,
                                            request.encoding).parse()
        else:
            from django.http import QueryDict

            fields, files = QueryDict(request.body, encoding=request.encoding), {}
        yield from fields.lists()
        for name, uploads in files.lists():
            yield name, [upload.name or "" for upload in uploads]


def _first_bad_text(pairs) -> str | None:
    """The first key or value with a bad character among ``(key, [values])`` pairs."""
    for key, values in pairs:
        for text in (key, *values):
            if isinstance(text, str) and has_bad_text(text):
                return text
    return None


def _body_problem(body: bytes) -> str | None:
    from django.utils.translation import gettext as _

    if b"\x00" in body:
        return bad_text_message("\x00")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _("The request body is not valid UTF-8 text.")
    if "\\u" not in text:
        return None  # no escape: the decoded text above is all a JSON parser will see
    try:
        data = json.loads(text)
    except RecursionError:
        return _("The JSON body is nested too deeply.")
    except ValueError:
        return None  # not JSON: nothing decodes its escapes, and the endpoint refuses it on its own
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_bad_text(item):
                return bad_text_message(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


class TableExportMiddleware:
    """Answers a list page's export: ``Table.build`` raises ``TableExport`` with the download (core/tables.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from .tables import TableExport

        if isinstance(exception, TableExport):
            return exception.response
        return None


class RefusalAuditMiddleware:
    """A page or HTMX action refused with 403 is a security event (the API records its own, keychannel/api.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .services import recorded_kinds

        token = recorded_kinds.set(frozenset())
        try:
            return self.get_response(request)
        finally:
            recorded_kinds.reset(token)

    def process_exception(self, request, exception):
        from django.core.exceptions import PermissionDenied

        if isinstance(exception, PermissionDenied):
            record_refusal(request, exception)
        return None


def record_refusal(request, exception) -> None:
    """Record a 403: who, where, and the refused action when the refusal names one ("deals.opportunity.change")."""
    from .choices import SecurityEventKind
    from .services import recorded_kinds, security_event_record

    if SecurityEventKind.FORBIDDEN_WRITE in recorded_kinds.get():
        return  # the service recorded this attempt already, with what it tried
    message = exception.args[0] if exception.args else ""
    action = message if isinstance(message, str) and " " not in message.strip() else ""
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    username = user.get_username() if getattr(user, "is_authenticated", False) else ""
    security_event_record(kind=SecurityEventKind.REFUSED, request=request, username=username, action=action,
                          detail=str(message)[:500] if not action else "")
