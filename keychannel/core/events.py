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
