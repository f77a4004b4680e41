"""Demo deals: a few hundred opportunities across every stage on the demo clients, with their stage history,
activities, product tests and corporate contracts; some stale (no next step, or an overdue one).

Deterministic (one random stream, ``ctx.sub_rng("deals")``, every value drawn on every run) and idempotent
(records are found by natural keys: a deal by client and title, its children by deal and subject/title).
Dates are relative to the day the demo is seeded.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from keychannel.clients.models import CorporateClient
from keychannel.clients.services import stakeholders_record_contact

from .choices import (
    OPEN_STAGES,
    ActivityKind,
    ContractStatus,
    Origin,
    SignoffKind,
    Stage,
    TestResult,
)
from .models import (
    Activity,
    CorporateContract,
    CorporateTier,
    Opportunity,
    ProductTest,
    ProductTestSignoff,
    StageChange,
)
from .selectors import stage_settings

PATH = [Stage.DISCUSSION, Stage.CONSULTATION, Stage.PRODUCT_TESTING, Stage.PROPOSAL, Stage.NEGOTIATION]
TARGETS = [Stage.DISCUSSION] * 20 + [Stage.CONSULTATION] * 15 + [Stage.PRODUCT_TESTING] * 12 + \
    [Stage.PROPOSAL] * 12 + [Stage.NEGOTIATION] * 10 + [Stage.WON] * 18 + [Stage.LOST] * 13
# (deals.choices.LostReason, the details the salesperson wrote: in Romanian, issue 18 part 8)
LOST_REASONS = [
    ("incumbent", "Consiliul de administrație al clientului a rămas la furnizorul actual."),
    ("price", "Prețul: concurentul a oferit cu 12 % mai puțin pe trei ani."),
    ("other", "Directorul tehnic s-a opus schimbării după test."),
    ("budget", "Bugetul este înghețat pentru anul acesta."),
    ("technical", "Testul de produs nu a atins ținta de consum energetic."),
]
NEXT_STEPS = [
    "Trimitem oferta revizuită", "Vizită la fabrică cu echipa de mentenanță", "Sunăm directorul de achiziții",
    "Pregătim planul testului de produs", "Prezentăm contractul de service", "Stabilim criteriile de acceptanță ale pilotului",
    "Întâlnire cu directorul fabricii", "Trimitem referințe de la fabrici similare",
]
SUBJECTS = {
    ActivityKind.MEETING: ["Întâlnire de start", "Întâlnire cu directorul fabricii", "Ședință de coordonare"],
    ActivityKind.CALL: ["Apel cu achizițiile", "Apel de urmărire", "Apel despre condițiile de livrare"],
    ActivityKind.CONSULTATION: ["Consultanță pentru auditul aerului comprimat", "Consultanță energetică",
                                "Consultanță pentru amplasare"],
    ActivityKind.PRESENTATION: ["Prezentare pentru echipa tehnică", "Prezentare în consiliul de administrație",
                                "Prezentarea ofertei de service"],
}
OUTCOMES = ["Notițele au fost trimise echipei.", "Clientul cere o ofertă pentru două linii.",
            "Urmează o vizită tehnică la fabrică.", "Achizițiile vor referințe de la alți clienți."]
TIERS = ["standard", "standard", "silver", "gold", "platinum"]
FALLBACK_CLIENTS = 120


CLIENT_WORDS = ["Ciment", "Oțel", "Agro", "Farma", "Auto", "Mobila", "Textil", "Lactate", "Sticla", "Hârtie",
                "Energo", "Logistic", "Plast", "Chim", "Termo", "Metal"]
CLIENT_PLACES = ["Nord", "Sud", "Carpați", "Dunărea", "Transilvania", "Banat", "Moldova", "Muntenia"]


def _clients(ctx):
    clients = ctx.data.get("clients")
    if clients:
        return list(clients)
    existing = list(CorporateClient.objects.select_related("distributor").order_by("pk"))
    if existing:
        return existing
    # The clients generator did not run: make a client base of our own so the pipeline is not empty.
    # Its own random stream (and no Faker) keeps every other generator's data the same.
    rng = ctx.sub_rng("deals-clients")
    made = []
    distributors = ctx.data["distributors"]
    for index in range(FALLBACK_CLIENTS):
        distributor = distributors[index % len(distributors)]
        name = f"{rng.choice(CLIENT_WORDS)} {rng.choice(CLIENT_PLACES)} {index + 1} {rng.choice(['SA', 'SRL'])}"
        client, _ = CorporateClient.objects.update_or_create(
            code=f"deals-demo-{index:03d}",
            defaults={"legal_name": name, "distributor": distributor, "territory": distributor.territory,
                      "is_key_account": index % 3 == 0,
                      "potential_annual_volume": Decimal(rng.randrange(500_000, 20_000_000, 50_000))},
        )
        made.append(client)
    return made


def _sellable_lines(lines, today):
    """(distributor, territory) -> the demo lines that distributor may sell there today, cached per pair."""
    from keychannel.network.selectors import distributor_covers

    cache: dict[tuple, list] = {}

    def sellable(distributor_id, territory_id):
        key = (distributor_id, territory_id)
        if key not in cache:
            if territory_id is None:
                cache[key] = []
            else:
                uncovered = {p.pk for p in distributor_covers(distributor=distributor_id, territory=territory_id,
                                                              product_lines=lines, on_date=today)}
                cache[key] = [line for line in lines if line.pk not in uncovered]
        return cache[key]

    return sellable


def _stages_to(target, rng):
    """The path a deal took to reach ``target`` (a lost deal falls out of a random open stage)."""
    if target == Stage.WON:
        stop = rng.choice([3, 4, 4])
        return PATH[: stop + 1] + [Stage.WON]
    if target == Stage.LOST:
        stop = rng.randint(0, 4)
        return PATH[: stop + 1] + [Stage.LOST]
    return PATH[: PATH.index(target) + 1]


def seed(ctx):
    rng = ctx.sub_rng("deals")
    today = timezone.localdate()
    now = timezone.now()
    probabilities = stage_settings()
    lines = ctx.data["product_lines"]
    mentored = {d.pk for d in ctx.data.get("mentored", [])}
    station = ctx.data.get("kam_station")
    contacts: dict[datetime.date, set[int]] = {}
    sellable = _sellable_lines(lines, today)
    for client_index, client in enumerate(_clients(ctx)):
        stakeholders = list(client.stakeholders.order_by("pk"))
        deals_for_client = rng.choice([1, 1, 2, 2, 3, 4])
        for deal_index in range(deals_for_client):
            target = rng.choice(TARGETS)
            path = _stages_to(target, rng)
            deal_lines = rng.sample(lines, k=rng.randint(1, 2))
            if client.distributor_id is not None and not client.out_of_scope:
                # Lines the distributor may sell where the client is (the registration gate, docs/rules.md);
                # the draw above stays, so every other value of the demo is the same.
                allowed = sellable(client.distributor_id, client.territory_id)
                deal_lines = [line for line in deal_lines if line.pk in {a.pk for a in allowed}] or allowed[:1] or deal_lines
            value = Decimal(rng.randrange(60_000, 2_400_000, 5_000))
            volume = Decimal(rng.randrange(2, 120))
            age = rng.randint(25, 420)
            gaps = sorted(rng.sample(range(1, age), k=min(len(path) - 1, age - 1)))
            has_next = rng.random() < 0.75
            next_offset = rng.randint(-25, 30)
            close_offset = rng.randint(-15, 240)
            head_owns = rng.random() < 0.3
            tier = rng.choice(TIERS)
            lost_code, lost_reason = rng.choice(LOST_REASONS)
            expiring_soon, expires_in = rng.random() < 0.3, rng.randint(5, 55)
            next_step_text = rng.choice(NEXT_STEPS)
            activity_plan = [(rng.choice(list(SUBJECTS)), rng.randint(0, 2), rng.random()) for _ in range(rng.randint(1, 4))]
            picked = rng.sample(stakeholders, k=min(len(stakeholders), rng.randint(1, 3))) if stakeholders else []

            distributor = None if client.out_of_scope else client.distributor
            if distributor is None:
                owner = ctx.users["program"]
            else:
                owner = ctx.users[f"{distributor.code}-{'head' if head_owns else 'sales'}"]
            opened_at = now - datetime.timedelta(days=age)
            moments = [opened_at] + [opened_at + datetime.timedelta(days=g) for g in gaps]
            stage = path[-1]
            closed_on = moments[-1].date() if stage in (Stage.WON, Stage.LOST) else None
            defaults = {
                "distributor": distributor, "owner": owner, "value": value, "volume": volume, "stage": stage,
                "probability": probabilities[stage], "stage_entered_at": moments[-1],
                "lost_reason": lost_reason if stage == Stage.LOST else "",
                "lost_reason_code": lost_code if stage == Stage.LOST else "",
                "expected_close_on": closed_on or today + datetime.timedelta(days=close_offset),
                "next_step": next_step_text if has_next and stage in OPEN_STAGES else "",
                "next_step_on": today + datetime.timedelta(days=next_offset) if has_next and stage in OPEN_STAGES else None,
                "origin": Origin.OUT_OF_SCOPE_PROJECT if distributor is None else Origin.MANUAL,
                "source_reference": "", "closed_on": closed_on,
                "mentor": ctx.users["mentor"] if distributor is not None and distributor.pk in mentored else None,
                "kam": ctx.users["kam"] if station is not None and distributor is not None and distributor.pk == station.pk
                else None,
                "created_by": owner,
            }
            title = f"{deal_lines[0].name} for {client.legal_name}" + (f" ({deal_index + 1})" if deal_index else "")
            deal, _ = Opportunity.objects.update_or_create(client=client, title=title[:200], defaults=defaults)
            deal.product_lines.set(deal_lines)
            previous = ""
            for stage_name, moment in zip(path, moments, strict=True):
                StageChange.objects.get_or_create(
                    opportunity=deal, from_stage=previous, to_stage=stage_name,
                    defaults={"changed_by": owner, "changed_at": moment,
                              "note": lost_reason if stage_name == Stage.LOST else ""},
                )
                previous = stage_name

            test = None
            if Stage.PRODUCT_TESTING in path:
                tested_at = moments[path.index(Stage.PRODUCT_TESTING)].date()
                if stage == Stage.PRODUCT_TESTING:
                    result = TestResult.PENDING
                elif stage == Stage.LOST and path[-2] == Stage.PRODUCT_TESTING:
                    result = TestResult.FAILED
                elif not picked[:2] or (stage == Stage.WON and client_index % 9 == 4):
                    # Nobody of the client to approve it (or, now and then, a pilot that missed its target):
                    # not passed, so a won deal here carries the manufacturer's override (docs/rules.md).
                    result = TestResult.FAILED
                else:
                    result = TestResult.PASSED
                test, _ = ProductTest.objects.update_or_create(
                    opportunity=deal, title=f"Pilot: {deal_lines[0].name}",
                    defaults={
                        "plan": "Instalăm pe o linie de producție și măsurăm trei săptămâni față de echipamentul actual.",
                        "samples": f"{1 + int(volume) % 3} unități în comodat", "starts_on": tested_at,
                        # A decided test ended by today (three weeks, or less when the deal moved on sooner).
                        "ends_on": tested_at + datetime.timedelta(days=21) if result == TestResult.PENDING
                        else min(today, tested_at + datetime.timedelta(days=21)),
                        "success_criteria": "Consum de energie mai mic cu cel puțin 8 %; nicio oprire neplanificată.", "result": result,
                        "decided_on": None if result == TestResult.PENDING
                        else min(today, tested_at + datetime.timedelta(days=21)),
                        "result_notes": "" if result == TestResult.PENDING else "Măsurat de echipa de mentenanță a clientului.",
                    },
                )
                test.signoff_stakeholders.set(picked[:2])
                _signoffs(ctx, deal, test, picked[:2], result, now=now)

            for position, (kind, back, _draw) in enumerate(activity_plan):
                day = min(today, moments[min(position, len(moments) - 1)].date() + datetime.timedelta(days=back))
                subject = SUBJECTS[kind][position % len(SUBJECTS[kind])]
                activity, _ = Activity.objects.get_or_create(
                    opportunity=deal, subject=subject, occurred_on=day,
                    defaults={"kind": kind, "outcome": OUTCOMES[int(_draw * len(OUTCOMES))], "created_by": owner},
                )
                activity.stakeholders.set(picked)
                activity.participants.set([u for u in (owner, deal.mentor, deal.kam) if u is not None])
                if picked:
                    contacts.setdefault(day, set()).update(s.pk for s in picked)
            if test is not None:
                Activity.objects.get_or_create(
                    opportunity=deal, subject="Testul de produs a început", occurred_on=test.starts_on,
                    defaults={"kind": ActivityKind.PRODUCT_TEST, "product_test": test, "created_by": owner},
                )

            if stage == Stage.WON:
                # A contract runs a year from the win. Some end soon, so the expiry list and its notices have work
                # to show — only contracts won long enough ago for that: a contract never ends (or comes up for
                # renewal) before it starts (the demo used to renew contracts won last week).
                ends_on = closed_on + datetime.timedelta(days=364)
                if expiring_soon and closed_on <= today - datetime.timedelta(days=300):
                    ends_on = min(ends_on, today + datetime.timedelta(days=expires_in))
                tier_code, exception = _tier_for(ctx, value, tier, closed_on)
                contract, _ = CorporateContract.objects.update_or_create(
                    client=client, distributor=distributor, starts_on=closed_on,
                    defaults={"owner": owner, "ends_on": ends_on, "renewal_on": ends_on - datetime.timedelta(days=60),
                              "volume_commitment": volume, "value": value, "tier_id": tier_code, **exception,
                              "status": ContractStatus.ACTIVE if ends_on >= today else ContractStatus.EXPIRED},
                )
                Opportunity.objects.filter(pk=deal.pk).exclude(contract=contract).update(contract=contract)
                if test is not None and test.result != TestResult.PASSED:
                    Opportunity.objects.filter(pk=deal.pk, test_override_at__isnull=True).update(
                        test_override_reason="Consiliul clientului a acceptat oferta pe baza rezultatelor din fabrica de "
                                             "referință; ratarea pilotului a venit dintr-o scurgere de aer comprimat.",
                        test_override_by=ctx.users["program"],
                        test_override_at=datetime.datetime.combine(closed_on, datetime.time(10),
                                                                   tzinfo=datetime.UTC))
                if test is not None and test.result == TestResult.PASSED and test.contract_id != contract.pk:
                    ProductTest.objects.filter(pk=test.pk).update(contract=contract)
        if client_index >= 159:
            break
    for day, ids in sorted(contacts.items()):
        stakeholders_record_contact(stakeholder_ids=sorted(ids), on_date=day)
    _refused_assignment(ctx)


def _signoffs(ctx, deal, test, signers, result, *, now):
    """The recorded approvals of a demo test (docs/rules.md, "Product-test sign-off"): a passed test has every
    named stakeholder's approval and a manufacturer sign-off by someone other than the owner; a pending one has
    the first approval only (work in progress); a failed one none."""
    if result == TestResult.FAILED or not signers:
        return
    at = min(now, datetime.datetime.combine(test.ends_on or test.starts_on, datetime.time(11), tzinfo=datetime.UTC))
    for stakeholder in signers if result == TestResult.PASSED else signers[:1]:
        ProductTestSignoff.objects.get_or_create(
            product_test=test, kind=SignoffKind.STAKEHOLDER, stakeholder=stakeholder,
            defaults={"recorded_by": deal.owner, "recorded_at": at, "note": "E-mailul de aprobare a fost atașat la oportunitate."},
        )
    if result == TestResult.PASSED:
        signer = (deal.mentor or ctx.users["program"]) if deal.distributor_id else ctx.users["admin"]
        ProductTestSignoff.objects.get_or_create(
            product_test=test, kind=SignoffKind.MANUFACTURER, signed_by=signer,
            defaults={"recorded_by": signer, "recorded_at": at, "note": "Măsurătorile au fost verificate față de criterii."},
        )


def _refused_assignment(ctx):
    """The story's refused assignment (issue 14): d01's head tries to make the manufacturer's KAM the owner of one
    of its deals. The service refuses and the security log keeps the attempt; once is enough (idempotent)."""
    from django.core.exceptions import PermissionDenied

    from keychannel.core.models import SecurityEvent
    from keychannel.core.scoping import Principal

    from .services import opportunity_update

    head, kam = ctx.users.get("d01-head"), ctx.users.get("kam")
    deal = Opportunity.objects.filter(distributor__code="d01", stage__in=OPEN_STAGES).order_by("pk").first()
    if head is None or kam is None or deal is None:
        return
    if SecurityEvent.objects.filter(username=head.username, action="assign:deals.opportunity.owner").exists():
        return
    try:
        opportunity_update(principal=Principal.for_user(head), opportunity=deal, owner=kam)
    except PermissionDenied:
        pass


def _tier_for(ctx, value, wanted: str, closed_on) -> tuple[str, dict]:
    """The tier a demo contract gets: the one drawn if its threshold is reached, else the highest one reached —
    except once, where the program office kept gold below its threshold with a recorded reason (docs/rules.md)."""
    tiers = {t.code: t for t in CorporateTier.objects.all()}
    if wanted in tiers and tiers[wanted].min_annual_volume <= value:
        return wanted, {"tier_exception_reason": "", "tier_exception_by": None, "tier_exception_at": None}
    if wanted == "gold" and "gold" in tiers and not ctx.data.get("tier_exception_made"):
        ctx.data["tier_exception_made"] = True
        return "gold", {
            "tier_exception_reason": "A doua fabrică semnează în primăvară: consiliul s-a angajat la volumul gold "
                                     "de anul viitor; biroul programului păstrează gold de la început.",
            "tier_exception_by": ctx.users["program"],
            "tier_exception_at": datetime.datetime.combine(closed_on, datetime.time(11), tzinfo=datetime.UTC)}
    reached = [t for t in tiers.values() if t.active and t.min_annual_volume <= value]
    code = max(reached, key=lambda t: t.min_annual_volume).code if reached else "standard"
    return code, {"tier_exception_reason": "", "tier_exception_by": None, "tier_exception_at": None}
