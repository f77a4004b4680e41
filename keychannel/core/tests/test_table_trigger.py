"""includes/table.html reloads the table for its own filter form only (the browser side: tests/browser/test_table_filters.py).

It listened to ``change from:select`` and ``input from:input[name=q]``: every <select> and every field named ``q``
on the page, so the language switcher and the top bar's search box reloaded the table and rewrote the address.
"""

import re

import pytest

pytestmark = pytest.mark.django_db

FORM = re.compile(r'<form id="kc-table-filters"[^>]*\bhx-trigger="([^"]+)"')


def _listened_to(trigger: str) -> list[str]:
    """The ``from:`` sources of an hx-trigger ("(a b)" is htmx's way to write a selector with a space)."""
    return [m.group(1) or m.group(2) for m in re.finditer(r"from:(?:\(([^)]*)\)|([^\s,]+))", trigger)]


def test_the_table_listens_to_its_own_fields_only(world, login):
    html = login(world.user("program_manager")).get("/network/distributors/").content.decode()
    assert 'id="kc-search-q"' in html and 'name="q"' in html and 'id="language-select"' in html  # both still there
    trigger = FORM.search(html).group(1)
    sources = _listened_to(trigger)
    assert sources and all(s.startswith("#kc-table-filters ") or s == "#table-search" for s in sources), sources
    assert "submit" in trigger


def test_a_page_wide_source_is_caught():
    assert _listened_to("submit, change from:select, input changed delay:300ms from:input[name=q]") == [
        "select", "input[name=q]"]
