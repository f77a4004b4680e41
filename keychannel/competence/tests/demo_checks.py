"""The demo's competence data: every task state, consultations in every state, and coverage gaps that are real.

Called by tests/test_demo.py on the one seeded demo (it was a test of its own that seeded part of the demo again)."""

from keychannel.competence import selectors, services
from keychannel.competence.choices import ConsultationStatus, TaskStatus
from keychannel.competence.models import ConsultationRequest, EmbeddedAssignment, KamTask, Mentorship
from keychannel.core.scoping import Principal
from keychannel.deals.models import Opportunity


def check_competence_data(ctx) -> None:
    """Writes (a coverage gap assigned): call it last."""
    assert EmbeddedAssignment.objects.active_on().values("kam").distinct().count() == 3
    for kam in ("kam", "kam2", "kam3"):
        states = set(KamTask.objects.filter(kam=ctx.users[kam]).values_list("status", flat=True))
        assert states == set(TaskStatus.values), kam
    assert set(ConsultationRequest.objects.values_list("status", flat=True)) == set(ConsultationStatus.values)
    assert Mentorship.objects.filter(mentor=ctx.users["mentor"]).count() >= 4
    assert Mentorship.objects.filter(mentor=ctx.users["mentor2"], opportunity__isnull=False).exists()

    program = Principal.for_user(ctx.users["program"])
    gaps = selectors.coverage_gap_list(principal=program)
    assert gaps
    for gap in gaps:
        client = gap["client"]
        assert client.distributor.size_tier == "small"
        assert not Mentorship.objects.active_on().filter(distributor=client.distributor, client__isnull=True).exists()
        assert not Mentorship.objects.active_on().filter(client=client).exists()
        assert not EmbeddedAssignment.objects.active_on().filter(distributor=client.distributor).exists()
        assert not Opportunity.objects.filter(client=client, mentor__isnull=False).exists()
        assert gap["suggested_mentor"] is not None

    first = gaps[0]["client"]
    services.coverage_gap_assign(principal=program, client=first)
    assert first.pk not in {g["client"].pk for g in selectors.coverage_gap_list(principal=program)}
