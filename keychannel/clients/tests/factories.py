import factory

from keychannel.clients.models import CorporateClient, Stakeholder, StakeholderContact


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorporateClient

    legal_name = factory.Sequence(lambda n: f"Client {n} Industrie SRL")
    tax_id = factory.Sequence(lambda n: f"{30_000_000 + n}")


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder

    client = factory.SubFactory(ClientFactory)
    full_name = factory.Sequence(lambda n: f"Person {n}")
    level = "middle_manager"
    influence = 3
    attitude = 0


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StakeholderContact

    stakeholder = factory.SubFactory(StakeholderFactory)
    current_level = "professional"
    desired_level = "trusted"
