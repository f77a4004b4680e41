"""One filter definition per list, read by the selector, the page table and the API alike.

Before this, each list had its filters twice: in the selector (what the API answers) and again as
``Table(filters=…)`` lookups on the page; the copies drifted (the registrations page's "Approved" kept
approved registrations whose protection had passed, which the same table shows as "Expired"). A
``ListFilters`` is declared once next to the selector; the selector calls ``apply``; the page's ``Table``
takes the same object to draw its controls and to read the values it hands to the selector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property

from django.db import connections

Choices = Iterable[tuple[str, str]] | Callable[[object], Iterable[tuple[str, str]]] | None

# A filter of more choices than this is typed on a page (a code or a name), not picked from a list: a select of
# 2,000 distributors was a third of a list page's HTML and most of its rendering time (issue 22).
TYPED_FROM = 50
SORT_COLUMNS = 3  # the most columns a list of choice_lists is ordered by


class QueryChoices:
    """A filter's choices from a queryset's ``(pk, label)`` rows (after ``head``, fixed pairs such as "Direct"), read
    only when they are iterated: a page that types the filter (more than ``TYPED_FROM`` choices) and has no value for
    it never reads them. Whether there are that many is counted up to ``TYPED_FROM + 1`` rows (issue 22: the kanban
    and the deals page read 2,000 distributor codes to find out the filter is typed)."""

    def __init__(self, queryset, label: str, head=()):
        self.queryset, self.label, self.head = queryset, label, [(str(value), str(text)) for value, text in head]
        self._more: dict[int, bool] = {}  # counted once per request (a page asks whether it is typed several times)

    @cached_property
    def rows(self) -> list[tuple[str, str]]:
        return self.head + [(str(pk), text) for pk, text in self.queryset.values_list("pk", self.label)]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def __bool__(self):
        return self.more_than(0)

    def more_than(self, n: int) -> bool:
        if "rows" in self.__dict__:
            return len(self.rows) > n
        if n not in self._more:
            rest = n + 1 - len(self.head)  # rows of the query that make more than n choices with the head
            self._more[n] = rest <= 0 or self.queryset.order_by()[:rest].count() >= rest
        return self._more[n]


def choice_lists(lists: Mapping[str, tuple]) -> dict[str, list[tuple[str, str]]]:
    """Several filters' ``(pk, label)`` choices in one statement: ``{name: (queryset, label_field)}`` read as one
    ``UNION ALL`` of the lists, each tagged by its place and ordered by its label, then its id (the order of the
    reference data: territories, product lines). Issue 22: the kanban and the deals page read the territories and
    the product lines in a statement each, on every view.

    A list whose label is made of several columns names them and how to make it: ``(queryset, (field, …),
    make_label)``, ordered by those columns in that order, then its id (at most ``SORT_COLUMNS`` of them): the
    owners, ``(last_name, username, first_name)`` and their full name or username. ``make_label`` is given the
    ``SORT_COLUMNS`` columns (None past the list's own).

    The union is written around each list's own SQL (its scope and filters as the ORM compiles them): the ORM's
    ``union()`` of annotated parts cost more Python than the round trip it saves (0.95 against 0.72 ms)."""
    found: dict[str, list[tuple[str, str]]] = {name: [] for name in lists}
    names, makers, parts, params, alias = list(lists), [], [], [], None
    for place, (queryset, label, *make_label) in enumerate(lists.values()):
        makers.append(make_label[0] if make_label else None)
        if queryset.query.is_empty():  # none(): nothing to read (the ORM would not even run it)
            continue
        fields = (label,) if isinstance(label, str) else tuple(label)
        sql, part_params = queryset.order_by().values_list("pk", *fields).query.sql_with_params()
        padding = "".join(", NULL" for _ in range(SORT_COLUMNS - len(fields)))
        parts.append(f"SELECT {place} AS kc_list, kc_part.*{padding} FROM ({sql}) kc_part")
        params.extend(part_params)
        alias = alias or queryset.db
    if not parts:
        return found
    order = ", ".join(str(3 + n) for n in range(SORT_COLUMNS))
    with connections[alias].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts) + f" ORDER BY 1, {order}, 2", params)
        for place, pk, *columns in cursor.fetchall():
            make = makers[place]
            found[names[place]].append((str(pk), make(*columns) if make else columns[0]))
    return found


def many_choices(choices, n: int = TYPED_FROM) -> bool:
    """Whether there are more than ``n`` choices (``QueryChoices`` counts them without reading them)."""
    more_than = getattr(choices, "more_than", None)
    return more_than(n) if more_than is not None else len(choices) > n


def typed_choice(choices, text: str) -> tuple[str, int]:
    """The choice a typed filter means, and how many choices the text could mean.

    The value itself (an id from a link or a bookmark), else the choice whose label is the text (case aside), else
    the only label containing it. Several labels containing it: no choice (the page says how many match).
    """
    text = (text or "").strip()
    if not text:
        return "", 0
    choices = [(str(value), str(label)) for value, label in choices]
    folded = text.casefold()
    if any(value == text for value, _label in choices):
        return text, 1
    for value, label in choices:
        if label.casefold() == folded:
            return value, 1
    hits = [value for value, label in choices if folded in label.casefold()]
    return (hits[0] if len(hits) == 1 else ""), len(hits)


@dataclass(frozen=True)
class FilterSpec:
    """One named filter: a value turns a queryset into a narrower one.

    ``name`` is the query-string parameter and the API filter field alike. ``lookup`` is the plain case
    (``qs.filter(lookup=value)``); ``method(qs, value, principal)`` is for anything else. ``choices`` (pairs,
    or a function of the principal for choices that depend on what they may see) make the filter a control
    on the page; a filter without choices is API-only (its page has its own toggle, or none). ``param`` is
    the page's query parameter when older page URLs named it otherwise (kept so bookmarks still work).
    ``default`` is applied when no value is given (e.g. archived clients are left out unless asked for).
    """

    name: str
    label: str = ""
    lookup: str | None = None
    method: Callable | None = None
    choices: Choices = None
    distinct: bool = False  # the lookup crosses a to-many relation: rows would repeat
    param: str = ""
    default: object = None

    @property
    def page_param(self) -> str:
        return self.param or self.name

    def apply(self, qs, value, principal=None):
        if self.method is not None:
            return self.method(qs, value, principal)
        qs = qs.filter(**{self.lookup: value})
        return qs.distinct() if self.distinct else qs

    def choices_for(self, principal) -> list[tuple[str, str]]:
        choices = self.choices(principal) if callable(self.choices) else self.choices
        if isinstance(choices, QueryChoices):  # read when drawn or looked up, not to find out how many
            return choices
        return [(str(value), label) for value, label in (choices or [])]

    @property
    def on_page(self) -> bool:
        return self.choices is not None


class ListFilters:
    """The filters of one list, in the order they are applied (and shown)."""

    def __init__(self, *specs: FilterSpec):
        names = [spec.name for spec in specs]
        if len(names) != len(set(names)):
            raise ValueError(f"Duplicate filter names: {names}")
        self.specs = specs
        self.by_name = {spec.name: spec for spec in specs}

    def on_page(self, *names: str) -> ListFilters:
        """The same filters, with only ``names`` drawn on the page (for a second page over the same list)."""
        return ListFilters(*(spec if spec.name in names else replace(spec, choices=None) for spec in self.specs))

    def __iter__(self):
        return iter(self.specs)

    def apply(self, qs, values: Mapping | None, principal=None):
        """Narrow ``qs`` by every filter with a value; ``None`` and "" mean "not filtered" (False is a value)."""
        values = values or {}
        for spec in self.specs:
            value = values.get(spec.name)
            if value is None or value == "":
                value = spec.default
            if value is None:
                continue
            qs = spec.apply(qs, getattr(value, "value", value), principal)
        return qs

    def page_controls(self, principal) -> list[PageControl]:
        return [PageControl(spec.page_param, spec.label, spec.choices_for(principal), spec.name)
                for spec in self.specs if spec.on_page]

    @staticmethod
    def page_values(params: Mapping, controls: list[PageControl]) -> dict:
        """The page filters set in a query string, by page parameter; a value outside the choices is ignored,
        as a page always did."""
        values = {}
        for control in controls:
            value = params.get(control.name, "")
            if value and control.typed:
                value = typed_choice(control.choices, value)[0]
            if value and value in {choice for choice, _label in control.choices}:
                values[control.name] = value
        return values

    def from_query(self, params: Mapping, principal, controls: list[PageControl] | None = None) -> dict:
        """The same values by filter name, for ``apply``."""
        controls = self.page_controls(principal) if controls is None else controls
        page_values = self.page_values(params, controls)
        return {control.filter_name: page_values[control.name] for control in controls if control.name in page_values}


@dataclass(frozen=True)
class PageControl:
    """What the table template needs to draw one filter select."""

    name: str  # the query parameter
    label: str
    choices: list[tuple[str, str]]
    filter_name: str

    @property
    def typed(self) -> bool:
        return many_choices(self.choices)
