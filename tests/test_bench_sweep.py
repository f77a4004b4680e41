"""bench/api_sweep.py: every GET endpoint of the API is a benchmark row, or is named as not measured."""
import re

import pytest

from keychannel.api import api
from tests.bench_modules import load

pytestmark = pytest.mark.django_db


def _sweep():
    return load("api_sweep")


def _first(queryset):
    return queryset.order_by("pk").first()


def _template_of(url: str, templates: list[str]) -> str:
    path = url.split("?")[0]
    matches = [t for t in templates if re.fullmatch(re.sub(r"\\{\w+\\}", r"\\d+", re.escape(t)), path)]
    assert len(matches) == 1, (url, matches)
    return matches[0]


def test_every_get_endpoint_is_measured_or_named_as_not_measured(world):
    """Scenario (wave 14): bench_api.py measured 22 chosen endpoints, and the network's scorecards (375× bare),
    the audit log (62×) and the coverage gaps (49×) were none of them. The sweep reads the OpenAPI schema, so each
    endpoint, including one added later, is asked for or listed."""
    sweep = _sweep()
    fixed = [("GET /me (bare)", "admin", "GET", "/api/v1/me", None)]
    rows, skipped = sweep.rows(fixed, _first)
    templates = [path for path, ops in api.get_openapi_schema()["paths"].items() if "get" in ops]
    measured = {_template_of(url, templates) for _label, _who, _method, url, _body in rows}
    not_swept = {t for t in templates if sweep.NOT_SWEPT.search(t)}
    assert measured | set(skipped) | not_swept == set(templates)
    assert not measured & set(skipped)
    assert {"/api/v1/scorecards", "/api/v1/audit", "/api/v1/distributors/{distributor_id}"} <= measured
    # a list is asked by the admin and the head, one page of it; a keyed endpoint by the admin alone
    assert ("GET /audit?limit=50", "admin", "GET", "/api/v1/audit?limit=50", None) in rows
    assert ("head: GET /audit?limit=50", "head", "GET", "/api/v1/audit?limit=50", None) in rows
    assert not any(who == "head" and "{" in _template_of(url, templates) for _l, who, _m, url, _b in rows)
    labels = [label for label, *_rest in rows] + [label for label, *_rest in fixed]
    assert len(labels) == len(set(labels))


def test_an_endpoint_whose_table_is_empty_is_named_not_dropped(world):
    sweep = _sweep()
    rows, skipped = sweep.rows([], lambda queryset: None)  # no row in any table
    assert "/api/v1/clients/{client_id}" in skipped
    assert not any("{" in url or re.search(r"/\d+", url) for _l, _w, _m, url, _b in rows)


def test_a_row_bench_api_already_asks_is_not_asked_twice(world):
    sweep = _sweep()
    fixed = [("GET /clients?limit=50", "admin", "GET", "/api/v1/clients?limit=50", None)]
    rows, _skipped = sweep.rows(fixed, _first)
    assert ("admin", "/api/v1/clients?limit=50") not in {(who, url) for _l, who, _m, url, _b in rows}
    assert ("head", "/api/v1/clients?limit=50") in {(who, url) for _l, who, _m, url, _b in rows}
