"""What the demo shows of a program's lifecycle (issue 15, part 6); called by tests/test_demo.py after seeding."""

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keychannel.program.choices import ProgramStatus, SignoffDecision
from keychannel.program.models import Program, Signoff


def check_lifecycle_story(password: str) -> None:
    year = timezone.localdate().year
    closed = Program.objects.get(name=f"Key accounts {year - 1}")
    current = Program.objects.get(name=f"Key accounts {year}")
    upcoming = Program.objects.get(name=f"Key accounts {year + 1}")
    assert (closed.status, current.status) == (ProgramStatus.CLOSED, ProgramStatus.LAUNCHED)
    # Revised after an objection: version 2 awaits sign-off, the version-1 objection is kept.
    assert (upcoming.status, upcoming.version) == (ProgramStatus.AWAITING_SIGNOFF, 2) and upcoming.revision_note
    assert Signoff.objects.filter(program=upcoming, version=1, decision=SignoffDecision.OBJECT).exclude(comment="").exists()
    assert Program.objects.filter(status=ProgramStatus.WITHDRAWN).exclude(withdrawn_reason="").exists()

    head = Client()
    head.post("/login/", {"username": "d01-head", "password": password})
    distributor_id = head.get("/api/v1/me").json()["distributor_id"]
    url = reverse("program:distributor_overview", args=[distributor_id])
    page = head.get(url).content.decode()
    assert current.name in page.split('id="program-years"')[0]  # this year's program by default
    assert 'id="distributor-goals"' in page and "No goals for this distributor." not in page
    last_year = head.get(f"{url}?program={closed.pk}").content.decode()
    assert "No goals for this distributor." not in last_year.split('id="distributor-goals"')[1]


def check_penalty_raised_by_condition() -> None:
    """Issue 15 part 3: a penalty raised by its condition is in the ledger with its evidence."""
    from keychannel.program.models import LedgerEntry

    entry = LedgerEntry.objects.exclude(evidence_key="").select_related("rule").first()
    assert entry is not None and entry.rule.parameters.get("condition") == "registration_expired_no_activity"
    assert "expired on" in entry.evidence and "no activity" in entry.evidence


def check_program_data() -> None:
    """The launched program's goals are ahead and behind, support requests are in every state, and some but not all
    published rules are acknowledged (was a test of its own seeding part of the demo; seeding twice changes nothing
    is checked for every model by tests/test_demo.py)."""
    from keychannel.network.models import Distributor
    from keychannel.program import selectors
    from keychannel.program.choices import SupportStatus
    from keychannel.program.models import Acknowledgement, Goal, ProgramRule, SupportRequest

    launched = Program.objects.get(status=ProgramStatus.LAUNCHED)
    progress = selectors.goal_progress(Goal.objects.filter(program=launched, level="distributor",
                                                           metric="people_certified"))
    assert {"ahead", "behind"} <= {p.status for p in progress}
    assert set(SupportRequest.objects.values_list("status", flat=True)) == set(SupportStatus.values)
    published = ProgramRule.objects.filter(program=launched, status="published")
    acks = Acknowledgement.objects.filter(rule__in=published).count()
    assert 0 < acks < published.count() * Distributor.objects.count()
