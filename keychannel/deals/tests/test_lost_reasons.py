"""Lost reasons from a list (issue 18, part 5): one rule for the service, the form, the kanban and the API, and a
breakdown on the forecast page that counts what the user may see."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from keychannel.deals import forecast, services
from keychannel.deals.choices import LostReason, Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(world):
    client = ClientFactory(distributor=world.own, territory=world.territory)
    return OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=Stage.NEGOTIATION)


@pytest.mark.parametrize(("code", "details", "field"), [
    (None, "", "lost_reason_code"), ("", "Went elsewhere", "lost_reason_code"), ("whim", "", "lost_reason_code"),
    ("other", "  ", "lost_reason"),
])
def test_the_service_refuses_a_lost_deal_without_a_reason_from_the_list(world, deal, code, details, field):
    with pytest.raises(ValidationError) as refused:
        services.opportunity_move(principal=world.principal("dist_sales"), opportunity=deal, stage=Stage.LOST,
                                  lost_reason_code=code, lost_reason=details)
    assert list(refused.value.error_dict) == [field]
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason_code) == (Stage.NEGOTIATION, "")


def test_a_reason_from_the_list_is_enough_and_reopening_clears_it(world, deal):
    moved = services.opportunity_move(principal=world.principal("dist_sales"), opportunity=deal, stage=Stage.LOST,
                                      lost_reason_code=LostReason.BUDGET)
    assert (moved.stage, moved.lost_reason_code, moved.lost_reason) == (Stage.LOST, "budget", "")
    reopened = services.opportunity_move(principal=world.principal("dist_sales"), opportunity=moved,
                                         stage=Stage.NEGOTIATION)
    assert (reopened.lost_reason_code, reopened.lost_reason) == ("", "")


def test_the_deal_page_offers_the_list_in_romanian(world, deal, login):
    from keychannel.core.models import Membership

    Membership.objects.filter(user=world.user("dist_sales")).update(language="ro")
    page = login(world.user("dist_sales")).get(reverse("deals:opportunity_detail", args=[deal.pk]))
    html = page.content.decode()
    assert 'name="lost_reason_code"' in html and "Fără buget" in html and "No budget" not in html


def test_the_breakdown_counts_the_visible_lost_deals_by_reason(world):
    own = ClientFactory(distributor=world.own, territory=world.territory)
    other = ClientFactory(distributor=world.other, territory=world.territory)
    owners = {own: world.user("dist_sales"), other: world.other_users["dist_sales"]}
    for code, client in [("price", own), ("price", own), ("budget", own), ("price", other), ("other", other)]:
        OpportunityFactory(client=client, owner=owners[client], stage=Stage.LOST, lost_reason_code=code,
                           lost_reason="x", value=1000)
    OpportunityFactory(client=own, owner=owners[own], stage=Stage.NEGOTIATION)

    def breakdown(role):
        return {r["code"]: (r["count"], r["value"]) for r in forecast.lost_reasons(principal=world.principal(role))}

    assert breakdown("dist_head") == {"price": (2, 2000), "budget": (1, 1000)}
    network = breakdown("program_manager")
    assert network == {"price": (3, 3000), "budget": (1, 1000), "other": (1, 1000)}
    direct = Opportunity.objects.filter(stage=Stage.LOST)
    assert sum(count for count, _value in network.values()) == direct.count()
    assert [r["code"] for r in forecast.lost_reasons(principal=world.principal("program_manager"))][0] == "price"
    only_other = forecast.lost_reasons(principal=world.principal("program_manager"),
                                        filters={"distributor_id": str(world.other.pk)})
    assert {r["code"]: r["count"] for r in only_other} == {"price": 1, "other": 1}
