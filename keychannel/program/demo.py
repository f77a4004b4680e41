"""Demo program: this year's launched key-account program with goals for every distributor, rules, a year of events,
support, learning; last year's closed program and next year's, revised after an objection.
Deterministic (its own random stream) and idempotent (natural keys, update_or_create)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from keychannel.core.choices import Role
from keychannel.core.demo import ensure_user

from .choices import (
    AppealStatus,
    BestPracticeStatus,
    EventKind,
    EventStatus,
    GoalLevel,
    LedgerKind,
    ProgramStatus,
    ResourceKind,
    Rsvp,
    RuleKind,
    RuleStatus,
    SignoffDecision,
    SupportKind,
    SupportStatus,
)
from .levels import hold_level
from .models import (
    Acknowledgement,
    Award,
    BestPractice,
    CorporateTier,
    Course,
    CourseModule,
    Enrollment,
    Event,
    EventInvitation,
    Goal,
    LearningResource,
    LedgerEntry,
    LevelCriterion,
    Milestone,
    Program,
    ProgramLevel,
    ProgramRule,
    Signoff,
    SupportBudget,
    SupportRequest,
)

SUPPORT_POOL = Decimal(150_000)  # the yearly pool each budget is its level's share of
EXECUTIVES = [("executive2", "Adrian", "Vasilescu", "Chief financial officer"),
              ("executive3", "Monica", "Lupu", "Sales director")]

COURSES = [
    ("top-management", "Negotiating with the top management of large organisations", "Certified key-account negotiator",
     ["Who decides in a corporation", "Economic buyer and influencers", "Preparing the board meeting",
      "Handling the opponent"]),
    ("buying-centre", "Mapping the buying centre", "Certified buying-centre analyst",
     ["Roles in the buying centre", "Attitudes and interests", "Multi-level relationships"]),
    ("product-testing", "Running a product test at a client", "",
     ["Test plan", "Measuring results", "From test to proposal"]),
]

EVENT_PLAN = [  # month, day, kind, title, location, hours
    (1, 20, EventKind.CONFERENCE, "Program kick-off conference", "București, Hotel Intercontinental", 8),
    (2, 12, EventKind.TRAINING, "Negotiating with top management (module 1)", "Cluj-Napoca", 6),
    (3, 9, EventKind.WORKSHOP, "Buying-centre mapping workshop", "Iași", 4),
    (3, 26, EventKind.MEETING, "Quarterly review, north and west", "Online", 2),
    (4, 16, EventKind.TRAINING, "Running product tests at a client", "Timișoara", 6),
    (5, 14, EventKind.WORKSHOP, "Corporate contract templates", "Brașov", 4),
    (6, 11, EventKind.MEETING, "Half-year review with distributor heads", "București", 3),
    (6, 25, EventKind.TRAINING, "Negotiating with top management (module 2)", "Constanța", 6),
    (7, 15, EventKind.WORKSHOP, "Success stories: first corporate contracts", "Online", 2),
    (9, 10, EventKind.CONFERENCE, "Key-account summit", "Sibiu", 8),
    (9, 24, EventKind.MEETING, "Quarterly review, south and east", "Online", 2),
    (10, 15, EventKind.TRAINING, "Tender preparation clinic", "Craiova", 5),
    (11, 12, EventKind.WORKSHOP, "Joint business plans for next year", "Cluj-Napoca", 4),
    (12, 9, EventKind.MEETING, "Year-end review and awards", "București", 3),
    (12, 17, EventKind.WORKSHOP, "Planning the program's second year", "Online", 2),
]


def _aware(day: date, hour: int):
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _first_won_deal(distributor):
    from django.apps import apps

    return apps.get_model("deals", "Opportunity").objects.filter(distributor=distributor, stage="won").order_by("pk").first()


def _funded_activity_with_return(distributors):
    """Return on support in the demo: each distributor's paid fair names the client of its latest won deal and was
    approved two months before that deal was won, so its page shows spend and attributed won value."""
    from keychannel.deals.models import Opportunity

    for d in distributors:
        deal = (Opportunity.objects.filter(distributor=d, stage="won", closed_on__isnull=False)
                .order_by("-closed_on", "-pk").first())
        if deal is None:
            continue
        SupportRequest.objects.filter(distributor=d, title="Stand at the regional industry fair").update(
            client=deal.client, return_months=12, decided_at=_aware(deal.closed_on - timedelta(days=60), 11))


def seed(ctx):
    rng = ctx.sub_rng("program")
    today = timezone.localdate()
    year = today.year
    start, end = date(year, 1, 1), date(year, 12, 31)
    distributors = ctx.data["distributors"]
    manufacturer = ctx.data["manufacturer"]
    pm = ctx.users["program"]

    executives = [ctx.users["executive"]] + [
        ensure_user(ctx, username=u, role=Role.EXECUTIVE, organization=manufacturer, first_name=f, last_name=last, title=t)
        for u, f, last, t in EXECUTIVES
    ]

    program, _ = Program.objects.update_or_create(
        name=f"Key accounts {year}",
        defaults={
            "strategy": (
                "Win, sign and serve large corporate clients through the distributor network.\n"
                "Active distributors go first and get financial, methodological and recognition support; cautious "
                "ones watch their first results. Mentors lead salespeople into large clients in small distributors' "
                "territories; embedded key-account managers work the largest accounts."
            ),
            "manager": pm, "starts_on": start, "ends_on": end, "status": ProgramStatus.LAUNCHED,
            "launched_at": _aware(start, 9),
        },
    )
    for executive in executives:
        Signoff.objects.update_or_create(program=program, executive=executive, version=1, defaults={
            "decision": SignoffDecision.APPROVE, "comment": "Agreed, with quarterly reviews."})
    _other_years(ctx, year, pm, executives, distributors)

    # --- goals: network › two offices › every distributor
    def goal(parent, level, name, metric, target, distributor=None):
        obj, _ = Goal.objects.update_or_create(
            program=program, parent=parent, name=name, metric=metric,
            defaults={"level": level, "distributor": distributor, "target": Decimal(target), "starts_on": start, "ends_on": end},
        )
        return obj

    offices = {"channel": "North and West office", "channel2": "South and East office"}
    roots = {m: goal(None, GoalLevel.PROGRAM, "Network", m, t) for m, t in [
        ("people_certified", 60), ("won_contracts", 30), ("corporate_revenue", 24_000_000), ("approved_registrations", 80),
        ("new_key_accounts", 40), ("weighted_pipeline", 60_000_000)]}
    office_goals = {}
    for username, office in offices.items():
        for metric, root in roots.items():
            office_goals[(username, metric)] = goal(root, GoalLevel.OFFICE, office, metric, root.target / 2)
    for d in distributors:
        manager = "channel" if d.channel_manager_id == ctx.users["channel"].pk else "channel2"
        size = {"large": 3, "medium": 2, "small": 1}[d.size_tier]
        targets = {"people_certified": 1 if size == 1 else 2, "won_contracts": size, "corporate_revenue": 300_000 * size,
                   "approved_registrations": 2 + size, "new_key_accounts": size, "weighted_pipeline": 800_000 * size}
        for metric, target in targets.items():
            goal(office_goals[(manager, metric)], GoalLevel.DISTRIBUTOR, d.legal_name, metric, target, d)
    for (_username, metric), g in office_goals.items():
        if metric != "won_contracts":
            continue
        for month, title in [(3, "First corporate contract signed"), (6, "Every large distributor has a signed contract"),
                             (12, "Office target reached")]:
            Milestone.objects.update_or_create(goal=g, title=title, defaults={
                "expected_result": title, "due_on": date(year, month, 28 if month != 12 else 31),
                "achieved_on": date(year, month, 20) if date(year, month, 20) <= today and month < 12 else None})

    # --- levels
    for rank, name, share, days, criteria in [
        (1, "Key-account partner", 10, 60, {"people_certified": 1}),
        (2, "Certified partner", 25, 90, {"people_certified": 3, "won_contracts": 1}),
        (3, "Strategic partner", 40, 180, {"people_certified": 5, "won_contracts": 3, "corporate_revenue": 1_000_000}),
    ]:
        level, _ = ProgramLevel.objects.update_or_create(program=program, rank=rank, defaults={
            "name": name, "support_budget_share": Decimal(share), "protection_days": days,
            "benefits": "Access to mentors and joint marketing." if rank > 1 else ""})
        for metric, threshold in criteria.items():
            LevelCriterion.objects.update_or_create(level=level, metric=metric, defaults={"threshold": Decimal(threshold)})

    # --- levels held: set as a first qualification (the daily job requalifies from the data afterwards); the
    # fifth distributor of each five holds none, to show the channel's default protection and a hand-set budget.
    held = {}
    for index, d in enumerate(distributors):
        rank = None if index % 5 == 4 else {"large": 3, "medium": 2, "small": 1}[d.size_tier]
        held[d.pk] = ProgramLevel.objects.get(program=program, rank=rank) if rank else None
        with transaction.atomic():
            hold_level(program, d, held[d.pk], user=pm, reason="First qualification at launch.", on_date=date(year, 1, 15))

    # --- rules: versions, publication, partial acknowledgement
    def rule(code, version, kind, title, text, parameters, status):
        obj, _ = ProgramRule.objects.update_or_create(program=program, code=code, version=version, defaults={
            "kind": kind, "title": title, "text": text, "parameters": parameters, "status": status,
            "published_at": _aware(start + timedelta(days=10 * version), 9) if status != RuleStatus.DRAFT else None})
        return obj

    rule("revenue-bonus", 1, RuleKind.INCENTIVE, "Corporate revenue bonus",
         "1.5 % of corporate revenue above the distributor's target.",
         {"metric": "corporate_revenue", "bonus_percent": 1.5}, RuleStatus.SUPERSEDED)
    bonus = rule("revenue-bonus", 2, RuleKind.INCENTIVE, "Corporate revenue bonus",
                 "2 % of corporate revenue above the distributor's target, at most 60,000 RON a year.",
                 {"metric": "corporate_revenue", "bonus_percent": 2, "cap": 60000}, RuleStatus.PUBLISHED)
    rule("certification-bonus", 1, RuleKind.INCENTIVE, "Certification bonus",
                      "500 RON for every certified person above the target.",
                      {"metric": "people_certified", "amount_per_unit": 500}, RuleStatus.DRAFT)
    late = rule("late-sell-out-report", 1, RuleKind.PENALTY, "Late sell-out report",
                "A sell-out report later than the 10th of the month costs 1,000 RON and one month of protection.",
                {"amount": 1000, "protection_days_lost": 30}, RuleStatus.PUBLISHED)
    territory = rule("territory", 1, RuleKind.RESTRICTION, "Key accounts outside the territory",
                     "Key accounts outside the covered territory are registered with the program office first.",
                     {}, RuleStatus.PUBLISHED)
    # A penalty with a machine-checkable condition: the daily job (and the button on the rules page) raises it.
    idle = rule("idle-registration", 1, RuleKind.PENALTY, "Registration left idle",
                "A registration that expires with no activity on its deal during the protection costs 500 RON.",
                {"condition": "registration_expired_no_activity", "amount": 500}, RuleStatus.PUBLISHED)
    published = [bonus, late, territory, idle]
    for index, d in enumerate(distributors):
        head = ctx.users[f"{d.code}-head"]
        for position, r in enumerate(published):
            if (index + position) % 3 != 0:  # about two thirds acknowledged
                Acknowledgement.objects.get_or_create(rule=r, distributor=d, defaults={"acknowledged_by": head})

    # --- ledger and recognition
    for index, d in enumerate(distributors[:6]):
        kind_rule = late if index % 2 == 0 else territory
        LedgerEntry.objects.update_or_create(distributor=d, rule=kind_rule, applied_on=date(year, 3 + index, 12), defaults={
            "kind": LedgerKind.PENALTY if kind_rule == late else LedgerKind.RESTRICTION,
            "amount": Decimal(1000) if kind_rule == late else Decimal(0),
            "evidence": "Sell-out report received on the 18th." if kind_rule == late else "Offer sent to a client in Brașov.",
            "owner": pm, "expires_on": date(year, 12, 31),
            "appeal_status": [AppealStatus.NONE, AppealStatus.APPEALED, AppealStatus.UPHELD][index % 3],
            "appeal_text": "" if index % 3 == 0 else "The report was late because of the ERP migration.",
            "appeal_decision": "The rule applies; the migration was announced late." if index % 3 == 2 else "",
        })
    # Raised by their condition, with evidence (the channel demo has expired registrations nobody worked on);
    # a second seeding raises nothing new: one entry per piece of evidence.
    if program.status == ProgramStatus.LAUNCHED:
        from .rule_conditions import apply_rule_conditions

        apply_rule_conditions(program=program)
    for d in distributors[:4]:
        LedgerEntry.objects.update_or_create(distributor=d, rule=bonus, applied_on=date(year, 7, 1), defaults={
            "kind": LedgerKind.REWARD, "amount": Decimal(2500), "evidence": "First corporate contract in the half year.",
            "owner": pm})
        Award.objects.update_or_create(distributor=d, title="First corporate contract", defaults={
            "program": program, "reason": "Signed the first corporate contract of its region.",
            "awarded_on": date(year, 6, 11), "awarded_by": pm})

    # --- learning: courses, enrolments (people_certified actuals: some distributors ahead, some behind)
    courses = {}
    for code, title, certificate, modules in COURSES:
        course, _ = Course.objects.update_or_create(code=code, defaults={
            "title": title, "certificate_title": certificate, "published": True,
            "description": f"{title}: a course of the key-account program."})
        for position, module in enumerate(modules, start=1):
            CourseModule.objects.update_or_create(course=course, position=position, defaults={
                "title": module, "content": f"{module}: reading, a case and a short test."})
        courses[code] = course
    elapsed = max(1, (min(today, end) - start).days)
    for index, d in enumerate(distributors):
        people = [ctx.users[f"{d.code}-sales"], ctx.users[f"{d.code}-head"]]
        certified = [2, 1, 0, 2, 0, 1][index % 6]  # against a target of 1 or 2: ahead, on track, behind
        for position, user in enumerate(people):
            for code in ("top-management", "buying-centre"):
                completed = None
                if position < certified and (code == "top-management" or position == 0):
                    completed = _aware(start + timedelta(days=rng.randint(0, elapsed - 1)), 15)
                enrollment, _ = Enrollment.objects.update_or_create(course=courses[code], user=user, defaults={
                    "distributor": d, "completed_at": completed})
                number = f"KC-{code.upper()[:12]}-{enrollment.pk:06d}" if completed and courses[code].certificate_title else ""
                if enrollment.certificate_number != number:
                    enrollment.certificate_number = number
                    enrollment.save(update_fields=["certificate_number", "updated_at"])
        Enrollment.objects.update_or_create(course=courses["product-testing"], user=people[0], defaults={"distributor": d})
    for title, url, description in [
        ("Corporate contract template", "https://example.invalid/keychannel/contract-template",
         "The standard corporate contract with volume commitment and tier."),
        ("Buying-centre checklist", "https://example.invalid/keychannel/buying-centre",
         "Who to meet at every level before the proposal."),
        ("Product test protocol", "https://example.invalid/keychannel/product-test", "How to run and measure a test."),
    ]:
        LearningResource.objects.update_or_create(title=title, defaults={
            "kind": ResourceKind.LINK, "url": url, "description": description, "published": True})

    # --- best practices and corporate tiers
    for index, d in enumerate(distributors[:3]):
        BestPractice.objects.update_or_create(distributor=d, title=f"How {d.code.upper()} won its first key account", defaults={
            "story": "A mentor joined the first meeting with the technical director; a two-week product test convinced "
                     "the middle managers, and the board signed a three-year corporate contract.",
            "lessons": "Meet the middle managers early. Offer the test before the proposal.",
            "deal_reference": f"{d.code.upper()}-{year}-001",
            "deal": _first_won_deal(d),
            "status": BestPracticeStatus.SHARED if index < 2 else BestPracticeStatus.DRAFT,
            "author": ctx.users[f"{d.code}-head"]})
    for name, volume, discount, service in [
        ("Silver", 250_000, 3, "Next-day spare parts; quarterly review."),
        ("Gold", 1_000_000, 6, "Same-day spare parts; dedicated key-account manager; monthly review."),
        ("Platinum", 5_000_000, 9, "On-site service engineer; 4-hour response; joint planning with the board."),
    ]:
        CorporateTier.objects.update_or_create(name=name, defaults={
            "code": name.lower(), "min_annual_volume": Decimal(volume), "discount_percent": Decimal(discount), "service_level": service})

    # --- a year of events with invitations, RSVPs and attendance
    manufacturer_people = [pm, ctx.users["mentor"], ctx.users["kam"], ctx.users["channel"], ctx.users["channel2"]]
    for month, day, kind, title, location, hours in EVENT_PLAN:
        starts = _aware(date(year, month, day), 10)
        event, _ = Event.objects.update_or_create(title=title, starts_at=starts, defaults={
            "program": program, "kind": kind, "location": location, "ends_at": starts + timedelta(hours=hours),
            "description": f"{title} of the key-account program.", "status": EventStatus.PUBLISHED,
            "open_to_all": kind == EventKind.CONFERENCE})
        invited = rng.sample(distributors, k=min(len(distributors), 8))
        people = manufacturer_people + [ctx.users[f"{d.code}-{r}"] for d in invited for r in ("head", "sales")]
        past = starts.date() < today
        for user in people:
            distributor = next((d for d in invited if user.username.startswith(f"{d.code}-")), None)
            answer = rng.choice([Rsvp.YES, Rsvp.YES, Rsvp.MAYBE, Rsvp.NO, Rsvp.PENDING])
            EventInvitation.objects.update_or_create(event=event, user=user, defaults={
                "distributor": distributor, "rsvp": answer,
                "responded_at": None if answer == Rsvp.PENDING else starts - timedelta(days=7),
                "attended": (answer == Rsvp.YES) if past else None})

    # --- support budgets and requests in every state
    for index, d in enumerate(distributors):
        # The budget is the level's share of the support pool; without a level it is set by hand.
        level = held[d.pk]
        amount = int(SUPPORT_POOL * level.support_budget_share / 100) if level else 15_000
        budget, _ = SupportBudget.objects.update_or_create(distributor=d, year=year, defaults={
            "amount": Decimal(amount), "level": level, "level_share": level.support_budget_share if level else None,
            "pool": SUPPORT_POOL if level else None})
        head = ctx.users[f"{d.code}-head"]
        plan = [
            ("Stand at the regional industry fair", SupportKind.FINANCIAL, SupportStatus.PAID, 0.3),
            ("Product test equipment transport", SupportKind.FINANCIAL, [SupportStatus.REQUESTED, SupportStatus.APPROVED,
                                                                       SupportStatus.CLAIMED, SupportStatus.REJECTED][index % 4], 0.2),
            ("Coaching for the first tender", SupportKind.METHODOLOGICAL, [SupportStatus.DONE, SupportStatus.APPROVED,
                                                                         SupportStatus.REQUESTED][index % 3], 0),
            ("Co-selling visit with a mentor", SupportKind.CO_SELLING, [SupportStatus.REQUESTED, SupportStatus.DONE][index % 2], 0),
        ]
        for title, kind, status, share in plan:
            money = Decimal(int(amount * share))
            approved = money if status in (SupportStatus.APPROVED, SupportStatus.CLAIMED, SupportStatus.PAID) else Decimal(0)
            claimed = (approved * Decimal("0.9")).quantize(Decimal("1")) if status in (SupportStatus.CLAIMED, SupportStatus.PAID) else Decimal(0)
            SupportRequest.objects.update_or_create(distributor=d, title=title, defaults={
                "budget": budget if kind == SupportKind.FINANCIAL else None, "kind": kind,
                "description": f"{title} for {d.legal_name}.", "status": status, "amount_requested": money,
                "amount_approved": approved, "amount_claimed": claimed, "requested_by": head,
                "decided_by": pm if status != SupportStatus.REQUESTED else None,
                "decided_at": _aware(date(year, 2, 1), 11) if status != SupportStatus.REQUESTED else None,
                "decision_note": "Within the yearly budget." if status != SupportStatus.REQUESTED else "",
                "paid_at": _aware(date(year, 4, 1), 11) if status == SupportStatus.PAID else None})
    _funded_activity_with_return(distributors)
    ctx.data["program"] = program


def _other_years(ctx, year, pm, executives, distributors):
    """Programs of other years (issue 15, part 6): last year's closed and readable, next year's revised after an
    objection (the objection kept with version 1, version 2 awaiting sign-off again), and a withdrawn pilot."""
    closed, _ = Program.objects.update_or_create(
        name=f"Key accounts {year - 1}",
        defaults={"strategy": "Pilot year: the largest distributors and their first corporate contracts.", "manager": pm,
                  "starts_on": date(year - 1, 1, 1), "ends_on": date(year - 1, 12, 31), "status": ProgramStatus.CLOSED,
                  "launched_at": _aware(date(year - 1, 1, 1), 9)},
    )
    for executive in executives:
        Signoff.objects.update_or_create(program=closed, executive=executive, version=1, defaults={
            "decision": SignoffDecision.APPROVE, "comment": ""})
    period = {"starts_on": closed.starts_on, "ends_on": closed.ends_on}
    root, _ = Goal.objects.update_or_create(program=closed, parent=None, name="Network", metric="won_contracts",
                                            defaults={"level": GoalLevel.PROGRAM, "target": Decimal(12), **period})
    for d in distributors:
        Goal.objects.update_or_create(program=closed, parent=root, name=d.legal_name, metric="won_contracts", defaults={
            "level": GoalLevel.DISTRIBUTOR, "distributor": d, "target": Decimal(1), **period})

    next_program, _ = Program.objects.update_or_create(
        name=f"Key accounts {year + 1}",
        defaults={"strategy": "Second year: extend to medium distributors and direct projects, with a support budget "
                              "20 % below the first draft.", "manager": pm,
                  "starts_on": date(year + 1, 1, 1), "ends_on": date(year + 1, 12, 31),
                  "status": ProgramStatus.AWAITING_SIGNOFF, "version": 2,
                  "revision_note": "Support budget cut by 20 % in answer to the CFO's objection; medium distributors "
                                   "join in the second half."},
    )
    # Version 1: one approval, one objection; version 2 (after the revision): one approval so far.
    Signoff.objects.update_or_create(program=next_program, executive=executives[0], version=1, defaults={
        "decision": SignoffDecision.APPROVE, "comment": "Go."})
    Signoff.objects.update_or_create(program=next_program, executive=executives[1], version=1, defaults={
        "decision": SignoffDecision.OBJECT, "comment": "The support budget is 20 % above what we can fund."})
    Signoff.objects.update_or_create(program=next_program, executive=executives[0], version=2, defaults={
        "decision": SignoffDecision.APPROVE, "comment": "Still go."})

    Program.objects.update_or_create(
        name=f"Direct projects pilot {year + 1}",
        defaults={"strategy": "Direct projects with the largest clients, outside the network.", "manager": pm,
                  "starts_on": date(year + 1, 1, 1), "ends_on": date(year + 1, 6, 30),
                  "status": ProgramStatus.WITHDRAWN,
                  "withdrawn_reason": "Folded into the key-account program: distributors stay in every deal."},
    )
