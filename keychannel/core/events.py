"""Domain events: a service calls ``emit("deal.won", obj)`` where something happened; listeners react.

Core knows no domain app: the event types are plain strings catalogued here, and the listeners (the webhooks of
``keychannel.integrations``) register themselves in their ``AppConfig.ready()``. A listener runs inside the
emitting service's transaction, so an event of a write that rolls back is never sent.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

EVENT_TYPES: dict[str, object] = {
    "registration.submitted": _("Registration submitted"),
    "registration.decided": _("Registration decided (approved or rejected)"),
    "conflict.opened": _("Conflict opened"),
    "conflict.resolved": _("Conflict resolved"),
    "deal.stage_changed": _("Deal moved to another stage"),
    "deal.won": _("Deal won"),
    "deal.lost": _("Deal lost"),
    "contract.signed": _("Corporate contract signed (created or extended by a won deal)"),
    "contract.renewing": _("Corporate contract due for renewal"),
    "sales_report.applied": _("Sales report applied"),
    "goal.status_changed": _("Goal status changed (ahead, on track, behind)"),
    "kam_task.changed": _("KAM task created or changed"),
}

# What a user can be notified of: the preferences page lists these, and every ``notification_send`` names one.
# The domain events above are reused by name and label where a notification tells of the same thing; the others
# exist only as notifications (they are never sent to webhooks).
NOTIFICATION_TYPES: dict[str, object] = {
    **{name: EVENT_TYPES[name] for name in (
        "registration.submitted", "registration.decided", "conflict.opened", "conflict.resolved",
        "contract.renewing", "kam_task.changed")},
    "registration.expired": _("Registration expired"),
    "lead.routed": _("Lead offered to you, accepted, or left without a distributor"),
    "deal.handed_over": _("Deal or contract handed over, kept or ended because a client left the scope"),
    "mentorship.started": _("Mentorship started"),
    "consultation.changed": _("Consultation requested or answered"),
    "coverage.changed": _("Coverage request or distributor contact details changed"),
    "program.changed": _("Partner program sign-off, launch, change or withdrawal"),
    "program.rule": _("Program rule published, applied or appealed"),
    "program.level": _("Program level changed"),
    "program.event": _("Event invitation or reminder"),
    "program.support": _("Support request decided or award granted"),
    "case.changed": _("Service case opened, assigned, taken over or answered by the client"),
    "case.escalated": _("Service case near or past its service-level target"),
    "webhook.disabled": _("Webhook disabled after failed deliveries"),
}

Listener = Callable[[str, object], None]
_listeners: list[Listener] = []


def register_listener(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def emit(event_type: str, obj) -> None:
    """Tell every listener that ``event_type`` happened to ``obj`` (a saved model instance)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}: add it to keychannel.core.events.EVENT_TYPES")
    for listener in list(_listeners):
        listener(event_type, obj)
