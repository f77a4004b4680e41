"""Test data of the deals app (clients are made here too, so these tests need only the clients models)."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from keychannel.clients.models import CorporateClient, Stakeholder
from keychannel.deals.choices import Stage
from keychannel.deals.models import CorporateContract, Opportunity, StageChange


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorporateClient

    legal_name = factory.Sequence(lambda n: f"Client {n} SA")
    tax_id = factory.Sequence(lambda n: f"RO{70_000_000 + n}")


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder

    client = factory.SubFactory(ClientFactory)
    full_name = factory.Sequence(lambda n: f"Person {n}")


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Deal {n}")
    client = factory.SubFactory(ClientFactory)
    distributor = factory.LazyAttribute(lambda o: o.client.distributor)
    value = Decimal("100000")
    volume = Decimal("10")
    stage = Stage.DISCUSSION
    probability = 10
    lost_reason_code = factory.LazyAttribute(lambda o: "other" if o.stage == Stage.LOST else "")
    expected_close_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))
    next_step = "Call the buyer"
    next_step_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))

    @factory.post_generation
    def opened(obj, create, extracted, **kwargs):
        if create:
            StageChange.objects.create(opportunity=obj, to_stage=obj.stage, changed_by=obj.owner)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorporateContract

    client = factory.SubFactory(ClientFactory)
    distributor = factory.LazyAttribute(lambda o: o.client.distributor)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=300))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    value = Decimal("250000")
