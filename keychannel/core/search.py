"""Global search: one box over every kind of record, each source scoped by who may see what, in one statement.

Apps register a source in ``AppConfig.ready()`` (like nav entries and cockpit panels), so ``core`` never imports
a domain app::

    register_search_source("clients", _("Clients"), find_clients, icon="briefcase", order=10)

The source's function (``find_<type>`` in the app's ``search.py``) takes ``(principal, query)`` and answers one
or more :class:`SearchBranch` es, without touching the database: a queryset that starts from the model's
``visible_to(principal)``, the fields to match, the values a hit shows and how to make the :class:`SearchHit`
from them. A source searches only fields the principal may read: a manufacturer-only field is matched for
manufacturer roles alone.

:func:`search` runs every branch of every wanted source as one statement, a ``UNION ALL`` of the branches, each
filtered, ranked and limited on its own (so each keeps its own plan and index), answering
``(branch, pk, score, values as JSON)``; hits are grouped by source in Python, best first. On PostgreSQL the
branches over small tables are a second such statement, prepared and planned once per connection (see _run).

Matching is accent-insensitive and tolerant of typos:

- the query and the columns are folded the same way (``core.text.fold``, in SQL ``kc_fold(column)``): lower
  case, ș/ş ț/ţ ă â î and other accents to ASCII, punctuation to spaces;
- **PostgreSQL**: ``kc_fold(column) %> query`` (pg_trgm word similarity, served by a GIN trigram index on
  ``kc_fold(column)``, or on the generated column ``<column>_fold`` of ``stored_folds`` for the large tables) or
  ``LIKE '%query%'``; long text fields by full text
  (``to_tsvector('simple', kc_fold(text)) @@ plainto_tsquery('simple', query)``); ranked by the best word
  similarity, a full-text-only match below any name match; each branch answers at most ``limit`` rows. A stored
  folded name (clients) also matches a query of several words similar to a run of its whole words (``%>>``: a
  typo in a short first word) and ranks by the mean of word similarity and similarity. A ``bounded`` branch (a
  large table) ranks at most ``BOUNDED`` rows containing the query and ``BOUNDED`` others matching, not every
  match of a common word (a distributor user's from its scope read once, stakeholders from a prefix index). Each
  branch's SQL is compiled once per scope and shape and kept (``_compiled``), the query bound as parameters;
- **SQLite** (the embedded single-site database): each branch answers a bounded candidate set (rows where a
  folded column contains the start or the end of a query word, most words first, with the folded columns), then
  ranked in Python by rapidfuzz's weighted ratio.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    DateTimeField,
    F,
    FloatField,
    IntegerField,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Greatest, JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .search_sql import (
    Fold,
    FoldedOnceMatch,
    Similarity,
    StoredFold,
    StrictWordSimilar,
    TextMatch,
    WordSimilar,
    WordSimilarity,
    hidden_from_planner,
    scope_key,
    search_cursor,
    similar_apart,
    similar_ids,
    whole_table,
)
from .search_sqlite import TEXT_SCORE, rank_in_python, sqlite_candidates
from .text import fold

# Hits per type on the page and by default in the API; the API may ask for up to MAX_LIMIT.
DEFAULT_LIMIT = 8
MAX_LIMIT = 25
MIN_QUERY = 2  # folded characters
MAX_QUERY = 100
# SQLite: rows read per branch before ranking in Python.
CANDIDATES = 200
# PostgreSQL, a bounded branch (a large table, e.g. 1M stakeholders): at most this many rows containing the query
# and this many others matching are ranked, so a common word (a quarter of all deal titles hold "industrial")
# does not fold and rank every match.
BOUNDED = 400
# SQLite: a name matches from a rapidfuzz weighted ratio on (search_sqlite.PYTHON_MIN_SCORE); on PostgreSQL
# pg_trgm's word_similarity_threshold (0.6 by default) decides, or the folded query inside the folded name.


@dataclass(frozen=True)
class SearchQuery:
    raw: str
    folded: str
    words: tuple[str, ...]


@dataclass
class SearchHit:
    title: str
    url: str
    detail: str = ""
    score: float = 0.0


@dataclass
class SearchRow:
    """One matching record as the statement answers it: its pk, its score and the branch's ``values``."""

    pk: int
    score: float
    data: dict

    def __getitem__(self, key):
        return self.data.get(key)

    def record(self, model):
        """An unsaved ``model`` instance holding the pk and the values named like its fields (``title``,
        ``stage``, ``client_id``…): enough for ``get_absolute_url()`` and ``get_<field>_display()``."""
        values = {}
        for f in model._meta.concrete_fields:
            if f.attname in self.data:
                values[f.attname] = _to_python(f, self.data[f.attname])
        obj = model(**values)
        obj.pk = self.pk
        return obj


