"""Pages for people's accounts (issue 16): the list, invitations, deactivation, and the public "set your password"
page the invitation links to. Services in core/onboarding.py."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import lockout, onboarding, selectors
from .assignment import AssignmentRefused
from .forms import InviteForm, SetPasswordForm
from .models import Organization
from .policies import can, require

STATUS_LABELS = {
    "active": gettext_lazy("Active"),
    "invited": gettext_lazy("Invited"),
    "expired": gettext_lazy("Invitation expired"),
    "deactivated": gettext_lazy("Deactivated"),
}
STATUS_FILTER = [("active", gettext_lazy("Active")), ("invited", gettext_lazy("Invited")),
                 ("deactivated", gettext_lazy("Deactivated"))]


def user_list(request):
    principal = request.principal
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()
    memberships = list(selectors.user_list(principal=principal, status=status, q=q)[:500])
    rows = []
    for membership in memberships:
        state = onboarding.user_status(membership.user)
        rows.append({
            "membership": membership,
            "user": membership.user,
            "status": state,
            "status_label": STATUS_LABELS[state],
            "can_manage": can(principal, "core.user.manage", membership),
        })
    return render(request, "core/user_list.html", {
        "rows": rows,
        "status": status,
        "q": q,
        "status_choices": STATUS_FILTER,
        "can_login_settings": can(principal, "core.organization.login_settings"),
        "breadcrumbs": [(_("People"), "")],
    })


@require_http_methods(["GET", "POST"])
def user_invite(request):
    principal = request.principal
    require(principal, "core.user.invite")
    organizations = selectors.invitable_organizations(principal=principal)
    initial = {}
    anywhere = can(principal, "core.user.invite_anywhere")
    if anywhere:
        initial = {k: request.GET[k] for k in ("organization", "role") if request.GET.get(k)}
    else:
        # A head's form fixes its own company (hidden) but accepts a forged one, so the attempt reaches the
        # placement rule and is recorded instead of vanishing as "not a valid choice".
        organizations = Organization.objects.all()
    form = InviteForm(request.POST or None, initial=initial, principal=principal, organizations=organizations)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                invitation = onboarding.user_invite(
                    principal=principal, organization=data["organization"], role=data["role"], email=data["email"],
                    first_name=data["first_name"], last_name=data["last_name"], title=data["title"], request=request,
                )
            except AssignmentRefused as exc:
                form.add_error("role", exc.message)
                status = 422
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 422
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.user.email})
                return redirect("core:user_list")
        else:
            status = 422
    return render(request, "core/user_invite.html", {
        "form": form,
        "breadcrumbs": [(_("People"), "core:user_list"), (_("Invite"), "")],
    }, status=status)


def _membership_action(request, user_id, action, done_message):
    principal = request.principal
    membership = selectors.user_get(principal=principal, user_id=user_id)
    try:
        action(principal=principal, user=membership.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done_message % {"user": membership.user.get_full_name() or membership.user})
    return redirect("core:user_list")


@require_POST
def user_deactivate(request, user_id):
    return _membership_action(request, user_id, onboarding.user_deactivate,
                              _("%(user)s is deactivated: their sessions ended and their API tokens are revoked."))


@require_POST
def user_reactivate(request, user_id):
    return _membership_action(request, user_id, onboarding.user_reactivate, _("%(user)s is active again."))


@require_POST
def invitation_resend(request, user_id):
    return _membership_action(request, user_id, onboarding.invitation_resend,
                              _("A new invitation went to %(user)s; the earlier link no longer works."))


@method_decorator(login_not_required, name="dispatch")
class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitation link: the person chooses a password (once), then signs in."""

    template_name = "registration/invitation_accept.html"
    form_class = SetPasswordForm
    token_generator = onboarding.invitation_tokens
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        onboarding.invitation_accepted(user=self.user)
        lockout.clear(username=self.user.get_username())
        messages.success(self.request, _("Your password is set: sign in with your e-mail address and your new password."))
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["login_url"] = reverse("login")
        return context


@require_http_methods(["GET", "POST"])
def organization_login_settings(request):
    """The administrator's page of sign-in settings: local passwords on or off, per organisation."""
    from . import login_settings

    principal = request.principal
    organizations = login_settings.organization_list(principal=principal)
    if request.method == "POST":
        organization = organizations.filter(pk=request.POST.get("organization") or 0).first()
        if organization is None:
            messages.error(request, _("Choose an organisation from the list."))
        else:
            try:
                login_settings.organization_login_settings_update(
                    principal=principal, organization=organization,
                    password_login=request.POST.get("password_login") == "on")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Sign-in setting saved for %(name)s.") % {"name": organization.name})
        return redirect("core:organization_login_settings")
    from django.conf import settings

    return render(request, "core/login_settings.html", {
        "organizations": organizations, "sso_enabled": settings.KEYCHANNEL_SSO_ENABLED,
        "breadcrumbs": [(_("People"), "core:user_list"), (_("Sign-in settings"), "")],
    })
