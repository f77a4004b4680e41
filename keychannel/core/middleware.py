"""Request-scoped Principal, and the one place where the API is exempted from page login redirects."""

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.utils.functional import SimpleLazyObject

from .scoping import Principal


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


class RejectNulBytesMiddleware:
    """Text with NUL characters cannot be stored in PostgreSQL: refuse it as bad input on every path at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            from django.http import HttpResponseBadRequest, JsonResponse
            from django.utils.translation import gettext as _

            message = _("Text may not contain NUL characters.")
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"detail": [{"loc": ["request"], "msg": message, "type": "value_error"}]}, status=422
                )
            return HttpResponseBadRequest(message)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.path:
            return True
        content_type = request.content_type or ""
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if content_type == "application/json":
                return b"\\u0000" in request.body or b"\x00" in request.body
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                return any("\x00" in value for values in request.POST.lists() for value in values[1])
        return False
