import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel import services
from keychannel.channel.choices import LeadStatus, OfferStatus, RegistrationStatus
from keychannel.channel.models import Lead
from keychannel.channel.tests.factories import cover
from keychannel.core.errors import ConflictError
from keychannel.core.scoping import Principal
from keychannel.core.tests.factories import OrganizationFactory, make_user
from keychannel.network.tests.factories import DistributorFactory

pytestmark = pytest.mark.django_db



@pytest.fixture
def routed(world):
    """Three distributors cover the territory: own (active), other (cautious), third (resistant)."""
    world.own.stance, world.other.stance = "active", "cautious"
    world.own.save()
    world.other.save()
    third = DistributorFactory(organization=OrganizationFactory(), territory=world.territory, stance="resistant", code="dc")
    third.product_lines.add(world.product_line)
    for d in (world.own, world.other, third):
        cover(d, world.territory, world.product_line)
    world.cache["third"] = third
    world.cache["third_head"] = make_user("dist_head", third.organization, username="w-dc-head")
    return world


def new_lead(w, **kw):
    return services.lead_create(principal=w.principal("program_manager"), company_name=kw.pop("name", "Nova Steel SA"),
                                territory=w.territory, product_lines=[w.product_line], estimated_value=90000, **kw)


def test_lead_goes_to_the_best_weighted_eligible_distributor(routed):
    lead = new_lead(routed)
    offer = lead.offers.get()
    assert lead.status == LeadStatus.OFFERED and offer.distributor_id == routed.own.pk  # active stance first
    # with one open offer already, the next lead is weighed against that load
    second = new_lead(routed, name="Second Corp SA")
    assert second.offers.get().distributor_id == routed.other.pk


def test_decline_needs_a_reason_and_reroutes_without_offering_again(routed):
    lead = new_lead(routed)
    own_head = routed.principal("dist_head")
    with pytest.raises(ValidationError):
        services.lead_decline(principal=own_head, offer=lead.offers.get(), reason="")
    services.lead_decline(principal=own_head, offer=lead.offers.get(), reason="No capacity.")
    lead.refresh_from_db()
    assert list(lead.offers.values_list("distributor_id", "status")) == [
        (routed.own.pk, OfferStatus.DECLINED), (routed.other.pk, OfferStatus.OFFERED)]
    services.lead_decline(principal=Principal.for_user(routed.other_users["dist_head"]),
                          offer=lead.offers.get(status="offered"), reason="Not our segment.")
    services.lead_decline(principal=Principal.for_user(routed.cache["third_head"]),
                          offer=lead.offers.get(status="offered"), reason="Too far.")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.UNASSIGNED and lead.offers.count() == 3


def test_unanswered_offers_time_out_and_move_on(routed, settings):
    settings.KEYCHANNEL_LEAD_RESPONSE_DAYS = 3
    lead = new_lead(routed)
    assert lead.offers.get().respond_by == today() + datetime.timedelta(days=3)
    assert services.reroute_leads(on_date=today() + datetime.timedelta(days=3)) == 0
    assert services.reroute_leads(on_date=today() + datetime.timedelta(days=4)) == 1
    assert list(lead.offers.values_list("status", flat=True)) == [OfferStatus.TIMED_OUT, OfferStatus.OFFERED]
    call_command("reroute_leads")  # nothing due today
    assert lead.offers.count() == 2


def test_accept_makes_a_protected_registration_and_an_opportunity(routed):
    lead = new_lead(routed, tax_id="RO 6060606")
    services.lead_accept(principal=routed.principal("dist_sales"), offer=lead.offers.get())
    lead.refresh_from_db()
    registration = lead.registration
    assert lead.status == LeadStatus.ACCEPTED and registration.distributor_id == routed.own.pk
    assert registration.status == RegistrationStatus.APPROVED and registration.protected_until > today()
    assert registration.client.tax_id == "6060606" and registration.client.distributor_id == routed.own.pk
    assert registration.opportunity.origin == "lead" and registration.opportunity.distributor_id == routed.own.pk
    with pytest.raises(ConflictError):
        services.lead_accept(principal=routed.principal("dist_sales"), offer=lead.offers.get())


def test_no_eligible_distributor_leaves_the_lead_unassigned(world):
    lead = new_lead(world)
    assert lead.status == LeadStatus.UNASSIGNED and not lead.offers.exists()


def test_distributor_sees_only_leads_offered_to_it(routed, api_as):
    lead = new_lead(routed)
    assert api_as(routed.user("dist_head")).get(f"/api/v1/leads/{lead.pk}").status_code == 200
    assert api_as(routed.other_users["dist_head"]).get(f"/api/v1/leads/{lead.pk}").status_code == 404
    assert Lead.objects.visible_to(Principal.for_user(routed.cache["third_head"])).count() == 0
