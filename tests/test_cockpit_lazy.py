"""Issue 22, the home page as a shell: each lazy panel (and the "At a glance" figures) is a placeholder HTMX fills
from its own request (core.views.home_panel, home_figures), built for the principal alone; the shell reads a few
fixed statements whatever the data; without JavaScript each placeholder is a link to a page of that panel."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.core.cockpit import home_panels, registered_panels
from tests.cockpit_data import add_work, busy, home_html, lazy_urls

pytestmark = pytest.mark.django_db

ROLES = ["admin", "program_manager", "executive", "channel_manager", "dist_head", "dist_sales", "embedded_kam",
         "mentor"]


@pytest.fixture
def busy_world(world):
    return busy(world)


def _panel_url(key: str) -> str:
    return reverse("core:home_panel", args=[key])


def _fragment(client, key: str):
    return client.get(_panel_url(key), HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("role", ROLES)
def test_the_shell_has_a_placeholder_per_lazy_panel_and_builds_only_the_cheap_ones(busy_world, login, role):
    principal = busy_world.principal(role)
    allowed = [p for p in registered_panels() if p.allowed(principal)]
    html = login(busy_world.user(role)).get(reverse("core:home")).content.decode()
    lazy = [p.key for p in allowed if p.lazy]
    assert lazy_urls(html) == [_panel_url(key) for key in lazy] + [reverse("core:home_figures")]
    # A placeholder is a busy region with the panel's heading, and a plain link to the panel's page (no JavaScript).
    for key in lazy:
        slot = re.search(rf'<div [^>]*data-panel-slot="{re.escape(key)}".*?</section>', html, re.S).group(0)
        assert 'aria-busy="true"' in slot and "<h3 " in slot and f'<a href="{_panel_url(key)}">' in slot
    # The panels measured cheap (lazy=False) are built in the shell and never have a placeholder.
    inline = {p.key for p in allowed if not p.lazy}
    assert inline, "program.events is built in the shell"
    assert set(re.findall(r'data-panel="([^"]+)"', html)) <= inline


@pytest.mark.parametrize("role", ROLES)
def test_the_shell_reads_a_few_statements_whatever_the_data(busy_world, login, role):
    client = login(busy_world.user(role))

    def shell() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("core:home")).status_code == 200
        return len(captured)

    shell()  # warm the caches (settings, sessions)
    first = shell()
    for _ in range(10):  # past every panel's eight rows
        add_work(busy_world, "own")
        add_work(busy_world, "other")
    assert shell() == first
    # Session, user, membership, organisation, the reach, the events panel (built in the shell): no lazy panel.
    assert first <= 8, first


@pytest.mark.parametrize("role", ROLES)
def test_each_panel_fragment_is_the_panel_built_for_its_reader_and_others_are_404(busy_world, login, role):
    principal = busy_world.principal(role)
    client = login(busy_world.user(role))
    for panel in registered_panels():
        response = _fragment(client, panel.key)
        if not panel.allowed(principal):
            assert response.status_code == 404, (role, panel.key)
            continue
        assert response.status_code == 200, (role, panel.key)
        html = response.content.decode()
        # A panel with nothing to say answers nothing: HTMX swaps its placeholder out.
        assert html == "" or (f'data-panel="{panel.key}"' in html and 'aria-busy="false"' in html
                              and "<h3 " in html and "<html" not in html), (role, panel.key)
    assert _fragment(client, "no.such_panel").status_code == 404


@pytest.mark.parametrize("key", ["deals.at_risk", "deals.team", "program.my_goals", "program.my_support",
                                 "clients.my_actions"])
def test_another_distributors_head_never_gets_a_heads_panel(busy_world, login, key):
    for _ in range(2):
        add_work(busy_world, "other")
    own = _fragment(login(busy_world.user("dist_head")), key).content.decode()
    other = _fragment(login(busy_world.other_users["dist_head"]), key).content.decode()
    for marker in ("Deal other", "Action other", "Client other", busy_world.other.legal_name):
        assert marker not in own, (key, marker)
    for marker in ("Deal own", "Action own", "Client own", busy_world.own.legal_name):
        assert marker not in other, (key, marker)
    assert _fragment(login(busy_world.user("dist_head")), "network.relationships").status_code == 404
    assert _fragment(login(busy_world.user("dist_head")), "channel.decisions").status_code == 404


def test_without_javascript_a_placeholder_links_to_a_page_of_its_panel(busy_world, login):
    client = login(busy_world.user("dist_sales"))
    shell = client.get(reverse("core:home")).content.decode()
    url = _panel_url("deals.next_steps")
    assert f'<a href="{url}">' in shell
    page = client.get(url).content.decode()  # no HX-Request: a page of its own
    assert "<html" in page and 'data-panel="deals.next_steps"' in page and "Deal own" in page
    assert "My deals needing a next step" in re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    figures = client.get(reverse("core:home_figures")).content.decode()
    assert "<html" in figures and 'id="home-figures"' in figures
    fragment = client.get(reverse("core:home_figures"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'id="home-figures"' in fragment and 'aria-busy="false"' in fragment


def test_a_panel_with_nothing_to_say_removes_its_placeholder_or_says_so(world, login, monkeypatch):
    # A builder answers None when it has nothing to say to this principal (e.g. a head without a distributor).
    import dataclasses

    from keychannel.core import cockpit

    panel = cockpit._panels["deals.next_steps"]
    monkeypatch.setitem(cockpit._panels, panel.key, dataclasses.replace(panel, build=lambda principal, today: None))
    client = login(world.user("dist_sales"))
    response = _fragment(client, "deals.next_steps")
    assert (response.status_code, response.content) == (200, b"")  # HTMX swaps the placeholder out
    page = client.get(_panel_url("deals.next_steps"))
    assert page.status_code == 200 and "Nothing due." in page.content.decode()


def test_the_shell_and_a_fragment_draw_a_panel_with_one_include(busy_world, login, monkeypatch):
    # The same panel built in the shell (lazy=False) and in its own request gives the same HTML.
    import dataclasses

    from keychannel.core import cockpit

    client = login(busy_world.user("dist_sales"))
    fragment = _fragment(client, "program.events").content.decode().strip()
    assert 'data-panel="program.events"' in fragment
    shell = client.get(reverse("core:home")).content.decode()
    assert fragment in shell
    panel = cockpit._panels["deals.next_steps"]
    monkeypatch.setitem(cockpit._panels, panel.key, dataclasses.replace(panel, lazy=False))
    shell = client.get(reverse("core:home")).content.decode()
    monkeypatch.setitem(cockpit._panels, panel.key, panel)
    assert _fragment(client, "deals.next_steps").content.decode().strip() in shell


def test_the_home_with_its_parts_shows_every_panel_the_principal_has(busy_world, login):
    principal = busy_world.principal("program_manager")
    html = home_html(login(busy_world.user("program_manager")))
    built = {p["key"] for p in home_panels(principal) if "lazy_url" not in p}
    shown = set(re.findall(r'data-panel="([^"]+)"', html))
    from keychannel.core.cockpit import panels_for

    assert shown == {p["key"] for p in panels_for(principal)} and built <= shown


@pytest.mark.parametrize("role", ["admin", "channel_manager", "dist_head", "dist_sales"])
def test_the_api_answers_the_callers_panels_as_the_page_shows_them(busy_world, login, role):
    client = login(busy_world.user(role))
    principal = busy_world.principal(role)
    listed = client.get("/api/v1/cockpit").json()
    assert [p["key"] for p in listed] == [p.key for p in registered_panels() if p.allowed(principal)]
    for ref in listed:
        panel = client.get(f"/api/v1/cockpit/{ref['key']}").json()
        page = _fragment(client, ref["key"]).content.decode()
        assert panel["shown"] == bool(page), ref
        for item in panel["items"]:
            assert item["url"] in page and item["label"].split(" ")[0] in page, (ref, item)
    refused = {p.key for p in registered_panels()} - {p["key"] for p in listed}
    for key in refused:
        assert client.get(f"/api/v1/cockpit/{key}").status_code == 404, key
    if role in ("dist_head", "dist_sales"):
        text = " ".join(str(client.get(f"/api/v1/cockpit/{p['key']}").json()) for p in listed)
        for marker in ("Deal other", "Action other", "Client other", busy_world.other.legal_name):
            assert marker not in text, marker
