"""iCalendar rendering of a user's events, with the icalendar library."""

from datetime import UTC

from django.utils import timezone

from .choices import EventStatus, Rsvp

PARTSTAT = {Rsvp.YES: "ACCEPTED", Rsvp.NO: "DECLINED", Rsvp.MAYBE: "TENTATIVE", Rsvp.PENDING: "NEEDS-ACTION"}


def render(events, invitations: dict, *, name: str) -> bytes:
    import icalendar  # on first use: only the calendar feed needs it (~4 MB a worker otherwise)

    cal = icalendar.Calendar()
    cal.add("prodid", "-//keychannel//program events//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", str(name))
    stamp = timezone.now().astimezone(UTC)
    for event in events:
        item = icalendar.Event()
        item.add("uid", event.uid)
        item.add("dtstamp", stamp)
        item.add("dtstart", event.starts_at.astimezone(UTC))
        item.add("dtend", event.ends_at.astimezone(UTC))
        item.add("summary", event.title)
        item.add("categories", [event.get_kind_display()])
        if event.description:
            item.add("description", event.description)
        if event.location:
            item.add("location", event.location)
        item.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
        item.add("last-modified", event.updated_at.astimezone(UTC))
        invitation = invitations.get(event.pk)
        if invitation is not None:
            item.add("x-keychannel-rsvp", PARTSTAT[invitation.rsvp])
        cal.add_component(item)
    return cal.to_ical()
