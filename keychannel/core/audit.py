"""The network-wide audit log: every recorded change of every audited record, readable (issue 17 part 5).

Each audited model keeps its own history table (django-simple-history). The log is one UNION ALL over them, each
part filtered before the union (person, record type, distributor, dates, the cursor), ordered newest first by
(history_date, record id, record type, history_id): each history table's index on (history_date, record id)
(settings.SIMPLE_HISTORY_DATE_INDEX = "composite") gives its part in that order, so PostgreSQL merges the parts
and reads about a page of rows. Ordered by (history_date, record type, ...) it could merge them by date only and
then sorted every row of the newest date: one bulk write (a segments refresh: 400k rows at one instant) made
every first page read and sort 400k rows (1.2 s, issue 22). A page of the log then reads, per record type on that page, the records,
their previous versions and their current names (never one query per row), and renders the changes as the history
page does (core/history.py): related records by name, choices by label, redacted fields left out.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, CharField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .filters import FilterSpec, ListFilters
from .history import _Labels, _plain, history_redacted_fields, is_history_tracked
from .policies import require


@dataclass(frozen=True)
class Source:
    label: str  # "deals.opportunity"
    model: type
    historical: type
    distributor: str | None  # lookup on the historical model giving the distributor's id, None when it has none


def _distributor_lookup(model) -> str | None:
    if model._meta.label_lower == "network.distributor":
        return model._meta.pk.attname
    path = getattr(model, "distributor_path", None)
    if path:
        return f"{path}_id" if "__" not in path else path
    names = {f.name for f in model._meta.concrete_fields}
    return "distributor_id" if "distributor" in names else None


@functools.cache
def sources() -> tuple[Source, ...]:
    """Every audited record type of the product, by label."""
    out = []
    for model in apps.get_models():
        if not model.__module__.startswith("keychannel.") or not is_history_tracked(model):
            continue
        historical = getattr(model, model._meta.simple_history_manager_attribute).model
        out.append(Source(model._meta.label_lower, model, historical, _distributor_lookup(model)))
    return tuple(sorted(out, key=lambda s: s.label))


def source_choices() -> list[tuple[str, str]]:
    return sorted(((s.label, capfirst(str(s.model._meta.verbose_name))) for s in sources()), key=lambda c: c[1])


# --- the cursor: (history_date, record id, record type, history_id) of the last row of a page ----------------------


class CursorError(ValueError):
    pass


def cursor_of(row: dict) -> str:
    raw = json.dumps([row["history_date"].isoformat(), row["log_object_id"], row["log_model"], row["history_id"]])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_cursor(cursor: str):
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        date, object_id, label, history_id = json.loads(text)
        moment = datetime.datetime.fromisoformat(date)
        if (not isinstance(label, str) or not isinstance(history_id, int) or not isinstance(object_id, int)
                or timezone.is_naive(moment)):
            raise CursorError(cursor)
        return moment, object_id, label, history_id
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise CursorError(cursor) from exc


def _after(source: Source, cursor) -> Q:
    """Rows of ``source`` after the cursor in the log's order (newest first)."""
    moment, object_id, label, history_id = cursor
    pk = source.model._meta.pk.attname
    earlier = Q(history_date__lt=moment) | Q(history_date=moment, **{f"{pk}__lt": object_id})
    if source.label < label:
        return earlier | Q(history_date=moment, **{pk: object_id})
    if source.label > label:
        return earlier
    return earlier | Q(history_date=moment, history_id__lt=history_id, **{pk: object_id})


# --- the log ------------------------------------------------------------------------------------------------------


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def log(*, principal, filters: dict | None = None, cursor: str | None = None):
    """The log's rows (dicts: history_id, history_date, history_user_id, history_type, log_model, log_object_id,
    log_distributor) newest first, as a queryset; ``filters``: person, model, distributor, date_from, date_to."""
    require(principal, "core.auditlog.view")
    filters = filters or {}
    after = None
    if cursor:
        try:
            after = _read_cursor(cursor)
        except CursorError:
            raise ValidationError(
                {"cursor": _("This is not a cursor of this list: pass the next_cursor of its previous page.")}
            ) from None
    date_from, date_to = filters.get("date_from"), filters.get("date_to")
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"date_to": _("The end date is before the start date.")})
    parts = []
    for source in sources():
        if filters.get("model") and source.label != filters["model"]:
            continue
        if filters.get("distributor") and source.distributor is None:
            continue
        qs = source.historical._default_manager.order_by()
        if filters.get("person"):
            qs = qs.filter(history_user_id=filters["person"])
        if filters.get("distributor"):
            qs = qs.filter(**{source.distributor: filters["distributor"]})
        if date_from:
            qs = qs.filter(history_date__gte=_day_start(date_from))
        if date_to:
            qs = qs.filter(history_date__lt=_day_start(date_to + datetime.timedelta(days=1)))
        if after is not None:
            qs = qs.filter(_after(source, after))
        # A typed NULL: PostgreSQL types the first parts' bare NULLs as text, then refuses the union with a bigint.
        distributor = F(source.distributor) if source.distributor else Cast(Value(None), output_field=BigIntegerField())
        parts.append(
            qs.annotate(
                log_model=Value(source.label, output_field=CharField()),
                log_object_id=F(source.model._meta.pk.attname),
                log_distributor=distributor,
            ).values("history_id", "history_date", "history_user_id", "history_type", "log_model", "log_object_id",
                     "log_distributor")
        )
    if not parts:
        return sources()[0].historical._default_manager.none().values("history_id")
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-log_object_id", "-log_model",
                                                          "-history_id")


