from datetime import timedelta

import pytest
from django.utils import timezone

from keychannel.competence.models import EmbeddedAssignment, Mentorship
from keychannel.core.scoping import Principal

pytestmark = pytest.mark.django_db


def test_mentor_and_kam_reach_only_their_distributors(world):
    assert world.principal("mentor").distributor_ids == {world.own.pk}
    assert world.principal("embedded_kam").distributor_ids == {world.own.pk}


def test_reach_follows_the_period(world):
    today = timezone.localdate()
    Mentorship.objects.filter(mentor=world.users["mentor"]).update(ends_on=today - timedelta(days=1))
    EmbeddedAssignment.objects.create(kam=world.users["embedded_kam"], distributor=world.other,
                                      starts_on=today + timedelta(days=3))
    assert Principal.for_user(world.users["mentor"]).distributor_ids == frozenset()
    assert Principal.for_user(world.users["embedded_kam"]).distributor_ids == {world.own.pk}
