"""Program objects for tests: one set per test world, made through the models (the services are tested apart)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from keychannel.program.choices import (
    BestPracticeStatus,
    EventKind,
    EventStatus,
    GoalLevel,
    LedgerKind,
    ProgramStatus,
    ResourceKind,
    RuleKind,
    RuleStatus,
    SupportKind,
    SupportStatus,
)
from keychannel.program.models import (
    BestPractice,
    CalendarFeed,
    Course,
    CourseModule,
    Enrollment,
    Event,
    EventInvitation,
    Goal,
    LearningResource,
    LedgerEntry,
    Milestone,
    Program,
    ProgramRule,
    SupportBudget,
    SupportRequest,
)

PDF = b"%PDF-1.4\n% keychannel test proof\n"


def stored(name: str, content: bytes) -> str:
    """A file in the media storage under a fixed name, written once (tests never pile up copies)."""
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(content))
    return name


def program(world, *, name, status=ProgramStatus.LAUNCHED, year=None):
    year = year or timezone.localdate().year
    return Program.objects.create(
        name=name, strategy="Win key accounts through the network.", manager=world.user("program_manager"),
        starts_on=date(year, 1, 1), ends_on=date(year, 12, 31), status=status,
    )


def goal_tree(prog, world, metric="people_certified"):
    root = Goal.objects.create(program=prog, level=GoalLevel.PROGRAM, name="Network", metric=metric, target=Decimal(20),
                               starts_on=prog.starts_on, ends_on=prog.ends_on)
    office = Goal.objects.create(program=prog, parent=root, level=GoalLevel.OFFICE, name="North-West office", metric=metric,
                                 target=Decimal(10), starts_on=prog.starts_on, ends_on=prog.ends_on)
    goals = {"root": root, "office": office}
    for side in ("own", "other"):
        distributor = world.distributor(side)
        goals[side] = Goal.objects.create(
            program=prog, parent=office, level=GoalLevel.DISTRIBUTOR, name=distributor.legal_name, distributor=distributor,
            metric=metric, target=Decimal(4), starts_on=prog.starts_on, ends_on=prog.ends_on,
        )
    return goals


GROUPS = {
    "core": ["launched", "draft", "awaiting", "goals", "milestones", "published_rule", "penalty_rule", "draft_rule", "ledger"],
    "events": ["events", "feed"],
    "support": ["budgets", "requested", "approved", "claimed", "methodological"],
    "learning": ["courses", "enrollments", "resources", "practices"],
}


class ProgramData:
    """Access-case objects, made lazily by group (a case pays only for what it reads), once per test."""

    def __init__(self, world):
        self.world = world
        self.data = {}

    def __getitem__(self, key):
        if key not in self.data:
            group = next(g for g, keys in GROUPS.items() if key in keys)
            self.data.update(globals()[f"_make_{group}"](self.world, self))
        return self.data[key]


def build(world) -> ProgramData:
    return world.once("program", lambda: ProgramData(world))


def _make_core(world, data):
    launched = program(world, name="Key accounts 2026")
    goals = goal_tree(launched, world)
    today = timezone.localdate()
    out = {
        "launched": launched,
        "draft": program(world, name="Draft program", status=ProgramStatus.DRAFT),
        "awaiting": program(world, name="Awaiting program", status=ProgramStatus.AWAITING_SIGNOFF),
        "goals": goals,
        "milestones": {
            side: Milestone.objects.create(goal=goals[side], title="First contract", expected_result="One signed",
                                           due_on=launched.ends_on)
            for side in ("own", "other")
        },
        "published_rule": ProgramRule.objects.create(
            program=launched, code="revenue-bonus", kind=RuleKind.INCENTIVE, title="Revenue bonus",
            text="2 % above target.", parameters={"metric": "people_certified", "bonus_percent": 2},
            status=RuleStatus.PUBLISHED, published_at=timezone.now(),
        ),
        "penalty_rule": ProgramRule.objects.create(
            program=launched, code="late-report", kind=RuleKind.PENALTY, title="Late report", text="Fine.",
            status=RuleStatus.PUBLISHED, published_at=timezone.now(),
        ),
        "draft_rule": ProgramRule.objects.create(
            program=launched, code="territory", kind=RuleKind.RESTRICTION, title="Territory", text="Stay home.",
        ),
    }
    out["ledger"] = {
        side: LedgerEntry.objects.create(
            distributor=world.distributor(side), rule=out["penalty_rule"], kind=LedgerKind.PENALTY, amount=Decimal(500),
            evidence="Report two weeks late", owner=world.user("program_manager"), applied_on=today,
        )
        for side in ("own", "other")
    }
    return out


def _make_events(world, data):
    today = timezone.localdate()
    start = timezone.make_aware(datetime(today.year, today.month, today.day, 10)) + timedelta(days=3)
    events = {}
    for side in ("own", "other"):
        event = Event.objects.create(program=data["launched"], title=f"Workshop {side}", kind=EventKind.WORKSHOP,
                                     starts_at=start, ends_at=start + timedelta(hours=3), status=EventStatus.PUBLISHED)
        users = [world.user("dist_head"), world.user("dist_sales")] if side == "own" else list(world.other_users.values())
        for user in users:
            EventInvitation.objects.create(event=event, user=user, distributor=world.distributor(side))
        events[side] = event
    return {"events": events,
            "feed": CalendarFeed.objects.create(user=world.user("dist_head"), token=CalendarFeed.new_token())}


def _make_support(world, data):
    today = timezone.localdate()
    budgets = {side: SupportBudget.objects.create(distributor=world.distributor(side), year=today.year, amount=Decimal(10000))
               for side in ("own", "other")}

    def request(side, status, **extra):
        return SupportRequest.objects.create(
            distributor=world.distributor(side), budget=budgets[side], kind=SupportKind.FINANCIAL, title=f"Fair {side}",
            description="Stand at the industry fair", amount_requested=Decimal(1000), status=status,
            requested_by=world.user("dist_head") if side == "own" else world.other_users["dist_head"], **extra,
        )

    return {
        "budgets": budgets,
        "requested": {side: request(side, SupportStatus.REQUESTED) for side in ("own", "other")},
        "approved": {side: request(side, SupportStatus.APPROVED, amount_approved=Decimal(1000)) for side in ("own", "other")},
        "claimed": {
            side: request(side, SupportStatus.CLAIMED, amount_approved=Decimal(1000), amount_claimed=Decimal(900),
                          proof=stored("support-proofs/test/kc-test-proof.pdf", PDF), proof_content_type="application/pdf")
            for side in ("own", "other")
        },
        "methodological": {
            side: SupportRequest.objects.create(
                distributor=world.distributor(side), kind=SupportKind.METHODOLOGICAL, title="Coaching",
                description="Negotiation coaching", status=SupportStatus.APPROVED, requested_by=world.user("program_manager"),
            )
            for side in ("own", "other")
        },
    }


def _make_learning(world, data):
    course = Course.objects.create(code="top-management", title="Negotiating with top management",
                                   certificate_title="Certified negotiator", published=True)
    CourseModule.objects.create(course=course, position=1, title="Who decides")
    name = stored("learning/kc-test-resource.pdf", PDF)
    return {
        "courses": {"own": course, "other": Course.objects.create(code="draft-course", title="Draft course")},
        "enrollments": {
            "own": Enrollment.objects.create(course=course, user=world.user("dist_sales"), distributor=world.own),
            "other": Enrollment.objects.create(course=course, user=world.other_users["dist_sales"], distributor=world.other),
        },
        "resources": {
            "own": LearningResource.objects.create(title="Playbook", kind=ResourceKind.FILE, file=name,
                                                   file_content_type="application/pdf", published=True),
            "other": LearningResource.objects.create(title="Draft deck", kind=ResourceKind.FILE, file=name,
                                                     file_content_type="application/pdf"),
        },
        "practices": {
            side: BestPractice.objects.create(distributor=world.distributor(side), title=f"Story {side}", story="We won.",
                                              status=BestPracticeStatus.DRAFT, author=world.user("program_manager"))
            for side in ("own", "other")
        },
    }
