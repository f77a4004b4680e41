"""The demo tells the truth in time (issue 18, part 8): the last seeding step stamps each record's ``created_at``
and ``updated_at`` — and its audit history's dates — from the domain dates the generators chose (a registration was
created when it was submitted, a deal when it was opened, a contract when it started …), instead of the instant
the demo was seeded. It writes through plain QuerySets (no new history rows): it corrects stamps, it changes no
data. Idempotent: a second run computes the same stamps.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone

BATCH = 500


def _at(day: datetime.date | datetime.datetime | None, hour: int = 9) -> datetime.datetime | None:
    if day is None:
        return None
    if isinstance(day, datetime.datetime):
        return day
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


def _latest(*moments):
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _stamp(model, stamps: dict[int, tuple[datetime.datetime, datetime.datetime]]) -> int:
    """Write ``{pk: (created_at, updated_at)}`` and date the history: the creation row at created_at, the later
    rows at updated_at (never before the creation)."""
    now = timezone.now()
    objs = []
    for pk, (created, updated) in stamps.items():
        created = min(created, now)
        updated = min(max(updated or created, created), now)
        stamps[pk] = (created, updated)
        objs.append(model(pk=pk, created_at=created, updated_at=updated))
    models.QuerySet(model=model).bulk_update(objs, ["created_at", "updated_at"], batch_size=BATCH)
    history = getattr(model, "history", None)
    if history is not None:
        rows = []
        historical = history.model
        for hid, pk, kind in models.QuerySet(model=historical).filter(id__in=list(stamps)).values_list(
                "history_id", "id", "history_type"):
            created, updated = stamps[pk]
            rows.append(historical(history_id=hid, history_date=created if kind == "+" else updated))
        models.QuerySet(model=historical).bulk_update(rows, ["history_date"], batch_size=BATCH)
    return len(objs)


def stamp_timeline() -> dict[str, int]:
    from keychannel.channel.models import Conflict, DealRegistration
    from keychannel.deals.models import Activity, CorporateContract, Opportunity, ProductTest, StageChange
    from keychannel.network.models import Interaction
    from keychannel.service.models import ServiceCase

    done = {}
    opened = {}
    for deal_id, changed_at in StageChange.objects.order_by("opportunity_id", "changed_at", "pk").values_list(
            "opportunity_id", "changed_at"):
        opened.setdefault(deal_id, changed_at)
    done["deals"] = _stamp(Opportunity, {
        pk: (opened.get(pk) or created, _latest(entered, opened.get(pk)) or created)
        for pk, created, entered in Opportunity.objects.values_list("pk", "created_at", "stage_entered_at")})
    done["activities"] = _stamp(Activity, {
        pk: (_at(day, 17), _at(day, 17)) for pk, day in Activity.objects.values_list("pk", "occurred_on")})
    done["product_tests"] = _stamp(ProductTest, {
        pk: (_at(starts, 9), _at(decided or starts, 16))
        for pk, starts, decided in ProductTest.objects.values_list("pk", "starts_on", "decided_on")})
    done["contracts"] = _stamp(CorporateContract, {
        pk: (_at(starts, 12), _latest(_at(starts, 12), exception_at))
        for pk, starts, exception_at in CorporateContract.objects.values_list("pk", "starts_on", "tier_exception_at")})
    done["registrations"] = _stamp(DealRegistration, {
        pk: (_at(submitted, 9), _latest(_at(submitted, 9), decided))
        for pk, submitted, decided in DealRegistration.objects.values_list("pk", "submitted_on", "decided_at")})
    done["conflicts"] = _stamp(Conflict, {
        pk: (_at(due - datetime.timedelta(days=10), 10), _latest(_at(due - datetime.timedelta(days=10), 10), decided))
        for pk, due, decided in Conflict.objects.exclude(due_on=None).values_list("pk", "due_on", "decided_at")})
    done["interactions"] = _stamp(Interaction, {
        pk: (_at(day, 16), _at(day, 16)) for pk, day in Interaction.objects.values_list("pk", "occurred_on")})
    done["cases"] = _stamp(ServiceCase, {
        pk: (opened_at, _latest(opened_at, first, resolved, closed, rated))
        for pk, opened_at, first, resolved, closed, rated in ServiceCase.objects.values_list(
            "pk", "opened_at", "first_response_at", "resolved_at", "closed_at", "rated_at")})
    return done
