"""Global search on SQLite (the embedded single-site database; core/search.py's docstring): each branch answers a
bounded candidate set (rows where a folded column holds the start or the end of a query word), ranked here in
Python by rapidfuzz's weighted ratio."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, Q, Value, When
from rapidfuzz import fuzz

if TYPE_CHECKING:
    from .search import SearchBranch, SearchRow

PYTHON_MIN_SCORE = 0.75
TEXT_SCORE = 0.5  # a match in a long text field only (description, story): on both databases


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


def sqlite_candidates(text, branch, n_names):
    """The candidate condition, its weight (how many query fragments a row holds) and the exact flag."""
    condition = Q(pk__in=[])
    weights = []
    for fragment in sorted(_fragments(text.split())):
        matched = Q()
        for i in range(n_names):
            matched |= Q(**{f"_kc_{i}__contains": fragment})
        condition |= matched
        weights.append(Case(When(matched, then=Value(1)), default=Value(0), output_field=IntegerField()))
    exact = Value(0)
    if branch.exact is not None:
        condition |= branch.exact
        exact = Case(When(branch.exact, then=Value(1)), default=Value(0), output_field=IntegerField())
    weight = weights[0] if weights else Value(0)
    for extra in weights[1:]:
        weight = weight + extra
    return condition, weight, exact


def rank_in_python(query, branch: SearchBranch, rows: list[SearchRow], limit: int) -> list[SearchRow]:
    text = query.folded if branch.prepared is None else branch.prepared
    n_fields = len(branch.fields)
    words = text.split()
    ranked = []
    for row in rows:
        best = 1.0 if row["_kc_exact"] else 0.0
        for i in range(n_fields + len(branch.text_fields)):
            value = row[f"_kc_value_{i}"] or ""
            if not value or not text:
                continue
            if i >= n_fields:
                present = value.split()
                if all(any(w.startswith(word) for w in present) for word in words):
                    best = max(best, TEXT_SCORE)
            else:
                similarity = fuzz.WRatio(text, value, processor=None) / 100
                if similarity >= PYTHON_MIN_SCORE:
                    best = max(best, similarity)
        if best > 0:
            row.score = best
            ranked.append(row)
    ranked.sort(key=lambda row: (-row.score, row.pk))
    return ranked[:limit]
