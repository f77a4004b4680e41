"""Issue 22 (pages): what a list page costs does not grow with its filter's choices nor with its rows.

Before: a select of 2,000 distributors drawn by a template loop (a third of a page's HTML and most of its rendering),
an exact ``COUNT(*)`` of 200,000 clients or 300,000 deals on every page, and rows drawn by several template nodes
per cell. Each test here fails if its cause comes back.
"""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from keychannel.core.filters import TYPED_FROM, FilterSpec, ListFilters, PageControl, typed_choice
from keychannel.core.tables import Column, Filter, Table
from keychannel.network.models import Distributor

pytestmark = pytest.mark.django_db


def _get(query=""):
    return RequestFactory().get(f"/network/distributors/{query}")


def _many(distributors):
    """The world's distributors among more choices than a select shows."""
    fillers = [(f"f{n}", f"Filler {n:03d}") for n in range(TYPED_FROM)]
    return [(str(d.pk), d.code) for d in distributors] + fillers


def _table(distributors, **kwargs):
    return Table([Column("code", "Code", sort="code", link=True), Column("legal_name", "Name", badge=True)],
                 filters=[Filter("distributor", "Distributor", _many(distributors), "pk")], default_sort="code",
                 **kwargs)


def test_a_filter_of_many_choices_is_typed_and_means_one_choice(world):
    distributors = list(Distributor.objects.order_by("code"))
    target = distributors[-1]
    table = _table(distributors)
    for typed in (target.code, target.code.upper(), str(target.pk)):  # its label, any case, or its id (links)
        state = table.build(_get(f"?distributor={typed}"), Distributor.objects.all())
        assert [row.pk for row in state.rows] == [target.pk]
        field = state.filter_fields[0]
        assert field["typed"] and field["text"] == target.code and field["note"] == ""
    html = render_to_string("includes/table.html", {"table": state, "request": state.request})
    assert 'name="distributor"' in html and "<select" not in html and "Filler" not in html
    assert f'<a href="{target.get_absolute_url()}">{target.code}</a>' in html


def test_a_typed_text_of_several_choices_filters_nothing_and_says_so(world):
    distributors = list(Distributor.objects.all())
    state = _table(distributors).build(_get("?distributor=Filler 00"), Distributor.objects.all())
    assert len(state.rows) == len(distributors)
    assert state.filter_fields[0]["note"].startswith("10 ")
    assert typed_choice(_many(distributors), "Filler 007") == ("f7", 1)
    assert typed_choice(_many(distributors), "nothing like it") == ("", 0)


def test_a_short_filter_stays_a_select_with_its_choice_selected(world):
    distributors = list(Distributor.objects.order_by("code"))
    table = Table([Column("code", "Code")], filters=[Filter("distributor", "Distributor",
                                                            [(str(d.pk), d.code) for d in distributors], "pk")])
    state = table.build(_get(f"?distributor={distributors[0].pk}"), Distributor.objects.all())
    html = render_to_string("includes/table.html", {"table": state, "request": state.request})
    assert f'<option value="{distributors[0].pk}" selected>{distributors[0].code}</option>' in html


def test_list_filters_read_a_typed_value_too():
    choices = [(str(n), f"D{n:04d}") for n in range(TYPED_FROM + 5)]
    filters = ListFilters(FilterSpec("distributor_id", "Distributor", lookup="distributor_id", choices=choices))
    controls = filters.page_controls(None)
    assert controls[0].typed and not PageControl("x", "X", choices[:3], "x").typed
    assert filters.from_query({"distributor_id": "d0042"}, None, controls) == {"distributor_id": "42"}


