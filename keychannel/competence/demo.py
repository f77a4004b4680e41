"""Demo data of the competence centre: two mentors over several small distributors (plus a client and two
deals), three KAMs stationed at large distributors with tasks in every state, coaching sessions over the last
months, consultation requests in every state, and small distributors left without mentor or KAM (coverage gaps).

Deterministic (its own random stream) and idempotent (every record has a natural key)."""

from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from keychannel.core.choices import Role
from keychannel.core.demo import ensure_user

from .choices import ConsultationStatus, KamDuty, TaskPriority, TaskStatus
from .models import (
    CoachingSession,
    ConsultationRequest,
    EmbeddedAssignment,
    KamTask,
    KamTaskComment,
    Mentorship,
)

START = date(2026, 1, 1)

CHARTER = (
    "Sell to the distributor's large clients alongside its salespeople; conclude corporate contracts with "
    "existing and potential clients; open doors to the major clients of the territory; consult the distributor's "
    "team on key-account work. Tasks come from the manufacturer only."
)

TOPICS = [
    ("Mapping the buying centre", "Six people identified, two champions.", "Meet the technical director"),
    ("Preparing a product test", "Test plan agreed with the plant manager.", "Ship the test unit"),
    ("Corporate proposal review", "Pricing tiers simplified.", "Send the revised proposal"),
    ("Handling the opponent in procurement", "Agreed to involve the CFO.", "Book a meeting with the CFO"),
    ("Account plan for the year", "Three objectives set.", "Review the plan in a month"),
]

TASKS = [
    # title, duty, priority, status
    ("Win the framework contract at {client}", KamDuty.CONCLUDE_CORPORATE_CONTRACTS, TaskPriority.URGENT,
     TaskStatus.IN_PROGRESS),
    ("Open a door to the purchasing director of {client}", KamDuty.FIND_WAYS_TO_MAJOR_CLIENTS, TaskPriority.HIGH,
     TaskStatus.OPEN),
    ("Joint visits with the sales team to the top five clients", KamDuty.SELL_TO_LARGE_CLIENTS, TaskPriority.NORMAL,
     TaskStatus.BLOCKED),
    ("Train the sales team on buying-centre mapping", KamDuty.CONSULT_INSIDE_DISTRIBUTOR, TaskPriority.NORMAL,
     TaskStatus.DONE),
    ("Renewal offer for {client}", KamDuty.CONCLUDE_CORPORATE_CONTRACTS, TaskPriority.LOW, TaskStatus.CANCELLED),
]

CONSULTATIONS = [
    ("Tender at {client}: who should we meet first?", ConsultationStatus.PENDING),
    ("Help pricing a corporate volume offer", ConsultationStatus.ACCEPTED),
    ("Can you present the product line to {client}?", ConsultationStatus.CONVERTED),
    ("Review our standard contract", ConsultationStatus.DECLINED),
]


