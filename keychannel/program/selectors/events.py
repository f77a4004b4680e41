"""Events, invitations and the personal calendar feed."""

from __future__ import annotations

from django.db.models import Q

from keychannel.core.scoping import Principal, get_visible_or_404

from ..models import CalendarFeed, Event, EventInvitation

# --- events and the calendar -------------------------------------------------------------------------------------


def event_list(*, principal, filters: dict | None = None):
    filters = filters or {}
    qs = Event.objects.visible_to(principal).select_related("program")
    for name in ("kind", "status", "program_id"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if year := filters.get("year"):
        qs = qs.filter(starts_at__year=year)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(title__icontains=q) | Q(location__icontains=q))
    return qs


def event_get(*, principal, pk):
    return get_visible_or_404(event_list(principal=principal), principal, pk=pk)


def invitation_list(*, principal, event):
    return EventInvitation.objects.visible_to(principal).filter(event=event).select_related("user", "distributor")


def my_invitations(*, principal, events) -> dict[int, EventInvitation]:
    return {i.event_id: i for i in EventInvitation.objects.filter(user_id=principal.user_id, event__in=events)}


def calendar_feed_get(*, principal):
    return CalendarFeed.objects.visible_to(principal).first()


def calendar_events_for_user(user):
    """What a feed shows: published events the user may see (cancelled ones too, so clients remove them)."""
    principal = Principal.for_user(user)
    if not principal.is_authenticated:
        return Event.objects.none(), {}
    events = list(Event.objects.visible_to(principal).exclude(status="draft").order_by("starts_at", "pk"))
    return events, my_invitations(principal=principal, events=events)
