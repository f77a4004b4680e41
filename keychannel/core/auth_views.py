"""Login (with lockout feedback and a safe ?next=), password change and reset, and the error pages."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _

from . import forms, lockout
from .partials import error_text, htmx_error, is_htmx


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    form_class = forms.PasswordChangeForm
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


# The reset pages are public (a locked-out or forgetful user is not logged in); Django marks them
# login_not_required, repeated here so the exemption from LoginRequiredMiddleware is visible where it is used.
@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    form_class = forms.PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = forms.SetPasswordForm
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever read the reset mail owns the account: the failures that locked it no longer count.
        lockout.clear(username=self.user.get_username())
        return response


@method_decorator(login_not_required, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


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
    if is_htmx(request):  # the page's error box shows a sentence, never this page's HTML
        return htmx_error(error_text(exception or PermissionDenied()), 403)
    return render(request, "403.html", status=403)


def locked_out(request, original_response=None, credentials=None):
    """django-axes lockout answer: JSON for the API, the lockout page for people. 429 either way."""
    if _is_api(request):
        return JsonResponse({"detail": _("Too many failed attempts: this account is locked for a while.")}, status=429)
    return render(request, "registration/locked_out.html", status=429)