def _to_python(model_field, value):
    if value is None:
        return None
    if isinstance(model_field, DateTimeField):
        moment = value if not isinstance(value, str) else parse_datetime(value)
        if moment is not None and settings.USE_TZ and timezone.is_naive(moment):
            moment = timezone.make_aware(moment, datetime.UTC)  # SQLite answers stored UTC without its offset
        return moment
    return model_field.to_python(value)


@dataclass(frozen=True)
class SearchBranch:
    """One scoped query of a source. ``qs`` starts from ``visible_to(principal)``; ``fields`` are names (matched
    by similarity; a field name or an expression such as ``Concat(...)``), ``text_fields`` long texts (full text
    on PostgreSQL, every word present on SQLite). ``folded_fields`` hold already folded text
    (``clients.normalized_name``): compared as they are, so their own index serves; ``prepared`` is the query as
    that column folds it. ``exact`` (a Q) always matches with score 1 (a client code, a tax id). ``values``
    (name → field path or expression) are what ``hit(row)`` reads from the :class:`SearchRow`."""

    qs: object
    fields: Sequence
    hit: Callable[[SearchRow], SearchHit]
    values: Mapping = field(default_factory=dict)
    text_fields: Sequence = ()
    folded_fields: Sequence = ()
    exact: Q | None = None
    prepared: str | None = None
    bounded: bool = False  # a large table: rank at most BOUNDED matches of each kind (see _bounded)
    # Fields whose folded copy PostgreSQL keeps in a generated column ``<column>_fold`` (clients 0011, deals 0017):
    # matched and ranked on that column, no kc_fold per row; SQLite folds them at query time.
    stored_folds: Sequence = ()
    # Set by search() for a principal of one distributor (see _in_scope): the scope is small, read it first.
    scope_first: bool = False
    # A bounded branch whose first field has a b-tree index serving ``LIKE 'query%'`` (text_pattern_ops): the rows
    # starting with the query are read first through it, the rows containing it only while fewer than ``limit``
    # start with it (see _bounded).
    starts: bool = False
    # A small table read whole (no trigram index on its fields, not ``bounded``): each field that is folded at query
    # time is folded once per row for both of its tests (search_sql.FoldedOnceMatch), not once per test.
    fold_once: bool = False


@dataclass(frozen=True)
class SearchSource:
    key: str
    label: str
    branches: Callable  # (principal, SearchQuery) -> SearchBranch | list[SearchBranch]
    icon: str = "search"
    order: int = 100


@dataclass
class SearchGroup:
    key: str
    label: str
    icon: str
    hits: list[SearchHit] = field(default_factory=list)


_sources: dict[str, SearchSource] = {}


def register_search_source(key, label, branches, *, icon="search", order=100) -> None:
    """Register (or replace, on a second ``ready()``) the source ``key``; ``branches(principal, query)`` answers
    its :class:`SearchBranch` (or a list of them, one per model)."""
    _sources[key] = SearchSource(key, label, branches, icon, order)


def registered_sources() -> list[SearchSource]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.key))


def source_keys() -> list[str]:
    return [s.key for s in registered_sources()]


