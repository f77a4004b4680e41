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

from keychannel.core.cockpit import CockpitItem, due_badge, first_rows, item_url, limited
from keychannel.core.pagination import PkAnyOf, capped_figure, known_ids
from keychannel.core.scoping import get_visible_or_404

from .choices import EXECUTIVE_LEVELS, ActionStatus, BuyingRole, RelationshipLevel, StakeholderLevel
from .duplicates import (  # noqa: F401  (the reads of the duplicate check, read through the selectors)
    MAX_CANDIDATES,
    NAME_SCORE_CUTOFF,
    SERVED_ELSEWHERE_MESSAGE,
    DuplicateCandidate,
    DuplicateCheck,
    client_find_duplicates,
    client_matches,
    similar_clients,
)
from .filters import CLIENT_FILTERS
from .matching import normalize_company_name, normalize_tax_id
from .models import (
    AccountAction,
    AccountPlan,
    ClientMerge,
    CorporateClient,
    Stakeholder,
    StakeholderContact,
    StakeholderLink,
)
from .search import orders_by_code_point

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
    scan; ``LIKE 'term%'`` bounds no index scan in a collation other than "C". The second, with the code and
    the tax id, is read first through the trigram index of the name's tail (clients 0014): it holds only what
    the term is inside of, not the names it starts (the bench's "termo": none of 3,001). Where the whole-name
    trigram index returned every match to recheck on the heap and sort (17 ms at 200k clients, 1.7 at 20k), the
    list now reads a page and counts index entries. The range needs a collation that orders by code point (the
    normalised names are ``[a-z0-9 ]``, whose successors stay out of the range only there), and a term of at
    least one trigram; otherwise None: the ids are read first as before.
    """
    name, others = _search_parts(q)
    if len(name) < 3 or not orders_by_code_point():
        return None
    # In code point order the range holds exactly the names that start with ``name``; without a LIKE beside it the
    # planner estimates its rows from the histogram alone (with it, one row: a head's search then walked the whole
    # range for its own few clients instead of its book's (distributor, name) index).
    starts = Q(normalized_name__gte=name, normalized_name__lt=name[:-1] + chr(ord(name[-1]) + 1))
    tail = qs.alias(searched_tail=Substr("normalized_name", 2))
    elsewhere = tail.filter(others | Q(searched_tail__contains=name)).exclude(normalized_name__startswith=name)
    ids = list(elsewhere.order_by().values_list("pk", flat=True)[: SEARCH_IDS_FIRST + 1])
    if len(ids) > SEARCH_IDS_FIRST:
        return None
    return qs.filter(starts | Q(PkAnyOf(F("pk"), ids))) if ids else qs.filter(starts)


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
