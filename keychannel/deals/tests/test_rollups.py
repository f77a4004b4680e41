"""The pipeline roll-up (issue 22 part 1, docs/deals.md "Pipeline roll-up"): every path that changes a deal keeps it
equal to a recount; the rebuild command; the forecast by distributor and the kanban read it in a few queries."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.core.scoping import Principal
from keychannel.deals import forecast, handover, rollups, selectors, services
from keychannel.deals.choices import Origin, Stage
from keychannel.deals.models import Opportunity, PipelineRollup
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.network.models import Coverage
from keychannel.network.tests.factories import DistributorFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _json(client, method, url, body=None):
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json")


def assert_rolled_up():
    assert rollups.differences() == []


def stored(distributor_id, stage):
    row = PipelineRollup.objects.filter(distributor_id=distributor_id, stage=stage).first()
    return (row.deal_count, row.amount, row.weighted) if row else (0, Decimal("0"), Decimal("0"))


@pytest.fixture
def own_client(world):
    Coverage.objects.create(distributor=world.own, territory=world.territory, product_line=world.product_line,
                            valid_from=datetime.date(2020, 1, 1))
    return ClientFactory(distributor=world.own, territory=world.territory, legal_name="Cimentul Nord SA")


def test_every_path_that_changes_a_deal_keeps_the_rollup_equal_to_a_recount(world, api_as, login, own_client):
    sales = api_as(world.user("dist_sales"))
    created = _json(sales, "POST", "/api/v1/opportunities",
                    {"title": "Compressors", "client_id": own_client.pk, "value": "4800", "volume": "12",
                     "product_line_ids": [world.product_line.pk]})
    assert created.status_code == 201, created.content
    deal_id = created.json()["id"]
    assert stored(world.own.pk, Stage.DISCUSSION) == (1, Decimal("4800.00"), Decimal("480.0000"))
    assert_rolled_up()

    assert _json(sales, "PATCH", f"/api/v1/opportunities/{deal_id}", {"value": "5000"}).status_code == 200
    assert stored(world.own.pk, Stage.DISCUSSION)[1] == Decimal("5000.00")
    moved = _json(sales, "POST", f"/api/v1/opportunities/{deal_id}/move", {"stage": "consultation"})
    assert moved.status_code == 200, moved.content
    assert stored(world.own.pk, Stage.DISCUSSION)[0] == 0 and stored(world.own.pk, Stage.CONSULTATION)[0] == 1
    assert_rolled_up()

    page = login(world.user("dist_sales"))  # the kanban's drag and the deal page's form post here
    response = page.post(reverse("deals:opportunity_move", args=[deal_id]), {"stage": "proposal"}, HTTP_HX_REQUEST="true")
    assert response.status_code in (200, 204), response.content
    assert stored(world.own.pk, Stage.PROPOSAL)[0] == 1
    refused = _json(sales, "POST", f"/api/v1/opportunities/{deal_id}/move", {"stage": "lost"})  # no reason: refused
    assert refused.status_code == 422
    assert_rolled_up()

    bulk = _json(sales, "POST", "/api/v1/opportunities/bulk", {"items": [
        {"external_id": "ERP-1", "title": "By sync", "client_id": own_client.pk, "value": "1000"}]})
    assert bulk.status_code == 200, bulk.content
    assert_rolled_up()

    program = Principal.for_user(world.user("program_manager"))
    services.stage_probability_set(principal=program, stage=Stage.PROPOSAL, probability=45)
    assert stored(world.own.pk, Stage.PROPOSAL)[2] == Decimal("2250.0000")
    assert_rolled_up()

    assert _json(sales, "POST", f"/api/v1/opportunities/{deal_id}/move",
                 {"stage": "lost", "lost_reason_code": "price"}).status_code == 200
    assert stored(world.own.pk, Stage.LOST) == (1, Decimal("5000.00"), Decimal("0.0000"))
    assert_rolled_up()

    # A client taken out of scope: its open distributor deal is handed over to the manufacturer (direct).
    other = OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=Stage.CONSULTATION,
                               probability=20, value=Decimal("3000"))
    project = services.opportunity_create(principal=program, client=own_client, distributor=None,
                                          owner=world.user("program_manager"), title="Project",
                                          origin=Origin.OUT_OF_SCOPE_PROJECT)
    handover.opportunity_hand_over(opportunity=other, project=project, reason="out of scope")
    assert stored(None, Stage.CONSULTATION) == (1, Decimal("3000.00"), Decimal("600.0000"))
    assert_rolled_up()

    # Writes outside the services: a queryset update, a bulk create, a delete (model and queryset).
    Opportunity.objects.filter(pk=other.pk).update(value=Decimal("4000"), stage=Stage.PROPOSAL)
    assert_rolled_up()
    Opportunity.objects.bulk_create([Opportunity(title="Bulk", client=own_client, distributor=world.own,
                                                 owner=world.user("dist_sales"), value=Decimal("7.77"))])
    assert_rolled_up()
    Opportunity.objects.get(pk=other.pk).delete()
    Opportunity.objects.filter(title="Bulk").delete()
    assert_rolled_up()


def test_the_admin_changes_and_deletes_deals_with_the_rollup(world, login, own_client):
    deal = OpportunityFactory(client=own_client, owner=world.user("dist_sales"), value=Decimal("100"))
    admin = login(world.user("admin"))
    response = admin.get(reverse("admin:deals_opportunity_change", args=[deal.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"value": "250", "product_lines": [], "distributor": "", "owner": world.user("program_manager").pk,
                 "stagechange_set-TOTAL_FORMS": "0", "stagechange_set-INITIAL_FORMS": "0",
                 "stage_changes-TOTAL_FORMS": "0", "stage_changes-INITIAL_FORMS": "0"})
    data = {k: v for k, v in data.items() if v is not None}
    response = admin.post(reverse("admin:deals_opportunity_change", args=[deal.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    deal.refresh_from_db()
    assert deal.distributor_id is None and deal.value == Decimal("250")
    assert stored(None, Stage.DISCUSSION)[:2] == (1, Decimal("250.00"))
    assert_rolled_up()
    response = admin.post(reverse("admin:deals_opportunity_delete", args=[deal.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert stored(None, Stage.DISCUSSION)[0] == 0
    assert_rolled_up()


def test_rebuild_command_recounts_and_check_finds_a_wrong_rollup(world, own_client):
    OpportunityFactory(client=own_client, owner=world.user("dist_sales"), value=Decimal("10"))
    OpportunityFactory(client=own_client, owner=world.user("dist_sales"), value=Decimal("20"), stage=Stage.PROPOSAL,
                       probability=60)
    call_command("rollups_rebuild", "--check")
    PipelineRollup.objects.filter(stage=Stage.PROPOSAL).update(deal_count=5)
    PipelineRollup.objects.create(distributor=world.other, stage=Stage.WON, currency="RON", deal_count=1, amount=1)
    with pytest.raises(CommandError, match="2 roll-up row"):
        call_command("rollups_rebuild", "--check")
    call_command("rollups_rebuild")
    call_command("rollups_rebuild", "--check")
    assert stored(world.own.pk, Stage.PROPOSAL) == (1, Decimal("20.00"), Decimal("12.0000"))
    assert not PipelineRollup.objects.filter(distributor=world.other).exists()


def test_rebuild_counts_the_deals_once_for_the_rollup_and_the_network_stage_rows(world, own_client):
    """``rollups_rebuild`` counted every deal twice, the roll-up's rows and then the network's per-stage rows
    (deals/stage_totals.py), each under its own lock. One grouped count now, once both tables are locked in the
    order ``apply_deltas`` writes them (the roll-up's, then the per-stage rows), and both are written from it."""
    OpportunityFactory(client=own_client, owner=world.user("dist_sales"), value=Decimal("10"))
    OpportunityFactory(client=own_client, owner=world.user("dist_sales"), value=Decimal("20"), stage=Stage.PROPOSAL,
                       probability=60)
    with CaptureQueriesContext(connection) as queries:
        rollups.rebuild()
    statements = [q["sql"] for q in queries.captured_queries]
    counts = [i for i, sql in enumerate(statements)  # the pipeline's recount: the deals grouped by currency
              if 'FROM "deals_opportunity"' in sql and "GROUP BY" in sql and '"currency"' in sql]
    assert len(counts) == 1, statements
    if connection.vendor == "postgresql":
        locks = [(i, sql) for i, sql in enumerate(statements) if sql.startswith("LOCK TABLE")]
        assert [sql.split()[2] for _, sql in locks[:2]] == ['"deals_pipelinerollup"', '"deals_pipelinestagetotal"']
        assert locks[1][0] < counts[0]
    assert_rolled_up()
    assert stored(world.own.pk, Stage.PROPOSAL) == (1, Decimal("20.00"), Decimal("12.0000"))


def test_the_data_migration_fills_the_rollup_from_existing_deals(world, own_client):
    from importlib import import_module

    from django.apps import apps as django_apps

    OpportunityFactory(client=own_client, owner=world.user("dist_sales"), value=Decimal("10"))
    PipelineRollup.objects.all().delete()
    import_module("keychannel.deals.migrations.0015_pipeline_rollup_fill").fill(django_apps, None)
    assert stored(world.own.pk, Stage.DISCUSSION) == (1, Decimal("10.00"), Decimal("1.0000"))
    assert_rolled_up()


# --- reads --------------------------------------------------------------------------------------------------------


def _many_distributors(world, n):
    distributors = [DistributorFactory(code=f"dx{i:03d}", legal_name=f"Distribuitor {i:03d} SRL",
                                       territory=world.territory) for i in range(n)]
    for i, distributor in enumerate(distributors):
        client = ClientFactory(distributor=distributor, territory=world.territory)
        OpportunityFactory(client=client, owner=world.user("program_manager"), stage=Stage.PROPOSAL, probability=60,
                           value=Decimal(1000 + i))
        OpportunityFactory(client=client, owner=world.user("program_manager"), stage=Stage.WON, probability=100,
                           value=Decimal(500), closed_on=TODAY())
    return distributors


def test_forecast_by_distributor_reads_the_rollup_pages_and_keeps_the_totals(world, api_as):
    """Scenario (issue 22): the forecast by distributor counted every open deal and answered every distributor's
    row. Now two queries (roll-up, labels of the distributors found) however many deals, a page of rows and the
    totals of all."""
    _many_distributors(world, 30)
    principal = Principal.for_user(world.user("admin"))
    with CaptureQueriesContext(connection) as queries:
        rows = forecast.forecast(principal=principal, dimension="distributor")
    assert len(queries.captured_queries) == 2
    assert "deals_pipelinerollup" in queries.captured_queries[0]["sql"]
    assert not any("deals_opportunity" in q["sql"] for q in queries.captured_queries)
    assert len(rows) == 30 and rows[0]["label"] == "dx000 · Distribuitor 000 SRL"
    assert (rows[0]["open_count"], rows[0]["pipeline"], rows[0]["weighted"], rows[0]["won_count"], rows[0]["won"]) == (
        1, Decimal("1000.00"), Decimal("600.00"), 1, Decimal("500.00"))

    body = api_as(world.user("admin")).get("/api/v1/forecast?by=distributor&limit=10&offset=20").json()
    assert body["count"] == 30 and len(body["rows"]) == 10 and body["rows"][0]["label"].startswith("dx020")
    assert body["totals"]["open_count"] == 30 and body["totals"]["won"] == "15000.00"
    assert body["totals"]["pipeline"] == str(sum(Decimal(1000 + i) for i in range(30))) + ".00"
    assert api_as(world.user("admin")).get("/api/v1/forecast?by=distributor&limit=0").status_code == 422
    default = api_as(world.user("admin")).get("/api/v1/forecast?by=distributor").json()
    assert default["limit"] == 100 and len(default["rows"]) == 30


def test_forecast_is_counted_live_where_the_rollup_cannot_answer(world, api_as, own_client):
    """A distributor's own people (scope, out-of-scope clients) and filters the roll-up does not know (territory,
    months) are counted over the deals: the same figures as before."""
    OpportunityFactory(client=own_client, owner=world.user("dist_sales"), stage=Stage.PROPOSAL, probability=60,
                       value=Decimal("1000"))
    head = Principal.for_user(world.user("dist_head"))
    assert not selectors.rollup_serves(head, {})
    assert not selectors.rollup_serves(Principal.for_user(world.user("admin")), {"territory_id": "1"})
    rows = api_as(world.user("dist_head")).get("/api/v1/forecast?by=distributor").json()["rows"]
    assert [(r["key"], r["open_count"], r["weighted"]) for r in rows] == [(str(world.own.pk), 1, "600.00")]
    rows = api_as(world.user("admin")).get(
        f"/api/v1/forecast?by=distributor&territory_id={world.territory.pk}").json()["rows"]
    assert [(r["key"], r["open_count"]) for r in rows] == [(str(world.own.pk), 1)]


def test_forecast_page_pages_the_rows(world, login):
    _many_distributors(world, 60)
    page = login(world.user("admin"))
    html = page.get(reverse("deals:forecast") + "?by=distributor").content.decode()
    assert html.count('<tr>\n    <td>') == 50 and 'id="forecast-pages"' in html
    assert "offset=50" in html
    html = page.get(reverse("deals:forecast") + "?by=distributor&offset=50").content.decode()
    assert html.count("<tr>\n    <td>") == 10 and "<td>dx059" in html and "<td>dx000" not in html


def test_kanban_totals_come_from_the_rollup_with_ten_cards_a_column_and_a_typed_distributor_filter(world, login):
    """Scenario (issue 22): the admin's kanban aggregated every deal for its totals, rendered 30 cards a column
    and a select of every distributor. Now: the roll-up's totals, 10 cards a column (the rest on demand), and a
    typed distributor filter once there are more distributors than a list can take."""
    distributors = _many_distributors(world, 55)
    client = ClientFactory(distributor=distributors[0], territory=world.territory)
    for i in range(14):
        OpportunityFactory(client=client, owner=world.user("program_manager"), stage=Stage.DISCUSSION,
                           value=Decimal(10), title=f"Card {i:02d}")
    page = login(world.user("admin"))
    with CaptureQueriesContext(connection) as queries:
        response = page.get(reverse("deals:pipeline"))
    assert response.status_code == 200
    opportunity_aggregates = [q["sql"] for q in queries.captured_queries
                              if "deals_opportunity" in q["sql"] and ("SUM(" in q["sql"].upper())]
    assert opportunity_aggregates == []
    html = response.content.decode()
    columns = {c["stage"]: c for c in response.context["columns"]}
    assert columns[Stage.DISCUSSION]["count"] == 14 and len(columns[Stage.DISCUSSION]["cards"]) == 10
    assert columns[Stage.PROPOSAL]["count"] == 55 and columns[Stage.PROPOSAL]["more"] == 45
    assert columns[Stage.PROPOSAL]["total"] == sum(Decimal(1000 + i) for i in range(55))
    assert 'name="distributor_q"' in html and 'id="board-distributor_id"' not in html
    assert 'id="more-discussion"' in html

    more = page.get(reverse("deals:pipeline_column", args=[Stage.DISCUSSION]) + "?offset=10&count=14",
                    HTTP_HX_REQUEST="true")
    assert more.status_code == 200
    body = more.content.decode()
    assert body.count('class="card kc-card') == 4 and 'id="more-discussion" hx-swap-oob="true"' in body
    assert page.get(reverse("deals:pipeline_column", args=["galaxy"])).status_code == 404

    typed = page.get(reverse("deals:pipeline") + "?distributor_q=DX001")
    columns = {c["stage"]: c for c in typed.context["columns"]}
    assert columns[Stage.PROPOSAL]["count"] == 1 and columns[Stage.PROPOSAL]["total"] == Decimal("1001.00")
    by_name = page.get(reverse("deals:pipeline") + "?distributor_q=Distribuitor 05")  # 050–054 by name
    assert {c["stage"]: c for c in by_name.context["columns"]}[Stage.PROPOSAL]["count"] == 5
    chosen = page.get(reverse("deals:pipeline") + f"?distributor_id={distributors[2].pk}")  # from the table page
    assert chosen.context["active"] == {"distributor_q": "dx002"}


def test_kanban_of_a_distributor_head_keeps_the_list_and_counts_live(world, login, own_client):
    OpportunityFactory(client=own_client, owner=world.user("dist_sales"), value=Decimal("5"))
    html = login(world.user("dist_head")).get(reverse("deals:pipeline")).content.decode()
    assert 'id="board-distributor_id"' in html and 'name="distributor_q"' not in html
