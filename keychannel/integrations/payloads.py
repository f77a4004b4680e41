"""What a webhook carries: the record as the subscription's owner would read it from the API.

Each event names a record; its ``data`` is the record fetched through the app's own selector for the owner's
principal (so ``visible_to`` decides whether the owner may know of it at all), blanked by the redaction registry
(``core/redaction.py``), rendered with the same schema as ``GET /api/v1/...`` and with every hidden field left out.
A record the owner cannot read gives no payload: the event is not sent to that subscription.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.utils import timezone
from django.utils.module_loading import import_string

from keychannel.core.redaction import redacted


@dataclass(frozen=True)
class Source:
    selector: str  # dotted path of a selector(principal=..., filters=None) -> scoped queryset
    schema: str  # dotted path of the API output schema
    prepare: str = ""  # dotted path of record -> what the schema reads, when it is not the record itself

    @cached_property
    def before_render(self):
        return import_string(self.prepare) if self.prepare else None

    @cached_property
    def select(self):
        return import_string(self.selector)

    @cached_property
    def render(self):
        return import_string(self.schema)


SOURCES = {
    "channel.dealregistration": Source("keychannel.channel.selectors.registration_list",
                                       "keychannel.channel.schemas.RegistrationOut"),
    "channel.conflict": Source("keychannel.channel.selectors.conflict_list", "keychannel.channel.schemas.ConflictOut"),
    "deals.opportunity": Source("keychannel.deals.selectors.opportunity_list", "keychannel.deals.schemas.OpportunityOut"),
    "deals.corporatecontract": Source("keychannel.deals.selectors.contract_list", "keychannel.deals.schemas.ContractOut"),
    "sales.salesreport": Source("keychannel.sales.selectors.report_list", "keychannel.sales.schemas.ReportOut"),
    "competence.kamtask": Source("keychannel.competence.selectors.kam_task_list",
                                 "keychannel.competence.schemas.KamTaskOut"),
    "program.goal": Source("keychannel.program.selectors.goal_list", "keychannel.program.schemas.GoalOut",
                           prepare="keychannel.integrations.payloads.goal_with_progress"),
}


def goal_with_progress(goal):
    """A goal as ``GET /api/v1/goals/{id}`` shows it: with its computed actual, target to date and status."""
    from keychannel.program.api import _goal_out
    from keychannel.program.selectors import goal_progress

    return _goal_out(goal_progress([goal])[0])


class _Request:
    """What the schemas' resolvers read from the request: the principal."""

    def __init__(self, principal):
        self.principal = principal
        self.user = principal.user


def data_for(principal, obj) -> dict | None:
    """The record as ``principal`` may read it (hidden fields left out), or None when they may not read it."""
    source = SOURCES.get(obj._meta.label_lower)
    if source is None:
        raise LookupError(f"no webhook payload declared for {obj._meta.label_lower}")
    record = redacted(source.select(principal=principal), principal).filter(pk=obj.pk).first()
    if record is None:
        return None
    shown = source.before_render(record) if source.before_render else record
    data = source.render.model_validate(shown, context={"request": _Request(principal)}).model_dump(mode="json")
    for name in getattr(record, "redacted_fields", ()):
        data.pop(name, None)
        data.pop(f"{name}_id", None)
    return data


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def envelope(event_type: str, data: dict, *, occurred_at=None) -> str:
    """The body as sent and signed (Standard Webhooks: ``type``, ``timestamp``, ``data``)."""
    occurred_at = occurred_at or timezone.now()
    body = {"type": event_type, "timestamp": occurred_at.isoformat().replace("+00:00", "Z"), "data": data}
    return json.dumps(body, default=_default, separators=(",", ":"), ensure_ascii=False)
