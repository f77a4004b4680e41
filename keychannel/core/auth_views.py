"""Login (with lockout feedback and a safe ?next=), and the error pages."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def not_found(request, exception=None):
    # Paths under /api/ that no route matches (e.g. /distributors/null) still answer in the API's format.
    if _is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def forbidden(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": _("You are not allowed to do this.")}, status=403)
    return render(request, "403.html", status=403)


def locked_out(request, original_response=None, credentials=None):
    """django-axes lockout answer: JSON for the API, the lockout page for people. 429 either way."""
    if _is_api(request):
        return JsonResponse({"detail": _("Too many failed attempts: this account is locked for a while.")}, status=429)
    return render(request, "registration/locked_out.html", status=429)