def test_the_count_stops_at_the_cap_and_pages_past_it_are_still_reached(world):
    distributors = list(Distributor.objects.order_by("code"))
    cap = len(distributors) - 1
    table = _table(distributors, per_page=1, count_cap=cap)
    with CaptureQueriesContext(connection) as queries:
        state = table.build(_get(), Distributor.objects.all())
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all(f"LIMIT {cap + 1}" in sql for sql in counts)  # never an exact count of every row
    assert state.page.paginator.capped and state.page.paginator.count == cap and state.page.has_next()
    last = table.build(_get(f"?page={len(distributors)}"), Distributor.objects.all()).page
    assert last.number == len(distributors) > cap  # past the cap's pages, reached by "next"
    assert [row.pk for row in last.object_list] == [distributors[-1].pk]
    assert last.has_previous() and not last.has_next()
    past_the_end = table.build(_get(f"?page={len(distributors) + 5}"), Distributor.objects.all()).page
    assert past_the_end.object_list  # an empty page past the end falls back to a page with rows
    html = render_to_string("includes/table.html", {"table": state, "request": state.request})
    assert f"more than {cap} rows" in html and f"Page 1 of more than {cap}" in html


def test_a_page_without_a_cap_counts_exactly(world):
    distributors = list(Distributor.objects.all())
    state = _table(distributors, count_cap=None).build(_get(), Distributor.objects.all())
    assert state.page.paginator.count == len(distributors)


def test_row_links_and_choice_labels_are_built_once_per_page_not_per_row(world, monkeypatch):
    """Issue 22: ``reverse()`` per row for its link and Django's ``get_<field>_display`` (a dict of the field's
    choices per call) per row and column; now a URL pattern and a label dict per page, with the same cells."""
    import django.urls

    from keychannel.clients.models import CorporateClient
    from keychannel.core import tables
    from keychannel.deals.models import Opportunity

    for model in (Distributor, CorporateClient, Opportunity):
        sample = model.objects.first() or model(pk=41)
        assert tables.pk_url(model.detail_url_name)(sample.pk) == sample.get_absolute_url()
    from keychannel.network.tests.factories import DistributorFactory

    for n in range(12):
        DistributorFactory(kind="wholesaler" if n % 2 else "integrator")
    table = Table([Column("code", "Code", sort="code", link=True), Column("get_kind_display", "Kind")],
                  default_sort="code")
    state = table.build(_get("?sort=code"), Distributor.objects.all())
    calls = []
    real = django.urls.reverse
    monkeypatch.setattr(tables, "reverse", lambda *a, **k: calls.append(a) or real(*a, **k))
    tables._PK_URLS.clear()
    body = state.body
    assert len(calls) == 1  # one URL pattern for every row
    assert table.build(_get("?sort=code"), Distributor.objects.all()).body == body
    assert len(calls) == 1  # and for every later page of the process
    rows = list(state.rows)
    assert len(rows) > 12
    for row, html in zip(rows, body, strict=True):
        expected = f'<td><a href="{row.get_absolute_url()}">{row.code}</a></td><td>{row.get_kind_display() or ""}</td>'
        assert html == expected


def test_choices_from_a_query_are_counted_up_to_the_limit_and_read_only_when_used(world):
    """Issue 22: whether a filter is typed was found out by reading all its choices (2,000 distributor codes on the
    kanban and the deals page); ``QueryChoices`` counts up to the limit, and reads them once, when they are used."""
    from keychannel.core.filters import QueryChoices, many_choices

    codes = Distributor.objects.order_by("code")
    total = codes.count() + 1  # with the head
    choices = QueryChoices(codes, "code", head=[("direct", "Direct")])
    with CaptureQueriesContext(connection) as queries:
        assert many_choices(choices, total - 1) and not many_choices(choices, total)
        assert many_choices(choices, total) is False  # counted once per limit
        assert many_choices(choices, 0)  # the head alone is more: no query
    assert len(queries) == 2 and all("COUNT(" in q["sql"].upper() and "LIMIT" in q["sql"] for q in queries)
    assert bool(choices) and bool(QueryChoices(codes.none(), "code")) is False
    assert list(choices) == [("direct", "Direct")] + [(str(d.pk), d.code) for d in codes]
    assert choices[0] == ("direct", "Direct") and len(choices) == total
    with CaptureQueriesContext(connection) as queries:
        assert list(choices) == list(choices) and not many_choices(choices, total) and many_choices(choices, 1)
    assert queries.captured_queries == []
    control = PageControl("distributor", "Distributor", FilterSpec("d", choices=lambda p: choices).choices_for(None), "d")
    assert control.choices is choices and control.typed is (total > TYPED_FROM)
