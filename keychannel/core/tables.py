"""A reusable table: search, filters, sorting, pagination and export from the query string, for every list page.

Export: the same query string plus ``export=csv`` or ``export=xlsx`` downloads every row the page lists (its
search, filters and sort; not only the current page), with the table's columns as the header in the user's
language. ``Table.build`` answers it by raising ``TableExport`` with the download; ``TableExportMiddleware``
(core/middleware.py) returns that response. So every list page built on a ``Table`` exports without code of its
own, after its view has scoped the queryset (the view's own checks have run: a refused user is refused before).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partialmethod
from html import escape
from itertools import islice

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.core.signals import setting_changed
from django.db.models import Q
from django.template.base import render_value_in_context
from django.template.context import Context
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.hashable import make_hashable
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from keychannel.core import exports
from keychannel.core.filters import ListFilters, many_choices, typed_choice
from keychannel.core.pagination import BoundedPagination, capped_count, count_beyond_of

EXPORT_PARAM = "export"
EXPORT_CHUNK = 2000  # rows read per query while exporting (prefetches run once per chunk)
# A page counts its rows up to as many as the API lists do: an exact count of 200,000 clients or 300,000 deals cost
# more than the page itself (issue 22).
PAGE_COUNT_CAP = BoundedPagination.COUNT_CAP
MAX_PAGE = 100_000  # past a capped count: the deepest page reached by next/previous


def resolve(obj, path: str):
    """The raw value of a dotted attribute path on a row, calling callables on the way (get_x_display, methods)."""
    value = obj
    for part in path.split("."):
        if value is None:
            return None
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        if callable(value):
            value = value()
    return value


def cell(obj, path: str):
    """A cell's value on a page: the raw value, but never True/False nor an ungrouped amount (yes/no and numbers
    in the active language), and "" for None."""
    return shown(resolve(obj, path))


def shown(value):
    """A raw value (``resolve``'s) as ``cell`` shows it."""
    from keychannel.core.templatetags.kc_format import format_number, yesno_label

    if isinstance(value, bool):
        return yesno_label(value)
    if isinstance(value, (Decimal, float)):
        return format_number(value)
    return "" if value is None else value


_DISPLAY = re.compile(r"get_(\w+)_display")
_MARK = 987654321


_PK_URLS: dict[tuple, tuple[str, str]] = {}


def pk_url(name: str, *args):
    """``pk -> URL`` of a URL name taking the row's pk as its last argument (after ``args``), reversed once per
    process (issue 22: ``reverse()`` per row was a tenth of a list page's rows; once per request, the kanban's
    fourteen were 3 % of it)."""
    from django.urls import get_script_prefix, get_urlconf

    key = (name, args, get_urlconf(), get_script_prefix())
    parts = _PK_URLS.get(key)
    if parts is None:
        parts = _PK_URLS[key] = tuple(reverse(name, args=[*args, _MARK]).rsplit(str(_MARK), 1))
    head, tail = parts
    return lambda pk: f"{head}{pk}{tail}"


def _forget_urls(**kwargs) -> None:
    _PK_URLS.clear()


setting_changed.connect(_forget_urls)


def _cell_html(value, context) -> SafeString:
    """A cell's value as ``render_value_in_context`` writes it in an autoescaping template, quicker for the common
    types (issue 22: a third of a list page's rows): a plain string is only escaped (no localisation checks nor
    lazy wrappers), a date is written once per language and date (``format_date``), and an int without thousands
    separators is its digits (what ``number_format`` answers for it)."""
    kind = type(value)
    if kind is str:
        return SafeString(escape(value))
    if kind is datetime.date:
        from keychannel.core.templatetags.kc_format import format_date

        return SafeString(escape(format_date(value)))
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return SafeString(value)
    return render_value_in_context(value, context)


def _fast_value(model, key: str):
    """A getter of ``key`` on rows of ``model`` quicker than ``cell`` for Django's own ``get_<field>_display``: the
    field's choices made a dict once per page, not once per row and column. None for any other key."""
    match = _DISPLAY.fullmatch(key)
    if not match or not isinstance(model.__dict__.get(key), partialmethod):  # not overridden by the model
        return None
    try:
        field = model._meta.get_field(match.group(1))
    except (AttributeError, LookupError):
        return None
    labels = dict(make_hashable(field.flatchoices))
    attname = field.attname

    def value(row):
        raw = getattr(row, attname)
        if raw is None and None not in labels:
            return ""
        label = force_str(labels.get(make_hashable(raw), raw), strings_only=True)
        return label if isinstance(label, str) else cell(row, key)  # a value outside the choices: as cell() shows it

    return value


def _row_url(model):
    """``row -> its page``: from the model's ``detail_url_name`` (its ``get_absolute_url`` is that URL with its pk,
    reversed once), else its ``get_absolute_url``."""
    if name := getattr(model, "detail_url_name", ""):
        url = pk_url(name)
        return lambda row: url(row.pk)
    return lambda row: resolve(row, "get_absolute_url") or ""


def row_getters(kind, columns) -> list | None:
    """The raw value getters (as ``resolve`` answers) of ``columns`` that a row class offers itself
    (``table_getters(keys)``: a row read as values, ``deals.tables.DealRow``), else None (the rows are resolved)."""
    table_getters = getattr(kind, "table_getters", None)
    return table_getters([column.key for column in columns]) if table_getters else None


class TableExport(Exception):  # noqa: N818 - not an error: it carries the download out of the view
    """Raised by ``Table.build`` for an export request; carries the response (see the module docstring)."""

    def __init__(self, response):
        super().__init__("table export")
        self.response = response


class CappedPage(Page):
    """A page of a capped count: whether a next page exists is read (one row more), not counted."""

    def __init__(self, object_list, number, paginator, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more if self.paginator.capped else super().has_next()


class CappedPaginator(Paginator):
    """Counts up to ``cap`` (the page itself is read off an index); past the cap, pages are still reached one
    after the other (next/previous), and the page says "more than ``cap`` rows"."""

    def __init__(self, object_list, per_page, cap: int):
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        # a stored figure that proves more than the cap (count_beyond: the deals page's roll-up) answers the cap
        # without reading cap + 1 rows, as the API's lists do
        if (beyond := count_beyond_of(self.object_list)) is not None and beyond(self.cap):
            return self.cap, True
        return capped_count(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:
        return self._counted[0]

    @cached_property
    def capped(self) -> bool:
        return self._counted[1]

    def validate_number(self, number):
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return min(number, MAX_PAGE)

    def page(self, number):
        number = self.validate_number(number)
        if not self.capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom:bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[:self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number):
        try:
            return super().get_page(number)
        except EmptyPage:  # past the end of a capped list: its last counted page
            return self.page(self.num_pages)


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

    @property
    def typed(self) -> bool:
        return many_choices(self.choices)


@dataclass
class Table:
    columns: list[Column]
    search_fields: list[str] = field(default_factory=list)
    # A list's ``ListFilters`` (the selector applies them: pass ``filter_values(request)`` to it), or, for
    # lists not converted yet, plain ``Filter`` lookups the table applies itself.
    filters: list[Filter] | ListFilters = field(default_factory=list)
    default_sort: str = ""
    per_page: int = 50
    count_cap: int | None = PAGE_COUNT_CAP  # "more than N rows" past it instead of a full count; None: exact
    export_name: str = ""  # the file name of its export; default: from the page's path ("channel-registrations")
    # ``prepare(rows, request) -> rows``: completes a page's rows (or an export's chunk) in a few queries, for lists
    # whose rows are not records (the audit log's union)
    prepare: Callable | None = None
    keep_params: tuple[str, ...] = ()  # query parameters of the page's own controls, kept when the table's change

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
        """The page's state; for ``?export=csv|xlsx`` raises ``TableExport`` with the download of every row."""
        queryset, q, sort, active_filters, controls = self.narrow(request, queryset)
        if request.GET.get(EXPORT_PARAM) in exports.FORMATS:
            raise TableExport(self.export(request, queryset))
        if self.count_cap and hasattr(queryset, "query"):
            paginator = CappedPaginator(queryset, self.per_page, self.count_cap)
        else:
            paginator = Paginator(queryset, self.per_page)
        page = paginator.get_page(request.GET.get("page"))
        if self.prepare is not None:
            page.object_list = self.prepare(list(page.object_list), request)
        return TableState(self, page, q, sort, active_filters, request, controls)

    def narrow(self, request, queryset):
        """The rows the page lists (search, plain filters, sort): the queryset, q, sort, active filters, controls."""
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
                if value and flt.typed:
                    value = typed_choice(flt.choices, value)[0]
                if value and value in {str(c[0]) for c in flt.choices}:
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
        return queryset, q, sort, active_filters, controls

    def export_filename(self, request) -> str:
        name = self.export_name or re.sub(r"[^a-z0-9]+", "-", request.path.lower()).strip("-") or "export"
        return f"{name}-{timezone.localdate().isoformat()}"

    def export_row(self, row) -> list:
        if getters := row_getters(type(row), self.columns):
            return [getter(row) for getter in getters]
        return [resolve(row, column.key) for column in self.columns]

    def export_rows(self, queryset, request=None):
        """Every row's values, read in chunks (a query per chunk, never per row)."""
        rows = queryset.iterator(chunk_size=EXPORT_CHUNK) if hasattr(queryset, "iterator") else iter(queryset)
        if self.prepare is None:
            for row in rows:
                yield self.export_row(row)
            return
        while chunk := list(islice(rows, EXPORT_CHUNK)):
            for row in self.prepare(chunk, request):
                yield self.export_row(row)

    def export(self, request, queryset):
        """The download of ``queryset`` (already narrowed) in the format the query string asks for."""
        return exports.export_response(
            request.GET.get(EXPORT_PARAM), self.export_filename(request),
            [column.label for column in self.columns], self.export_rows(queryset, request),
        )


def select_options(choices, chosen: str = ""):
    """The ``<option>``s of ``choices`` with ``chosen`` selected, in one join (safe HTML)."""
    chosen = str(chosen)
    return format_html_join("", "<option value=\"{}\"{}>{}</option>", (
        (value, mark_safe(" selected") if str(value) == chosen else "", label) for value, label in choices))


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

    @cached_property
    def body(self) -> list:
        """Each row's cells as HTML, built here: the markup a template loop over the columns drew (links, badges,
        local dates and numbers, escaping) without its dozens of template nodes per row (issue 22: 50 wide rows
        were most of a list page's time)."""
        context = Context(autoescape=True)
        columns = self.table.columns
        out, fast = [], {}
        for row in self.rows:
            model = type(row)
            if model not in fast:  # per row class: the quicker getters (None: cell()) and the row's URL
                own = row_getters(model, columns)
                fast[model] = ([(lambda row, raw=raw: shown(raw(row))) for raw in own] if own else
                               [_fast_value(model, c.key) if hasattr(model, "_meta") else None for c in columns],
                               _row_url(model))
            getters, url = fast[model]
            cells = []
            for column, getter in zip(columns, getters, strict=True):
                value = getter(row) if getter else cell(row, column.key)
                text = _cell_html(value, context)
                if column.link:
                    text = format_html('<a href="{}">{}</a>', url(row), text)
                elif column.badge:
                    text = format_html('<span class="badge text-bg-light border">{}</span>', text)
                cells.append(text)
            out.append(mark_safe("".join(f"<td>{text}</td>" for text in cells)))  # noqa: S308 - each cell escaped
        return out

    @cached_property
    def filter_fields(self) -> list[dict]:
        """What the template draws for each filter, built here: a select's options in one join (a template loop
        over thousands of options was most of a page's rendering), or, past ``TYPED_FROM`` choices, a typed
        field with the chosen label (or the text as typed) and a note when the text means no single choice."""
        fields = []
        for flt in self.controls:
            chosen = str(self.active_filters.get(flt.name, ""))
            field = {"name": flt.name, "label": flt.label, "typed": flt.typed}
            if flt.typed:
                text = self.request.GET.get(flt.name, "").strip()[:100]
                # the choices are read only for a value (QueryChoices: not at all without one)
                field["text"] = next(label for value, label in flt.choices if str(value) == chosen) if chosen else text
                matches = typed_choice(flt.choices, text)[1] if text and not chosen else 0
                field["note"] = (ngettext("%(count)s choice matches: type more of it.",
                                          "%(count)s choices match: type more of it.", matches) % {"count": matches}
                                 if matches > 1 else gettext("Nothing matches.") if text and not chosen else "")
            else:
                field["options"] = select_options(flt.choices, chosen)
            fields.append(field)
        return fields

    @property
    def kept(self) -> list[tuple[str, str]]:
        """The page's own parameters (``Table.keep_params``) with a value, for hidden inputs of the table's form."""
        return [(name, self.request.GET[name]) for name in self.table.keep_params if self.request.GET.get(name)]

    def export_query(self, fmt: str) -> str:
        """The current query string (search, filters, sort) asking for the export in ``fmt``."""
        params = self.request.GET.copy()
        params.pop("page", None)
        params[EXPORT_PARAM] = fmt
        return params.urlencode()

    @property
    def export_csv_query(self) -> str:
        return self.export_query("csv")

    @property
    def export_xlsx_query(self) -> str:
        return self.export_query("xlsx")

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
