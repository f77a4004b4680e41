"""Issue 22.3: the API's deal list reads only what it answers (no distributor or territory row, the product
lines' ids in one query per page) and answers exactly what the schema answers from full rows."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.responses import NinjaJSONEncoder

from keychannel.core.scoping import Principal
from keychannel.deals import selectors
from keychannel.deals.choices import Stage
from keychannel.deals.schemas import OpportunityOut
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.network.models import Distributor
from keychannel.network.tests.factories import ProductLineFactory

pytestmark = pytest.mark.django_db


def _deals(world, n, lines):
    distributor = Distributor.objects.visible_to(Principal.for_user(world.user("dist_sales"))).first()
    for i in range(n):
        deal = OpportunityFactory(client=ClientFactory(distributor=distributor), owner=world.user("dist_sales"),
                                  mentor=world.user("channel_manager") if i % 2 else None,
                                  stage=[Stage.DISCUSSION, Stage.WON, Stage.LOST][i % 3], next_step="" if i % 4 else "x")
        deal.product_lines.set(lines[: i % (len(lines) + 1)])


def _full(principal, query):
    """The answer as the schema gives it from the full rows (the page and every other caller's path)."""
    rows = selectors.opportunity_list(principal=principal, filters=query).order_by("-created_at", "-pk")
    return json.loads(json.dumps([OpportunityOut.from_orm(row).model_dump() for row in rows], cls=NinjaJSONEncoder))


@pytest.mark.parametrize("username", ["admin", "dist_sales"])
@pytest.mark.parametrize("query", ["", "?open=true"])
def test_the_list_answers_what_the_schema_answers_from_full_rows(world, api_as, username, query):
    lines = [ProductLineFactory(name=name) for name in ("Zeta", "Alpha", "Mid")]  # ids and names sort differently
    _deals(world, 9, lines)
    principal = Principal.for_user(world.user(username))
    answer = api_as(world.user(username)).get(f"/api/v1/opportunities{query or '?'}&limit=100")
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert items and items == _full(principal, {"open": True} if query else {})
    assert any(len(item["product_line_ids"]) > 1 for item in items)


def test_a_page_of_the_list_costs_the_same_queries_whatever_its_rows(world, api_as):
    lines = [ProductLineFactory() for _ in range(2)]
    caller = api_as(world.user("admin"))
    caller.get("/api/v1/opportunities?limit=50")  # the rate window
    counts = []
    for n in (2, 12):
        _deals(world, n, lines)
        with CaptureQueriesContext(connection) as ctx:
            assert caller.get("/api/v1/opportunities?limit=50").status_code == 200
        counts.append(len(ctx.captured_queries))
        page = next(q["sql"] for q in ctx.captured_queries if 'FROM "deals_opportunity"' in q["sql"]
                    and "COUNT(" not in q["sql"])
        assert '"network_distributor"' not in page and '"network_territory"' not in page
        assert '"deals_opportunity"."gate_override_reason"' not in page
    assert counts[0] == counts[1]


def test_the_pages_people_are_read_after_its_rows_in_one_statement_not_joined(world, api_as):
    """Issue 22: joined to the page's statement, the owner, mentor and KAM (three joins of the users) made
    PostgreSQL plan it for 1.1 ms where it ran in 0.2. The page's deals join their client only; the people of
    the whole page are one read of the users, each person built once."""
    lines = [ProductLineFactory()]
    _deals(world, 6, lines)
    caller = api_as(world.user("admin"))
    caller.get("/api/v1/opportunities?limit=50")  # the rate window
    with CaptureQueriesContext(connection) as ctx:
        body = caller.get("/api/v1/opportunities?limit=50").json()
    page = next(q["sql"] for q in ctx.captured_queries if 'FROM "deals_opportunity"' in q["sql"]
                and "COUNT(" not in q["sql"])
    assert '"auth_user"' not in page and '"clients_corporateclient"' in page
    people = [q["sql"] for q in ctx.captured_queries if 'FROM "auth_user"' in q["sql"]
              and '"core_apitoken"' not in q["sql"]]
    assert len(people) == 1, people
    assert '"password"' not in people[0]
    mentored = [item for item in body["items"] if item["mentor"]]
    assert mentored and all(item["mentor"]["username"] == world.user("channel_manager").username
                                 for item in mentored)
    assert all(item["kam"] is None for item in body["items"])


def _counted(api, query):
    with CaptureQueriesContext(connection) as ctx:
        body = api.get(f"/api/v1/opportunities?limit=1{query}").json()
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and '"deals_opportunity"' in q["sql"]]
    return (body["count"], body["count_is_capped"]), counts