def parse_query(text) -> SearchQuery | None:
    """The query folded and split in words; ``None`` when it is too short to search."""
    raw = str(text or "").strip()[:MAX_QUERY]
    folded = fold(raw)
    if len(folded.replace(" ", "")) < MIN_QUERY:
        return None
    return SearchQuery(raw=raw, folded=folded, words=tuple(folded.split()))


def search(principal, text, *, types=None, limit: int = DEFAULT_LIMIT) -> list[SearchGroup]:
    """The groups of hits, in the sources' order; a type without hits is left out. ``types`` limits the sources.
    One statement for all of them (two on PostgreSQL, see _run; none when the query is too short)."""
    query = parse_query(text)
    if query is None or not principal.is_authenticated:
        return []
    sources, branches = collect(principal, query, types)
    ranked = _run(query, [branch for _key, branch in branches], limit)
    per_source = defaultdict(list)
    for index, rows in ranked.items():
        key, branch = branches[index]
        per_source[key] += [(-row.score, index, row.pk, branch, row) for row in rows]
    groups = []
    for source in sources:
        best = sorted(per_source[source.key], key=lambda entry: entry[:3])[:limit]
        if best:
            hits = []
            for _neg, _index, _pk, branch, row in best:
                hit = branch.hit(row)
                hit.score = row.score
                hits.append(hit)
            groups.append(SearchGroup(source.key, str(source.label), source.icon, hits))
    return groups


def collect(principal, query: SearchQuery, types=None) -> tuple[list[SearchSource], list[tuple[str, SearchBranch]]]:
    """The wanted sources and their branches for ``principal``, as ``(source key, branch)``. A distributor user's
    branches read their scope first (``SearchBranch.scope_first``)."""
    wanted = set(types) if types else None
    sources, branches = [], []
    for source in registered_sources():
        if wanted is not None and source.key not in wanted:
            continue
        found = source.branches(principal, query)
        for branch in (found if isinstance(found, list | tuple) else [found]):
            if principal.is_distributor_user:
                branch = dataclasses.replace(branch, scope_first=True)
            branches.append((source.key, branch))
        sources.append(source)
    return sources, branches


def statement(query: SearchQuery, branches: Sequence[SearchBranch], limit: int, *,
              bounded: bool | None = None) -> tuple[str, list] | None:
    """The ``UNION ALL`` statement of ``branches`` and its parameters (``None`` when no branch can match): each
    branch is its own parenthesised ``SELECT … ORDER BY … LIMIT`` (on SQLite a sub-select), answering
    ``(branch index, pk, score, values as JSON)``. ``bounded``: only the branches whose ``bounded`` is that (the
    two statements of PostgreSQL, see _run); ``None``: every branch."""
    postgresql = connection.vendor == "postgresql"
    parts, params = [], []
    for index, branch in enumerate(branches):
        if bounded is not None and branch.bounded != bounded:
            continue
        text = query.folded if branch.prepared is None else branch.prepared
        if not text and branch.exact is None:  # a query that folds to nothing for a prepared column
            continue
        try:
            sql, branch_params = (_compiled(index, branch, text, limit) if postgresql
                                  else _branch_queryset(index, branch, text, " " in text, limit, False)
                                  .query.sql_with_params())
        except EmptyResultSet:  # visible_to() answered none()
            continue
        parts.append(f"({sql})" if postgresql else f"SELECT * FROM ({sql})")
        params.extend(branch_params)
    if not parts:
        return None
    return " UNION ALL ".join(parts), params


# PostgreSQL: each branch's SQL is compiled by Django once per shape and kept, the query bound as parameters
# (compiling the 12 branches cost about 30–45 ms of Python a search, more than the statement itself). A template is
# compiled with markers for the query's values — the text, and each text value of the branch's ``exact`` condition
# (a client code, a tax id); the parameters equal to a marker, or to a marker as a LIKE pattern, are the query's
# slots, every other parameter belongs to the scope. The key holds the branch's scope — its ``visible_to``
# queryset compiled alone, SQL and parameters — so a template serves only principals whose scope compiles to the
# very same statement: it never carries one principal's reach to another.
TEMPLATES = 512  # kept per process, least recently used dropped first
MARKER = "\x00kc-search-%s\x00"  # NUL: no folded query, no scope parameter holds it
_templates: OrderedDict = OrderedDict()


