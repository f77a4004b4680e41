"""Issue 22 (pages): the distributors page reads what its columns show: not the API's product lines (a prefetch of
every listed distributor's lines) nor its other columns, and still no statement per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.core.tests.factories import OrganizationFactory
from keychannel.network.tests.factories import DistributorFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("role", "internal"), [("admin", True), ("dist_head", False)])
def test_the_distributors_page_reads_only_its_columns(world, login, role, internal):
    line = ProductLineFactory()
    for _ in range(12):
        DistributorFactory(organization=OrganizationFactory(), channel_manager=world.user("channel_manager"),
                           territory=world.territory).product_lines.add(line)
    page = login(world.user(role))
    page.get(reverse("network:distributor_list"))
    with CaptureQueriesContext(connection) as ctx:
        answer = page.get(reverse("network:distributor_list"))
    assert answer.status_code == 200
    statements = [q["sql"] for q in ctx.captured_queries]
    assert not [s for s in statements if "network_productline" in s], statements
    (rows,) = [s for s in statements if s.startswith('SELECT "network_distributor"."id"')]
    assert '"network_distributor"."about"' not in rows and '"core_organization"' not in rows
    html = answer.content.decode()
    assert world.territory.name in html and world.user("channel_manager").get_full_name() in html
    assert ("Alignment" in html) is internal  # the internal assessment only for the manufacturer
