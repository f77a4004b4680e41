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
from keychannel.core.search import SearchBranch, SearchHit

from .models import Distributor, DistributorPerson
from .selectors import distributor_list


def _distributor_hit(row):
    distributor = row.record(Distributor)
    parts = (distributor.code, distributor.city, row["territory"])
    return SearchHit(distributor.legal_name, distributor.get_absolute_url(), " · ".join(p for p in parts if p))


def find_distributors(principal, query):
    """Distributors the principal may see, as the list shows them: name, code and city only (none of them a
    redacted field) — the manufacturer-internal assessment (stance, alignment) is never searched."""
    return SearchBranch(distributor_list(principal=principal).prefetch_related(None),
                        fields=["legal_name", "code", "city"], hit=_distributor_hit,
                        values={"legal_name": "legal_name", "code": "code", "city": "city",
                                "territory": "territory__name"})


def _account_url(principal, row, lists_people: bool) -> str:
    if lists_people and (principal.has_role("admin") or row["organization_id"] == principal.organization_id):
        return reverse("core:user_list") + "?" + urlencode({"q": row["username"]})
    distributor_id = row["distributor_id"]
    if distributor_id is not None and principal.reaches(distributor_id):
        return reverse("network:distributor_detail", args=[distributor_id])
    return f"mailto:{row['email']}" if row["email"] else ""


def find_people(principal, query):
    """Active accounts the principal may see (``Membership.visible_to``: the manufacturer everyone, a distributor
    user their own company) and the distributors' people on record in reach, by name and username. Both tables are read whole (no trigram index): each name is folded once
    per row (``fold_once``)."""
    name = Concat(F("user__first_name"), Value(" "), F("user__last_name"), Value(" "), F("user__username"))
    lists_people = can(principal, "core.user.list")

    def account_hit(row):
        membership = row.record(Membership)
        full_name = f"{row['first_name'] or ''} {row['last_name'] or ''}".strip()
        detail = " · ".join(p for p in (membership.get_role_display(), row["organization"]) if p)
        return SearchHit(full_name or row["username"], _account_url(principal, row, lists_people), detail)

    def person_hit(row):
        person = row.record(DistributorPerson)
        detail = " · ".join(p for p in (person.title, row["distributor_code"],
                                        "" if person.active else _("left the company")) if p)
        return SearchHit(person.full_name, person.get_absolute_url(), detail)

    return [
        SearchBranch(Membership.objects.visible_to(principal).filter(user__is_active=True), fields=[name],
                     hit=account_hit, fold_once=True,
                     values={"role": "role", "organization_id": "organization_id", "organization": "organization__name",
                             "distributor_id": "organization__distributor__id", "username": "user__username",
                             "first_name": "user__first_name", "last_name": "user__last_name",
                             "email": "user__email"}),
        SearchBranch(DistributorPerson.objects.visible_to(principal), fields=["full_name"], hit=person_hit, fold_once=True,
                     values={"full_name": "full_name", "title": "title", "active": "active",
                             "distributor_id": "distributor_id", "distributor_code": "distributor__code"}),
    ]
