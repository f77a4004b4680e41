"""Records as a principal may read them: the fields the owning app declares hidden are blanked on fetch.

Apps declare what a principal may not read once, with ``register_history_redaction("app.model", fn)``
(``core/history.py``); the audit history drops those fields and the selectors of the app return records with
them set to ``None`` through ``redacted(qs, principal)``. Pages, API schemas, charts and exports read what the
selectors return, so none of them can show a hidden value by forgetting a check.
"""

from __future__ import annotations

from django.db.models import Model
from django.db.models.query import ModelIterable
from django.db.models.signals import pre_save

from .history import history_redacted_fields


def redact(obj: Model, principal) -> Model:
    """Blank (set to ``None``) every field of ``obj`` hidden from ``principal``; ``obj.redacted_fields`` says which.

    The blanked copy lives in memory only: saving it is refused (see ``_refuse_redacted``)."""
    hidden = frozenset(history_redacted_fields(principal, obj))
    for name in hidden:
        setattr(obj, obj._meta.get_field(name).attname, None)
    obj.redacted_fields = hidden
    return obj


def redacted(queryset, principal):
    """The queryset, yielding records redacted for ``principal`` (kept through filter, order_by, slicing, get).

    ``values()``/``values_list()`` read columns, not records: callers that show a hidden field must not use them.
    """

    class RedactingIterable(ModelIterable):
        def __iter__(self):
            for obj in super().__iter__():
                yield redact(obj, principal)

    clone = queryset.all()
    clone._iterable_class = RedactingIterable
    return clone


class RedactedRecordSaved(RuntimeError):
    """A record fetched for a principal who may not read some of its fields was about to be saved blanked."""


def _refuse_redacted(sender, instance, **kwargs):
    # A blanked field saved back would erase the real value (or break a NOT NULL column): a programming error,
    # never something a user's input can cause, so it fails loudly instead of writing.
    if getattr(instance, "redacted_fields", None):
        raise RedactedRecordSaved(f"{sender.__name__} {instance.pk} was fetched redacted and must not be saved")


pre_save.connect(_refuse_redacted, dispatch_uid="keychannel.core.redaction.refuse_redacted")
