"""Goal actuals follow the other apps' data: deals, registrations, sales lines (never typed in)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from keychannel.channel import services as channel_services
from keychannel.channel.tests.factories import make_client, make_registration
from keychannel.deals import services as deal_services
from keychannel.deals.choices import Stage
from keychannel.deals.tests.factories import OpportunityFactory
from keychannel.program import metrics, selectors
from keychannel.program.tests.factories import goal_tree, program
from keychannel.sales.models import SalesLine, SalesReport

pytestmark = pytest.mark.django_db


def _actuals(goals):
    return {key: p.actual for key, p in zip(goals, selectors.goal_progress(goals.values()), strict=True)}


def _deal(world, **fields):
    client = make_client(distributor=world.own, territory=world.territory)
    return OpportunityFactory(client=client, owner=world.user("dist_sales"), **fields)


def test_every_source_is_the_owning_apps_selector():
    # The sources are the deals, channel and sales selectors, written with those apps' constants: a renamed stage
    # or status changes them too, where the old string lookups silently answered "not available".
    from keychannel.channel import selectors as channel_selectors
    from keychannel.deals import selectors as deal_selectors
    from keychannel.sales import selectors as sales_selectors

    owners = {"deals": deal_selectors, "channel": channel_selectors, "sales": sales_selectors}
    for metric in metrics.METRICS.values():
        if metric.source in owners:
            assert metric.queryset.__module__ == owners[metric.source].__name__, metric.key
        assert metric.queryset().model._meta.app_label == metric.source, metric.key


def test_a_won_deal_raises_won_contracts_and_new_key_accounts(world, api_as):
    prog = program(world, name="P")
    won = goal_tree(prog, world, metric="won_contracts")
    accounts = goal_tree(prog, world, metric="new_key_accounts")
    pipeline = goal_tree(prog, world, metric="weighted_pipeline")
    deal = _deal(world, stage=Stage.NEGOTIATION, value=Decimal("200000"), probability=80)
    assert _actuals(won) == {"root": 0, "office": 0, "own": 0, "other": 0}
    assert _actuals(pipeline)["own"] == Decimal("160000")
    client = api_as(world.user("dist_head"))
    assert Decimal(client.get(f"/api/v1/goals/{won['own'].pk}").json()["actual"]) == 0
    deal_services.opportunity_move(principal=world.principal("dist_head"), opportunity=deal, stage=Stage.WON)
    assert _actuals(won) == {"root": 1, "office": 1, "own": 1, "other": 0}
    assert _actuals(accounts) == {"root": 1, "office": 1, "own": 1, "other": 0}
    assert _actuals(pipeline)["own"] == 0  # a won deal has left the pipeline
    assert Decimal(client.get(f"/api/v1/goals/{won['own'].pk}").json()["actual"]) == 1
    # A second won deal for the same client is a second contract but not a second new account.
    second = _deal(world, stage=Stage.PROPOSAL, value=Decimal("50000"))
    second.client = deal.client
    second.save()
    deal_services.opportunity_move(principal=world.principal("dist_head"), opportunity=second, stage=Stage.WON)
    assert _actuals(won)["own"] == 2 and _actuals(accounts)["own"] == 1


def test_lost_and_out_of_period_deals_do_not_count(world):
    prog = program(world, name="P")
    won = goal_tree(prog, world, metric="won_contracts")
    deal = _deal(world, stage=Stage.NEGOTIATION, value=Decimal("10000"))
    deal_services.opportunity_move(principal=world.principal("dist_head"), opportunity=deal, stage=Stage.LOST,
                                   lost_reason_code="price")
    old = _deal(world, stage=Stage.NEGOTIATION, value=Decimal("10000"))
    deal_services.opportunity_move(principal=world.principal("dist_head"), opportunity=old, stage=Stage.WON)
    type(old).objects.filter(pk=old.pk).update(closed_on=prog.starts_on - timedelta(days=1))
    assert _actuals(won)["own"] == 0


def test_an_approved_registration_raises_the_registrations_actual(world):
    prog = program(world, name="P")
    goals = goal_tree(prog, world, metric="approved_registrations")
    client = make_client(distributor=world.own, territory=world.territory)
    registration = make_registration(distributor=world.own, client=client, user=world.user("dist_sales"))
    assert _actuals(goals)["own"] == 0
    channel_services.registration_approve(principal=world.principal("program_manager"), registration=registration)
    assert _actuals(goals) == {"root": 1, "office": 1, "own": 1, "other": 0}


def test_sales_lines_of_applied_reports_make_the_corporate_revenue(world):
    prog = program(world, name="P")
    goals = goal_tree(prog, world, metric="corporate_revenue")
    client = make_client(distributor=world.own, territory=world.territory)
    day = date(prog.starts_on.year, 3, 15)

    def report(status, amount, n):
        rep = SalesReport.objects.create(distributor=world.own, period=day.replace(day=1), file_name=f"{n}.csv",
                                         file_hash=f"{n:064d}", status=status, uploaded_by=world.user("dist_head"),
                                         applied_at=timezone.now())
        SalesLine.objects.create(report=rep, distributor=world.own, client=client, product_line=world.product_line,
                                 date=day, quantity=1, amount=Decimal(amount))

    report("applied", "125000.50", 1)
    report("superseded", "999999", 2)
    assert _actuals(goals) == {"root": Decimal("125000.50"), "office": Decimal("125000.50"),
                               "own": Decimal("125000.50"), "other": 0}


def test_best_practice_links_its_own_won_deal_and_tiers_count_contracts(world, login):
    from django.core.exceptions import ValidationError
    from django.urls import reverse

    from keychannel.deals.models import CorporateContract
    from keychannel.program import services
    from keychannel.program.models import CorporateTier

    deal = _deal(world, stage=Stage.NEGOTIATION, value=Decimal("80000"))
    deal_services.opportunity_move(principal=world.principal("dist_head"), opportunity=deal, stage=Stage.WON)
    # The tier of a contract is the manufacturer's to set (a distributor's win makes a standard contract).
    contract = CorporateContract.objects.get(client=deal.client, distributor=world.own)
    deal_services.contract_update(principal=world.principal("program_manager"), contract=contract, tier="gold",
                                  tier_exception_reason="Pilot contract of a gold-size group.")
    with pytest.raises(ValidationError):
        services.best_practice_create(principal=world.principal("program_manager"), distributor=world.other,
                                      title="Wrong", story="Not theirs", deal=deal)
    practice = services.best_practice_create(principal=world.principal("dist_head"), distributor=world.own,
                                             title="Won", story="How", deal=deal)
    services.best_practice_share(principal=world.principal("program_manager"), practice=practice)
    url = reverse("program:bestpractice_detail", args=[practice.pk])
    assert deal.get_absolute_url().encode() in login(world.user("dist_head")).get(url).content
    foreign = login(world.other_users["dist_head"]).get(url)
    assert foreign.status_code == 200 and deal.get_absolute_url().encode() not in foreign.content
    assert CorporateTier.objects.get(code="gold").contracts.count() == 1  # one list: the contract's tier row
    page = login(world.user("admin")).get(reverse("program:tier_list"))
    assert page.context["contracts"]["gold"]["count"] == 1


def test_support_detail_shows_results_since_the_decision(world, login):
    from django.urls import reverse

    from keychannel.program.models import SupportBudget, SupportRequest

    budget = SupportBudget.objects.create(distributor=world.own, year=timezone.localdate().year, amount=Decimal(5000))
    request = SupportRequest.objects.create(distributor=world.own, budget=budget, kind="financial", title="Fair",
                                            description="Stand", amount_requested=100, amount_approved=100,
                                            status="approved", requested_by=world.user("dist_head"),
                                            decided_at=timezone.now() - timedelta(days=3))
    deal = _deal(world, stage=Stage.NEGOTIATION, value=Decimal("70000"))
    deal_services.opportunity_move(principal=world.principal("dist_head"), opportunity=deal, stage=Stage.WON)
    from keychannel.program import support_money

    result = support_money.support_return(principal=world.principal("dist_head"), request=request)
    assert result.won_deals == 1 and result.won_value == Decimal("70000") and result.ratio == Decimal("700.00")
    page = login(world.user("dist_head")).get(reverse("program:support_detail", args=[request.pk]))
    assert b'id="support-return"' in page.content


def _live(metric, distributor_ids, start, end):
    """The metric counted from the rows (its own aggregate), bypassing any stored roll-up."""
    total = metric._filtered(distributor_ids, start, end).aggregate(value=metric.aggregate())["value"]
    return Decimal(total or 0)


def test_the_weighted_pipeline_now_reads_the_rollup_and_equals_a_recount(world, django_assert_num_queries):
    # Issue 22: the weighted pipeline of a period that runs through today is the pipeline now, read off the
    # deals roll-up (a handful of rows) instead of aggregating every open deal; it must equal the recount.
    from keychannel.deals.rollups import PipelineRollup

    metric = metrics.get("weighted_pipeline")
    for value, probability, stage in [("1000.10", 30, Stage.PROPOSAL), ("2500", 55, Stage.NEGOTIATION),
                                      ("999.90", 10, Stage.DISCUSSION), ("4000", 100, Stage.WON)]:
        _deal(world, stage=stage, value=Decimal(value), probability=probability)
    OpportunityFactory(client=make_client(distributor=None, territory=world.territory), owner=world.user("admin"), stage=Stage.PROPOSAL,
                       value=Decimal("700"), probability=40)  # direct: counted in the network total only
    today = timezone.localdate()
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    ids = {world.own.pk, world.other.pk}
    assert PipelineRollup.objects.exists()
    with django_assert_num_queries(1) as captured:
        total = metric.total(None, start, end)
    # (the network's total: its per-stage rows, deals/stage_totals.py, a few rows at any size)
    assert "deals_pipelinestagetotal" in captured.captured_queries[0]["sql"]
    assert total == _live(metric, None, start, end) == Decimal("300.03") + Decimal("1375") + Decimal("99.99") + 280
    with django_assert_num_queries(1):
        grouped = metric.by_distributor(ids, start, end)
    assert grouped == {world.own.pk: _live(metric, {world.own.pk}, start, end)}


def test_a_past_period_of_the_weighted_pipeline_is_still_counted_as_of_its_end(world):
    # A period that ended before today is a snapshot the roll-up cannot give: deals opened after its end are out.
    metric = metrics.get("weighted_pipeline")
    _deal(world, stage=Stage.PROPOSAL, value=Decimal("1000"), probability=50)  # opened today
    today = timezone.localdate()
    past = today - timedelta(days=1)
    assert metric.total(None, past - timedelta(days=30), past) == 0
    assert metric.total(None, past - timedelta(days=30), today) == Decimal("500")
