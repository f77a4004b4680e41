"""Stored XSS through chart tooltips (issue 23, finding 1), in a real browser.

A distributor head writes markup into every name it can type that a chart shows (a distributor person, a
client, a buying-centre stakeholder) through the API, as the attacker did. Names only the manufacturer
writes (its distributor's name) get markup too, to cover the default ECharts tooltips. Then every role that
sees those pages opens each chart page and triggers every tooltip. Three things must hold:

- nothing runs: ``window.__kc_xss`` stays undefined and no dialog opens;
- nothing is even parsed as markup (an observer counts injected ``<img src=x>`` / ``<script>`` elements), so
  the escaping holds on its own and does not lean on the Content-Security-Policy;
- the Content-Security-Policy reports no violation on any of these pages, so it does not break them.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMG = '<img src=x onerror="window.__kc_xss=1">'
SCRIPT = "<script>window.__kc_xss=2</script>"

# Runs before any page script: records CSP violations and any element the payloads would create.
WATCH = """
window.__kc_violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__kc_violations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
window.__kc_injected = [];
new MutationObserver(function (records) {
  records.forEach(function (r) {
    r.addedNodes.forEach(function (n) {
      if (n.nodeType !== 1) { return; }
      [n].concat(Array.from(n.querySelectorAll("img, script"))).forEach(function (el) {
        var json = el.tagName === "SCRIPT" && el.type === "application/json";
        if ((el.tagName === "IMG" && el.getAttribute("src") === "x") ||
            (el.tagName === "SCRIPT" && !json && (el.textContent || "").indexOf("__kc_xss") !== -1)) {
          window.__kc_injected.push(el.outerHTML);
        }
      });
    });
  });
}).observe(document, {childList: true, subtree: true});
"""

# Shows the tooltip of every data item of every chart on the page (nodes, points, bars, tree nodes) and
# hovers every graph edge; returns the tooltip texts.
TRIGGER = """
() => {
  const texts = [];
  const edges = [];
  document.querySelectorAll("[_echarts_instance_]").forEach((dom) => {
    const chart = echarts.getInstanceByDom(dom);
    if (!chart) { return; }
    chart.getModel().eachSeries((series) => {
      const si = series.seriesIndex;
      const count = series.getData().count();
      for (let i = 0; i < Math.min(count, 60); i++) {
        chart.dispatchAction({type: "showTip", seriesIndex: si, dataIndex: i});
        texts.push(dom.innerText);
      }
      const edgeData = series.getEdgeData && series.getEdgeData();
      if (edgeData) {
        const box = dom.getBoundingClientRect();
        for (let i = 0; i < edgeData.count(); i++) {
          const layout = edgeData.getItemLayout(i);
          if (layout && layout[0] && layout[1]) {
            edges.push([box.left + (layout[0][0] + layout[1][0]) / 2, box.top + (layout[0][1] + layout[1][1]) / 2]);
          }
        }
      }
    });
    chart.dispatchAction({type: "hideTip"});
  });
  return {texts, edges};
}
"""


@pytest.fixture
def poisoned(world):
    """The attacker's writes, through the API as the distributor head; the manufacturer-side names by ORM."""
    from keychannel.clients.models import CorporateClient
    from keychannel.core import services
    from keychannel.core.scoping import Principal
    from keychannel.deals.tests.factories import OpportunityFactory
    from keychannel.network.models import DistributorPerson, Relationship
    from keychannel.sales.models import ClientSegment

    head = world.user("dist_head")
    _token, raw = services.api_token_create(principal=Principal.for_user(head), name="attacker")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def call(method, url, body, expected):
        import json

        response = api.generic(method, url, json.dumps(body), content_type="application/json")
        assert response.status_code == expected, (url, response.status_code, response.content)
        return response.json()

    people = [call("POST", "/api/v1/distributor-people",
                   {"distributor_id": world.own.pk, "full_name": name, "level": level}, 201)
              for name, level in ((IMG, "middle_manager"), (SCRIPT, "first_person"))]
    for person, level in zip(people, ("middle", "top"), strict=True):
        Relationship.objects.create(person=DistributorPerson.objects.get(pk=person["id"]),
                                    manufacturer_user=world.user("channel_manager"), manufacturer_level=level,
                                    strength=3, last_interaction=date(2025, 6, 1))
    clients = []
    for i, name in enumerate((IMG, SCRIPT)):
        client = CorporateClient.objects.create(legal_name=f"Harmless {i} SRL", distributor=world.own,
                                                territory=world.territory, is_key_account=True,
                                                potential_annual_volume=Decimal("1000000"))
        call("PATCH", f"/api/v1/clients/{client.pk}", {"legal_name": name}, 200)
        ClientSegment.objects.create(distributor=world.own, client=client, year=2025, volume=Decimal(200000 * (i + 1)),
                                     months_covered=12, abc_class="A", label="strategic")
        OpportunityFactory(client=client, distributor=world.own, owner=head)
        clients.append(client)
    boss = call("POST", f"/api/v1/clients/{clients[0].pk}/stakeholders",
                {"full_name": IMG, "job_title": SCRIPT, "level": "director"}, 201)
    call("POST", f"/api/v1/clients/{clients[0].pk}/stakeholders",
         {"full_name": SCRIPT, "job_title": IMG, "reports_to_id": boss["id"]}, 201)
    world.own.legal_name = IMG  # the manufacturer's own data: default (not custom) tooltips must escape it too
    world.own.save()
    world.cache["client"] = clients[0]
    return world


