"""In the test world the mentor mentors the "own" distributor and the KAM is stationed there."""

from datetime import date

from tests.world import WORLD_HOOKS


def link_competence(world):
    from keychannel.competence.models import EmbeddedAssignment, Mentorship

    Mentorship.objects.create(mentor=world.users["mentor"], distributor=world.own, starts_on=date(2020, 1, 1))
    EmbeddedAssignment.objects.create(kam=world.users["embedded_kam"], distributor=world.own, starts_on=date(2020, 1, 1))


WORLD_HOOKS.append(link_competence)
