"""The clients app's sources of the global search (core/search.py): clients and stakeholders; and whether the
database orders text by code point, which the clients list's search and the duplicate check's key ranges need."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from keychannel.core.search import SearchBranch, SearchHit

from .matching import normalize_company_name, normalize_tax_id
from .models import CorporateClient, Stakeholder


def _exact(raw: str) -> Q | None:
    """The client code (any case) or the tax id (with or without RO): a match scores 1."""
    condition = Q(code__iexact=raw)
    tax = normalize_tax_id(raw)
    if len(tax) >= 4 and tax == "".join(ch for ch in raw.upper().removeprefix("RO") if ch.isalnum()):
        condition |= Q(tax_id__startswith=tax)
    return condition


def _client_hit(row):
    client = row.record(CorporateClient)
    parts = [client.tax_id, client.city, row["distributor_code"] if client.distributor_id else _("direct")]
    if client.archived_at:
        parts.append(_("archived"))
    return SearchHit(client.legal_name, client.get_absolute_url(), " · ".join(p for p in parts if p))


def find_clients(principal, query):
    """Clients the principal may see (archived ones too, marked): the normalised name (its trigram index on
    PostgreSQL, migration 0006), the code and the tax id."""
    return SearchBranch(
        CorporateClient.objects.visible_to(principal), fields=["normalized_name"], folded_fields=["normalized_name"],
        prepared=normalize_company_name(query.raw), exact=_exact(query.raw), hit=_client_hit, bounded=True,
        values={"legal_name": "legal_name", "tax_id": "tax_id", "city": "city", "archived_at": "archived_at",
                "distributor_id": "distributor_id", "distributor_code": "distributor__code"})


def _stakeholder_hit(row):
    person = row.record(Stakeholder)
    return SearchHit(person.full_name, person.get_absolute_url(),
                     " · ".join(p for p in (person.job_title, row["client_name"]) if p))


def find_stakeholders(principal, query):
    """People of the visible clients' buying centres, by name: the trigram index on the stored fold (clients 0011)
    and its b-tree prefix index (clients 0012) for names typed from their start."""
    return SearchBranch(
        Stakeholder.objects.visible_to(principal), fields=["full_name"], stored_folds=["full_name"],
        hit=_stakeholder_hit, bounded=True, starts=True,
        values={"full_name": "full_name", "job_title": "job_title", "client_id": "client_id",
                "client_name": "client__legal_name"})


_CODE_POINT_COLLATIONS = {"c", "posix", "c.utf-8", "c.utf8", "ucs_basic"}
_code_point_order: dict[str, bool] = {}


def orders_by_code_point() -> bool:
    """Whether the database's default collation (the name column's) orders text by code point: asked once per
    database and process."""
    key = connection.settings_dict["NAME"]
    if key not in _code_point_order:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            _code_point_order[key] = cursor.fetchone()[0].lower() in _CODE_POINT_COLLATIONS
    return _code_point_order[key]
