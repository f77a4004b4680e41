"""The duplicate check: the one fuzzy client matcher of the product (``client_matches``) and what a caller may learn
from it (``client_find_duplicates``), read by the clients' form and API, the channel's registration checks and the
sales imports' suggestions (through ``selectors``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from .matching import name_keys, normalize_company_name, normalize_tax_id
from .models import CorporateClient
from .search import orders_by_code_point

# ------------------------------------------------------------------------------------- duplicate check

# The one cut-off of the one fuzzy client matcher (``client_matches``): 0–100, rapidfuzz token sort ratio of the
# normalised names. Channel had its own copy at 90 until issue 21.3; there is no other.
NAME_SCORE_CUTOFF = 85
MAX_CANDIDATES = 5000


@dataclass
class DuplicateCandidate:
    """A client that may be the one being entered. ``client`` is set only when the caller may see it."""

    client_id: int
    score: int
    reason: str  # "tax_id" or "name"
    client: CorporateClient | None = None


@dataclass
class DuplicateCheck:
    """What the caller may learn: candidates in their reach in full, and only *whether* there are others."""

    candidates: list[DuplicateCandidate] = field(default_factory=list)
    served_elsewhere: bool = False
    served_elsewhere_reason: str = ""  # "tax_id" or "name": how sure we are, never who
    # The matches outside the caller's reach, for the channel app's watch only: never shown, never serialised.
    served_elsewhere_ids: list[int] = field(default_factory=list, repr=False)

    @property
    def found(self) -> bool:
        return bool(self.candidates) or self.served_elsewhere

    @property
    def exact(self) -> bool:
        return any(c.reason == "tax_id" for c in self.candidates) or self.served_elsewhere_reason == "tax_id"

    @property
    def served_elsewhere_message(self) -> str:
        return str(SERVED_ELSEWHERE_MESSAGE) if self.served_elsewhere else ""


SERVED_ELSEWHERE_MESSAGE = _(
    "This client is already served in the network. You may request a deal registration or raise a conflict."
)


def client_matches(*, legal_name: str = "", tax_id: str = "", exclude_id=None, limit: int = 10) -> list[tuple[int, int, str]]:
    """The one fuzzy client matcher of the product: ``(client id, score, reason)`` best first, over the whole
    network (unscoped: callers scope what they show). Reason ``tax_id`` is the same tax id; ``name`` a normalised
    name scoring at least NAME_SCORE_CUTOFF (token sort), or one name being the other plus or minus a word.

    Fast at 200k clients: SQL pre-selects candidates by tax id and by the two indexed name keys (see
    ``matching.name_keys``), then rapidfuzz scores at most MAX_CANDIDATES names in memory. The duplicate check
    (``client_find_duplicates``), the channel's registration checks (``similar_clients``) and the sales imports'
    client suggestions all read it, so they cannot drift apart (clients/tests/test_one_matcher.py).
    """
    normalized = normalize_company_name(legal_name)
    tax = normalize_tax_id(tax_id)
    rows = _candidates(normalized, tax, exclude_id)
    scored: dict[int, tuple[int, str]] = {}
    for pk, _name, row_tax in rows:
        if tax and row_tax == tax:
            scored[pk] = (100, "tax_id")
    if normalized:
        choices = {pk: name for pk, name, _t in rows if pk not in scored}
        for _name, score, pk in process.extract(
            normalized, choices, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_SCORE_CUTOFF, limit=limit
        ):
            scored[pk] = (int(round(score)), "name")
        # One name is the other plus or minus a word ("Roma Vila Construct" / "Roma Construct"): counts when
        # at least two words are shared, so "Alpha" alone does not match every "Alpha …".
        words = set(normalized.split())
        if len(words) >= 2:
            for name, _score, pk in process.extract(
                normalized, choices, scorer=fuzz.token_set_ratio, score_cutoff=95, limit=limit
            ):
                if pk not in scored and len(words & set(name.split())) >= 2:
                    scored[pk] = (NAME_SCORE_CUTOFF, "name")
    ranked = sorted(scored.items(), key=lambda item: (item[1][1] != "tax_id", -item[1][0], item[0]))[:limit]
    return [(pk, score, reason) for pk, (score, reason) in ranked]


def _candidates(normalized: str, tax: str, exclude_id) -> list[tuple[int, str, str]]:
    """``(id, normalized name, tax id)`` of the clients with either name key in either key column or with the tax id,
    at most MAX_CANDIDATES, by id; a key held by more than COMMON_KEY_CLIENTS clients narrowed (``_key_blocks``).

    One statement, one SELECT per key and key column, not one OR: each is an index-only scan of its key index
    (``clients_client_key1_pair`` / ``key2_pair`` hold every column read here), where the OR was a BitmapOr whose
    heap scan fetched every candidate's row (3,001 for a common key at 200k clients: 2,336 buffers, 2.8 ms against
    36 buffers, 0.5 ms). UNION (not ALL) reads a client found by two branches once, so the cap counts distinct
    clients; the rows are few since common keys are narrowed. Sorted by id: the scans' order is arbitrary, and the
    matcher's ties break the same way on any plan."""
    first_key, second_key = name_keys(normalized) if normalized else ("", "")
    keys = sorted({k for k in (first_key, second_key) if k})
    other = {first_key: second_key, second_key: first_key}
    branches = [block for column, other_column in (("name_key", "name_key2"), ("name_key2", "name_key"))
                for key in keys for block in _key_blocks(column, key, other_column, other[key])]
    if tax:
        branches.append(("tax_id = %s", [tax]))
    if not branches:
        return []
    table = CorporateClient._meta.db_table
    excluded = (" AND id <> %s", [exclude_id]) if exclude_id else ("", [])
    sql = " UNION ".join(f"SELECT id, normalized_name, tax_id FROM {table} WHERE {where}{excluded[0]}"
                         for where, _values in branches)
    params = [value for _where, values in branches for value in (*values, *excluded[1])]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", [*params, MAX_CANDIDATES])
        return sorted(cursor.fetchall())


