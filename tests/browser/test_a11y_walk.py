"""Issue 18's "Done means": every page in Romanian, as a role that may open it, at 1440, 1280 and 390 px.

One load per page (the viewport is resized in the same load) and one axe-core run per page (at 1440 px). The walk
fails when the document is wider than the window, when axe-core finds a serious or critical violation, or when the
page shows an English string of the catalog that has a Romanian translation. With KEYCHANNEL_WALK_SCREENSHOTS=1,
screenshots at 1440 and 390 px go to test-artifacts/walk/ (off by default: about 350 JPEG captures that check nothing
and cost CPU in every `make test`). What is walked and why: tests/browser/walk.py.

The access cases need the rows of data migrations (the corporate tiers and their service levels, the readiness
questionnaire): every transactional test's flush puts them back (tests/migration_rows.py), so the walk runs in any order.
"""

import os
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from keychannel.core.models import Membership
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

from .conftest import ARTIFACTS
from .walk import (
    AXE_RUN_JS,
    ROLE_PREFERENCE,
    VISIBLE_TEXT_JS,
    Stop,
    axe_source,
    plan,
    rename_english_data,
    untranslated,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


WIDTHS = [(1440, 900), (1280, 800), (390, 844)]
SHOTS = {1440, 390} if os.environ.get("KEYCHANNEL_WALK_SCREENSHOTS") == "1" else set()

# In-flight requests are counted in the page, so "settled" is known without networkidle's fixed half second.
COUNT_REQUESTS_JS = """(() => {
  if (window.__kcPending !== undefined) return;
  window.__kcPending = 0;
  document.addEventListener("htmx:beforeRequest", () => { window.__kcPending++; });
  document.addEventListener("htmx:afterRequest", () => { window.__kcPending--; });
})();"""
SETTLED_JS = """() => document.readyState === "complete" && (window.__kcPending || 0) === 0
  && !document.querySelector(".htmx-request, .htmx-settling, .htmx-swapping")"""


def _contexts(browser, world, live_server):
    """One browser context per role, signed in by its session cookie, in Romanian."""
    Membership.objects.filter(user__in=world.users.values()).update(language="ro")
    contexts = {}
    for role in ROLE_PREFERENCE:
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ro-RO",
                                      extra_http_headers={"Accept-Language": "ro"})
        context.add_init_script(COUNT_REQUESTS_JS)
        cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ro", "url": live_server.url}]
        if role != "anonymous":
            client = Client()
            client.force_login(world.user(role))
            cookies.append({"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                            "value": client.cookies[settings.SESSION_COOKIE_NAME].value})
        context.add_cookies(cookies)
        page = context.new_page()
        page.set_default_timeout(20_000)
        contexts[role] = page
    return contexts


def _long_names(world):
    """Long names in every column of the kanban and on a client page: wide content must scroll in its own box."""
    client = ClientFactory(distributor=world.own, territory=world.territory,
                           legal_name="Societatea Națională de Transport Gaze Naturale și Energie Regenerabilă SA")
    for stage in ("discussion", "consultation", "proposal", "negotiation", "won", "lost"):
        OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=stage,
                           title=f"O oportunitate cu un titlu foarte lung pentru etapa {stage} și multe cuvinte")
    return [Stop("clients:client_detail", "dist_sales", reverse("clients:client_detail", args=[client.pk]))]


def _shot(page, stop, width):
    folder = ARTIFACTS / "walk"
    folder.mkdir(parents=True, exist_ok=True)
    name = stop.url.strip("/").replace("/", "-") or "home"
    page.screenshot(path=str(folder / f"{width}-{stop.role}-{name}.jpeg"), type="jpeg", quality=60)


def test_every_page_in_romanian_fits_the_window_is_accessible_and_translated(world, browser, live_server):
    started = time.monotonic()
    stops = plan(world) + _long_names(world)
    rename_english_data(world.cache.values())
    pages = _contexts(browser, world, live_server)
    problems = []
    for stop in stops:
        page = pages[stop.role]
        page.set_viewport_size({"width": 1440, "height": 900})
        response = page.goto(f"{live_server.url}{stop.url}")
        where = f"{stop.name} as {stop.role} ({stop.url})"
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            problems.append(f"{where}: answered {response.status} {response.headers.get('content-type')}")
            continue
        page.wait_for_function(SETTLED_JS)
        english = untranslated(page.evaluate(VISIBLE_TEXT_JS))
        if english:
            problems.append(f"{where}: English text {english}")
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.evaluate(axe_source())
        for violation in page.evaluate(AXE_RUN_JS):
            problems.append(f"{where}: axe {violation['impact']} {violation['id']} ({violation['help']}) on "
                            f"{violation['count']} elements: {violation['nodes']}")
        for width, height in WIDTHS:
            if width != 1440:
                page.set_viewport_size({"width": width, "height": height})
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            document, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if document > window:
                problems.append(f"{where}: {document}px wide in a {window}px window")
            if width in SHOTS:
                _shot(page, stop, width)
    print(f"walked {len(stops)} pages in {time.monotonic() - started:.0f} s")
    assert not problems, f"{len(problems)} problems on the walk:\n" + "\n".join(problems)
