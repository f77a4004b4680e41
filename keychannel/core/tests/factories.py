import factory
from django.contrib.auth import get_user_model

from keychannel.core.choices import OrganizationKind
from keychannel.core.models import Membership, Organization


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganizationKind.DISTRIBUTOR


def manufacturer():
    org, _ = Organization.objects.get_or_create(kind=OrganizationKind.MANUFACTURER, defaults={"name": "Manufacturer SA"})
    return org


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="ro_RO")
    last_name = factory.Faker("last_name", locale="ro_RO")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.django.Password("test-password")


def make_user(role, organization, username=None, **fields):
    user = UserFactory(**({"username": username} if username else {}), **fields)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user