# A name key held by more clients than this is too common to tell a duplicate by alone (the bench's "term": 3,001 of
# 200,000 clients, and growing with the network): its block is narrowed to the clients whose other key starts with
# the first letter of the entered name's other key (``_key_blocks``), a constant share of it (1/12 in the bench data).
# Below it, every client of the block is scored, as before. The matcher's cost then stops growing with the network
# (3,001 candidates read and scored at 200k clients, 300 at 20k; now 249 at 200k).
COMMON_KEY_CLIENTS = 500


def _key_blocks(column: str, key: str, other_column: str, other_key: str) -> list[tuple[str, list]]:
    """The WHERE clauses (with their parameters) of the clients whose ``column`` is ``key``: the whole block while it
    holds at most COMMON_KEY_CLIENTS clients; past that, only those whose other key starts with the first letter of
    ``other_key`` (the entered name's other key): a typo that swaps letters or a word left out (bench/
    bench_duplicates.py's perturbations) keeps a word's first letter. A name with no other key keeps the whole block.

    Both alternatives are in the statement, each gated by the block's count (an InitPlan read once off the key index
    and stopping at the limit, a one-time filter: the alternative that does not apply is not scanned), so the choice
    costs no round trip. The letter is written as a range too, which bounds the scan of the two-column key index
    where ``LIKE`` does not (a collation other than "C"); ``LIKE`` alone decides which rows are in it."""
    if not other_key:
        return [(f"{column} = %s", [key])]
    table = CorporateClient._meta.db_table
    held = f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {column} = %s LIMIT %s) AS held)"
    letter = other_key[0]
    narrowed = f"{column} = %s AND {other_column} LIKE %s AND {held} > %s"
    values = [key, letter + "%", key, COMMON_KEY_CLIENTS + 1, COMMON_KEY_CLIENTS]
    if connection.vendor == "postgresql" and orders_by_code_point():
        narrowed = f"{column} = %s AND {other_column} >= %s AND {other_column} < %s AND {other_column} LIKE %s AND {held} > %s"
        values = [key, letter, chr(ord(letter) + 1), letter + "%", key, COMMON_KEY_CLIENTS + 1, COMMON_KEY_CLIENTS]
    whole = f"{column} = %s AND {held} <= %s"
    return [(whole, [key, key, COMMON_KEY_CLIENTS + 1, COMMON_KEY_CLIENTS]), (narrowed, values)]


def similar_clients(*, legal_name: str, exclude_id=None, limit: int = 50) -> list[CorporateClient]:
    """Clients of the whole network whose name matches ``legal_name`` (``client_matches``, names only), best
    first, with their distributor. Unscoped: for rule checks (the channel's registration checks), never shown
    as such to a user who may not see them."""
    ranked = [pk for pk, _score, _reason in client_matches(legal_name=legal_name, exclude_id=exclude_id, limit=limit)]
    found = CorporateClient._base_manager.filter(pk__in=ranked).select_related("distributor").in_bulk()
    return [found[pk] for pk in ranked if pk in found]


def client_find_duplicates(*, principal, legal_name: str = "", tax_id: str = "", exclude_id=None, limit: int = 10):
    """Likely duplicates of a client being entered: the same tax id, or a name close after normalisation
    (``client_matches``). Matches outside the principal's reach are reported only as ``served_elsewhere``
    (isolation, DESIGN.md §2)."""
    ranked = client_matches(legal_name=legal_name, tax_id=tax_id, exclude_id=exclude_id, limit=limit)
    if not ranked:
        return DuplicateCheck()
    visible = {
        c.pk: c
        for c in CorporateClient.objects.visible_to(principal)
        .filter(pk__in=[pk for pk, _s, _r in ranked])
        .select_related("distributor")
        .order_by()
    }
    check = DuplicateCheck()
    for pk, score, reason in ranked:
        if pk in visible:
            check.candidates.append(DuplicateCandidate(client_id=pk, score=score, reason=reason, client=visible[pk]))
        else:
            check.served_elsewhere = True
            check.served_elsewhere_ids.append(pk)
            if reason == "tax_id" or not check.served_elsewhere_reason:
                check.served_elsewhere_reason = reason
    return check
