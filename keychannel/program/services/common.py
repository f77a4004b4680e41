"""Helpers the program's services share: saving with validation, the distributors' heads."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from keychannel.core.choices import Role


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


def _heads(distributor_ids=None):
    users = get_user_model().objects.filter(membership__role=Role.DIST_HEAD, is_active=True)
    qs = users.filter(membership__organization__distributor__active=True)
    if distributor_ids is not None:
        qs = qs.filter(membership__organization__distributor__in=list(distributor_ids))
    return qs.select_related("membership__organization__distributor")