def _pages(world):
    """(path, tab button to click first or None, payload a tooltip must show)."""
    return [
        (f"/network/distributors/{world.own.pk}/", "#tab-people-button", IMG),
        ("/sales/segments/", None, SCRIPT),
        (f"/clients/{world.cache['client'].pk}/", None, IMG),
        ("/competence/structure/", None, SCRIPT),
        ("/network/distributors/quadrant/", None, IMG),
        ("/deals/forecast/?by=distributor", None, IMG),
        ("/channel/figures/", None, None),
    ]


ROLES = {"admin": "w-admin", "channel_manager": "w-channel_manager", "embedded_kam": "w-embedded_kam",
         "dist_head": "w-da-head"}


def test_names_in_chart_tooltips_stay_text_for_every_viewer(poisoned, browser, live_server):
    opened, dialogs = {}, []
    for role, username in ROLES.items():
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        context.add_init_script(WATCH)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "test-password")
        page.click("button[type=submit]")
        page.wait_for_selector("#main-nav")
        for path, tab, payload in _pages(poisoned):
            response = page.goto(f"{live_server.url}{path}")
            if response.status in (403, 404):  # not this role's page
                continue
            assert response.status == 200, (role, path, response.status)
            if tab:
                page.click(tab)
            where = f"{role} on {path}"
            if role == "dist_head" and path == f"/network/distributors/{poisoned.own.pk}/":
                # The relationship map is the manufacturer's internal assessment: a distributor user gets the
                # people list without it (docs/rules.md, partner-facing redaction). The names show as text.
                page.wait_for_load_state("load")
                assert page.evaluate("document.querySelectorAll('[_echarts_instance_]').length") == 0, where
                shown = {"texts": [page.evaluate("document.body.innerText")], "edges": []}
            else:
                page.wait_for_function("() => document.querySelectorAll('[_echarts_instance_] canvas, [_echarts_instance_] svg').length > 0")
                shown = page.evaluate(TRIGGER)
            for x, y in shown["edges"]:
                page.mouse.move(x, y)
                shown["texts"].append(page.evaluate("document.body.innerText"))
            if payload:
                assert any(payload in text for text in shown["texts"]), f"{where}: no tooltip showed the name"
            assert page.evaluate("window.__kc_xss") is None, where
            assert page.evaluate("window.__kc_injected") == [], where
            assert page.evaluate("window.__kc_violations") == [], where
            assert dialogs == [], where
            opened.setdefault(path, []).append(role)
        context.close()
    # Every chart page was opened by at least the admin; the distributor pages by every role.
    assert all("admin" in roles for roles in opened.values()) and len(opened) == len(_pages(poisoned)), opened
    assert sorted(opened[f"/network/distributors/{poisoned.own.pk}/"]) == sorted(ROLES), opened


def test_admin_and_api_docs_run_under_the_policy(world, browser, live_server):
    """The Django admin and the Swagger UI load only their own static files: no CSP violation, and they render."""
    context = browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "w-admin")
    page.fill("#id_password", "test-password")
    page.click("button[type=submit]")
    page.wait_for_selector("#main-nav")
    for path, ready in (("/admin/", "#content"), ("/admin/auth/user/", "#result_list"),
                        (f"/admin/auth/user/{world.user('admin').pk}/change/", "#user_form"),
                        ("/api/v1/docs", ".swagger-ui .opblock")):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, (path, response.status)
        assert "script-src" in response.headers["content-security-policy"], path
        page.wait_for_selector(ready)
        assert page.evaluate("window.__kc_violations") == [], path
    context.close()
