import factory

from keychannel.core.choices import OrganizationKind
from keychannel.core.tests.factories import OrganizationFactory
from keychannel.network.choices import TerritoryLevel
from keychannel.network.models import Distributor, ProductLine, Territory


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"County {n}")
    code = factory.Sequence(lambda n: f"county-{n}")
    level = TerritoryLevel.COUNTY


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine

    name = factory.Sequence(lambda n: f"Product line {n}")
    code = factory.Sequence(lambda n: f"line-{n}")


class DistributorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Distributor

    organization = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.DISTRIBUTOR)
    code = factory.Sequence(lambda n: f"t{n:03d}")
    legal_name = factory.LazyAttribute(lambda d: f"Distributor {d.code} SRL")
    tax_id = factory.Sequence(lambda n: f"{10_000_000 + n}")
    territory = factory.SubFactory(TerritoryFactory)
