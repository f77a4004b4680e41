from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _


class StyledFormMixin:
    """Give every widget its Bootstrap class once, instead of in every template."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
                css = ""
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            if field.required and not isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("required", True)


class ApiTokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("What the token is for, e.g. 'ERP export'."))
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class PasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(StyledFormMixin, auth_forms.SetPasswordForm):
    pass


def password_login_refused(user) -> bool:
    """True when the user's organisation turned local passwords off (single sign-on only)."""
    from .models import Membership

    membership = Membership.objects.filter(user=user).select_related("organization").first()
    return membership is not None and not membership.organization.password_login


PASSWORD_LOGIN_OFF = _("Your organisation signs in with single sign-on only: use the company sign-in button.")


class LoginForm(auth_forms.AuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if password_login_refused(user):
            raise forms.ValidationError(PASSWORD_LOGIN_OFF, code="password_login_off")
