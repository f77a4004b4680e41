"""Pages of the core app: home, profile with API tokens, notifications, audit history, security events.

Also the shapes every app's pages share (docs/development.md, "UI"): ``form_page`` (a form that calls one
service), ``form_saved`` (its POST half, for pages with their own template) and ``post_action`` (one POSTed
button on a record's page).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import i18n as i18n_views
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .assignment import AssignmentRefused, form_refusal
from .choices import NotificationDelivery
from .cockpit import allowed_panel, build_panel, home_panels, one_build
from .errors import ConflictError
from .forms import ApiTokenForm, PreferencesForm, service_errors_to_form
from .models import Organization
from .navigation import figures_for
from .partials import error_text, is_htmx
from .policies import can, require
from .tables import Column, Table

# --- shapes every app's pages share --------------------------------------------------------------------------------


def form_saved(request, form, save, success, back=None):
    """The POST half of a form page: a valid form goes to ``save(cleaned_data)`` (one service call).

    The service's refusal lands on the form (a ValidationError through ``service_errors_to_form``, a refused
    assignment on its field) and nothing is saved; saved, a redirect to ``back`` (default: what ``save``
    returned) with the ``success`` message (or ``success(saved)`` when it needs the saved record). None: show the
    form (a GET, or a POST with errors).
    """
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except AssignmentRefused as exc:
            form_refusal(form, exc)
        else:
            messages.success(request, success(saved) if callable(success) else success)
            return redirect(back or saved)
    return None


def form_page(request, form, *, title, breadcrumbs, save=None, success="", back=None, cancel_url="", subtitle="",
              template="core/form.html", context=None):
    """A page with one form that calls one service: GET shows it, a valid POST saves (``form_saved``) and
    redirects, a form with errors (its own or the service's) is shown again with 422.

    ``cancel_url`` (a URL or a URL name) is where Cancel goes; without it Cancel goes back in the browser's
    history (the first breadcrumb when there is none). ``template`` and ``context`` are for pages that show more
    than the form around it.
    """
    if save is not None:
        response = form_saved(request, form, save, success, back)
        if response is not None:
            return response
    page = {"form": form, "title": title, "subtitle": subtitle, "breadcrumbs": breadcrumbs, "cancel_url": cancel_url}
    return render(request, template, {**page, **(context or {})}, status=422 if form.errors else 200)


def post_action(request, obj, permission, service, success, /, *, form=None, invalid=None, fallback=None,
                fields=None, back=None, **params):
    """One POSTed action on one record: the shape of every button on a detail page.

    Checks ``permission`` on ``obj`` (None: the view has checked), reads ``form`` if there is one and calls
    ``service(principal=..., **params, **form data)``; then redirects to ``back`` (default: the record's page)
    with ``success``, or with the refusal (ValidationError, ConflictError) as an error message, having changed
    nothing. A form that does not validate sends back to the record with ``invalid`` (default: the form's own
    errors) without calling the service, unless ``fallback`` gives the data to call it with instead.
    ``fields`` maps service keywords to form fields where the names differ (default: every field as it is).
    """
    principal = request.principal
    if permission is not None:
        require(principal, permission, obj)
    data = {}
    if form is not None:
        if form.is_valid():
            data = form.cleaned_data
        elif fallback is not None:
            data = fallback
        else:
            messages.error(request, invalid or " ".join(e for errors in form.errors.values() for e in errors))
            return redirect(obj)
        if fields is not None:
            data = {keyword: data[field] for keyword, field in fields.items()}
    try:
        service(principal=principal, **params, **data)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)
    return redirect(back or obj.get_absolute_url())


# --- pages ---------------------------------------------------------------------------------------------------------


def home(request):
    """The cockpit's shell: the panels measured cheap built here, every other panel (and the figures) a placeholder
    its own request fills (``home_panel``, ``home_figures``): no request builds every panel (issue 22)."""
    principal = request.principal
    organization = Organization.objects.visible_to(principal).filter(pk=principal.organization_id).first()
    with one_build():  # a figure several panels show is read once (core/cockpit.py, ``once``)
        panels = home_panels(principal)
    return render(request, "core/home.html", {"organization": organization, "panels": panels, "breadcrumbs": []})


def home_panel(request, key):
    """One cockpit panel, built alone: the HTMX fragment that replaces its placeholder (nothing, when the panel has
    nothing to say: the placeholder goes), or without JavaScript a page of its own. 404 for a panel the principal's
    role does not see."""
    principal = request.principal
    panel = allowed_panel(principal, key)
    if panel is None:
        raise Http404
    with one_build():
        built = build_panel(panel, principal, timezone.localdate())
    if is_htmx(request):
        if built is None:
            return HttpResponse("")
        return render(request, "core/includes/cockpit_panel.html", {"panel": built})
    return render(request, "core/home_part.html", {
        "panel": built, "title": panel.title, "breadcrumbs": [(panel.title, "")]})


def home_figures(request):
    """The home page's "At a glance" figures: the fragment that replaces their placeholder, or a page of its own."""
    with one_build():
        figures = figures_for(request.principal)
    if is_htmx(request):
        return render(request, "core/includes/home_figures.html", {"figures": figures})
    return render(request, "core/home_part.html", {
        "figures": figures, "title": _("At a glance"), "breadcrumbs": [(_("At a glance"), "")]})


@require_http_methods(["GET", "POST"])
def profile(request):
    principal = request.principal
    new_token = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.api_token_create(
                principal=principal, name=form.cleaned_data["name"], expires_at=form.cleaned_data["expires_at"]
            )
        except ValidationError as exc:  # too many tokens, or an expiry past the longest lifetime
            form.add_error(None, exc)
        else:
            messages.success(request, _("Token created. Copy it now: it is not shown again."))
            form = ApiTokenForm()
    return render(
        request,
        "core/profile.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": selectors.api_token_list(principal=principal),
            "token_days": settings.KEYCHANNEL_API_TOKEN_DAYS,
            "token_cap": settings.KEYCHANNEL_API_TOKENS_PER_USER,
            "preferences_form": _preferences_form(request),
            "breadcrumbs": [(_("Profile"), "")],
        },
    )


@require_POST
def logout_everywhere(request):
    """Revoke every API token and end every session of the user, this one included."""
    services.logout_everywhere(principal=request.principal, request=request)
    logout(request)
    messages.success(request, _("You are logged out everywhere and every API token is revoked."))
    return redirect(settings.LOGIN_URL)


@require_POST
def api_token_revoke(request, pk):
    principal = request.principal
    token = get_object_or_404(selectors.api_token_list(principal=principal), pk=pk)
    services.api_token_revoke(principal=principal, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("core:profile")


def notification_list(request):
    principal = request.principal
    if request.method == "POST":
        services.notification_mark_read(principal=principal)
        return redirect("core:notification_list")
    notes = selectors.notification_list(principal=principal)[:200]
    return render(
        request, "core/notification_list.html", {"notifications": notes, "breadcrumbs": [(_("Notifications"), "")]}
    )


@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    """Which events reach the user how: in the app only, by e-mail at once, or in the daily digest."""
    principal = request.principal
    rows = selectors.notification_preferences(principal=principal)
    status = 200
    if request.method == "POST":
        choices = {row["event_type"]: request.POST.get(row["event_type"], row["delivery"]) for row in rows}
        try:
            services.notification_preferences_set(principal=principal, choices=choices)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 422
        else:
            messages.success(request, _("Notification preferences saved."))
            return redirect("core:notification_preferences")
    return render(request, "core/notification_preferences.html", {
        "rows": rows, "deliveries": NotificationDelivery.choices, "has_email": bool(request.user.email),
        "breadcrumbs": [(_("Notifications"), "core:notification_list"), (_("Preferences"), "")],
    }, status=status)


def history(request, app_label, model_name, pk):
    obj = selectors.audited_object_get(
        principal=request.principal, app_label=app_label, model_name=model_name, pk=pk
    )
    return render(
        request,
        "core/history.html",
        {
            "object": obj,
            "entries": selectors.history_entries(principal=request.principal, obj=obj),
            "breadcrumbs": [(str(obj), obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""), (_("History"), "")],
        },
    )


SECURITY_EVENT_TABLE = Table(
    columns=[
        Column("created_at", gettext_lazy("When"), sort="created_at"),
        Column("get_kind_display", gettext_lazy("Kind"), sort="kind"),
        Column("username", gettext_lazy("User"), sort="username"),
        Column("action", gettext_lazy("Action")),
        Column("method", gettext_lazy("Method")),
        Column("path", gettext_lazy("Path")),
        Column("ip_address", gettext_lazy("IP address")),
        Column("detail", gettext_lazy("Detail")),
    ],
    search_fields=["username", "action", "path", "detail"],
    default_sort="-created_at",
)


def security_event_list(request):
    table = SECURITY_EVENT_TABLE.build(request, selectors.security_event_list(principal=request.principal))
    locks = selectors.login_lockout_list(principal=request.principal)
    return render(
        request,
        "core/securityevent_list.html",
        {"table": table, "locks": locks, "tab": "security", "can_unlock": can(request.principal, "core.lockout.clear"),
         "breadcrumbs": [(_("Security events"), "")]},
    )


@require_POST
def login_lockout_clear(request):
    """Lift a login lockout: of a username (from every address) or of a whole address."""
    username = request.POST.get("username", "")
    ip_address = request.POST.get("ip_address", "")
    services.login_lockout_clear(principal=request.principal, request=request, username=username, ip_address=ip_address)
    if username or ip_address:
        messages.success(request, _("Unlocked: %(who)s.") % {"who": username or ip_address})
    return redirect("core:securityevent_list")


def _preferences_form(request, data=None):
    membership = getattr(request.user, "membership", None)
    initial = {"language": getattr(membership, "language", ""), "time_zone": getattr(membership, "time_zone", "")}
    return PreferencesForm(data, initial=initial, prefix="pref")


@require_POST
def preferences(request):
    """The profile's language and time zone: kept on the membership, applied from the next page on."""
    form = _preferences_form(request, request.POST)
    if form.is_valid():
        try:
            membership = services.preferences_update(
                principal=request.principal, language=form.cleaned_data["language"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            response = redirect("core:profile")
            if membership.language:
                translation.activate(membership.language)
                _remember_language(response, membership.language)
            messages.success(request, _("Language and time zone saved."))
            return response
    else:
        messages.error(request, _("Choose a language and a time zone from the lists."))
    return redirect("core:profile")


def _remember_language(response, language: str) -> None:
    # The same cookie as Django's set_language: the login page after logging out keeps the user's language.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_not_required
@require_POST
def set_language(request):
    """The top bar's and the login page's language switcher: Django's set_language (cookie, safe ``next``),
    and for a logged-in member also their profile's language, so e-mails to them follow."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    if language in {code for code, _name in settings.LANGUAGES} and request.principal.is_authenticated:
        services.preferences_update(principal=request.principal, language=language)
    return response