def _changes(principal, source: Source, record, previous, labels: _Labels) -> list[tuple]:
    if record.history_type != "~" or previous is None:
        return []
    hidden = history_redacted_fields(principal, record.instance)
    m2m = {f.name for f in getattr(record, "_history_m2m_fields", [])}
    scalar = {f.name for f in record.tracked_fields if f.editable} - m2m - hidden
    out = []
    for change in record.diff_against(previous, included_fields=scalar).changes:
        field = source.model._meta.get_field(change.field)
        if field.is_relation:
            labels.want(field.related_model, (change.old, change.new))
        out.append((field, change.old, change.new))
    return out


def _required_parents(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.many_to_one and not f.null]


def describe(principal, rows: list[dict]) -> list[dict]:
    """Give each row of a page who, what and the changes, in names (queries per record type, not per row)."""
    by_source: dict[str, list[dict]] = {}
    for row in rows:
        by_source.setdefault(row["log_model"], []).append(row)
    sources_by_label = {s.label: s for s in sources()}
    labels = _Labels(principal)
    labels.want(get_user_model(), (row["history_user_id"] for row in rows))
    distributor_model = apps.get_model("network", "Distributor")
    labels.want(distributor_model, (row["log_distributor"] for row in rows))
    pending = []
    for label, group in by_source.items():
        source = sources_by_label[label]
        manager = source.historical._default_manager
        previous_id = (manager.filter(**{source.model._meta.pk.attname: OuterRef(source.model._meta.pk.attname)},
                                      history_date__lte=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
                       .order_by("-history_date", "-history_id").values("history_id")[:1])
        records = {r.history_id: r for r in manager.filter(history_id__in=[row["history_id"] for row in group])
                   .annotate(previous_id=Subquery(previous_id))}
        previous = {r.history_id: r for r in manager.filter(
            history_id__in=[r.previous_id for r in records.values() if r.previous_id is not None])}
        # A record's name often names its parents (a client segment: its client): join the required ones, read
        # with the records, instead of one query per row as str() reads each (50 per page of segments).
        live_qs = source.model._default_manager.select_related(*_required_parents(source.model))
        if hasattr(live_qs, "visible_to"):
            live_qs = live_qs.visible_to(principal)
        live = {obj.pk: str(obj) for obj in live_qs.filter(pk__in={row["log_object_id"] for row in group})}
        for row in group:
            record = records[row["history_id"]]
            row["record_type"] = capfirst(str(source.model._meta.verbose_name))
            name = live.get(row["log_object_id"])
            row["record"] = name if name is not None else "{} ({})".format(record.instance, _("deleted"))
            if name is not None:
                row["get_absolute_url"] = reverse("core:history", args=[source.model._meta.app_label,
                                                                        source.model._meta.model_name, row["log_object_id"]])
            row["action"] = record.get_history_type_display()
            pending.append((row, _changes(principal, source, record, previous.get(record.previous_id), labels)))
    labels.fetch()
    for row, changes in pending:
        rendered = []
        for field, old, new in changes:
            if field.is_relation:
                old_text, new_text = labels.label(field.related_model, old), labels.label(field.related_model, new)
            else:
                old_text, new_text = _plain(field, old), _plain(field, new)
            rendered.append({"field": capfirst(str(field.verbose_name)),
                             "old": None if old_text is None else str(old_text),
                             "new": None if new_text is None else str(new_text)})
        row["changes"] = rendered
        row["changes_text"] = "; ".join(f"{c['field']}: {c['old'] if c['old'] is not None else '—'} → "
                                        f"{c['new'] if c['new'] is not None else '—'}" for c in rendered)
        row["who"] = labels.label(get_user_model(), row["history_user_id"]) or _("system")
        row["distributor_name"] = labels.label(distributor_model, row["log_distributor"]) or ""
    return rows


# --- the filters: the page draws them, the API takes them (the selector reads them: a union is filtered per part) -


def _person_choices(principal) -> list[tuple[str, str]]:
    users = get_user_model()._default_manager.filter(membership__isnull=False).order_by("last_name", "first_name",
                                                                                          "username")
    return [(str(u.pk), u.get_full_name() or u.get_username()) for u in users.only("pk", "first_name", "last_name",
                                                                                    "username")]


def _distributor_choices(principal) -> list[tuple[str, str]]:
    distributors = apps.get_model("network", "Distributor").objects.visible_to(principal).order_by("code")
    return [(str(d.pk), str(d)) for d in distributors]


def _model_choices(principal) -> list[tuple[str, str]]:
    return source_choices()


AUDIT_FILTERS = ListFilters(
    FilterSpec("person", _lazy("Person"), choices=_person_choices),
    FilterSpec("model", _lazy("Record type"), choices=_model_choices),
    FilterSpec("distributor", _lazy("Distributor"), choices=_distributor_choices),
    FilterSpec("date_from", _lazy("From")),
    FilterSpec("date_to", _lazy("To")),
)