def test_past_the_cap_the_networks_count_comes_from_the_pipeline_roll_up(world, api_as, monkeypatch):
    """Issue 22: the count read 10,001 index entries of the deals on every first page of the network's list. Past
    the cap, the pipeline roll-up (every deal counts in it) tells it from a few hundred rows; a filter the roll-up
    does not hold, or a distributor's reach, is counted as before."""
    from keychannel.core.pagination import BoundedPagination

    _deals(world, 9, [ProductLineFactory()])  # 3 open (discussion), 3 won, 3 lost
    admin = api_as(world.user("admin"))
    admin.get("/api/v1/opportunities?limit=1")  # the rate window
    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", 2)
    for query in ("", "&stage=won", "&open=true"):
        assert _counted(admin, query) == ((2, True), []), query
    owner = world.user("dist_sales").pk
    for api, query in ((admin, f"&owner_id={owner}"), (api_as(world.user("dist_head")), "")):
        counted, counts = _counted(api, query)
        assert counted == (2, True) and len(counts) == 1, query
    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", 3)  # the roll-up proves nothing: counted, exactly
    counted, counts = _counted(admin, "&stage=won")
    assert counted == (3, False) and len(counts) == 1


def test_on_postgresql_the_networks_count_proof_is_read_by_its_pages_statement(world, api_as, monkeypatch):
    """Issue 22: past the cap, the roll-up's proof that the network holds more deals than the cap was a statement
    of its own after the page (one round trip). On PostgreSQL it is an ``EXISTS`` column of the page's statement;
    the answer is the same, a proof that fails still counts, and a page read otherwise reads the proof alone."""
    from keychannel.core.pagination import BoundedPagination

    _deals(world, 9, [ProductLineFactory()])  # 3 open (discussion), 3 won, 3 lost
    admin = api_as(world.user("admin"))
    admin.get("/api/v1/opportunities?limit=1")  # the rate window

    def proofs(query):
        with CaptureQueriesContext(connection) as ctx:
            body = admin.get(f"/api/v1/opportunities?limit=1{query}").json()
        reads = [q["sql"] for q in ctx.captured_queries if '"deals_pipelinestagetotal"' in q["sql"]]
        return (body["count"], body["count_is_capped"]), reads

    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", 2)
    for query in ("", "&stage=won", "&open=true"):
        counted, reads = proofs(query)
        assert counted == (2, True), query
        assert len(reads) == 1, reads
        if connection.vendor == "postgresql":
            assert reads[0].lstrip().startswith('SELECT "deals_opportunity"."id"') and "EXISTS" in reads[0], reads
    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", 3)  # the roll-up proves nothing: counted, exactly
    assert proofs("&stage=won")[0] == (3, False)
    assert proofs("&stage=won&updated_since=2000-01-01T00:00:00Z")[0] == (3, False)
    monkeypatch.setattr(BoundedPagination, "COUNT_CAP", 2)
    assert proofs("&updated_since=2000-01-01T00:00:00Z")[0] == (2, True)  # read alone: the where differs


def _body_from_full_rows(principal, answer, query, order=("-created_at", "-pk"), offset=0, limit=100):
    """The bytes ninja wrote for the list before issue 22's values page: the schema over the full model rows of
    ``opportunity_list``, encoded by ninja's encoder, beside the page's own count and cursor."""
    rows = selectors.opportunity_list(principal=principal, filters=query).order_by(*order)[offset: offset + limit]
    items = [OpportunityOut.from_orm(row).model_dump() for row in rows]
    body = {key: (items if key == "items" else value) for key, value in json.loads(answer.content).items()}
    return json.dumps(body, cls=NinjaJSONEncoder).encode()


@pytest.mark.parametrize("username", ["admin", "dist_head", "channel_manager"])
@pytest.mark.parametrize("query", ["", "&open=true", "&sort=value", "&stage=won&sort=-expected_close_on"])
def test_the_values_page_is_byte_for_byte_the_body_of_the_model_rows(world, api_as, username, query):
    """Issue 22: the page is read as values (no model instance per deal and client): its body stays the bytes
    the schema wrote from full model rows (people, product lines in their order, weighted value, attention)."""
    lines = [ProductLineFactory(name=name) for name in ("Zeta", "Alpha", "Mid")]
    _deals(world, 12, lines)
    OpportunityFactory(owner=world.user("admin"), kam=world.user("channel_manager"), next_step="call",
                       next_step_on=datetime.date(2020, 1, 1))
    principal = Principal.for_user(world.user(username))
    answer = api_as(world.user(username)).get(f"/api/v1/opportunities?limit=100{query}")
    assert answer.status_code == 200 and answer.json()["items"]
    filters = dict(part.split("=") for part in query.strip("&").split("&") if part)
    order = (filters.pop("sort", "-created_at"), "-pk")
    filters = {k: (True if v == "true" else v) for k, v in filters.items()}
    assert answer.content == _body_from_full_rows(principal, answer, filters, order)


