"""Event pages: the list, an event with its invitations, RSVP and attendance, the calendar feed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.partials import render_partial
from keychannel.core.policies import can, require
from keychannel.core.preferences import in_language_of
from keychannel.core.tables import Column, Filter, Table
from keychannel.core.views import form_page, post_action

from .. import forms, ical, selectors, services
from ..choices import EventKind, EventStatus
from ..models import CalendarFeed, EventInvitation

# --- events and the calendar feed -----------------------------------------------------------------------------------

EVENT_TABLE = Table(
    columns=[
        Column("starts_at", gettext_lazy("Starts"), sort="starts_at"),
        Column("title", gettext_lazy("Event"), sort="title", link=True),
        Column("get_kind_display", gettext_lazy("Kind"), sort="kind", badge=True),
        Column("location", gettext_lazy("Location"), sort="location"),
        Column("get_status_display", gettext_lazy("Status"), sort="status"),
    ],
    search_fields=["title", "location"],
    filters=[Filter("kind", gettext_lazy("Kind"), EventKind.choices, "kind"),
             Filter("status", gettext_lazy("Status"), EventStatus.choices, "status")],
    default_sort="starts_at",
)


def event_list(request):
    principal = request.principal
    table = EVENT_TABLE.build(request, selectors.event_list(principal=principal))
    return render_partial(request, "program/event_list.html", {
        "table": table, "can_create": can(principal, "program.event.change"),
        "breadcrumbs": [(_("Events"), "")],
    }, partial="includes/table.html")


def _event_form_save(request, event=None):
    principal = request.principal
    initial = {}
    if event is not None:
        initial = {f: getattr(event, f) for f in ("title", "kind", "starts_at", "ends_at", "location", "description",
                                                   "status", "open_to_all")}
    form = forms.EventForm(request.POST or None, initial=initial)

    def save(data):
        if event is None:
            return services.event_create(principal=principal, program=selectors.current_program(principal=principal), **data)
        services.event_update(principal=principal, event=event, **data)
        return event

    return form_page(request, form, title=_("Edit event") if event else _("New event"),
                     breadcrumbs=[(_("Events"), "program:event_list"), (str(event) if event else _("New"), "")],
                     save=save, success=_("Event saved."))


@require_http_methods(["GET", "POST"])
def event_create(request):
    require(request.principal, "program.event.change")
    return _event_form_save(request)


@require_http_methods(["GET", "POST"])
def event_update(request, pk):
    event = selectors.event_get(principal=request.principal, pk=pk)
    require(request.principal, "program.event.change", event)
    return _event_form_save(request, event)


def event_detail(request, pk):
    principal = request.principal
    event = selectors.event_get(principal=principal, pk=pk)
    invitations = list(selectors.invitation_list(principal=principal, event=event))
    mine = EventInvitation.objects.filter(event=event, user_id=principal.user_id).first()
    return render(request, "program/event_detail.html", {
        "event": event, "invitations": invitations, "mine": mine,
        "can_edit": can(principal, "program.event.change", event),
        "invite_form": forms.InviteForm(principal=principal) if can(principal, "program.event.change", event) else None,
        "rsvp_form": forms.RsvpForm(initial={"rsvp": mine.rsvp if mine else None}),
        "breadcrumbs": [(_("Events"), "program:event_list"), (event.title, "")],
    })


@require_POST
def event_invite(request, pk):
    principal = request.principal
    event = selectors.event_get(principal=principal, pk=pk)
    return post_action(request, event, "program.event.change", services.event_invite, _("Invitations sent."),
                       form=forms.InviteForm(request.POST, principal=principal),
                       invalid=_("Choose distributors or people to invite."), event=event)


@require_POST
def event_rsvp(request, pk):
    principal = request.principal
    event = selectors.event_get(principal=principal, pk=pk)
    invitation = get_object_or_404(EventInvitation, event=event, user_id=principal.user_id)
    return post_action(request, event, None, services.event_rsvp, _("Your answer is recorded."),
                       form=forms.RsvpForm(request.POST), fallback={"rsvp": ""}, invitation=invitation)


@require_POST
def event_attendance(request, pk):
    event = selectors.event_get(principal=request.principal, pk=pk)
    ids = [v for v in request.POST.getlist("attended") if v.isdigit()]
    return post_action(request, event, "program.event.attendance", services.event_attendance, _("Attendance recorded."),
                       event=event, attended_user_ids=ids)


def calendar(request):
    principal = request.principal
    feed = services.calendar_feed_ensure(principal=principal)
    url = request.build_absolute_uri(reverse("program:calendar_feed", args=[feed.token]))
    events, mine = selectors.calendar_events_for_user(principal.user)
    return render(request, "program/calendar.html", {
        "feed_url": url, "events": events[:50], "mine": mine, "breadcrumbs": [(_("Events"), "program:event_list"), (_("Calendar feed"), "")],
    })


@require_POST
def calendar_rotate(request):
    services.calendar_feed_rotate(principal=request.principal)
    messages.success(request, _("A new feed address was made; the old one no longer works."))
    return redirect("program:calendar")


@login_not_required
def calendar_feed(request, token):
    """The one login-free page: the secret token is the credential. A wrong token is a plain 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise Http404
    events, mine = selectors.calendar_events_for_user(feed.user)
    with in_language_of(feed.user):  # a calendar app sends no useful Accept-Language: the owner's language
        body = ical.render(events, mine, name=_("keychannel program events"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