@dataclass(frozen=True)
class _Template:
    sql: str
    params: tuple
    slots: tuple  # (position, index of the query value, LIKE pattern: "" | "prefix" | "suffix" | "contains")


def _marked(condition: Q, values: list) -> Q:
    """``condition`` with each text value replaced by a marker (appended to ``values``): the condition's shape."""
    marked = Q()
    marked.connector, marked.negated = condition.connector, condition.negated
    for child in condition.children:
        if isinstance(child, Q):
            marked.children.append(_marked(child, values))
        elif isinstance(child[1], str):
            marked.children.append((child[0], MARKER % len(values)))
            values.append(child[1])
        else:
            marked.children.append(child)
    return marked


def _patterns(marker: str) -> dict:
    like = connection.ops.prep_for_like_query(marker)
    return {marker: "", like + "%": "prefix", "%" + like: "suffix", "%" + like + "%": "contains"}


def _bind(value: str, pattern: str) -> str:
    if not pattern:
        return value
    like = connection.ops.prep_for_like_query(value)
    return {"prefix": like + "%", "suffix": "%" + like, "contains": "%" + like + "%"}[pattern]


def _compiled(index, branch: SearchBranch, text: str, limit: int) -> tuple[str, list]:
    """The branch's SQL and parameters, from its kept template when there is one."""
    values = [text]
    exact = None if branch.exact is None else _marked(branch.exact, values)
    # The rows the scope lets through (its joins and WHERE: scope_key); the select list and ordering do not scope.
    key = (index, limit, BOUNDED, branch.qs.model, bool(text), " " in text, scope_key(branch.qs, connection),
           tuple(map(repr, branch.fields)), tuple(map(repr, branch.text_fields)), tuple(branch.folded_fields),
           tuple(branch.stored_folds), tuple((name, repr(value)) for name, value in branch.values.items()),
           branch.bounded, branch.scope_first, branch.starts, branch.fold_once, repr(exact))
    template = _templates.get(key)
    if template is None:
        marked = dataclasses.replace(branch, exact=exact)
        qs = _branch_queryset(index, marked, MARKER % 0 if text else "", " " in text, limit, True)
        sql, params = qs.query.sql_with_params()
        patterns = {}
        for i in range(len(values)):
            patterns.update({form: (i, kind) for form, kind in _patterns(MARKER % i).items()})
        slots = tuple((position, *patterns[p]) for position, p in enumerate(params)
                      if isinstance(p, str) and p in patterns)
        if any(isinstance(p, str) and "\x00kc-search-" in p and p not in patterns for p in params):
            # A query value reached SQL in a form not known here: no template, compiled with the values themselves.
            return _branch_queryset(index, branch, text, " " in text, limit, True).query.sql_with_params()
        if not branch.bounded:
            sql = hidden_from_planner(sql, {position for position, _value, _pattern in slots})
        template = _Template(sql, tuple(params), slots)
        _templates[key] = template
        while len(_templates) > TEMPLATES:
            _templates.popitem(last=False)
    else:
        _templates.move_to_end(key)
    params = list(template.params)
    for position, value, pattern in template.slots:
        params[position] = _bind(values[value], pattern)
    return template.sql, params


def _run(query, branches, limit) -> dict[int, list[SearchRow]]:
    """Branch index → its rows, best first, at most ``limit``. On PostgreSQL two statements: the bounded branches
    (large tables), planned for the query's text, which chooses between a trigram index and a scan stopping at the
    bound; then the others, whose plan the text never reaches (``hidden_from_planner``), prepared on the connection
    and planned once (search_sql.search_cursor: 2–3 ms of planning a search saved for a round trip)."""
    postgresql = connection.vendor == "postgresql"
    rows = defaultdict(list)
    for bounded in (True, False) if postgresql else (None,):
        built = statement(query, branches, limit, bounded=bounded)
        if built is None:
            continue
        with search_cursor(connection, prepare=not bounded) if postgresql else connection.cursor() as cursor:
            cursor.execute(*built)
            for index, pk, score, data in cursor.fetchall():
                rows[index].append(SearchRow(pk, float(score or 0),
                                             data if isinstance(data, dict) else json.loads(data)))
    if postgresql:
        return rows
    return {index: rank_in_python(query, branches[index], found, limit) for index, found in rows.items()}


