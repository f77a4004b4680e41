"""A reusable table: search, filters, sorting and pagination from the query string, for every list page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Q
from django.utils.functional import cached_property

from keychannel.core.filters import ListFilters
from keychannel.core.pagination import capped_count


class CappedPaginator(Paginator):
    """For tables of millions of rows: counts up to ``cap`` (the page itself is read off an index)."""

    def __init__(self, object_list, per_page, cap: int):
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        return capped_count(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:
        return self._counted[0]

    @cached_property
    def capped(self) -> bool:
        return self._counted[1]


@dataclass
class Column:
    key: str  # attribute path on the row object, dots allowed ("channel_manager.get_full_name")
    label: str
    sort: str | None = None  # ORM ordering expression; None: not sortable
    link: bool = False  # render as a link to row.get_absolute_url()
    badge: bool = False


@dataclass
class Filter:
    name: str
    label: str
    choices: list[tuple[str, str]]
    lookup: str  # ORM lookup the value is applied to

    def apply(self, qs, value):
        return qs.filter(**{self.lookup: value}) if value else qs


@dataclass
class Table:
    columns: list[Column]
    search_fields: list[str] = field(default_factory=list)
    # A list's ``ListFilters`` (the selector applies them: pass ``filter_values(request)`` to it), or, for
    # lists not converted yet, plain ``Filter`` lookups the table applies itself.
    filters: list[Filter] | ListFilters = field(default_factory=list)
    default_sort: str = ""
    per_page: int = 50
    count_cap: int | None = None  # set for tables of millions of rows: "more than N rows" instead of a full count

    def _controls(self, request):
        """The filter selects of this table for this request (choices may cost a query: read once per request)."""
        cache = request.__dict__.setdefault("_kc_table_controls", {})
        if id(self) not in cache:
            cache[id(self)] = self.filters.page_controls(getattr(request, "principal", None))
        return cache[id(self)]

    def filter_values(self, request) -> dict:
        """The filter values of the query string, for the selector (which applies them, as for the API)."""
        if isinstance(self.filters, ListFilters):
            return self.filters.from_query(request.GET, None, self._controls(request))
        return {}

    def build(self, request, queryset) -> TableState:
        params = request.GET
        q = params.get("q", "").strip()
        if q and self.search_fields:
            condition = Q()
            for name in self.search_fields:
                condition |= Q(**{f"{name}__icontains": q})
            queryset = queryset.filter(condition)
        if isinstance(self.filters, ListFilters):
            # already applied by the selector: only remembered, to show them selected
            controls = self._controls(request)
            active_filters = self.filters.page_values(params, controls)
        else:
            active_filters, controls = {}, self.filters
            for flt in self.filters:
                value = params.get(flt.name, "")
                if value and value in {c[0] for c in flt.choices}:
                    queryset = flt.apply(queryset, value)
                    active_filters[flt.name] = value
        sort = params.get("sort", self.default_sort)
        sortable = {c.key: c.sort for c in self.columns if c.sort}
        key = sort.lstrip("-")
        if key in sortable:
            expression = sortable[key]
            queryset = queryset.order_by(f"-{expression}" if sort.startswith("-") else expression, "pk")
        else:
            sort = ""
        if self.count_cap:
            paginator = CappedPaginator(queryset, self.per_page, self.count_cap)
        else:
            paginator = Paginator(queryset, self.per_page)
        page = paginator.get_page(params.get("page"))
        return TableState(self, page, q, sort, active_filters, request, controls)


@dataclass
class TableState:
    table: Table
    page: object
    q: str
    sort: str
    active_filters: dict
    request: object
    controls: list = field(default_factory=list)  # the filter selects: name, label, choices

    @property
    def rows(self):
        return self.page.object_list

    def query_without(self, *names) -> str:
        params = self.request.GET.copy()
        for name in names:
            params.pop(name, None)
        return params.urlencode()

    def headers(self):
        out = []
        for column in self.table.columns:
            entry = {"label": column.label, "sortable": bool(column.sort), "key": column.key, "direction": ""}
            if column.sort:
                if self.sort == column.key:
                    entry["direction"], next_sort = "asc", f"-{column.key}"
                elif self.sort == f"-{column.key}":
                    entry["direction"], next_sort = "desc", column.key
                else:
                    next_sort = column.key
                params = self.request.GET.copy()
                params["sort"] = next_sort
                params.pop("page", None)
                entry["query"] = params.urlencode()
            out.append(entry)
        return out
