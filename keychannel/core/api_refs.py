"""Ids in API request bodies, resolved through ``visible_to``: one answer for an unknown and a foreign id.

An id in the *path* names the resource the request is about: unknown or not visible is ``404`` (the resource
does not exist for you). An id in the *body* is a value the caller chose: unknown or not visible is ``422`` with
one field error on that field, worded the same whatever the id and whoever owns it, so the answer never tells
a foreign record from a missing one (docs/api.md, "Errors"). Before this helper each app resolved body ids by
hand: a client the caller could not see was a 404 in channel and sales and a 422 in deals and competence.

    client = api_refs.visible(principal, CorporateClient, payload.client_id, field="client_id")
    lines = api_refs.visible_many(principal, ProductLine, payload.product_line_ids, field="product_line_ids")
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

NOT_VISIBLE = _("Unknown id, or not one you can see.")


def _queryset(principal, source) -> QuerySet:
    qs = source if isinstance(source, QuerySet) else source._default_manager.all()
    return qs.visible_to(principal) if hasattr(qs, "visible_to") else qs


def _error(field: str) -> ValidationError:
    return ValidationError({field: NOT_VISIBLE}, code="not_visible")


def visible(principal, source: type[Model] | QuerySet, pk, *, field: str):
    """The record ``pk`` of ``source`` (a model or a queryset) that ``principal`` may see; 422 on ``field`` else."""
    if pk is None or isinstance(pk, bool) or (isinstance(pk, int) and not 0 < pk < 2**63):
        raise _error(field)  # a number no row can have is as unknown as any other
    found = _queryset(principal, source).filter(pk=pk).first()
    if found is None:
        raise _error(field)
    return found


def optional(principal, source: type[Model] | QuerySet, pk, *, field: str):
    """As ``visible``, with None (or 0) standing for "none chosen"."""
    return None if not pk else visible(principal, source, pk, field=field)


def visible_many(principal, source: type[Model] | QuerySet, ids, *, field: str) -> list:
    """Every record of ``ids`` (duplicates ignored), in id order; 422 on ``field`` when one is not visible."""
    wanted = sorted(set(ids or []))
    found = list(_queryset(principal, source).filter(pk__in=wanted).order_by("pk")) if wanted else []
    if len(found) != len(wanted):
        raise _error(field)
    return found


def _active_users():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True).select_related("membership__organization")


def active_user(pk, *, field: str):
    """A user named in a body (owner, mentor, KAM, assignee): an active account, else 422 "Unknown user." on ``field``.

    Whether *this* caller may give *this* person the work is ``core.assignment.require_assignable`` in the service.
    None stands for "nobody chosen".
    """
    if pk is None:
        return None
    user = _active_users().filter(pk=pk).first()
    if user is None:
        raise ValidationError({field: _("Unknown user.")})
    return user


def active_users(ids, *, field: str) -> list:
    """Every active user of ``ids`` (duplicates ignored), in id order; 422 on ``field`` when one is unknown."""
    wanted = sorted(set(ids or []))
    users = list(_active_users().filter(pk__in=wanted).order_by("pk")) if wanted else []
    if len(users) != len(wanted):
        raise ValidationError({field: _("Unknown user.")})
    return users