# --- matching -------------------------------------------------------------------------------------------------------


def _expr(name, branch):
    """A field name (folded in SQL unless listed in ``folded_fields``; its stored fold for ``stored_folds``) or an
    expression (``Concat(...)``)."""
    if not isinstance(name, str):
        return Fold(name)
    if name in branch.folded_fields:
        return F(name)
    return StoredFold(F(name)) if name in branch.stored_folds else Fold(F(name))


def _branch_queryset(index, branch: SearchBranch, text: str, multiword: bool, limit: int, postgresql: bool):
    """The branch as a queryset of ``(kc_branch, pk, kc_score, kc_data)``, ranked and limited, matching ``text``
    (``multiword``: whether the query holds several words; ``text`` may be a template's MARKER)."""
    names = [*branch.fields, *branch.text_fields]
    qs = branch.qs.alias(**{f"_kc_{i}": _expr(name, branch) for i, name in enumerate(names)})
    values = {key: F(value) if isinstance(value, str) else value for key, value in branch.values.items()}
    if postgresql:
        condition, score = _postgresql_match(text, multiword, branch, len(branch.fields))
        qs = (_bounded(qs, branch, names, condition, text, limit, multiword) if branch.bounded and text
              else qs.filter(condition))
        qs = qs.annotate(kc_score=Cast(score, FloatField()))
        order, cut = ("-kc_score", "pk"), limit
    else:
        condition, weight, exact = sqlite_candidates(text, branch, len(names))
        values.update({f"_kc_value_{i}": F(f"_kc_{i}") for i in range(len(names))})
        qs = qs.filter(condition).annotate(kc_score=weight, _kc_exact=exact)
        order, cut = ("-_kc_exact", "-kc_score", "pk"), CANDIDATES
        values["_kc_exact"] = F("_kc_exact")
    return (qs.annotate(kc_branch=Value(index, output_field=IntegerField()), kc_data=JSONObject(**values))
            .order_by(*order).values_list("kc_branch", "pk", "kc_score", "kc_data")[:cut])


