"""Global search: one box over every kind of record, each source scoped by who may see what.

Apps register a source in ``AppConfig.ready()`` (like nav entries and cockpit panels), so ``core`` never imports
a domain app::

    register_search_source("clients", _("Clients"), find_clients, icon="briefcase", order=10)

``find(principal, query, limit)`` lives in the app's ``search.py``; it starts from the model's
``visible_to(principal)`` (with the list pages' redaction), matches with :func:`ranked` and answers at most
``limit`` :class:`SearchHit` s, best first, in a fixed number of queries. A source searches only fields the
principal may read: a manufacturer-only field is matched for manufacturer roles alone.

Matching (:func:`ranked`) is accent-insensitive and tolerant of typos:

- the query and the columns are folded the same way (``core.text.fold``, in SQL ``kc_fold(column)``): lower
  case, ș/ş ț/ţ ă â î and other accents to ASCII, punctuation to spaces;
- **PostgreSQL**: ``kc_fold(column) %> query`` (pg_trgm word similarity, served by a GIN trigram index on
  ``kc_fold(column)`` for the large tables) or ``LIKE '%query%'``; long text fields by full text
  (``to_tsvector('simple', kc_fold(text)) @@ plainto_tsquery('simple', query)``); ranked by the best word
  similarity, a full-text-only match below any name match;
- **SQLite** (the embedded single-site database): a bounded candidate set (rows where a folded column contains
  the start or the end of a query word, most words first), then ranked in Python by rapidfuzz's weighted ratio.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Greatest
from rapidfuzz import fuzz

from .text import fold

# Hits per type on the page and by default in the API; the API may ask for up to MAX_LIMIT.
DEFAULT_LIMIT = 8
MAX_LIMIT = 25
MIN_QUERY = 2  # folded characters
MAX_QUERY = 100
# SQLite: rows read per model before ranking in Python.
CANDIDATES = 200
# SQLite: a name matches from this rapidfuzz weighted ratio (0..1) on; on PostgreSQL pg_trgm's
# word_similarity_threshold (0.6 by default) decides, or the folded query inside the folded name.
PYTHON_MIN_SCORE = 0.75
TEXT_SCORE = 0.5  # a match in a long text field only (description, story)


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


@dataclass(frozen=True)
class SearchSource:
    key: str
    label: str
    find: Callable  # (principal, SearchQuery, limit) -> list[SearchHit]
    icon: str = "search"
    order: int = 100


@dataclass
class SearchGroup:
    key: str
    label: str
    icon: str
    hits: list[SearchHit] = field(default_factory=list)


_sources: dict[str, SearchSource] = {}


def register_search_source(key, label, find, *, icon="search", order=100) -> None:
    """Register (or replace, on a second ``ready()``) the source ``key``."""
    _sources[key] = SearchSource(key, label, find, icon, order)


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
    """The groups of hits, in the sources' order; a type without hits is left out. ``types`` limits the sources."""
    query = parse_query(text)
    if query is None or not principal.is_authenticated:
        return []
    wanted = set(types) if types else None
    groups = []
    for source in registered_sources():
        if wanted is not None and source.key not in wanted:
            continue
        hits = source.find(principal, query, limit)
        if hits:
            groups.append(SearchGroup(source.key, str(source.label), source.icon, hits[:limit]))
    return groups


# --- matching -------------------------------------------------------------------------------------------------------


class Fold(Func):
    """``kc_fold(text)``: the column folded as ``core.text.fold`` folds the query."""

    function = "kc_fold"
    output_field = TextField()


class WordSimilar(Func):
    """PostgreSQL ``column %> 'query'``: the query is similar to a word extent of the column (indexable)."""

    arg_joiner = " %%> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class WordSimilarity(Func):
    function = "word_similarity"
    output_field = FloatField()


class TextMatch(Func):
    """PostgreSQL full text: ``to_tsvector('simple', column) @@ plainto_tsquery('simple', 'query')``."""

    template = "(to_tsvector('simple', %(expressions)s) @@ plainto_tsquery('simple', %%s))"
    output_field = BooleanField()

    def __init__(self, expression, query: str, **extra):
        super().__init__(expression, **extra)
        self.query = query

    def as_sql(self, compiler, conn, **extra_context):
        sql, params = super().as_sql(compiler, conn, **extra_context)
        return sql, (*params, self.query)