def test_the_page_builds_no_model_row_per_deal(world, api_as):
    """Issue 22: a model instance per deal and per client (init, signals, then read back field by field) was most
    of the list's Python; the page's rows are plain values, its people the only instances (one per person)."""
    from django.db.models.signals import post_init

    _deals(world, 8, [ProductLineFactory()])
    caller = api_as(world.user("admin"))
    caller.get("/api/v1/opportunities?limit=50")  # the rate window
    built = []

    def seen(sender, **kwargs):
        built.append(sender.__name__)

    post_init.connect(seen)
    try:
        assert caller.get("/api/v1/opportunities?limit=50").status_code == 200
    finally:
        post_init.disconnect(seen)
    assert "Opportunity" not in built and "CorporateClient" not in built, built


def test_a_deep_page_of_values_reads_its_ids_first_without_the_client_join(world, api_as, monkeypatch):
    """A deep offset page reads the ids of its rows first (core.pagination.offset_rows), the values page too:
    the ids without the client's columns' join, then the rows by id, the same rows as the plain slice."""
    from keychannel.core.pagination import BoundedPagination

    _deals(world, 9, [ProductLineFactory()])
    caller = api_as(world.user("admin"))
    principal = Principal.for_user(world.user("admin"))
    plain = caller.get("/api/v1/opportunities?limit=3&offset=4&sort=value")
    monkeypatch.setattr(BoundedPagination, "DEEP_OFFSET", 2)
    with CaptureQueriesContext(connection) as ctx:
        deep = caller.get("/api/v1/opportunities?limit=3&offset=4&sort=value")
    assert json.loads(deep.content)["items"] == json.loads(plain.content)["items"]  # (a cursor is time-stamped)
    assert deep.content == _body_from_full_rows(principal, deep, {}, ("value", "-pk"), offset=4, limit=3)
    ids = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "deals_opportunity"."id" AS "pk"')]
    assert len(ids) == 1 and '"clients_corporateclient"' not in ids[0], ids


def test_on_postgresql_a_pages_product_lines_come_with_its_rows(world, api_as):
    """Issue 22: the links to the product lines were a statement of their own after the page (a round trip); on
    PostgreSQL they are a column of the page's statement (``ARRAY(SELECT …)``), in the product lines' order, and
    stay out of its count. SQLite keeps the one statement of the links."""
    lines = [ProductLineFactory(name=name) for name in ("Zeta", "Alpha", "Mid")]
    _deals(world, 8, lines)
    caller = api_as(world.user("admin"))
    caller.get("/api/v1/opportunities?limit=5")  # the rate window
    with CaptureQueriesContext(connection) as ctx:
        body = caller.get("/api/v1/opportunities?limit=5&sort=title").json()
    links = [q["sql"] for q in ctx.captured_queries if '"deals_opportunity_product_lines"' in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(links) == 1 and links[0].lstrip().startswith('SELECT "deals_opportunity"."id"'), links
        assert not [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and "ARRAY(" in q["sql"]]
    else:
        assert len(links) == 1 and links[0].startswith("SELECT l."), links
    principal = Principal.for_user(world.user("admin"))
    expected = selectors.opportunity_list(principal=principal).order_by("title", "-pk")[:5]
    assert [item["product_line_ids"] for item in body["items"]] == [
        [line.pk for line in deal.product_lines.all()] for deal in expected]
    assert any(len(item["product_line_ids"]) > 1 for item in body["items"])


@pytest.mark.parametrize("query", ["", "&open=true"])
def test_a_distributors_count_is_read_by_its_pages_statement_on_postgresql(world, api_as, query):
    """Issue 22: a distributor's list counted its deals in a statement of its own after the page (the pipeline
    roll-up cannot tell it: it counts the deals of clients taken out of scope too). On PostgreSQL the count is a
    column of the page's statement; it leaves out what the distributor does not see, and a page read otherwise
    (changed since, by cursor) counts as before or not at all."""
    _deals(world, 7, [ProductLineFactory()])
    gone = ClientFactory(distributor=world.own, territory=world.territory, out_of_scope=True)
    OpportunityFactory(client=gone, owner=world.user("dist_sales"), stage=Stage.DISCUSSION)  # no longer theirs
    caller = api_as(world.user("dist_head"))
    caller.get("/api/v1/me")  # the rate window
    with CaptureQueriesContext(connection) as ctx:
        body = caller.get(f"/api/v1/opportunities?limit=2{query}").json()
    principal = Principal.for_user(world.user("dist_head"))
    expected = selectors.opportunity_list(principal=principal, filters={"open": True} if query else {}).count()
    assert expected > 2 and len(body["items"]) == 2
    assert (body["count"], body["count_is_capped"]) == (expected, False)
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(counts) == 1 and counts[0].lstrip().startswith('SELECT "deals_opportunity"."id"'), counts
    since = caller.get(f"/api/v1/opportunities?limit=2&updated_since=2000-01-01T00:00:00Z{query}").json()
    assert (since["count"], since["count_is_capped"]) == (expected, False)
    cursor = caller.get(f"/api/v1/opportunities?limit=2{query}&cursor={body['next_cursor']}").json()
    assert cursor["count"] is None and cursor["items"]
    assert not {item["id"] for item in cursor["items"]} & {item["id"] for item in body["items"]}
