"""The distributor scorecard: its numbers are the goals, deals, registrations, sales and support selectors' numbers,
scoped by reach, without the manufacturer's internal assessment for distributor users, sortable, filterable,
exportable (formula-safe) and in a fixed number of queries."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel import selectors as channel_selectors
from keychannel.channel.choices import RegistrationStatus
from keychannel.channel.tests.factories import make_client, make_registration
from keychannel.deals import selectors as deal_selectors
from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import OpportunityFactory
from keychannel.network.tests.factories import DistributorFactory
from keychannel.program import scorecard, support_money
from keychannel.program.choices import GoalLevel, SupportKind, SupportStatus
from keychannel.program.models import Goal, SupportBudget, SupportRequest
from keychannel.program.selectors import goal_progress
from keychannel.program.tests.factories import build
from keychannel.sales import selectors as sales_selectors
from keychannel.sales.models import SalesLine, SalesReport

pytestmark = pytest.mark.django_db

_n = iter(range(1, 10_000))


def _business(world, distributor, *, sales_user, head):
    """Deals in every state, registrations in every status, an applied and a superseded sales report, funded support."""
    n = next(_n)
    client = make_client(distributor=distributor, territory=world.territory, potential_annual_volume=Decimal(1_200_000))
    for stage, value in ((Stage.WON, 300_000), (Stage.WON, 200_000), (Stage.LOST, 50_000), (Stage.PROPOSAL, 400_000),
                         (Stage.DISCUSSION, 100_000)):
        deal = OpportunityFactory(client=client, distributor=distributor, owner=sales_user, stage=stage,
                                  value=Decimal(value), probability=50,
                                  lost_reason="Price" if stage == Stage.LOST else "")
        if stage in (Stage.WON, Stage.LOST):
            Opportunity.objects.filter(pk=deal.pk).update(closed_on=today())
    for status, until in ((RegistrationStatus.PENDING, None), (RegistrationStatus.APPROVED, today() + timedelta(days=30)),
                          (RegistrationStatus.APPROVED, today() - timedelta(days=1)),  # shown as expired
                          (RegistrationStatus.REJECTED, None), (RegistrationStatus.EXPIRED, today() - timedelta(days=9))):
        make_registration(distributor=distributor,
                          client=make_client(distributor=distributor, territory=world.territory),
                          user=sales_user, status=status, protected_until=until)
    for status, amount in (("applied", "80000.50"), ("superseded", "999999")):
        report = SalesReport.objects.create(distributor=distributor, period=today().replace(day=1), file_name=f"{n}.csv",
                                            file_hash=f"{n}{status}".rjust(64, "0"), status=status, uploaded_by=head,
                                            applied_at=timezone.now())
        SalesLine.objects.create(report=report, distributor=distributor, client=client, product_line=world.product_line,
                                 date=today(), quantity=1, amount=Decimal(amount))
    budget, _created = SupportBudget.objects.get_or_create(distributor=distributor, year=today().year,
                                                          defaults={"amount": Decimal(100_000)})
    SupportRequest.objects.create(
        distributor=distributor, budget=budget, kind=SupportKind.FINANCIAL, title=f"Fair {n}", description="Stand",
        amount_requested=Decimal(10_000), amount_approved=Decimal(10_000), status=SupportStatus.APPROVED,
        requested_by=head, decided_at=timezone.now() - timedelta(days=10), return_months=1)
    return client


@pytest.fixture
def scored(world):
    data = build(world)
    goals = data["goals"]
    Goal.objects.create(program=data["launched"], parent=goals["office"], level=GoalLevel.DISTRIBUTOR, name="Won",
                        distributor=world.own, metric="won_contracts", target=Decimal(3),
                        starts_on=data["launched"].starts_on, ends_on=data["launched"].ends_on)
    _business(world, world.own, sales_user=world.user("dist_sales"), head=world.user("dist_head"))
    _business(world, world.other, sales_user=world.other_users["dist_sales"], head=world.other_users["dist_head"])
    return world


def _row(rows, distributor):
    return next(r for r in rows if r["id"] == distributor.pk)


def test_the_scorecard_numbers_are_the_lists_numbers(scored, api_as):
    world = scored
    principal = world.principal("program_manager")
    row = _row(scorecard.scorecard_rows(principal=principal), world.own)
    start, end = date(today().year, 1, 1), today()

    # Goals: the goals page's progress for the same goals.
    goals = Goal.objects.filter(distributor=world.own, program=build(world)["launched"])
    expected = {p.goal.pk: p for p in goal_progress(goals, on=today())}
    assert {g["goal_id"] for g in row["goals"]} == set(expected)
    for g in row["goals"]:
        assert g["actual"] == expected[g["goal_id"]].actual and g["status"] == expected[g["goal_id"]].status
    assert row["goals_total"] == 2

    # Deals: the pipeline list filtered on the distributor.
    deals = deal_selectors.opportunity_list(principal=principal, filters={"distributor_id": world.own.pk})
    open_deals = deals.filter(stage__in=["discussion", "consultation", "product_testing", "proposal", "negotiation"])
    assert row["open_deals"] == open_deals.count() == 2
    assert row["open_pipeline"] == sum(d.value for d in open_deals) == Decimal(500_000)
    assert row["weighted_pipeline"] == sum(d.value * d.probability / 100 for d in open_deals)
    won = deals.filter(stage=Stage.WON, closed_on__gte=start, closed_on__lte=end)
    lost = deals.filter(stage=Stage.LOST, closed_on__gte=start, closed_on__lte=end)
    assert row["won_deals"] == won.count() == 2 and row["lost_deals"] == lost.count() == 1
    assert row["won_value"] == sum(d.value for d in won)
    assert row["win_rate"] == Decimal("66.7")
    assert row["key_accounts_won"] == won.values("client").distinct().count() == 1

    # Registrations: the registrations list's status filter (the status users see).
    for status in ("pending", "approved", "rejected", "expired"):
        listed = channel_selectors.registration_list(principal=principal, filters={
            "distributor_id": world.own.pk, "status": status}).filter(submitted_on__gte=start, submitted_on__lte=end)
        assert row["registrations"][status] == listed.count(), status
    assert row["registrations"] == {"pending": 1, "approved": 1, "rejected": 1, "expired": 2}

    # Sell-out: the sales lines of applied reports (a superseded file does not count).
    lines = sales_selectors.line_list(principal=principal, filters={
        "distributor_id": world.own.pk, "date_from": start, "date_to": end}).filter(report__status="applied")
    assert row["sell_out"] == sum(line.amount for line in lines) == Decimal("80000.50")
    assert row["sell_out_trend"][-1]["amount"] == Decimal("80000.50")

    # Support: the return on support of the distributor's program page.
    returns = support_money.distributor_returns(principal=principal, distributor=world.own)
    assert row["support_spend"] == sum(r.spend for r in returns) == Decimal(10_000)
    assert row["support_won"] == sum(r.won_value for r in returns) == Decimal(500_000)
    assert row["support_return"] == Decimal("50.00")

    # The API answers the same numbers.
    api = api_as(world.user("program_manager")).get(f"/api/v1/scorecards/{world.own.pk}").json()
    assert Decimal(api["won_value"]) == row["won_value"] and Decimal(api["sell_out"]) == row["sell_out"]
    assert api["registrations"] == row["registrations"]
    assert Decimal(api["support_return"]) == row["support_return"]


def test_each_reader_sees_only_the_cards_in_reach(scored, api_as, login):
    world = scored
    for role in ("channel_manager", "mentor", "embedded_kam", "dist_head"):
        ids = {r["id"] for r in api_as(world.user(role)).get("/api/v1/scorecards").json()["items"]}
        assert ids == {world.own.pk}, role
        assert api_as(world.user(role)).get(f"/api/v1/scorecards/{world.other.pk}").status_code == 404
    ids = {r["id"] for r in api_as(world.user("executive")).get("/api/v1/scorecards").json()["items"]}
    assert {world.own.pk, world.other.pk} <= ids
    assert api_as(world.user("dist_sales")).get("/api/v1/scorecards").status_code == 403
    page = login(world.user("dist_head")).get(reverse("program:scorecard_list")).content.decode()
    assert world.own.legal_name in page and world.other.legal_name not in page


def test_a_distributor_head_never_reads_the_internal_assessment(scored, api_as, login):
    world = scored
    head = api_as(world.user("dist_head")).get(f"/api/v1/scorecards/{world.own.pk}").json()
    assert head["health"] is None
    manager = api_as(world.user("program_manager")).get(f"/api/v1/scorecards/{world.own.pk}").json()
    assert manager["health"] and manager["health"][0]["code"] == "no_relationships"
    message = manager["health"][0]["message"]
    web = login(world.user("dist_head"))
    for url in (reverse("program:scorecard_list"), reverse("program:scorecard_detail", args=[world.own.pk]),
                reverse("program:scorecard_csv")):
        response = web.get(url)
        body = (response.getvalue() if response.streaming else response.content).decode("utf-8-sig")
        assert message not in body and "Relationship flags" not in body and "scorecard-health" not in body, url
    body = login(world.user("program_manager")).get(reverse("program:scorecard_detail", args=[world.own.pk]))
    assert message in body.content.decode()


def test_the_export_is_formula_safe_and_keeps_the_filters(scored, login):
    world = scored
    world.other.legal_name = "=HYPERLINK(\"http://evil\")"
    world.other.size_tier = "large"
    world.other.save()
    world.own.size_tier = "small"
    world.own.save()
    web = login(world.user("program_manager"))
    rows = list(csv.reader(io.StringIO(web.get(reverse("program:scorecard_csv")).getvalue().decode("utf-8-sig"))))
    names = [r[1] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://evil\")" in names
    rows = list(csv.reader(io.StringIO(web.get(reverse("program:scorecard_csv"), {"size_tier": "small"}).getvalue().decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [world.own.code]


def test_sorting_and_filtering_on_the_page_and_the_api_agree(scored, login, api_as):
    world = scored
    OpportunityFactory(client=make_client(distributor=world.other, territory=world.territory), distributor=world.other,
                       owner=world.other_users["dist_sales"], stage=Stage.PROPOSAL, value=Decimal(9_000_000), probability=50)
    api = api_as(world.user("program_manager"))
    order = [r["code"] for r in api.get("/api/v1/scorecards", {"sort": "-pipeline"}).json()["items"]]
    assert order[:2] == [world.other.code, world.own.code]
    assert [r["code"] for r in api.get("/api/v1/scorecards", {"sort": "pipeline"}).json()["items"]][-1] == world.other.code
    assert api.get("/api/v1/scorecards", {"sort": "bogus"}).status_code == 422
    web = login(world.user("program_manager"))
    page = web.get(reverse("program:scorecard_list"), {"sort": "-pipeline"})
    assert [r["code"] for r in page.context["rows"]][:2] == order[:2]
    principal = world.principal("program_manager")
    for control in scorecard.SCORECARD_FILTERS.page_controls(principal):
        for value, _label in control.choices:
            page_ids = {r["id"] for r in web.get(reverse("program:scorecard_list"), {control.name: value}).context["rows"]}
            api_ids = {r["id"] for r in api.get("/api/v1/scorecards", {control.filter_name: value}).json()["items"]}
            assert page_ids == api_ids, (control.name, value)
    assert {r["code"] for r in api.get("/api/v1/scorecards", {"q": world.own.code}).json()["items"]} == {world.own.code}


def test_every_filter_is_a_field_of_the_api_filter():
    from keychannel.program.scorecard_api import ScorecardFilter

    for spec in scorecard.SCORECARD_FILTERS:
        assert spec.name in ScorecardFilter.model_fields


def test_the_network_table_query_count_does_not_grow_with_distributors(scored, api_as, login):
    world = scored
    api = api_as(world.user("program_manager"))
    web = login(world.user("program_manager"))
    api.get("/api/v1/scorecards")
    with CaptureQueriesContext(connection) as first:
        assert api.get("/api/v1/scorecards").status_code == 200
    with CaptureQueriesContext(connection) as first_page:
        web.get(reverse("program:scorecard_list"))
    for _ in range(3):
        extra = DistributorFactory(territory=world.territory)
        _business(world, extra, sales_user=world.user("dist_sales"), head=world.user("dist_head"))
    with CaptureQueriesContext(connection) as second:
        assert len(api.get("/api/v1/scorecards").json()["items"]) >= 5
    with CaptureQueriesContext(connection) as second_page:
        web.get(reverse("program:scorecard_list"))
    assert len(second) == len(first)
    assert len(second_page) == len(first_page)


def _random_network(world, seed):
    """A few more distributors with business of random sizes, sizes and names (the pages then have ties and gaps)."""
    import random

    rnd = random.Random(seed)
    for i in range(6):
        extra = DistributorFactory(territory=world.territory, size_tier=rnd.choice(["small", "medium", "large"]),
                                   legal_name=rnd.choice(["Beta", "alfa", "Gama", "Beta"]) + f" {i % 3} SRL")
        if rnd.random() < 0.7:
            _business(world, extra, sales_user=world.user("dist_sales"), head=world.user("dist_head"))
        for _j in range(rnd.randrange(3)):
            OpportunityFactory(client=make_client(distributor=extra, territory=world.territory), distributor=extra,
                               owner=world.user("dist_sales"), stage=rnd.choice([Stage.PROPOSAL, Stage.DISCUSSION]),
                               value=Decimal(rnd.randrange(1, 90) * 10_000), probability=rnd.choice([10, 50, 90]))


def test_the_pages_of_the_table_are_the_cards_of_each_distributor(scored):
    """Paged (figures read for a page's distributors only, sorted first by the one figure a sort needs), the rows
    are each distributor's own card, and the relationship flags the network's overview gives it."""
    from keychannel.network.relationship_selectors import relationship_health_overview

    world = scored
    _random_network(world, seed=22)
    principal = world.principal("program_manager")
    ids = list(scorecard._distributors(principal, None, None).order_by("code").values_list("pk", flat=True))
    cards = [scorecard.scorecard_get(principal=principal, pk=pk) for pk in ids]
    overview = {r["distributor"].pk: r["flags"] for r in relationship_health_overview(principal=principal,
                                                                                   on_date=today())}
    for card in cards:
        assert card["health_flags"] == len(overview[card["id"]])
        assert [f["code"] for f in card["health"]] == [f.code for f in overview[card["id"]]]
    assert scorecard.scorecard_rows(principal=principal) == cards
    for sort in [None] + [s for key in scorecard.SORTS for s in (key, f"-{key}")]:
        expected = scorecard.sort_rows(cards, sort)
        if sort and sort.lstrip("-") == "name":  # the database's order of names; the same names in it
            expected = sorted(cards, key=lambda r: r["code"])
        paged, offset = [], 0
        while True:
            rows, count = scorecard.scorecard_page(principal=principal, sort=sort, limit=3, offset=offset)
            assert count == len(cards), sort
            if not rows:
                break
            paged, offset = paged + rows, offset + 3
        if sort and sort.lstrip("-") == "name":
            assert sorted(paged, key=lambda r: r["code"]) == expected
            names = [r["name"].lower() for r in paged]
            assert names == sorted(names, reverse=sort.startswith("-")), sort
        else:
            assert paged == expected, sort
    assert list(scorecard.iter_rows(principal=principal, sort="-won")) == scorecard.sort_rows(cards, "-won")


@pytest.mark.parametrize("sort", [None, "-name", "-pipeline", "health"])
def test_a_page_reads_each_figure_once_whatever_its_distributors(scored, sort):
    world = scored
    principal = world.principal("program_manager")
    _random_network(world, seed=17)
    scorecard.scorecard_page(principal=principal, sort=sort, limit=1)
    counts = []
    for limit in (1, 2, 8):
        with CaptureQueriesContext(connection) as queries:
            rows, _count = scorecard.scorecard_page(principal=principal, sort=sort, limit=limit)
        assert len(rows) == limit
        counts.append(len(queries))
    # the same statements for 1, 2 or 8 distributors (a page whose distributors have no funded support skips the
    # read of the deals that support's return is attributed to: at most one fewer)
    assert max(counts) - min(counts) <= 1 and counts[2] == max(counts), counts


def test_the_api_and_the_page_are_paged(scored, api_as, login, monkeypatch):
    from keychannel.core import api_rows

    world = scored
    _random_network(world, seed=5)
    api = api_as(world.user("program_manager"))
    fast = api.get("/api/v1/scorecards", {"sort": "-won"}).content
    monkeypatch.setattr(api_rows, "ENABLED", False)  # ninja's own serialisation: the same bytes
    assert api.get("/api/v1/scorecards", {"sort": "-won"}).content == fast
    monkeypatch.setattr(api_rows, "ENABLED", True)
    first = api.get("/api/v1/scorecards", {"limit": 3}).json()
    assert len(first["items"]) == 3 and first["count"] == 8
    rest = api.get("/api/v1/scorecards", {"limit": 3, "offset": 3}).json()["items"]
    assert {r["id"] for r in first["items"]}.isdisjoint(r["id"] for r in rest)
    assert api.get("/api/v1/scorecards", {"limit": 501}).status_code == 422
    web = login(world.user("program_manager"))
    for i in range(50):
        DistributorFactory(territory=world.territory, code=f"zz{i:02d}")
    page = web.get(reverse("program:scorecard_list"))
    assert len(page.context["rows"]) == 50 and page.context["count"] == 58 and page.context["pages"] == 2
    assert page.context["next_query"] == "page=2"
    second = web.get(reverse("program:scorecard_list"), {"page": 2})
    assert len(second.context["rows"]) == 8 and second.context["previous_query"] == "page=1"
    body = web.get(reverse("program:scorecard_csv")).getvalue().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 59  # the export keeps every row
