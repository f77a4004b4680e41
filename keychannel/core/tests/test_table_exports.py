"""Every list page exports what it lists (issue 17 part 4): CSV and XLSX, formula-safe, scoped, in constant queries.

The walk finds the list pages itself: every GET route without arguments whose page renders a ``Table``, as the
first role that gets it; it fails when a template that draws a table (includes/table.html) was not reached, so a
new list page is walked without touching this file.
"""

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from openpyxl import load_workbook

import keychannel
from keychannel.core.exports import cell_value
from keychannel.core.tables import TableState
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

ROLE_ORDER = ["admin", "program_manager", "channel_manager", "executive", "mentor", "embedded_kam", "dist_head",
              "dist_sales"]
APPS = {"core", "network", "clients", "deals", "channel", "program", "competence", "sales", "service", "integrations",
        "jobs"}


def _routes(resolver=None, namespace=""):
    """Names of the product's GET routes without arguments ("clients:client_list")."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            if pattern.pattern.converters or (pattern.namespace and pattern.namespace not in APPS):
                continue
            yield from _routes(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters and namespace in APPS:
            yield f"{namespace}:{pattern.name}"


def _template_name(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[parts.index("templates") + 1:])


def _data(world):
    """Rows on both sides, so a scoped export has something to leave out."""
    for side in ("own", "other"):
        distributor = world.distributor(side)
        for n in range(3):
            client = ClientFactory(distributor=distributor, legal_name=f"Export {side} {n} SRL")
            OpportunityFactory(client=client, owner=world.user("dist_sales") if side == "own"
                               else world.other_users["dist_sales"], title=f"Deal {side} {n}")


def _norm(value):
    """One comparable form of a cell read back from CSV or XLSX and of the value the page's row holds."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return f"{float(value):.4f}"
    if isinstance(value, datetime.datetime):  # XLSX reads a date back as a datetime at midnight
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ", "minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    try:
        return f"{float(text):.4f}"
    except ValueError:
        return text


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def _xlsx_rows(response):
    sheet = load_workbook(io.BytesIO(response.getvalue()), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    width = len(rows[0]) if rows else 0
    return [row + [None] * (width - len(row)) for row in rows]  # read-only mode drops trailing empty cells


def _compare(client, url, query, state: TableState):
    """The page's whole filtered, sorted queryset == the rows of both exports, in order."""
    table = state.table
    rows = list(state.page.paginator.object_list)
    if table.prepare is not None:  # rows that are not records (the audit log) are completed as the export does
        rows = table.prepare(rows, state.request)
    expected = [table.export_row(row) for row in rows]
    header = [str(c.label) for c in table.columns]
    csv_rows = _csv_rows(client.get(url, {**query, "export": "csv"}))
    assert csv_rows[0] == header, url
    assert [[_norm(v) for v in row] for row in csv_rows[1:]] == [[_norm(cell_value(v)) for v in row] for row in expected], url
    xlsx_rows = _xlsx_rows(client.get(url, {**query, "export": "xlsx"}))
    assert xlsx_rows[0] == header, url
    assert [[_norm(v) for v in row] for row in xlsx_rows[1:]] == [
        [_norm(cell_value(v, xlsx=True)) for v in row] for row in expected], url
    return len(expected)


def test_every_list_page_exports_the_rows_it_lists(world, client):
    """Each list page, as a role that may see it, with a sort and then a filter: both files equal the page's rows."""
    _data(world)
    walked, rows_seen = set(), 0
    for name in sorted(set(_routes())):
        url = reverse(name)
        for role in ROLE_ORDER:
            client.force_login(world.user(role))
            response = client.get(url)
            if response.status_code != 200:
                continue
            state = response.context.get("table") if response.context else None
            if not isinstance(state, TableState):
                break  # a page without a table (for this role as for the others)
            walked.update(t.name for t in response.templates if t.name)
            sortable = [c.key for c in state.table.columns if c.sort]
            query = {"sort": f"-{sortable[0]}"} if sortable else {}
            rows_seen += _compare(client, url, query, client.get(url, query).context["table"])
            for control in state.controls[:1]:
                if control.choices:
                    filtered = {**query, control.name: control.choices[0][0]}
                    _compare(client, url, filtered, client.get(url, filtered).context["table"])
            break
    package = Path(keychannel.__file__).parent
    templates = {_template_name(p) for p in [*package.glob("*/templates/**/*.html"), *package.glob("templates/**/*.html")]
                 if '{% include "includes/table.html" %}' in p.read_text(encoding="utf-8")}
    assert templates and templates <= walked, f"list pages not walked: {sorted(templates - walked)}"
    assert rows_seen >= 6  # the clients and deals made above were listed and exported


def test_the_table_links_to_both_exports_with_the_current_query(world, login):
    _data(world)
    page = login(world.user("admin")).get(reverse("clients:client_list"), {"sort": "-tax_id", "page": "1"})
    html = page.content.decode()
    assert 'href="?sort=-tax_id&amp;export=csv"' in html and 'href="?sort=-tax_id&amp;export=xlsx"' in html


def test_a_formula_cell_is_neutralised_in_both_formats(world, login):
    ClientFactory(distributor=world.own, legal_name="=HYPERLINK(\"http://evil\",\"x\")")
    ClientFactory(distributor=world.own, legal_name="@SUM(A1)")
    web = login(world.user("admin"))
    names = [row[0] for row in _csv_rows(web.get(reverse("clients:client_list"), {"export": "csv"}))[1:]]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in names and "'@SUM(A1)" in names
    response = web.get(reverse("clients:client_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert {c.value for c in cells} >= {"'=HYPERLINK(\"http://evil\",\"x\")", "'@SUM(A1)"}
    assert all(c.data_type == "s" for c in cells)  # text, never a formula


@pytest.mark.parametrize("route", ["clients:client_list", "deals:opportunity_list", "channel:registration_list"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_distributor_never_exports_another_distributors_rows(world, login, route, fmt):
    _data(world)
    for role in ("dist_head", "dist_sales"):
        response = login(world.user(role)).get(reverse(route), {"export": fmt})
        assert response.status_code == 200
        rows = _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)
        text = " ".join(str(v) for row in rows for v in row)
        assert "other" not in text and "db" not in {str(v) for row in rows for v in row}
        if route != "channel:registration_list":
            assert "own" in text


def test_headers_follow_the_users_language_and_values_are_typed(world, login):
    from keychannel.core import services

    _data(world)
    admin = world.user("admin")
    services.preferences_update(principal=world.principal("admin"), language="ro")
    web = login(admin)
    header = _csv_rows(web.get(reverse("deals:opportunity_list"), {"export": "csv"}))[0]
    with translation.override("ro"):
        from keychannel.deals.tables import pipeline_table

        assert header == [str(c.label) for c in pipeline_table(world.principal("admin")).columns]
    with translation.override("en"):
        assert header != [str(c.label) for c in pipeline_table(world.principal("admin")).columns]
    rows = _xlsx_rows(web.get(reverse("clients:client_list"), {"export": "xlsx", "sort": "legal_name"}))
    potential = rows[0].index(next(h for h in rows[0] if "RON" in str(h)))
    assert all(isinstance(row[potential], (int, float)) for row in rows[1:] if row[potential] is not None)


def test_export_queries_do_not_grow_with_rows(world, login):
    web = login(world.user("admin"))

    def count(fmt):
        with CaptureQueriesContext(connection) as queries:
            response = web.get(reverse("deals:opportunity_list"), {"export": fmt})
            response.getvalue()  # the CSV streams: its rows are read while the body is consumed
        return len(queries)

    _data(world)
    few = {fmt: count(fmt) for fmt in ("csv", "xlsx")}
    for _n in range(15):
        OpportunityFactory(client=ClientFactory(distributor=world.own), owner=world.user("dist_sales"))
    assert {fmt: count(fmt) for fmt in ("csv", "xlsx")} == few
