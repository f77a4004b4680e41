"""Factories and helpers for the competence tests."""

from datetime import date

import factory

from keychannel.competence.choices import KamDuty
from keychannel.competence.models import EmbeddedAssignment, KamTask, Mentorship
from keychannel.core.tests.factories import make_user, manufacturer


def kam_at(distributor, username, starts_on=date(2020, 1, 1)):
    kam = make_user("embedded_kam", manufacturer(), username=username)
    EmbeddedAssignment.objects.create(kam=kam, distributor=distributor, starts_on=starts_on)
    return kam


def mentor_of(distributor, username, client=None, starts_on=date(2020, 1, 1)):
    mentor = make_user("mentor", manufacturer(), username=username)
    Mentorship.objects.create(mentor=mentor, distributor=distributor, client=client, starts_on=starts_on)
    return mentor


def client_of(distributor, name, **fields):
    from keychannel.clients.models import CorporateClient

    return CorporateClient.objects.create(legal_name=name, distributor=distributor,
                                          territory=fields.pop("territory", distributor.territory), **fields)


class KamTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KamTask

    title = factory.Sequence(lambda n: f"Task {n}")
    duty = KamDuty.SELL_TO_LARGE_CLIENTS
