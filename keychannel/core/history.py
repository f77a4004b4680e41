"""The audit history of one record as a principal may read it.

A history page must not tell more than the record's own page and API: fields the record hides from a
principal are hidden in its history too, and a related record appears by its label only when the principal
may see it (never by its id). Domain apps declare their hidden fields with
``register_history_redaction("app.model", fn)`` in ``ready()``, so core never imports a domain app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .choices import MANUFACTURER_ROLES
from .scoping import Principal

HistoryRedactor = Callable[[Principal, models.Model], Iterable[str]]
_redactors: dict[str, list[HistoryRedactor]] = {}


def register_history_redaction(model_label: str, redactor: HistoryRedactor) -> None:
    """Declare which fields of ``model_label`` ("app_label.model_name") ``redactor(principal, obj)`` hides."""
    _redactors.setdefault(model_label.lower(), []).append(redactor)


def history_redacted_fields(principal: Principal, obj: models.Model) -> set[str]:
    """The fields of ``obj`` this principal may not read (the union of every registered declaration)."""
    hidden: set[str] = set()
    for redactor in _redactors.get(obj._meta.label_lower, []):
        hidden.update(redactor(principal, obj))
    return hidden


def is_history_tracked(model) -> bool:
    """A record model with its own history (not a historical model, not a many-to-many history table)."""
    return getattr(model._meta, "simple_history_manager_attribute", None) is not None


# --- labels of related records -----------------------------------------------------------------------------------


def _user_labels(principal: Principal, ids: set[int]) -> dict[int, str]:
    """Users the principal may know: everyone for the manufacturer; for a distributor user their colleagues
    and the manufacturer's people (whom their pages name anyway), never another distributor's staff."""
    labels = {}
    for user in get_user_model()._default_manager.filter(pk__in=ids).select_related("membership"):
        membership = getattr(user, "membership", None)  # a missing reverse one-to-one raises AttributeError
        visible = principal.is_manufacturer or (
            membership is not None
            and (membership.organization_id == principal.organization_id or membership.role in MANUFACTURER_ROLES)
        )
        if visible:
            labels[user.pk] = user.get_full_name() or user.get_username()
    return labels


def _record_labels(principal: Principal, model, ids: set[int]) -> dict[int, str]:
    if model is get_user_model():
        return _user_labels(principal, ids)
    qs = model._default_manager.all()
    # A model without visible_to holds nothing anybody must not see (ScopedQuerySet's contract).
    if hasattr(qs, "visible_to"):
        qs = qs.visible_to(principal)
    return {record.pk: str(record) for record in qs.filter(pk__in=ids)}


class _Labels:
    """Collects the related ids of every entry, then fetches each related model once."""

    def __init__(self, principal: Principal):
        self.principal = principal
        self.wanted: dict[type, set] = {}
        self.found: dict[type, dict] = {}

    def want(self, model, ids: Iterable) -> None:
        self.wanted.setdefault(model, set()).update(i for i in ids if i is not None)

    def fetch(self) -> None:
        for model, ids in self.wanted.items():
            self.found[model] = _record_labels(self.principal, model, ids) if ids else {}

    def label(self, model, pk) -> str | None:
        if pk is None:
            return None
        return self.found.get(model, {}).get(pk) or _("hidden")


# --- the entries -------------------------------------------------------------------------------------------------


def _plain(field, value):
    if value is None or value == "":
        return None
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def _m2m_sets(records, m2m_fields) -> dict[str, dict[int, set]]:
    """The related ids of every many-to-many field at every record, one query per field.

    A record without rows is missing from its field's dict (see ``history_entries`` for what that means)."""
    ids = [r.history_id for r in records]
    sets: dict[str, dict[int, set]] = {}
    for field in m2m_fields:
        m2m_model = getattr(type(records[0]), field.name).model
        target = m2m_model._meta.get_field(field.m2m_reverse_field_name()).attname
        by_record: dict[int, set] = {}
        for history_id, target_id in m2m_model._default_manager.filter(history__in=ids).values_list("history_id", target):
            by_record.setdefault(history_id, set()).add(target_id)
        sets[field.name] = by_record
    return sets


def history_entries(*, principal: Principal, obj: models.Model, limit: int = 200) -> list[dict]:
    """History of one record, newest first, each with the fields that changed against the version before:
    without the fields ``obj`` hides from ``principal``, related records by their label when visible."""
    records = list(obj.history.order_by("-history_date", "-history_id")[: limit + 1])
    if not records:
        return []
    hidden = history_redacted_fields(principal, obj)
    m2m_names = {f.name for f in records[0]._history_m2m_fields}
    # Diffed over every field (hidden ones too), so "did anything besides the many-to-many change" stays true
    # to the record; hidden fields are dropped afterwards.
    scalar = {f.name for f in records[0].tracked_fields if f.editable} - m2m_names
    m2m_fields = [f for f in records[0]._history_m2m_fields if f.name not in hidden]
    m2m_sets = _m2m_sets(records, m2m_fields) if m2m_fields else {}

    labels = _Labels(principal)
    labels.want(get_user_model(), (r.history_user_id for r in records[:limit]))
    raw_entries = []
    known: dict[str, set | None] = {f.name: None for f in m2m_fields}
    # Oldest first, so a record without many-to-many rows can carry the last known set forward.
    for index in range(len(records) - 1, -1, -1):
        record = records[index]
        previous = records[index + 1] if index + 1 < len(records) else None
        changed = record.diff_against(previous, included_fields=scalar).changes if previous is not None else []
        changes = []
        for change in changed if record.history_type == "~" else []:
            if change.field in hidden:
                continue
            field = obj._meta.get_field(change.field)
            if field.is_relation:
                labels.want(field.related_model, (change.old, change.new))
            changes.append((field, change.old, change.new))
        for field in m2m_fields:
            before, current = known[field.name], m2m_sets[field.name].get(record.history_id)
            if current is None:
                # No rows: empty at creation, emptied when only the many-to-many changed; otherwise the record
                # was written in bulk (bulk_history_create stores no rows) and the set is unknown.
                emptied = record.history_type == "+" or (previous is not None and not changed)
                current = set() if emptied else before
            if record.history_type == "~" and None not in (before, current) and current != before:
                labels.want(field.related_model, current | before)
                changes.append((field, before, current))
            known[field.name] = current
        if index < limit:
            raw_entries.append((record, changes))
    labels.fetch()

    entries = []
    for record, changes in reversed(raw_entries):
        rendered = []
        for field, old, new in changes:
            entry = {"field": capfirst(str(field.verbose_name))}
            if field.many_to_many:
                # what was added and what was removed, by name (not the whole set before and after)
                entry["added"] = sorted(labels.label(field.related_model, pk) for pk in new - old)
                entry["removed"] = sorted(labels.label(field.related_model, pk) for pk in old - new)
                old_text = ", ".join(sorted(labels.label(field.related_model, pk) for pk in old)) or None
                new_text = ", ".join(sorted(labels.label(field.related_model, pk) for pk in new)) or None
            elif field.is_relation:
                old_text, new_text = labels.label(field.related_model, old), labels.label(field.related_model, new)
            else:
                old_text, new_text = _plain(field, old), _plain(field, new)
            rendered.append({**entry, "old": old_text, "new": new_text})
        entries.append(
            {
                "date": record.history_date,
                "user": labels.label(get_user_model(), record.history_user_id),
                "type": record.get_history_type_display(),
                "changes": rendered,
            }
        )
    return entries
