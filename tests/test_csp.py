"""The Content-Security-Policy (issue 23, finding 1): on every page, with a nonce, never 'unsafe-inline' for scripts;
and no template carries an inline event handler or a javascript: URL, which the policy would block.

The browser side (tooltips, no violations on the chart pages, the admin and the API docs) is in
tests/browser/test_xss.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import keychannel
from tests.access import load_routes

PAGE_ROUTES = [r for r in load_routes() if not r.api and r.method == "GET"]
TEMPLATES = sorted(p for p in Path(keychannel.__file__).parent.glob("**/templates/**/*.html"))
# An attribute named on…= (onclick, onchange, onerror, ...), htmx's hx-on (also an inline handler) or a
# javascript: URL.
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=|\shx-on[:-]|javascript:""", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def _script_src(header: str) -> str:
    directives = dict(d.strip().split(" ", 1) for d in header.split(";") if " " in d.strip())
    return directives["script-src"]


@pytest.mark.django_db
def test_every_page_sends_a_nonce_policy_and_every_inline_script_carries_it(world):
    """One admin GETs each page of the access matrix once (the admin reaches every page)."""
    client = Client()
    client.force_login(world.user("admin"))
    checked = 0
    for route in PAGE_ROUTES:
        params = route.params(world, "own") if route.params else None
        url = reverse(route.name, kwargs=params)
        response = client.get(url)
        header = response.headers.get("Content-Security-Policy")
        assert header, f"GET {url} ({response.status_code}): no Content-Security-Policy header"
        script_src = _script_src(header)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, f"GET {url}: {header}"
        assert "object-src 'none'" in header and "base-uri 'none'" in header, f"GET {url}: {header}"
        if response.status_code != 200 or "text/html" not in response.headers.get("Content-Type", ""):
            continue
        html = response.content.decode()
        tags = SCRIPT_TAG.findall(html)
        if not tags:
            continue
        nonce = re.search(r"'nonce-([^']+)'", script_src)
        assert nonce, f"GET {url}: scripts on the page but no nonce in script-src: {header}"
        for attrs in tags:
            if 'type="application/json"' in attrs:  # json_script data, never executed
                continue
            assert f'nonce="{nonce.group(1)}"' in attrs, f"GET {url}: <script{attrs}> without this response's nonce"
        checked += 1
    assert checked > 20, "too few pages rendered scripts: is the admin still reaching every page?"


def test_no_template_has_an_inline_event_handler_or_javascript_url():
    """The policy blocks inline handlers: use data-kc-* behaviours (static/js/kc.js) or a nonce'd script instead."""
    offenders = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE_HANDLER.search(line):
                offenders.append(f"{path}:{number}: {line.strip()[:120]}")
    assert offenders == []


def test_the_guard_spots_a_handler():
    assert INLINE_HANDLER.search('<select name="x" onchange="this.form.submit()">')
    assert INLINE_HANDLER.search('<a href="javascript:history.back()">')
    assert INLINE_HANDLER.search('<form hx-on:submit="go()">')
    assert not INLINE_HANDLER.search('<select data-kc-autosubmit name="ongoing">')
