"""A table's cells (core.tables.TableState.body) are the text ``render_value_in_context`` writes in an autoescaping
template, for every type a list page shows, in every language; dates are formatted once per language and date,
not once per cell (issue 22: Django's DateFormat was some 40 calls a date, a deals page draws a hundred)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template.base import render_value_in_context
from django.template.context import Context
from django.test import RequestFactory
from django.utils import timezone, translation

from keychannel.core.tables import Column, Table, cell
from keychannel.core.templatetags import kc_format

COLUMNS = ["on", "n", "negative", "big", "amount", "text", "none", "flag", "lazy", "when"]


def _rows():
    when = timezone.make_aware(datetime.datetime(2024, 5, 6, 22, 30), datetime.UTC)
    return [SimpleNamespace(on=datetime.date(2024, 1 + i % 12, 1 + i % 28), n=i, negative=-i * 1001, big=10 ** 12 + i,
                            amount=Decimal("1234.5") * i, text=f"<b>Ana & Co {i}</b> \"q\" 'a'", none=None,
                            flag=bool(i % 2), lazy=translation.gettext_lazy("Next"), when=when) for i in range(30)]


def _body(rows):
    table = Table(columns=[Column(name, name) for name in COLUMNS], per_page=100, count_cap=None)
    return table.build(RequestFactory().get("/"), rows).body


@pytest.mark.parametrize("language", ["en", "ro", "ru"])
def test_each_cell_is_what_the_template_wrote(language):
    rows = _rows()
    with translation.override(language):
        kc_format._forget_formats()
        body = _body(rows)
        context = Context(autoescape=True)
        expected = ["".join(f"<td>{render_value_in_context(cell(row, name), context)}</td>" for name in COLUMNS)
                    for row in rows]
    assert [str(html) for html in body] == expected


def test_a_date_is_formatted_once_per_language_and_date(monkeypatch):
    from django.utils import dateformat

    formatted = []
    real = dateformat.format
    monkeypatch.setattr(dateformat, "format", lambda *a: formatted.append(a[0]) or real(*a))
    rows = [SimpleNamespace(**{name: None for name in COLUMNS}) for _ in range(30)]
    for i, row in enumerate(rows):
        row.on = datetime.date(2024, 3, 1 + i % 3)
    kc_format._forget_formats()
    with translation.override("en"):
        first = _body(rows)
        assert sorted(set(formatted)) == sorted({row.on for row in rows}) and len(formatted) == 3
        assert _body(rows) == first and len(formatted) == 3  # and kept for the next page
    with translation.override("ro"):
        romanian = _body(rows)
    assert len(formatted) == 6 and romanian != first
