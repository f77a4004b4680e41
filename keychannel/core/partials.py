"""The helpers for HTMX: render the named partial for an HTMX request, the full page otherwise; and the one way a
refused HTMX action answers (a short text in the page's language, shown by kc.js in the page's error box)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .errors import ConflictError

ERROR_HEADER = "X-KC-Error"  # marks a refusal kc.js may show as it is (text/plain, never HTML)


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_partial(request, template: str, context: dict, *, partial: str | None = None, status: int = 200):
    """``partial`` is a template rendered alone for HTMX requests (e.g. the table body of a list page)."""
    if partial and is_htmx(request) and not request.headers.get("HX-Boosted"):
        return render(request, partial, context, status=status)
    return render(request, template, context, status=status)


def error_text(exc) -> str:
    """What a refusal says to the user: the service's message, or a plain sentence for a permission code."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return " ".join(" ".join(str(m) for e in errors for m in e.messages) for errors in exc.error_dict.values())
        return " ".join(str(m) for m in exc.messages)
    if isinstance(exc, ConflictError):
        return str(exc.message)
    if isinstance(exc, PermissionDenied):
        message = exc.args[0] if exc.args else ""
        # require() raises with the action code ("deals.opportunity.change"): not a sentence for a user.
        if isinstance(message, Promise) or (isinstance(message, str) and " " in message.strip()):
            return str(message)
        return _("Your role may not do this.")
    return _("This did not work. Reload the page and try again.")


def htmx_error(message: str, status: int = 422) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response[ERROR_HEADER] = "1"
    return response


STATUS = ((PermissionDenied, 403), (ConflictError, 409), (ValidationError, 422))


class HtmxErrorMiddleware:
    """A refused HTMX action answers its message as short text (403/409/422), not the HTML of an error page.

    Pages answer as before (the 403 page, a form with its errors); kc.js puts the text into the page's error box.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_htmx(request) or request.path_info.startswith("/api/"):
            return None
        for kind, status in STATUS:
            if isinstance(exception, kind):
                return htmx_error(error_text(exception), status)
        return None
