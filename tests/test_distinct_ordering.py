"""No model ordering leaks into a DISTINCT.

Django adds the columns of the model's `Meta.ordering` (or an earlier `order_by`) to the SELECT of a
`.values(...)/.values_list(...).distinct()`, so the DISTINCT runs over (value, ordering columns): the
segments page's `segment_years()` returned all 396,475 segments instead of a handful of years. Every
such chain in the product must clear the ordering with `.order_by(...)` after its last ordering and
before `.distinct()`.

The check reads the source (every `.distinct()` call in the product's modules) rather than running each
query, so it covers code paths no test reaches.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "keychannel"


def _chain(node: ast.AST) -> list[str]:
    """Method names of a call chain, outermost last: qs.filter().values().distinct() -> [filter, values, distinct]."""
    names: list[str] = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        names.append(node.func.attr)
        node = node.func.value
    return list(reversed(names))


def distinct_over_values_without_cleared_ordering(source: str) -> list[int]:
    """Line numbers of `.values*(…)…distinct()` chains with no `.order_by(…)` between the values and the distinct."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "distinct"):
            continue
        chain = _chain(node)[:-1]
        if not any(name in ("values", "values_list") for name in chain):
            continue
        last_values = max(i for i, name in enumerate(chain) if name in ("values", "values_list"))
        cleared_before = "order_by" in chain[:last_values]
        cleared_after = "order_by" in chain[last_values:]
        # An order_by anywhere in the chain replaces the model's ordering; one that names columns not in the
        # values() would still leak, which the reviewer of that line sees.
        if not (cleared_before or cleared_after):
            lines.append(node.lineno)
    return lines


def _product_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        yield path


def test_no_distinct_over_values_keeps_the_model_ordering():
    offenders = []
    for path in _product_modules():
        for line in distinct_over_values_without_cleared_ordering(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    assert not offenders, "add .order_by() before .distinct() (the model ordering joins the DISTINCT): " + ", ".join(
        offenders
    )


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("Segment.objects.visible_to(p).values_list('year', flat=True).distinct()", True),
        ("Segment.objects.order_by().values_list('year', flat=True).distinct()", False),
        ("Segment.objects.values_list('year', flat=True).order_by().distinct()", False),
        ("Segment.objects.filter(x=1).distinct()", False),
    ],
)
def test_the_check_tells_a_leaking_chain_from_a_cleared_one(source, flagged):
    assert bool(distinct_over_values_without_cleared_ordering(source)) is flagged


def test_segment_years_sends_no_ordering_into_its_distinct(world):
    """The query itself: the segments page's year list sends no ordering into a DISTINCT (it now reads the years by
    index probes, with no DISTINCT at all: keychannel/sales/tests/test_segment_page.py counts those)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from keychannel.core.choices import Role
    from keychannel.core.scoping import Principal
    from keychannel.sales import selectors
    from keychannel.sales.models import ClientSegment

    assert ClientSegment._meta.ordering  # the leak needs a model ordering to happen
    with CaptureQueriesContext(connection) as queries:
        selectors.segment_years(principal=Principal.for_user(world.users[str(Role.PROGRAM_MANAGER)]))
    assert queries.captured_queries
    for sql in [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]:
        assert "ORDER BY" not in sql.upper(), sql
