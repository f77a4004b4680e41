"""Reads of the clients app, always starting from ``visible_to(principal)``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, Prefetch, Q
from django.db.models.functions import Lower, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rapidfuzz import fuzz, process

from keychannel.core.cockpit import CockpitItem, due_badge, first_rows, item_url, limited
from keychannel.core.pagination import PkAnyOf, capped_figure, known_ids
from keychannel.core.scoping import get_visible_or_404

from .choices import EXECUTIVE_LEVELS, ActionStatus, BuyingRole, RelationshipLevel, StakeholderLevel
from .filters import CLIENT_FILTERS
from .matching import name_keys, normalize_company_name, normalize_tax_id
from .models import (
    AccountAction,
    AccountPlan,
    ClientMerge,
    CorporateClient,
    Stakeholder,
    StakeholderContact,
    StakeholderLink,
)

# ---------------------------------------------------------------------------------------------- clients

CLIENT_SORTS = {
    "name": "normalized_name",
    "tax_id": "tax_id",
    "status": "status",
    "volume": "potential_annual_volume",
    "employees": "employees",
    "score": "coverage_score",
    "risk": "risk_flag_count",
    "created": "created_at",
}


def client_search_filter(q: str) -> Q:
    """Search by tax id (digits, with or without RO) or by name (normalised, so diacritics and legal forms
    do not matter). The normalised name column is indexed; ``contains`` on it stays portable."""
    name, others = _search_parts(q)
    return others | Q(normalized_name__contains=name) if name else others


def _search_parts(q: str) -> tuple[str, Q]:
    """The normalised name searched for, and the search's other conditions (the code, any case; the tax id's
    start when ``q`` is one): ``client_search_filter`` is their union, ``client_searched`` reads them apart."""
    q = (q or "").strip()
    if not q:
        return "", Q()
    condition = Q(code__iexact=q)
    tax = normalize_tax_id(q)
    if tax and len(tax) >= 2 and tax == "".join(ch for ch in q.upper().removeprefix("RO") if ch.isalnum()):
        condition |= Q(tax_id__startswith=tax)
    return normalize_company_name(q), condition


def client_list(*, principal, filters: dict | None = None):
    """Clients the principal may see, with what lists show, in a fixed number of queries.

    Archived clients are left out unless ``archived`` is true (then only they are listed)."""
    filters = filters or {}
    qs = CorporateClient.objects.visible_to(principal).select_related("distributor", "territory")
    qs = CLIENT_FILTERS.apply(qs, filters, principal)
    if q := (filters.get("q") or filters.get("search") or "").strip():
        qs = client_searched(qs, q)
    return qs


# At most this many matching ids are read before the page (see ``client_searched``).
SEARCH_IDS_FIRST = 20_000


def client_searched(qs, q: str):
    """The clients of ``qs`` that match the search ``q``.

    On PostgreSQL, a name of three characters or more is read in two parts (``_searched_in_list_order``): the
    names that start with it, a range of the name index in list order, and the few other matches. Otherwise the
    name is matched through its trigram index (clients 0006) and the code through its own; the matching ids are
    read first (at most ``SEARCH_IDS_FIRST``), so the page sorts those rows only instead of walking the whole name
    index in list order and testing each client: matches cluster in that order ("termo" starts 3,000 of 200,000
    names), so the walk read most of the index (790 ms) before a page. When more match, the term is common and the
    list order finds a page of matches at once: the plain filter. SQLite (the small embedded database) has no
    trigram index and filters as it reads.
    """
    matching = qs.filter(client_search_filter(q))
    if connection.vendor != "postgresql":
        return matching
    if (split := _searched_in_list_order(qs, q)) is not None:
        return split
    # Sorted by name, the planner would walk the name index and test each client (it expects a match every 60 rows;
    # they cluster): the ids are sorted by an expression no index serves, equal to the name (normalised names are
    # lower case), so the matches are read off the trigram index and sorted, in the same statement.
    ids = list(matching.order_by(Lower("normalized_name"), "pk").values_list("pk", flat=True)[: SEARCH_IDS_FIRST + 1])
    if len(ids) > SEARCH_IDS_FIRST:
        return matching
    # The list holds exactly these ids, in the list's name order: an offset page is a slice of them, read by id,
    # and its count is len(ids) (core.pagination.KnownIds): no second read of every match, no count of them.
    listed = qs.annotate(**{SEARCHED_NAME_ORDER: Lower("normalized_name")})
    return known_ids(listed, ids, order=(SEARCHED_NAME_ORDER, "id"))


def _searched_in_list_order(qs, q: str):
    """``client_searched`` at a cost that does not grow with the matches, or None where it cannot be read so.

    "The name contains the term" is "it starts with it" or "it holds it after its first character". The first
    is a range of the name index, ``term <= name < term'`` (the term with its last character's successor), which
    the list's order (name, id) walks: the page is its first rows, the count (up to the cap) an index-only range
    scan; ``LIKE 'term%'`` alone bounds no index scan in a collation other than "C". The second, with the code and
    the tax id, is read first through the trigram index of the name's tail (clients 0014): it holds only what
    the term is inside of, not the names it starts (the bench's "termo": none of 3,001). Where the whole-name
    trigram index returned every match to recheck on the heap and sort (17 ms at 200k clients, 1.7 at 20k), the
    list now reads a page and counts index entries. The range needs a collation that orders by code point (the
    normalised names are ``[a-z0-9 ]``, whose successors stay out of the range only there), and a term of at
    least one trigram; otherwise None: the ids are read first as before.
    """
    name, others = _search_parts(q)
    if len(name) < 3 or not _orders_by_code_point():
        return None
    starts = Q(normalized_name__gte=name, normalized_name__lt=name[:-1] + chr(ord(name[-1]) + 1),
               normalized_name__startswith=name)
    tail = qs.alias(searched_tail=Substr("normalized_name", 2))
    elsewhere = tail.filter(others | Q(searched_tail__contains=name)).exclude(normalized_name__startswith=name)
    ids = list(elsewhere.order_by().values_list("pk", flat=True)[: SEARCH_IDS_FIRST + 1])
    if len(ids) > SEARCH_IDS_FIRST:
        return None
    return qs.filter(starts | Q(PkAnyOf(F("pk"), ids))) if ids else qs.filter(starts)


_CODE_POINT_COLLATIONS = {"c", "posix", "c.utf-8", "c.utf8", "ucs_basic"}
_code_point_order: dict[str, bool] = {}


def _orders_by_code_point() -> bool:
    """Whether the database's default collation (the name column's) orders text by code point: asked once per
    database and process."""
    key = connection.settings_dict["NAME"]
    if key not in _code_point_order:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            _code_point_order[key] = cursor.fetchone()[0].lower() in _CODE_POINT_COLLATIONS
    return _code_point_order[key]


SEARCHED_NAME_ORDER = "searched_name_order"


def client_sorted(qs, sort: str | None):
    sort = sort or "name"
    key = sort.lstrip("-")
    expression = CLIENT_SORTS.get(key, "normalized_name")
    if expression == "normalized_name" and SEARCHED_NAME_ORDER in qs.query.annotations:
        expression = SEARCHED_NAME_ORDER  # see client_searched
    return qs.order_by(f"-{expression}" if sort.startswith("-") and key in CLIENT_SORTS else expression, "pk")


def client_get(*, principal, pk):
    return get_visible_or_404(CorporateClient.objects.select_related("distributor", "territory", "created_by"), principal, pk=pk)


def client_count(principal):
    """Clients the principal sees, counted like the clients list (up to its cap)."""
    return capped_figure(CorporateClient.objects.visible_to(principal).filter(archived_at__isnull=True))


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
    if connection.vendor == "postgresql" and _orders_by_code_point():
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


# ---------------------------------------------------------------------------------------- stakeholders


def stakeholder_list(*, principal, client):
    """The stakeholders of one (visible) client with their managers and our contacts: three queries."""
    return (
        Stakeholder.objects.visible_to(principal)
        .filter(client=client)
        .select_related("reports_to")
        .prefetch_related(Prefetch("contacts", queryset=StakeholderContact.objects.select_related("user")))
        .order_by("full_name", "pk")
    )


def stakeholder_get(*, principal, pk):
    return get_visible_or_404(
        Stakeholder.objects.select_related("client", "client__distributor", "reports_to"), principal, pk=pk
    )


def stakeholder_links(*, principal, client):
    return (
        StakeholderLink.objects.visible_to(principal)
        .filter(source__client=client)
        .select_related("source", "target")
    )


def contact_get(*, principal, pk):
    return get_visible_or_404(
        StakeholderContact.objects.select_related("stakeholder", "stakeholder__client", "user"), principal, pk=pk
    )


def link_get(*, principal, pk):
    return get_visible_or_404(
        StakeholderLink.objects.select_related("source", "source__client", "target"), principal, pk=pk
    )


def our_people_for(client):
    """Who on our side may be recorded as knowing a stakeholder of ``client``: manufacturer staff and the
    serving distributor's people (never another distributor's)."""
    from django.contrib.auth import get_user_model

    from keychannel.core.choices import MANUFACTURER_ROLES

    users = get_user_model().objects.filter(is_active=True)
    condition = Q(membership__role__in=[str(r) for r in MANUFACTURER_ROLES])
    if client.distributor_id:
        condition |= Q(membership__organization_id=client.distributor.organization_id)
    return users.filter(condition).distinct().order_by("last_name", "first_name", "username")


# ------------------------------------------------------------------------------ buying-centre analysis

STALE_DAYS = 90
KEY_ROLES = frozenset({BuyingRole.DECISION_MAKER, BuyingRole.ECONOMIC_BUYER, BuyingRole.CHAMPION})
AT_RISK_SCORE = 50
AT_RISK_FLAGS = 3


@dataclass
class RiskFlag:
    code: str
    message: str
    people: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "people": self.people}


@dataclass
class BuyingCentreAnalysis:
    score: int
    flags: list[RiskFlag]
    stakeholders: int
    engaged: int

    @property
    def at_risk(self) -> bool:
        return is_at_risk(self.score, len(self.flags))

    @property
    def flag_codes(self) -> list[str]:
        return [f.code for f in self.flags]


def is_at_risk(score, flag_count) -> bool:
    return score is not None and (score < AT_RISK_SCORE or flag_count >= AT_RISK_FLAGS)


def at_risk_condition() -> Q:
    """The same rule as ``is_at_risk`` on the stored roll-up, for lists."""
    return Q(coverage_score__isnull=False) & (
        Q(coverage_score__lt=AT_RISK_SCORE) | Q(risk_flag_count__gte=AT_RISK_FLAGS)
    )


def _known_by(stakeholder) -> list:
    return [c for c in stakeholder.contacts.all() if c.current_level != RelationshipLevel.NONE]


def is_opponent(stakeholder) -> bool:
    return stakeholder.has_role(BuyingRole.OPPONENT) or stakeholder.attitude <= -2


def is_key_person(stakeholder) -> bool:
    return stakeholder.influence >= 4 or any(stakeholder.has_role(r) for r in KEY_ROLES)


def buying_centre_analysis(*, client, stakeholders=None, today: datetime.date | None = None) -> BuyingCentreAnalysis:
    """Coverage score (0–100) and risk flags of a client's buying centre. Formula in docs/clients.md.

    - *engaged*: at least one of our people knows the person (relationship above "none");
    - *score* = 100 × Σ influence of engaged people who are not opposed (attitude ≥ 0, not an opponent)
      ÷ Σ influence of everybody mapped (0 when nobody is mapped);
    - *flags*: see ``FLAG_CODES``; each explains itself in ``message``.

    ``stakeholders`` may be passed already loaded (with ``contacts`` prefetched) to avoid queries.
    """
    today = today or timezone.localdate()
    if stakeholders is None:
        stakeholders = list(client.stakeholders.prefetch_related("contacts"))
    people = list(stakeholders)
    total_weight = sum(s.influence for s in people)
    engaged = [s for s in people if _known_by(s)]
    credited = sum(s.influence for s in engaged if s.attitude >= 0 and not is_opponent(s))
    score = round(100 * credited / total_weight) if total_weight else 0
    flags: list[RiskFlag] = []

    strong_opponents = [s for s in people if is_opponent(s) and s.influence >= 4]
    if strong_opponents:
        flags.append(RiskFlag("strong_opponent", _("An influential opponent: %(names)s.") % {
            "names": ", ".join(s.full_name for s in strong_opponents)}, [s.pk for s in strong_opponents]))
    if not any(s.level in EXECUTIVE_LEVELS for s in engaged):
        flags.append(RiskFlag("no_executive_contact", _("Nobody at board, executive or VP level knows us.")))
    if not any(s.level == StakeholderLevel.MIDDLE_MANAGER for s in engaged):
        flags.append(RiskFlag("no_middle_manager_contact", _("No contact among the middle managers.")))
    if len(engaged) == 0:
        flags.append(RiskFlag("no_contact", _("Nobody in the buying centre knows us yet.")))
    elif len(engaged) == 1:
        flags.append(RiskFlag("single_threaded", _("Single-threaded: everything hangs on %(name)s.") % {
            "name": engaged[0].full_name}, [engaged[0].pk]))
    if not any(s.has_role(BuyingRole.DECISION_MAKER) for s in people):
        flags.append(RiskFlag("decision_maker_unknown", _("The decision maker is not known.")))
    if not any(s.has_role(BuyingRole.CHAMPION) and s.attitude >= 0 for s in people):
        flags.append(RiskFlag("no_champion", _("No champion inside the client.")))
    limit = today - datetime.timedelta(days=STALE_DAYS)
    stale = [s for s in engaged if is_key_person(s) and (s.last_contact_on is None or s.last_contact_on < limit)]
    if stale:
        flags.append(RiskFlag("stale_contact", _("No contact for more than %(days)s days with: %(names)s.") % {
            "days": STALE_DAYS, "names": ", ".join(s.full_name for s in stale)}, [s.pk for s in stale]))
    single = [s for s in people if is_key_person(s) and len(_known_by(s)) == 1]
    if single:
        flags.append(RiskFlag("single_relationship", _("Key people known by only one of our people: %(names)s.") % {
            "names": ", ".join(s.full_name for s in single)}, [s.pk for s in single]))
    return BuyingCentreAnalysis(score=score, flags=flags, stakeholders=len(people), engaged=len(engaged))


FLAG_CODES = [
    "strong_opponent", "no_executive_contact", "no_middle_manager_contact", "no_contact", "single_threaded",
    "decision_maker_unknown", "no_champion", "stale_contact", "single_relationship",
]


def clients_at_risk(*, principal, filters: dict | None = None):
    """Clients whose stored buying-centre analysis says "at risk", worst first."""
    qs = client_list(principal=principal, filters=filters).filter(at_risk_condition())
    return qs.order_by("coverage_score", "-risk_flag_count", "-potential_annual_volume", "pk")


def org_chart(*, client, stakeholders, links) -> dict:
    """Data for the ECharts org chart: a forest of reports-to trees under a virtual client root, plus the
    informal links and the external influencers. Only plain data: the template escapes it via json_script."""
    people = list(stakeholders)
    by_id = {s.pk: s for s in people}
    children: dict[int | None, list] = {}
    for s in people:
        parent = s.reports_to_id if s.reports_to_id in by_id and not s.is_external else None
        children.setdefault(parent, []).append(s)
    labels = dict(BuyingRole.choices)

    def node(s):
        known = _known_by(s)
        return {
            "id": s.pk,
            "name": s.full_name,
            "title": s.job_title,
            "level": str(StakeholderLevel(s.level).label) if s.level in StakeholderLevel.values else s.level,
            "attitude": s.attitude,
            "influence": s.influence,
            "roles": [str(labels.get(r, r)) for r in s.buying_roles or []],
            "opponent": is_opponent(s),
            "external": s.is_external,
            "organization": s.external_organization,
            "known_by": [c.user.get_full_name() or c.user.username for c in known],
            "children": [node(c) for c in children.get(s.pk, []) if not c.is_external],
        }

    roots = [node(s) for s in children.get(None, []) if not s.is_external]
    externals = [node(s) for s in people if s.is_external]
    return {
        "tree": {"id": 0, "name": client.legal_name, "root": True, "children": roots},
        "externals": externals,
        "links": [
            {"source": link.source_id, "target": link.target_id, "kind": link.kind} for link in links
        ],
    }


# ----------------------------------------------------------------------------------------- account plan


def account_plan_get(*, principal, client):
    """The plan of a key account (None when there is none yet), with its parts prefetched."""
    return (
        AccountPlan.objects.visible_to(principal)
        .filter(client=client)
        .select_related("owner")
        .prefetch_related("objectives__owner", "actions__owner", "actions__objective", "competitors")
        .first()
    )


def whitespace(*, client) -> dict:
    """Product lines the client does not buy from us yet.

    *Offered* are the product lines of the serving distributor's agreement (every active line for a
    direct client). *Bought* are lines found in the client's sales lines or won deals once those apps
    record them (looked up through any reverse relation that has a ``product_line`` field), so the
    selector grows with the other apps without importing them.
    """
    from keychannel.network.models import ProductLine

    if client.distributor_id:
        offered = list(client.distributor.product_lines.filter(active=True))
    else:
        offered = list(ProductLine.objects.filter(active=True))
    bought_ids: set[int] = set()
    for rel in CorporateClient._meta.related_objects:
        model = rel.related_model
        if rel.many_to_many or not hasattr(rel, "field"):
            continue
        field_names = {f.name for f in model._meta.get_fields()}
        accessor = rel.field.name
        if "product_line" in field_names:
            bought_ids.update(
                model._default_manager.filter(**{accessor: client}).values_list("product_line_id", flat=True)
            )
        elif "product_lines" in field_names and "stage" in field_names:
            won = model._default_manager.filter(**{accessor: client, "stage": "won"})
            bought_ids.update(won.values_list("product_lines__id", flat=True))
    bought_ids.discard(None)
    return {
        "offered": offered,
        "bought": [p for p in offered if p.pk in bought_ids],
        "whitespace": [p for p in offered if p.pk not in bought_ids],
    }


def merge_history(*, principal, client):
    return ClientMerge.objects.visible_to(principal).filter(survivor=client).select_related("merged_by")


def status_counts(*, principal):
    return dict(
        CorporateClient.objects.visible_to(principal).values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )





# ---------------------------------------------------------------------------------------------- cockpit panels
# Registered in apps.py (docs/cockpits.md).

ACTION_HORIZON_DAYS = 14


def cockpit_my_actions(principal, today):
    """Account-plan actions the principal owns that are overdue or due within two weeks."""
    qs = (AccountAction.objects.visible_to(principal)
          .filter(owner_id=principal.user_id, status__in=[ActionStatus.PLANNED, ActionStatus.IN_PROGRESS])
          .filter(Q(due_on__isnull=True) | Q(due_on__lte=today + datetime.timedelta(days=ACTION_HORIZON_DAYS)))
          .select_related("plan__client").order_by("due_on", "pk"))
    rows, total = first_rows(qs)
    items = []
    for action in rows:
        badge, tone = due_badge(action.due_on, today) if action.due_on else (str(_("no date")), "secondary")
        client = action.plan.client
        items.append(CockpitItem(label=action.title,
                                 url=item_url("clients:account_plan", client.pk) + f"#action-{action.pk}",
                                 detail=client.legal_name, badge=badge, tone=tone))
    return limited(items, total)


def cockpit_clients_at_risk(principal, today):
    """Clients in the principal's reach whose buying centre has coverage gaps, the worst covered first."""
    qs = CorporateClient.objects.visible_to(principal).filter(at_risk_condition()).order_by(
        "coverage_score", "-risk_flag_count", "-potential_annual_volume", "pk")
    rows, total = first_rows(qs)
    items = [
        CockpitItem(label=c.legal_name, url=item_url(CorporateClient.detail_url_name, c.pk),
                    detail=ngettext("%(count)d risk flag", "%(count)d risk flags", c.risk_flag_count) % {"count": c.risk_flag_count},
                    badge=f"{c.coverage_score}%", tone="danger")
        for c in rows
    ]
    return limited(items, total)


def potential_by_distributor(*, principal, distributor_ids) -> dict[int, dict]:
    """{distributor_id: {"potential": sum of the clients' potential annual volume (RON), "clients": n}} of the
    clients served by each distributor (archived ones left out): one grouped query (the scorecard)."""
    from django.db.models import Sum

    rows = (CorporateClient.objects.visible_to(principal).filter(distributor_id__in=list(distributor_ids))
            .filter(archived_at__isnull=True).order_by().values("distributor_id")
            .annotate(potential=Sum("potential_annual_volume"), clients=Count("pk")))
    return {r["distributor_id"]: {"potential": r["potential"] or 0, "clients": r["clients"]} for r in rows}
