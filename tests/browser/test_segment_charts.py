"""The segments page loads its charts after itself (issue 22): the placeholder says so, then the three charts are
drawn from the fragment, with no Content-Security-Policy violation."""

from decimal import Decimal

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_segments_page_draws_its_charts_once_they_are_loaded(world, page, live_server, sign_in):
    from keychannel.clients.models import CorporateClient
    from keychannel.sales.models import ClientSegment

    for n in range(3):
        client = CorporateClient.objects.create(legal_name=f"Chart Client {n} SA", tax_id=f"RO{82_000_000 + n}",
                                                distributor=world.own, potential_annual_volume=Decimal(100_000))
        ClientSegment.objects.create(distributor=world.own, client=client, year=2026, volume=Decimal(1000 * (n + 1)),
                                     months_covered=12, abc_class="A", label="strategic")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_default_timeout(60_000)  # a busy machine: the drawing, not the speed, is under test
    sign_in("w-program_manager")
    page.goto(f"{live_server.url}/sales/segments/?year=2026")
    page.wait_for_function("() => document.getElementById('segment-charts-box').dataset.drawn === 'true'")
    drawn = page.evaluate("document.querySelectorAll('#segment-charts-box [_echarts_instance_]').length")
    assert drawn == 3
    assert page.locator("#segment-charts-box [role=status]").count() == 0  # the placeholder is gone
    assert violations == []