def _expr(name, folded_fields):
    """A field name (folded in SQL unless listed in ``folded_fields``) or an expression (``Concat(...)``)."""
    if not isinstance(name, str):
        return Fold(name)
    return F(name) if name in folded_fields else Fold(F(name))


def ranked(qs, query: SearchQuery, *, fields, text_fields=(), folded_fields=(), exact: Q | None = None,
           prepared: str | None = None, limit: int = DEFAULT_LIMIT) -> list[tuple[object, float]]:
    """``(record, score)`` of ``qs`` matching ``query``, best first, at most ``limit``: one query.

    ``fields`` are names (matched by similarity), ``text_fields`` long texts (full text on PostgreSQL, every word
    present on SQLite). ``folded_fields`` hold already folded text (``clients.normalized_name``): compared as they
    are, so their own index serves; ``prepared`` is the query as that column folds it. ``exact`` (a Q) always
    matches with score 1 (a client code, a tax id)."""
    text = query.folded if prepared is None else prepared
    if not text and exact is None:
        return []
    names = [*fields, *text_fields]
    qs = qs.alias(**{f"_kc_{i}": _expr(name, folded_fields) for i, name in enumerate(names)})
    if connection.vendor == "postgresql":
        return _ranked_postgresql(qs, text, fields, text_fields, exact, limit)
    return _ranked_python(qs, text, fields, text_fields, exact, limit)


def _ranked_postgresql(qs, text, fields, text_fields, exact, limit):
    condition = Q(pk__in=[])
    scores = []
    if text:
        for i, _name in enumerate(fields):
            folded = F(f"_kc_{i}")
            condition |= Q(WordSimilar(folded, Value(text))) | Q(**{f"_kc_{i}__contains": text})
            scores.append(WordSimilarity(Value(text), folded))
        for i, _name in enumerate(text_fields, start=len(fields)):
            match = TextMatch(F(f"_kc_{i}"), text)
            condition |= Q(match)
            scores.append(Case(When(match, then=Value(TEXT_SCORE)), default=Value(0.0), output_field=FloatField()))
    if exact is not None:
        condition |= exact
        scores.append(Case(When(exact, then=Value(1.0)), default=Value(0.0), output_field=FloatField()))
    score = scores[0] if len(scores) == 1 else Greatest(*scores)
    rows = qs.filter(condition).annotate(search_score=score).order_by("-search_score", "pk")[:limit]
    return [(row, float(row.search_score)) for row in rows]


def _fragments(words) -> set[str]:
    """The start and the end of each word (three letters): a typo rarely hits both."""
    found = set()
    for word in words:
        if len(word) <= 3:
            found.add(word)
        else:
            found.add(word[:3])
            found.add(word[-3:])
    return found


def _ranked_python(qs, text, fields, text_fields, exact, limit):
    names = [*fields, *text_fields]
    fragments = _fragments(text.split())
    condition = Q(pk__in=[])
    weights = []
    for fragment in fragments:
        matched = Q()
        for i in range(len(names)):
            matched |= Q(**{f"_kc_{i}__contains": fragment})
        condition |= matched
        weights.append(Case(When(matched, then=Value(1)), default=Value(0), output_field=IntegerField()))
    annotations = {f"_kc_value_{i}": F(f"_kc_{i}") for i in range(len(names))}
    annotations["_kc_exact"] = Value(0) if exact is None else Case(When(exact, then=Value(1)), default=Value(0),
                                                                    output_field=IntegerField())
    if exact is not None:
        condition |= exact
    weight = weights[0] if weights else Value(0)
    for extra in weights[1:]:
        weight = weight + extra
    rows = (qs.filter(condition).annotate(_kc_weight=weight, **annotations)
            .order_by("-_kc_exact", "-_kc_weight", "pk")[:CANDIDATES])
    words = text.split()
    hits = []
    for row in rows:
        best = 1.0 if row._kc_exact else 0.0
        for i, name in enumerate(names):
            value = getattr(row, f"_kc_value_{i}") or ""
            if not value or not text:
                continue
            if name in text_fields:
                present = value.split()
                if all(any(w.startswith(word) for w in present) for word in words):
                    best = max(best, TEXT_SCORE)
            else:
                similarity = fuzz.WRatio(text, value, processor=None) / 100
                if similarity >= PYTHON_MIN_SCORE:
                    best = max(best, similarity)
        if best > 0:
            hits.append((row, best))
    hits.sort(key=lambda pair: (-pair[1], pair[0].pk))
    return hits[:limit]