def seed(ctx):
    from keychannel.clients.models import CorporateClient
    from keychannel.deals.choices import OPEN_STAGES
    from keychannel.deals.models import Opportunity

    rng = ctx.sub_rng("competence")
    today = timezone.localdate()
    maker = ctx.data["manufacturer"]
    mentor, kam = ctx.users["mentor"], ctx.users["kam"]
    mentor2 = ensure_user(ctx, username="mentor2", role=Role.MENTOR, organization=maker, first_name="Sorin",
                          last_name="Pavel", title="Competence-centre expert (south)")
    kam2 = ensure_user(ctx, username="kam2", role=Role.EMBEDDED_KAM, organization=maker, first_name="Ana",
                       last_name="Munteanu", title="Embedded key-account manager")
    kam3 = ensure_user(ctx, username="kam3", role=Role.EMBEDDED_KAM, organization=maker, first_name="Bogdan",
                       last_name="Niculescu", title="Embedded key-account manager")
    distributors = sorted(ctx.data["distributors"], key=lambda d: d.code)
    small = [d for d in distributors if d.size_tier == "small"]
    large = [d for d in distributors if d.size_tier == "large"]
    medium = [d for d in distributors if d.size_tier == "medium"]

    # Fig. 1: the mentors and the distributors they coach. Three small distributors with key or large clients
    # stay without mentor or KAM: those clients are the coverage gaps.
    with_big = set(CorporateClient.objects.filter(distributor__in=small).filter(
        Q(is_key_account=True) | Q(employees__gte=250)).values_list("distributor_id", flat=True))
    uncovered = [d for d in small if d.pk in with_big][-3:] or small[-3:]
    covered = [d for d in small if d not in uncovered]
    plan = [(mentor, covered[:4]), (mentor2, covered[4:])]
    mentorships = []
    for person, group in plan:
        for distributor in group:
            m, _ = Mentorship.objects.update_or_create(
                mentor=person, distributor=distributor, client=None, opportunity=None,
                defaults={"starts_on": START, "focus": "First corporate deals: lead the sales team into large clients."},
            )
            mentorships.append(m)
    # A client mentorship and deal mentorships at medium distributors (no distributor-wide reach there).
    clients_by_distributor = {}
    for c in CorporateClient.objects.filter(distributor__in=distributors).order_by("-is_key_account", "pk"):
        clients_by_distributor.setdefault(c.distributor_id, []).append(c)
    for distributor in medium[:1]:
        for client in clients_by_distributor.get(distributor.pk, [])[:1]:
            m, _ = Mentorship.objects.update_or_create(
                mentor=mentor2, distributor=distributor, client=client, opportunity=None,
                defaults={"starts_on": START, "focus": f"Lead the distributor into {client.legal_name}."},
            )
            mentorships.append(m)
    deals = Opportunity.objects.filter(distributor__in=medium[1:3], stage__in=OPEN_STAGES).order_by("pk")[:2]
    for deal in deals:
        Mentorship.objects.update_or_create(
            mentor=mentor2, distributor=deal.distributor, client=deal.client, opportunity=deal,
            defaults={"starts_on": START, "focus": "Coach the owner through the product test."},
        )
        if deal.mentor_id != mentor2.pk:
            deal.mentor = mentor2
            deal.save(update_fields=["mentor", "updated_at"])

    # Coaching sessions over the last six months.
    for index, m in enumerate(mentorships):
        for n in range(rng.randint(2, 5)):
            topic, outcome, next_step = TOPICS[(index + n) % len(TOPICS)]
            held_on = today - timedelta(days=12 + n * 31 + index % 9)
            CoachingSession.objects.update_or_create(
                mentorship=m, topic=topic,
                defaults={"held_on": held_on, "participants": f"{m.distributor.code} sales team, "
                          f"{m.mentor.get_full_name()}", "outcome": outcome, "next_step": next_step,
                          "next_step_due": held_on + timedelta(days=14), "recorded_by": m.mentor},
            )

    # Fig. 2: three KAMs stationed at large distributors, each with tasks in every state.
    stations = []
    for person, distributor in zip((kam, kam2, kam3), large[:3], strict=False):
        assignment, _ = EmbeddedAssignment.objects.update_or_create(
            kam=person, distributor=distributor, defaults={"starts_on": START, "charter": CHARTER})
        stations.append(assignment)
    program = ctx.users["program"]
    for assignment in stations:
        distributor = assignment.distributor
        clients = clients_by_distributor.get(distributor.pk, [])
        for index, (title, duty, priority, status) in enumerate(TASKS):
            client = clients[index % len(clients)] if clients else None
            name = title.format(client=client.legal_name if client else distributor.legal_name)[:200]
            task, _ = KamTask.objects.update_or_create(
                kam=assignment.kam, distributor=distributor, title=name,
                defaults={
                    "duty": duty, "priority": priority, "status": status, "client": client,
                    "due_on": today + timedelta(days=7 + 9 * index),
                    "created_by": distributor.channel_manager or program,
                    "description": "Set by the manufacturer for the stationed KAM.",
                    "cancel_reason": "The client postponed the renewal." if status == TaskStatus.CANCELLED else "",
                    "closed_at": timezone.now() if status in (TaskStatus.DONE, TaskStatus.CANCELLED) else None,
                },
            )
            if status in (TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.DONE):
                body = {TaskStatus.IN_PROGRESS: "First meeting held; the client asked for references.",
                        TaskStatus.BLOCKED: "Waiting for the distributor's calendar of visits.",
                        TaskStatus.DONE: "Workshop held with eight salespeople."}[status]
                KamTaskComment.objects.get_or_create(task=task, author=assignment.kam, body=body)

    # Consultation requests from distributor heads to their KAM or mentor, in every state.
    askers = [(a.distributor, a.kam) for a in stations] + [(m.distributor, m.mentor) for m in mentorships[:2]]
    for distributor, recipient in askers:
        head = ctx.users.get(f"{distributor.code}-head")
        if head is None:
            continue
        clients = clients_by_distributor.get(distributor.pk, [])
        for index, (subject, status) in enumerate(CONSULTATIONS):
            if status == ConsultationStatus.CONVERTED and recipient.membership.role != Role.EMBEDDED_KAM:
                status = ConsultationStatus.ACCEPTED  # only a KAM's request becomes a KAM task
            client = clients[index % len(clients)] if clients else None
            text = subject.format(client=client.legal_name if client else "a key client")[:200]
            task = None
            if status == ConsultationStatus.CONVERTED:
                task, _ = KamTask.objects.update_or_create(
                    kam=recipient, distributor=distributor, title=text,
                    defaults={"duty": KamDuty.CONSULT_INSIDE_DISTRIBUTOR, "priority": TaskPriority.HIGH,
                              "status": TaskStatus.OPEN, "client": client, "created_by": program,
                              "description": "From a consultation request of the distributor."},
                )
            answered = status != ConsultationStatus.PENDING
            ConsultationRequest.objects.update_or_create(
                distributor=distributor, subject=text,
                defaults={"requested_by": head, "recipient": recipient, "client": client, "status": status,
                          "message": "We would value your help on this one.",
                          "response": "Happy to help; let us meet on Tuesday." if answered and status != "declined"
                          else ("Please ask the program office." if answered else ""),
                          "responded_at": timezone.now() if answered else None, "task": task},
            )
    ctx.data["kam_station"] = stations[0].distributor if stations else None
    ctx.data["mentored"] = covered[:4]
    if not with_big:
        _ensure_gaps(uncovered)


def _ensure_gaps(uncovered):
    """Only when the client base has no key client at a small distributor: make a few, so gaps show."""
    from keychannel.clients.models import CorporateClient

    names = ["Fabrica de Ciment Someș", "Oțelăria Bistrița", "Agroindustrial Mureș", "Farmaceutica Olt"]
    for index, distributor in enumerate(uncovered[: len(names)]):
        CorporateClient.objects.update_or_create(
            code=f"competence-gap-{index + 1:02d}",
            defaults={"legal_name": f"{names[index]} SA", "distributor": distributor,
                      "territory": distributor.territory, "is_key_account": True, "employees": 650 + 75 * index,
                      "revenue_band": "250m_1b"},
        )
