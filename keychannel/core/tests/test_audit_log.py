"""The readable, network-wide audit log and the security events beside it (issue 17 part 5)."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.core import history, services
from keychannel.core.choices import SecurityEventKind
from keychannel.core.models import SecurityEvent
from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def _deal(world, side="own", title="Compressor line"):
    owner = world.user("dist_sales") if side == "own" else world.other_users["dist_sales"]
    return OpportunityFactory(client=ClientFactory(distributor=world.distributor(side)), owner=owner, title=title)


def _change_owner_and_stage(world, deal):
    deal = Opportunity.objects.get(pk=deal.pk)
    deal.owner = world.user("dist_head")
    deal.stage = Stage.PROPOSAL
    deal._history_user = world.user("channel_manager")
    deal.save()
    return deal


def test_the_log_names_people_records_and_labels_never_ids(world, api_as):
    """The scenario of the issue: "Owner: 7 → 3". The log says who, which record, and the change in names."""
    deal = _change_owner_and_stage(world, _deal(world))
    body = api_as(world.user("program_manager")).get("/api/v1/audit", {"model": "deals.opportunity"}).json()
    entry = body["items"][0]
    assert entry["record"] == "Compressor line" and entry["record_type"] == "Opportunity"
    assert entry["user"] == world.user("channel_manager").get_full_name()
    assert entry["distributor"] == str(world.own) and entry["action"] == "~"
    changes = {c["field"]: (c["old"], c["new"]) for c in entry["changes"]}
    sales, head = world.user("dist_sales"), world.user("dist_head")
    assert changes["Owner"] == (sales.get_full_name(), head.get_full_name())
    assert changes["Stage"] == (str(Stage.DISCUSSION.label), str(Stage.PROPOSAL.label))
    assert str(deal.owner_id) not in {c["new"] for c in entry["changes"]}


def test_filters_by_person_model_distributor_and_dates(world, api_as):
    _change_owner_and_stage(world, _deal(world))
    _deal(world, "other", title="Other side deal")
    api = api_as(world.user("admin"))

    def rows(**params):
        return api.get("/api/v1/audit", {"limit": 200, **params}).json()["items"]

    assert {r["user"] for r in rows(person=world.user("channel_manager").pk)} == {
        world.user("channel_manager").get_full_name()}
    assert {r["model"] for r in rows(model="deals.opportunity")} == {"deals.opportunity"}
    own_rows = rows(distributor=world.own.pk)
    assert own_rows and all(r["distributor_id"] == world.own.pk for r in own_rows)
    assert "Other side deal" not in {r["record"] for r in own_rows}
    assert "Other side deal" in {r["record"] for r in rows(distributor=world.other.pk)}
    today = timezone.localdate()
    assert rows(date_from=today.isoformat(), date_to=today.isoformat())
    assert rows(date_to=(today - datetime.timedelta(days=1)).isoformat()) == []
    bad = api.get("/api/v1/audit", {"date_from": today.isoformat(), "date_to": "2000-01-01"})
    assert bad.status_code == 422


def test_the_cursor_walks_every_row_once(world, api_as):
    for n in range(7):
        _deal(world, title=f"Deal {n}")
    api = api_as(world.user("admin"))
    everything = api.get("/api/v1/audit", {"limit": 200}).json()["items"]
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/audit", {"limit": 4, **({"cursor": cursor} if cursor else {})}).json()
        seen += [(r["model"], r["history_id"]) for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [(r["model"], r["history_id"]) for r in everything] and len(seen) > 7
    assert api.get("/api/v1/audit", {"cursor": "not-a-cursor"}).status_code == 422


def test_a_redacted_field_stays_redacted_in_the_log(world, api_as):
    """A field an app declares hidden from a role is left out of that role's log, not of another's."""
    deal = _deal(world)
    deal = Opportunity.objects.get(pk=deal.pk)
    deal.title = "Renamed in secret"
    deal.save()

    def hide_title(principal, obj):
        return {"title"} if principal.role == "program_manager" else set()

    history.register_history_redaction("deals.opportunity", hide_title)
    try:
        def fields(role):
            items = api_as(world.user(role)).get("/api/v1/audit", {"model": "deals.opportunity"}).json()["items"]
            return {c["field"] for c in items[0]["changes"]}

        assert "Title" in fields("admin")
        assert "Title" not in fields("program_manager")
    finally:
        history._redactors["deals.opportunity"].remove(hide_title)


def test_the_page_filters_pages_and_exports(world, login):
    deal = _change_owner_and_stage(world, _deal(world))
    web = login(world.user("program_manager"))
    page = web.get(reverse("core:audit_log"), {"model": "deals.opportunity"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Compressor line" in html and reverse("core:history", args=["deals", "opportunity", deal.pk]) in html
    assert 'name="date_from"' in html and "export=csv" in html
    text = web.get(reverse("core:audit_log"), {"model": "deals.opportunity", "export": "csv"}).getvalue()
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[0][:3] == ["When", "Who", "What"] and len(rows) == 3  # created and changed
    assert world.user("dist_head").get_full_name() in rows[1][-1]
    today = timezone.localdate().isoformat()
    dated = web.get(reverse("core:audit_log"), {"date_from": today}).content.decode()
    # the table's own form (its selects, swapped by HTMX) keeps the page's dates
    assert f'<input type="hidden" name="date_from" value="{today}">' in dated and "Compressor line" in dated
    bad = web.get(reverse("core:audit_log"), {"date_from": "yesterday"})
    assert bad.status_code == 200 and "is not a date" in bad.content.decode()


def test_the_pages_queries_do_not_grow_with_rows(world, login):
    web = login(world.user("admin"))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert web.get(reverse("core:audit_log"), {"model": "deals.opportunity"}).status_code == 200
        return len(queries)

    _change_owner_and_stage(world, _deal(world))
    few = count()
    for n in range(10):
        _change_owner_and_stage(world, _deal(world, title=f"More {n}"))
    assert count() == few


# --- security events ----------------------------------------------------------------------------------------------


def test_a_refused_login_is_a_security_event(world, client):
    response = client.post(reverse("login"), {"username": "w-da-head", "password": "wrong"})
    assert response.status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED, username="w-da-head").count() == 1


def test_a_403_is_a_security_event_on_pages_and_in_the_api(world, login, api_as):
    assert login(world.user("dist_head")).get(reverse("core:audit_log")).status_code == 403
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.REFUSED, username="w-da-head",
                                        action="core.auditlog.view", path=reverse("core:audit_log")).count() == 1
    assert api_as(world.user("dist_sales")).get("/api/v1/audit").status_code == 403
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.REFUSED, username="w-da-sales",
                                        path="/api/v1/audit").count() == 1


def test_a_rate_limit_refusal_is_recorded_once_per_window(world, api_as, settings):
    settings.KEYCHANNEL_API_RATE_LIMIT = "3/h"
    api = api_as(world.user("dist_sales"))
    statuses = [api.get("/api/v1/me").status_code for _ in range(6)]
    assert statuses.count(429) == 3
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.RATE_LIMITED, username="w-da-sales").count() == 1


def test_the_program_manager_reads_security_events_but_does_not_unlock(world, login):
    services.security_event_record(kind=SecurityEventKind.LOGIN_FAILED, username="someone", action="core.login")
    page = login(world.user("program_manager")).get(reverse("core:securityevent_list"))
    assert page.status_code == 200 and "someone" in page.content.decode()
    assert 'id="audit-tabs"' in page.content.decode()


def test_security_events_are_kept_for_the_retention_period(world, settings):
    settings.KEYCHANNEL_SECURITY_EVENT_DAYS = 30
    old = services.security_event_record(kind=SecurityEventKind.REFUSED, username="old")
    SecurityEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    recent = services.security_event_record(kind=SecurityEventKind.REFUSED, username="recent")
    call_command("purge_security_events", stdout=io.StringIO())
    assert list(SecurityEvent.objects.filter(username__in=["old", "recent"])) == [recent]


def _same_instant(model, moment):
    """The rows of one bulk write (a segments refresh, an import) share their history_date."""
    model.history.all().update(history_date=moment)


def test_rows_of_one_instant_are_walked_once_in_record_order(world, api_as):
    """Issue 22 (wave 14 sweep): ties of history_date are ordered by record id, then record type, then history id;
    the cursor carries the record id, so a page boundary inside one instant neither repeats nor skips a row."""
    deals = [_deal(world, title=f"Deal {n}") for n in range(7)]
    _same_instant(Opportunity, timezone.now())
    api = api_as(world.user("admin"))
    everything = api.get("/api/v1/audit", {"limit": 200, "model": "deals.opportunity"}).json()["items"]
    assert [r["object_id"] for r in everything] == sorted((d.pk for d in deals), reverse=True)
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/audit", {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [(r["model"], r["history_id"]) for r in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [(r["model"], r["history_id"]) for r in api.get("/api/v1/audit", {"limit": 200}).json()["items"]]


def test_records_named_by_their_parents_cost_no_query_per_row(world, api_as):
    """A client segment's name is its client's: the log read each row's client apart (50 queries a page)."""
    from keychannel.sales.models import ClientSegment

    api = api_as(world.user("admin"))

    def segments(n):
        for _ in range(n):
            ClientSegment.objects.create(distributor=world.distributor("own"), year=2025, abc_class="A", label="maintain",
                                         client=ClientFactory(distributor=world.distributor("own")))
        with CaptureQueriesContext(connection) as queries:
            rows = api.get("/api/v1/audit", {"model": "sales.clientsegment", "limit": 50}).json()["items"]
        return len(rows), len(queries)

    segments(1)  # the first request's once-per-process reads
    few, many = segments(1), segments(8)
    assert (few[0], many[0]) == (2, 10) and many[1] == few[1]