def _bounded(scoped, branch: SearchBranch, names, condition, text, limit, multiword):
    """The rows a bounded branch ranks: the first ``BOUNDED`` visible rows whose field contains the query (the best
    matches: an exact name is never crowded out), the exact matches (a client code) and — only while fewer than
    ``limit`` rows contain the query — the first ``BOUNDED`` visible rows matching at all (a typo), each read
    through the trigram index and stopped at the bound, instead of every match. When the query is written out in
    ``limit`` rows or more ("industrial" is in 75,000 deal titles), the similar-word scan (a bitmap of every
    trigram match, 40–100 ms at the issue-10 size) is skipped by a one-time filter on the count of the first set.
    The first set is a materialised CTE, read once for both uses (asked apart, "is there an 8th row containing the
    query?" was planned as a second scan, or as a walk of the clients' name b-tree expecting the matches spread
    out: they cluster, 44 ms). The sets come from the scoped queryset. They are ranked on the folded values they
    carry (``_best``) and cut to ``limit`` there, so only the ``limit`` best are read again and joined for their values
    (a deal's client name): joined first, the 400 deals of a common word read 400 random clients (20 ms at the
    issue-10 size)."""
    carried = {f"kc_f{i}": F(f"_kc_{i}") for i in range(len(names))}  # each set's rows carry what _best ranks on

    def rows_of(qs, *extra, **more):
        flag = RawSQL("0::float8", [], output_field=FloatField())  # not an exact match (see kc_exact below)
        return qs.order_by().annotate(**carried, kc_x=flag, **more).values("pk", *carried, "kc_x", *extra)

    contains = Q(pk__in=[])
    for i in range(len(branch.fields)):
        contains |= Q(**{f"_kc_{i}__contains": text})
    if branch.scope_first:
        return _in_scope(scoped, branch, names, contains, text, limit, multiword)
    start = ""
    if branch.starts:
        # The rows starting with the query (a full name typed from its start: "vlad diaconu"), read through the
        # field's b-tree prefix index and stopped at the bound; the rows containing it elsewhere only while fewer
        # than ``limit`` start with it. A common name's trigrams are each in 100,000s of rows: the trigram index
        # intersects them all before the first row (1,140 "vlad diaconu" of 1M stakeholders: 20–30 ms).
        starts = Q(**{"_kc_0__startswith": text})
        start_sql, start_params = rows_of(scoped.filter(starts))[:BOUNDED].query.sql_with_params()
        contains &= ~starts  # each row once: the count below decides on distinct rows
        first_sql, first_params = rows_of(scoped.filter(contains))[:BOUNDED].query.sql_with_params()
        start = f"kc_start AS MATERIALIZED ({start_sql}), "
        first_sql = (f"SELECT * FROM kc_start UNION ALL SELECT * FROM ({first_sql}) kc_inner "
                     f"WHERE (SELECT count(*) FROM kc_start) < %s")
        first_params = [*start_params, *first_params, limit]
    else:
        first_sql, first_params = rows_of(scoped.filter(contains))[:BOUNDED].query.sql_with_params()
    # The similar rows are a materialised CTE too, cut to BOUNDED outside it: a CTE is planned for all its rows, so
    # it reads the trigram index. Planned under a LIMIT, a stored folded column (cheap to test per row) made the
    # planner expect the bound early in a sequential scan, and a typo matching nothing read 1M stakeholders (1.5 s).
    # Not read at all when the one-time filter is false.
    apart = similar_apart(branch, multiword)
    if apart:
        # A stored folded name and several words: its %> and %>> are one index scan (kc_word_similar_ids), not a
        # BitmapOr of two scans of the same index (the admin's typo: 10.75 → 6.25 ms of PostgreSQL CPU for the
        # clients, full size), beside the branch's other tests (the LIKE, the exact code).
        # Each row once and in the table's order, as the one bitmap scan answered them: the bound below keeps the
        # same rows of a query matching more than BOUNDED.
        others, _score = _postgresql_match(text, multiword, branch, len(branch.fields), apart=apart)
        ctid = RawSQL(f"{connection.ops.quote_name(branch.qs.model._meta.db_table)}.ctid", [], output_field=TextField())
        parts = [scoped.filter(others), *(scoped.filter(similar_ids(branch, name, text)) for name in apart)]
        compiled = [rows_of(part, "kc_ctid", kc_ctid=ctid).query.sql_with_params() for part in parts]
        rest_sql = " UNION ".join(f"({part_sql})" for part_sql, _params in compiled)
        columns = ", ".join(["kc_pk", *carried, "kc_x"])
        rest_sql = f"SELECT {columns} FROM ({rest_sql}) kc_u ({columns}, kc_ctid) ORDER BY kc_u.kc_ctid"
        rest_params = [param for _sql, part_params in compiled for param in part_params]
    else:
        rest_sql, rest_params = rows_of(scoped.filter(condition)).query.sql_with_params()
    if text == MARKER % 0 and whole_table(branch):
        # Its plan is the trigram index whatever the query (planned for all its rows, see above), so the query
        # reaches it through sub-selects the planner does not estimate (``hidden_from_planner``): pg_trgm's estimator
        # ran %>, %>> and LIKE over the column's statistics (full size, admin, same plans: planning time 6–7 → 2 ms
        # for a name of two words at load 10, about 0.5–1 ms of backend CPU). Only the template's marker, never a
        # scope value equal to the query by chance. A narrower scope keeps the constant (see whole_table): hidden,
        # the planner read a distributor head's clients and deals through a BitmapAnd with the trigram index instead
        # of the scope's few rows (twice the CPU).
        forms = _patterns(text)
        rest_sql = hidden_from_planner(rest_sql, {i for i, p in enumerate(rest_params) if isinstance(p, str) and p in forms})
    sql = (f"WITH {start}kc_first AS MATERIALIZED ({first_sql}), kc_similar AS MATERIALIZED ({rest_sql}) "
           f"SELECT * FROM kc_first UNION ALL "
           f"SELECT * FROM (SELECT * FROM kc_similar LIMIT {BOUNDED}) kc_rest WHERE (SELECT count(*) FROM kc_first) < %s")
    params = [*first_params, *rest_params, limit]
    if branch.exact is not None:
        exact = {"kc_x": RawSQL("1::float8", [], output_field=FloatField())}
        exact_qs = scoped.filter(branch.exact).order_by().annotate(**carried, **exact)
        exact_sql, exact_params = exact_qs.values("pk", *carried, "kc_x")[:BOUNDED].query.sql_with_params()
        sql += f" UNION ALL SELECT * FROM ({exact_sql}) kc_exact"
        params += exact_params
    rows = branch.qs.model._base_manager.alias(**{f"_kc_{i}": _expr(name, branch) for i, name in enumerate(names)})
    return rows.filter(pk__in=_best(branch, names, sql, params, text, multiword, limit))


