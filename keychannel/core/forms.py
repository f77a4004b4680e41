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


class InviteForm(StyledFormMixin, forms.Form):
    """Invite a person: the administrator picks the organisation and role; a head invites a salesperson of its own."""

    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    role = forms.ChoiceField(label=_("Role"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), max_length=150,
                             help_text=_("The invitation goes here; the person signs in with this address."))
    title = forms.CharField(label=_("Job title"), max_length=120, required=False)

    def __init__(self, *args, principal, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        from .choices import Role

        self.fields["organization"].queryset = organizations
        if principal.has_role(Role.ADMIN):
            self.fields["role"].choices = [("", "---------"), *Role.choices]
        else:
            self.fields["organization"].initial = principal.organization_id
            self.fields["organization"].widget = forms.HiddenInput()
            self.fields["role"].choices = [(Role.DIST_SALES.value, Role.DIST_SALES.label)]
            self.fields["role"].initial = Role.DIST_SALES.value