def _plan_rows(plan: dict, relation: str) -> int:
    """Rows the scans of ``relation`` returned in an EXPLAIN (ANALYZE, FORMAT JSON) plan."""
    own = plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1) if plan.get("Relation Name") == relation else 0
    return own + sum(_plan_rows(child, relation) for child in plan.get("Plans", []))


@pytest.mark.postgres_suite  # a PostgreSQL plan: make test-sqlite deselects it
def test_on_postgresql_a_page_reads_about_a_page_of_one_instants_rows(world):
    """Issue 22 (wave 14 sweep): at full size a segments refresh wrote 400k history rows at one instant, and every
    first page of the log read and sorted all of them (1.2 s): merged by date alone, a tie needed its whole group.
    Each history table's (history_date, record id) index gives its part in the log's order: a page reads a page."""
    from keychannel.core import audit
    from keychannel.core.scoping import Principal

    for n in range(40):
        _deal(world, title=f"Deal {n}")
    _same_instant(Opportunity, timezone.now() + datetime.timedelta(minutes=1))  # the newest rows of the log
    sql, params = audit.log(principal=Principal.for_user(world.user("admin")))[:6].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE deals_historicalopportunity")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test-sized table is otherwise read whole anyway
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
    assert _plan_rows(plan, "deals_historicalopportunity") <= 8, plan
