"""The clients API lists read what their rows answer (issue 22): of the serving distributor its name only, and no
territory row (the client's own column holds its id)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.deals.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/clients?limit=5", "/api/v1/clients/at-risk?limit=5"])
def test_a_client_page_reads_only_the_distributor_name(world, api_as, path):
    for n in range(3):
        ClientFactory(legal_name=f"Coloane {n} SRL", distributor=world.own)
    api = api_as(world.user("admin"))
    api.get("/api/v1/me")
    with CaptureQueriesContext(connection) as queries:
        body = api.get(path).json()
    page = [q["sql"] for q in queries.captured_queries
            if 'FROM "clients_corporateclient"' in q["sql"] and "COUNT(" not in q["sql"]]
    assert len(page) == 1, page
    assert '"network_distributor"."legal_name"' in page[0]
    assert '"network_distributor"."tax_id"' not in page[0] and "network_territory" not in page[0], page[0]
    if path.startswith("/api/v1/clients?"):
        served = [row for row in body["items"] if row["distributor_id"] == world.own.pk]
        assert served and all(row["distributor_name"] == world.own.legal_name for row in served)
