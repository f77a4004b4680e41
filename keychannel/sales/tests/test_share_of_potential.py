"""Shares of potential read right (issue 18, part 6): a client that bought twenty times its recorded potential
showed "2,011 %" in the segments table and flattened every other point of the segment matrix."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from keychannel.clients.models import CorporateClient
from keychannel.sales import services
from keychannel.sales.models import ProductMapping
from keychannel.sales.tests.factories import csv_file

pytestmark = pytest.mark.django_db


def test_a_share_above_the_potential_is_capped_and_named():
    from keychannel.sales.selectors import share_of_potential_label

    with translation.override("en"):
        assert share_of_potential_label(Decimal("0.35")) == "35%"
        assert share_of_potential_label(Decimal("1")) == "100%"
        assert share_of_potential_label(Decimal("20.1100")) == "> 100% (20×)"
        assert share_of_potential_label(Decimal("1.5")) == "> 100% (1.5×)"
        assert share_of_potential_label(None) == "—"
    with translation.override("ro"):
        assert share_of_potential_label(Decimal("20.1100")) == "> 100\u00a0% (20×)"


def test_segments_page_caps_the_matrix_and_explains_the_cap(world, login):
    principal = world.principal("admin")
    ProductMapping.objects.create(distributor=world.own, product_code="P", product_line=world.product_line)
    under = CorporateClient.objects.create(legal_name="Under SA", tax_id="49668380", distributor=world.own,
                                           potential_annual_volume=Decimal("12000"))
    fair = CorporateClient.objects.create(legal_name="Fair SA", tax_id="204353502", distributor=world.own,
                                          potential_annual_volume=Decimal("1000000"))
    rows = [("05.01.2026", under.tax_id, "", "P", 1, 20110), ("05.01.2026", fair.tax_id, "", "P", 1, 30000)]
    services.report_import(principal=principal, distributor=world.own, data=csv_file(rows), file_name="jan.csv")
    session = login(world.user("program_manager"))
    page = session.get(reverse("sales:segment_list"), {"year": 2026})
    fragment = session.get(reverse("sales:segment_charts"), {"year": 2026})
    charts = fragment.context["charts"]
    points = {m["name"]: m for m in charts["matrix"]}
    assert points["Under SA"]["share"] == 100 and points["Under SA"]["over"] is True
    assert points["Under SA"]["share_actual"] == 2011.0
    assert points["Fair SA"]["share"] == 36.0 and points["Fair SA"]["over"] is False
    assert charts["over_potential"] == 1 and charts["share_cap"] == 100
    labels = {row.client.legal_name: row.share_label for row in page.context["table"].rows}
    assert labels == {"Under SA": "> 100% (20×)", "Fair SA": "36%"}
    body = page.content.decode() + fragment.content.decode()
    assert 'id="over-potential-note"' in fragment.content.decode() and "2,011" not in body and "2011 %" not in body
