from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from .choosers import ChooserField


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


def choices_from(field, objects) -> None:
    """Draw a ``ModelChoiceField``'s options from ``objects`` the page already read, in their order: the field
    re-ran its queryset at every render (issue 22: the client page read its buying centre three more times for
    three selects). Its queryset still checks a posted value."""
    label = field.label_from_instance
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = [*empty, *((field.prepare_value(obj), label(obj)) for obj in objects)]


class ApiTokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("What the token is for, e.g. 'ERP export'."))
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def language_choices() -> list[tuple[str, str]]:
    """Each language in its own name (Română, Русский): a reader finds their language whatever is shown."""
    from django.conf import settings
    from django.utils.translation import get_language_info

    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class PreferencesForm(StyledFormMixin, forms.Form):
    """The user's language and time zone (profile page); blank follows the browser / the default."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        from .preferences import time_zones

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("As the browser says"))] + language_choices()
        self.fields["time_zone"].choices = [("", _("Default (%(zone)s)") % {"zone": settings.TIME_ZONE})] + [
            (zone, zone) for zone in time_zones()
        ]


class PasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        """Rendered here in the account owner's language (one who never chose reads the language the reset was
        asked in), sent by a worker (core.tasks.mail_send): a slow mail server never holds the page."""
        from django.template import loader
        from django.utils.translation import get_language

        from .preferences import in_language_of
        from .tasks import mail_send

        with in_language_of(context.get("user"), default=get_language()):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
        mail_send.enqueue(subject, body, [to_email], from_email)


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


class InviteForm(StyledFormMixin, forms.Form):
    """Invite a person: the administrator picks the organisation and role; a head invites a salesperson of its own."""

    organization = ChooserField(kind="organizations", label=_("Organisation"), queryset=None)
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


def service_errors_to_form(form, exc) -> None:
    """Put a service's ValidationError on a page's form — the one way every view does it.

    A field error lands on its field; an API-style name (``kam_id``) on the form field it stands for (``kam``);
    an error on a field the form does not show, and a message without a field, on the form as a whole.
    """
    if not hasattr(exc, "error_dict"):
        from .partials import (
            error_text,  # local: partials renders templates, forms are imported by models' apps
        )

        form.add_error(None, exc.messages if hasattr(exc, "messages") else error_text(exc))
        return
    for field, errors in exc.error_dict.items():
        name = field.removesuffix("_id") if field.removesuffix("_id") in form.fields else field
        form.add_error(name if name in form.fields else None, errors)
