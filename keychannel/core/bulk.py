"""Bulk writes for the API (``POST /clients/bulk``, ``POST /opportunities/bulk``): whole or nothing, per-item errors.

Each item goes through the same function a single create (or upsert by external id) goes through, so every rule
holds for a bulk path too. The items run in one transaction, in order (a later item sees the earlier ones: two
items with one tax id are a duplicate). If any item is refused, nothing is written and the answer lists every
refused item's errors, each located by its index and field: ``{"loc": ["body", "items", 3, "tax_id"], …}``.

A refusal of the caller's role (403) or a rate limit ends the whole request with that answer, as for one item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from .errors import ConflictError


class BulkRefused(Exception):
    """At least one item was refused; ``errors`` are the field errors of every refused item."""

    def __init__(self, errors: list[dict]):
        super().__init__(errors)
        self.errors = errors


def item_errors(index: int, exc: Exception) -> list[dict]:
    """The item's errors located by index and field; a rule's extra answer (the registration gate's ``rules`` and
    ``registration_url``) goes with each of them."""
    extra = {k: v for k, v in (getattr(exc, "api_extra", None) or {}).items() if k not in ("detail", "loc", "msg")}
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", "items", index, field], "msg": " ".join(str(m) for m in errors[0].messages),
             "type": "value_error", **extra}
            for field, errors in exc.error_dict.items()
        ]
    if isinstance(exc, ValidationError):
        return [{"loc": ["body", "items", index], "msg": " ".join(exc.messages), "type": "value_error"}]
    return [{"loc": ["body", "items", index], "msg": str(getattr(exc, "message", exc)), "type": "conflict"}]


def run(items: Sequence, one: Callable[[int, object], object]) -> list:
    """``one(index, item)`` for every item in one transaction; the results, or BulkRefused with nothing written."""
    results, errors = [], []
    with transaction.atomic():
        for index, item in enumerate(items):
            try:
                with transaction.atomic():  # a refused item leaves nothing of itself behind
                    results.append(one(index, item))
            except (ValidationError, ConflictError) as exc:
                errors.extend(item_errors(index, exc))
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise BulkRefused(errors)
    return results