def _in_scope(scoped, branch: SearchBranch, names, contains: Q, text, limit, multiword):
    """A distributor user's bounded branch (``scope_first``): the scope's rows (a head's 113 clients, 554
    stakeholders, about 200 deals at the issue-10 size) read once into a CTE with their folded fields and whether
    each is an exact match (``kc_e``), and _bounded's three sets (``contains``: the first) filtered from it, with their bounds. Written on the
    table, each set planned the scope's joins again and pg_trgm's estimator ran each similarity test over the
    column's statistics: 1–5 ms of planning a branch (full size). A CTE has no index and no statistics, so the
    planner cannot prefer a trigram scan of the whole table (a common name's trigrams: 20 ms) to the scope."""
    carried = {f"kc_f{i}": F(f"_kc_{i}") for i in range(len(names))}
    exact = Value(0) if branch.exact is None else Case(When(branch.exact, then=Value(1)), default=Value(0))
    scope = scoped.order_by().annotate(**carried, kc_e=Cast(exact, IntegerField())).values("pk", *carried, "kc_e")
    scope_sql, scope_params = scope.query.sql_with_params()
    on_scope = branch.qs.model._base_manager.alias(
        **{f"_kc_{i}": RawSQL(f"kc_scope.kc_f{i}", [], output_field=TextField()) for i in range(len(names))})
    condition, _score = _postgresql_match(text, multiword, dataclasses.replace(branch, exact=None), len(branch.fields))
    (first_sql, first_params), (rest_sql, rest_params) = (
        query.get_compiler(connection=connection).compile(query.where)
        for query in (on_scope.filter(contains).query, on_scope.filter(condition).query))
    columns = ", ".join(["kc_pk", *carried])
    sql = (f"WITH kc_scope ({columns}, kc_e) AS MATERIALIZED ({scope_sql}), "
           f"kc_first AS MATERIALIZED (SELECT {columns}, 0::float8 FROM kc_scope WHERE {first_sql} LIMIT {BOUNDED}), "
           f"kc_similar AS MATERIALIZED (SELECT {columns}, 0::float8 FROM kc_scope WHERE ({rest_sql}) OR kc_e = 1) "
           f"SELECT * FROM kc_first UNION ALL SELECT * FROM (SELECT * FROM kc_similar LIMIT {BOUNDED}) kc_rest "
           f"WHERE (SELECT count(*) FROM kc_first) < %s")
    params = [*scope_params, *first_params, *rest_params, limit]
    if branch.exact is not None:
        sql += f" UNION ALL (SELECT {columns}, 1::float8 FROM kc_scope WHERE kc_e = 1 LIMIT {BOUNDED})"
    rows = branch.qs.model._base_manager.alias(**{f"_kc_{i}": _expr(name, branch) for i, name in enumerate(names)})
    return rows.filter(pk__in=_best(branch, names, sql, params, text, multiword, limit))


