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
