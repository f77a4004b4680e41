"""Deleting records that other parties' records hang on (issue 23, finding 2): the one rule every delete uses.

A record may be deleted only when nothing outside its own *parts* points at it. A part is a row that belongs
to the record and goes with it: its model names the foreign key in ``part_of`` (``Stakeholder.part_of =
("client",)``). Every other reverse relation - whatever app adds it later - counts as another party's
reference and blocks the delete, so a new foreign key is covered without touching this module. The caller
offers an archive instead.

Distributor users may delete some records of their own book (``register_deletable``); a test checks that no
model owned by the manufacturer points at one of those with a cascading foreign key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import models, transaction
from django.utils.translation import gettext as _

from .errors import ConflictError

# Apps whose records belong to the manufacturer (DESIGN.md §2); single models elsewhere say
# ``owned_by_manufacturer = True``.
MANUFACTURER_APPS = frozenset({"competence", "channel", "program"})

_deletable: set[type[models.Model]] = set()


def register_deletable(*model_classes) -> None:
    """Models a distributor user may delete (through a service that calls ``delete_unreferenced``)."""
    _deletable.update(model_classes)


def deletable_by_distributors() -> frozenset:
    return frozenset(_deletable)


def is_manufacturer_owned(model) -> bool:
    owner = model._meta.auto_created or model  # an M2M link table belongs to the model declaring the field
    return bool(getattr(owner, "owned_by_manufacturer", owner._meta.app_label in MANUFACTURER_APPS))


def reverse_foreign_keys(model):
    """Every foreign key (and one-to-one, and M2M link table row) that points at ``model``, hidden ones too.

    Skipped: relations that deletion leaves alone by design (DO_NOTHING without a database constraint, as
    the history tables' links are)."""
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete) or rel.many_to_many:
            continue  # forward fields; M2M rows are seen through their link table's foreign key
        if rel.on_delete is models.DO_NOTHING and not rel.field.db_constraint:
            continue
        yield rel


def is_part(rel) -> bool:
    return rel.field.name in getattr(rel.related_model, "part_of", ())


@dataclass(frozen=True)
class Reference:
    model: type[models.Model]
    count: int

    @property
    def label(self) -> str:
        owner = self.model._meta.auto_created or self.model
        return str(owner._meta.verbose_name_plural)


def other_references(obj) -> list[Reference]:
    """What points at ``obj`` (or at one of its parts, recursively) from outside its parts, by model."""
    found: Counter = Counter()
    seen: dict[type, set] = {type(obj): {obj.pk}}
    pending = [(type(obj), [obj.pk])]
    while pending:
        model, pks = pending.pop()
        for rel in reverse_foreign_keys(model):
            related = rel.related_model
            rows = related._base_manager.filter(**{f"{rel.field.name}__in": model._base_manager.filter(pk__in=pks)})
            if is_part(rel):
                if rel.on_delete is not models.CASCADE:
                    continue  # the part stays (its link is cleared): its own references are not affected
                new = set(rows.values_list("pk", flat=True)) - seen.setdefault(related, set())
                if new:
                    seen[related] |= new
                    pending.append((related, sorted(new)))
            elif count := rows.count():
                found[related._meta.auto_created or related] += count
    return sorted((Reference(m, n) for m, n in found.items()), key=lambda r: r.label)


class ReferencedError(ConflictError):
    """The record is referenced by other records: 409, nothing deleted."""

    def __init__(self, obj, references: list[Reference], hint: str = ""):
        listed = ", ".join(f"{r.label} ({r.count})" for r in references)
        message = _("%(record)s is referenced by other records: %(references)s. It cannot be deleted.") % {
            "record": str(obj._meta.verbose_name).capitalize(), "references": listed}
        super().__init__(f"{message} {hint}".strip())
        self.references = references


def delete_unreferenced(obj, *, principal, action: str, hint: str = "", before_delete=None, after_delete=None) -> None:
    """Delete ``obj`` (the caller has checked ``action``) unless other records reference it.

    The row is locked first, so a reference added meanwhile either waits for the delete (and then fails on
    the missing row) or is seen by the check. A distributor user's refusal over records the manufacturer
    owns is recorded as a security event after the rollback (so call this outside any transaction): it is an
    attempt to take away what the manufacturer relies on.
    ``before_delete(obj)`` / ``after_delete(obj)`` run in the same transaction, after the check (e.g. to
    re-hang a tree, to refresh derived data).
    """
    from .choices import SecurityEventKind
    from .services import security_event_record

    try:
        with transaction.atomic():
            type(obj)._base_manager.select_for_update().filter(pk=obj.pk).first()
            references = other_references(obj)
            if references:
                raise ReferencedError(obj, references, hint)
            if before_delete is not None:
                before_delete(obj)
            try:
                with transaction.atomic():
                    obj.delete()
            except (models.ProtectedError, models.RestrictedError) as exc:  # a PROTECT the walk cannot miss
                raise ReferencedError(obj, [Reference(type(o), 1) for o in list(exc.args[1])[:1]], hint) from exc
            if after_delete is not None:
                after_delete(obj)
    except ReferencedError as exc:
        if principal.is_distributor_user and any(is_manufacturer_owned(r.model) for r in exc.references):
            security_event_record(
                kind=SecurityEventKind.FORBIDDEN_WRITE, principal=principal, action=action,
                detail=f"{obj._meta.label_lower} {obj.pk}: delete refused, referenced by "
                + ", ".join(f"{r.model._meta.label_lower}={r.count}" for r in exc.references),
            )
        raise