def _best(branch: SearchBranch, names, sql: str, params: list, text: str, multiword: bool, limit: int) -> RawSQL:
    """The ``limit`` best pks of a bounded branch's candidates (``sql``: rows of ``(pk, kc_f<i>…, kc_x)``: the
    folded fields as the index or scan read them, whether an exact match), ranked by the branch's score computed on
    those carried values (an exact match 1): the row's own score, without reading it again. Ranked on the table's
    rows, the 400 clients containing "industrial" were each read again by pk (1,600 of the admin's 3,600 buffers)."""
    carried = [f"kc_f{i}" for i in range(len(names))]
    on_carried = branch.qs.model._base_manager.alias(
        **{f"_kc_{i}": RawSQL(f"kc_u.{name}", [], output_field=TextField()) for i, name in enumerate(carried)})
    _condition, score = _postgresql_match(text, multiword, dataclasses.replace(branch, exact=None), len(branch.fields))
    query = on_carried.query
    rank_sql, rank_params = query.get_compiler(connection=connection).compile(
        Cast(score, FloatField()).resolve_expression(query, allow_joins=False))
    columns = ", ".join(["kc_pk", *carried, "kc_x"])
    best_sql = (f"SELECT kc_u.kc_pk FROM ({sql}) kc_u ({columns}) GROUP BY kc_u.kc_pk "
                f"ORDER BY max(GREATEST({rank_sql}, kc_u.kc_x)) DESC, kc_u.kc_pk LIMIT %s")
    return RawSQL(best_sql, [*params, *rank_params, limit])


def _postgresql_match(text, multiword, branch, n_fields, *, apart=()):
    """The branch's match condition and score. ``apart``: fields whose similarity tests are left out of the
    condition (read by ``similar_ids`` instead); their score is unchanged."""
    fields = [*branch.fields, *branch.text_fields]
    condition = Q(pk__in=[])
    scores = []
    if text:
        for i in range(n_fields):
            folded = F(f"_kc_{i}")
            if branch.fold_once and not branch.bounded and isinstance(_expr(fields[i], branch), Fold):
                field_expr = F(fields[i]) if isinstance(fields[i], str) else fields[i]
                pattern = "%" + connection.ops.prep_for_like_query(text) + "%"
                condition |= Q(FoldedOnceMatch(field_expr, Value(text), Value(pattern)))
            elif fields[i] in apart:
                condition |= Q(**{f"_kc_{i}__contains": text})
            else:
                condition |= Q(WordSimilar(folded, Value(text))) | Q(**{f"_kc_{i}__contains": text})
            if fields[i] in branch.folded_fields:
                # A stored folded name (clients): ranked by the mean of word similarity and similarity, so among
                # names sharing the query's words the one closest as a whole comes first (a typo's own record);
                # a query of several words also matches a name whose whole words are similar to it (%>>). Cheap on
                # a stored column; on kc_fold(column) each extra test folds again. One word: %> covers it.
                if multiword and fields[i] not in apart:
                    condition |= Q(StrictWordSimilar(folded, Value(text)))
                scores.append((WordSimilarity(Value(text), folded) + Similarity(Value(text), folded)) / 2)
            else:
                scores.append(WordSimilarity(Value(text), folded))
        for i in range(n_fields, n_fields + len(branch.text_fields)):
            match = TextMatch(F(f"_kc_{i}"), text)
            condition |= Q(match)
            scores.append(Case(When(match, then=Value(TEXT_SCORE)), default=Value(0.0), output_field=FloatField()))
    if branch.exact is not None:
        condition |= branch.exact
        scores.append(Case(When(branch.exact, then=Value(1.0)), default=Value(0.0), output_field=FloatField()))
    return condition, scores[0] if len(scores) == 1 else Greatest(*scores)
