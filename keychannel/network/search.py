"""The network app's sources of the global search (core/search.py): distributors and people.

"People" are the accounts (memberships: our people and the distributors' users) and the distributors' people
on record (``DistributorPerson``)."""

from __future__ import annotations

from django.db.models import F, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from keychannel.core.models import Membership
from keychannel.core.policies import can
from keychannel.core.search import SearchHit, ranked

from .models import DistributorPerson
from .selectors import distributor_list


def find_distributors(principal, query, limit):
    """Distributors the principal may see, as the list shows them (redacted): name, code and city only — the
    manufacturer-internal assessment (stance, alignment) is never searched."""
    qs = distributor_list(principal=principal).prefetch_related(None)
    return [
        SearchHit(d.legal_name, d.get_absolute_url(), " · ".join(p for p in (d.code, d.city, d.territory.name) if p),
                  score)
        for d, score in ranked(qs, query, fields=["legal_name", "code", "city"], limit=limit)
    ]


def _account_url(principal, membership, lists_people: bool) -> str:
    if lists_people and (principal.has_role("admin") or membership.organization_id == principal.organization_id):
        return reverse("core:user_list") + "?" + urlencode({"q": membership.user.username})
    distributor = getattr(membership.organization, "distributor", None)
    if distributor is not None and principal.reaches(distributor.pk):
        return reverse("network:distributor_detail", args=[distributor.pk])
    return f"mailto:{membership.user.email}" if membership.user.email else ""


def find_people(principal, query, limit):
    """Active accounts the principal may see (``Membership.visible_to``: the manufacturer everyone, a distributor
    user their own company) and the distributors' people on record in reach, by name and username."""
    name = Concat(F("user__first_name"), Value(" "), F("user__last_name"), Value(" "), F("user__username"))
    accounts = (Membership.objects.visible_to(principal).filter(user__is_active=True)
                .select_related("user", "organization", "organization__distributor"))
    lists_people = can(principal, "core.user.list")
    hits = []
    for membership, score in ranked(accounts, query, fields=[name], limit=limit):
        user = membership.user
        hits.append(SearchHit(user.get_full_name() or user.username, _account_url(principal, membership, lists_people),
                              " · ".join(p for p in (membership.get_role_display(), membership.organization.name) if p),
                              score))
    people = DistributorPerson.objects.visible_to(principal).select_related("distributor")
    for person, score in ranked(people, query, fields=["full_name"], limit=limit):
        detail = " · ".join(p for p in (person.title, person.distributor.code, "" if person.active else _("left the company")) if p)
        hits.append(SearchHit(person.full_name, person.get_absolute_url(), detail, score))
    hits.sort(key=lambda hit: -hit.score)
    return hits[:limit]
