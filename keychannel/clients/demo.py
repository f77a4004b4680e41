"""Demo client book: ~300 Romanian corporate clients over the demo distributors (and some direct ones),
with key accounts whose buying centres (8–40 people) are mapped in realistic hierarchies; some are
clearly at risk. Deterministic (own random stream) and idempotent (clients keyed by ``code``,
stakeholders by client + name)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from .choices import ClientStatus, RevenueBand, StakeholderLevel
from .models import (
    AccountAction,
    AccountCompetitor,
    AccountObjective,
    AccountPlan,
    CorporateClient,
    Stakeholder,
    StakeholderContact,
    StakeholderLink,
)
from .services import client_refresh_analysis

PLACES = [
    "Carpați", "Dunărea", "Transilvania", "Mureș", "Olt", "Someș", "Bega", "Prahova", "Argeș", "Siret", "Ceahlău",
    "Bucegi", "Retezat", "Făgăraș", "Delta", "Moldova", "Banat", "Crișana", "Oltenia", "Dobrogea", "Apuseni",
    "Bistrița", "Hațeg", "Vrancea",
]
TRADES = [
    ("Mobila", "Furniture"), ("Oțel", "Steel"), ("Textile", "Textiles"), ("Lactate", "Dairy"),
    ("Construct", "Construction"), ("Logistic", "Logistics"), ("Farm", "Pharmaceuticals"), ("Agro", "Agriculture"),
    ("Energie", "Energy"), ("Plast", "Plastics"), ("Metal Prod", "Metalworking"), ("Auto Parts", "Automotive"),
    ("Ceramica", "Ceramics"), ("Panificație", "Bakery"), ("Chimica", "Chemicals"), ("Vinuri", "Beverages"),
    ("Hârtie", "Paper"), ("Sticla", "Glass"), ("Frig Industrial", "Refrigeration"), ("Tehnologii", "Electronics"),
]
# Legal forms spelt the many ways people type them.
FORMS = ["SRL", "S.R.L.", "SA", "S.A.", "srl", "S.C. {} SRL", "SC {} S.A.", "SCS", "SNC", "S.R.L", "GmbH", "LLC"]
COMPETITORS = ["Kompresor Nord", "EuroAir Systems", "Bălan Industrial", "TehnoPower", "Import direct (Asia)"]
STATUS_WEIGHTS = [(ClientStatus.ACTIVE, 50), (ClientStatus.PROSPECT, 30), (ClientStatus.DORMANT, 12), (ClientStatus.LOST, 8)]
BANDS = [(RevenueBand.UNDER_10M, 40, 20, 120), (RevenueBand.FROM_10M, 30, 80, 400), (RevenueBand.FROM_50M, 18, 250, 1500),
         (RevenueBand.FROM_250M, 9, 900, 4000), (RevenueBand.OVER_1B, 3, 2500, 12000)]
FIRST = ["Andrei", "Maria", "Ioana", "Mihai", "Elena", "Alexandru", "Cristina", "Bogdan", "Ana", "Radu", "Gabriela",
         "Florin", "Raluca", "Cătălin", "Simona", "Dan", "Oana", "Sorin", "Adriana", "Vlad", "Irina", "Ștefan",
         "Monica", "Tudor", "Laura", "Marius", "Diana", "Ovidiu", "Carmen", "Lucian"]
LAST = ["Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei", "Ciobanu", "Rusu", "Munteanu",
        "Constantin", "Dinu", "Tănase", "Marin", "Șerban", "Lazăr", "Moldovan", "Barbu", "Nistor", "Oprea", "Ene",
        "Voicu", "Mihăilescu", "Cristea", "Toma", "Bălan", "Florea", "Niculescu", "Sârbu"]
TOTAL_CLIENTS = 300


def _weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _legal_name(place, trade, form):
    return form.format(f"{place} {trade}") if "{}" in form else f"{place} {trade} {form}"


def _tax_id(rng):
    from keychannel.network.demo import romanian_tax_id

    return romanian_tax_id(rng)


def seed(ctx):
    rng = ctx.sub_rng("clients")
    distributors = list(ctx.data.get("distributors") or [])
    counties = list(ctx.data.get("counties") or [])
    combos = [(p, t) for p in PLACES for t in TRADES]
    rng.shuffle(combos)
    clients = []
    for index in range(TOTAL_CLIENTS):
        place, (trade, industry) = combos[index]
        form = rng.choice(FORMS)
        band, _w, low, high = BANDS[[b[0] for b in BANDS].index(_weighted(rng, [(b[0], b[1]) for b in BANDS]))]
        employees = rng.randint(low, high)
        direct = rng.random() < 0.08 or not distributors
        distributor = None if direct else distributors[index % len(distributors)]
        territory = distributor.territory if distributor else (rng.choice(counties) if counties else None)
        tax_id = _tax_id(rng)
        status = _weighted(rng, STATUS_WEIGHTS)
        volume = Decimal(int(employees * rng.uniform(400, 1600)))
        reason = rng.choice([
            "Service response within 24 hours in their county.", "Total cost of ownership over five years.",
            "The distributor's engineers know their plant.", "Energy savings shown in a product test.", "",
        ])
        client, _ = CorporateClient.objects.update_or_create(
            code=f"C{index + 1:05d}",
            defaults={
                "legal_name": _legal_name(place, trade, form), "tax_id": tax_id, "distributor": distributor,
                "industry": industry, "employees": employees, "revenue_band": band, "territory": territory,
                "city": getattr(territory, "name", ""), "potential_annual_volume": volume, "status": status,
                "why_chose_us": reason if status == ClientStatus.ACTIVE else "",
                "is_key_account": False,
            },
        )
        clients.append(client)
    _seed_near_duplicates(rng, clients)
    key_accounts = _choose_key_accounts(clients, distributors)
    for number, client in enumerate(key_accounts):
        CorporateClient.objects.filter(pk=client.pk).update(is_key_account=True)
        client.is_key_account = True
        profile = ["healthy", "healthy", "at_risk_opponent", "single_threaded", "no_champion", "stale"][number % 6]
        _seed_buying_centre(ctx, rng, client, profile)
        _seed_account_plan(ctx, rng, client)
        client_refresh_analysis(client=client)
    ctx.data["clients"] = clients
    ctx.data["key_accounts"] = key_accounts


def _seed_near_duplicates(rng, clients):
    """A few clients entered twice with another spelling (no tax id): what the duplicate check is for."""
    for number, original in enumerate(clients[:300:60]):
        CorporateClient.objects.update_or_create(
            code=f"D{number + 1:04d}",
            defaults={
                "legal_name": original.legal_name.upper().replace("Ț", "Ţ").replace("Ș", "Ş").replace(" SRL", " S.R.L."),
                "tax_id": "", "distributor": original.distributor, "industry": original.industry,
                "territory": original.territory, "status": ClientStatus.PROSPECT,
            },
        )


def _choose_key_accounts(clients, distributors):
    """The biggest one or two clients of each distributor and the biggest direct ones."""
    by_book: dict = {}
    for client in clients:
        by_book.setdefault(client.distributor_id, []).append(client)
    chosen = []
    for book, members in sorted(by_book.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        members.sort(key=lambda c: (-c.employees, c.code))
        chosen.extend(members[: 4 if book is None else 2 if len(members) > 10 else 1])
    return chosen


def _our_people(ctx, client):
    users = ctx.users
    ours = []
    if client.distributor_id:
        code = client.distributor.code
        ours += [users.get(f"{code}-sales"), users.get(f"{code}-head")]
        ours += [users.get("channel")]
    else:
        ours += [users.get("program"), users.get("kam")]
    ours += [users.get("mentor")]
    return [u for u in ours if u is not None]


def _seed_buying_centre(ctx, rng, client, profile):
    today = timezone.localdate()
    size = rng.randint(8, 40)
    people: list[Stakeholder] = []

    def person(title, level, *, reports_to=None, roles=(), influence=3, attitude=0, external="", interests=("", "")):
        full = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        suffix = 2
        while full in {p.full_name for p in people}:
            full = f"{full.split(' (')[0]} ({suffix})"
            suffix += 1
        days = rng.choice([3, 12, 25, 40, 70, 120, 200])
        s, _ = Stakeholder.objects.update_or_create(
            client=client, full_name=full,
            defaults={
                "job_title": title, "level": level, "reports_to": reports_to, "buying_roles": list(roles),
                "influence": influence, "attitude": attitude, "is_external": bool(external),
                "external_organization": external, "personal_interests": interests[0],
                "company_interests": interests[1], "last_contact_on": today - datetime.timedelta(days=days),
                "email": "", "phone": "",
            },
        )
        people.append(s)
        return s

    chair = person("Chair of the board", StakeholderLevel.BOARD, influence=4, attitude=rng.choice([0, 1]))
    ceo = person("Chief executive officer", StakeholderLevel.EXECUTIVE, reports_to=chair,
                 roles=["decision_maker"] if profile != "single_threaded" or rng.random() < 0.5 else [],
                 influence=5, attitude=rng.choice([0, 1, 1]),
                 interests=("Wants a visible win before the board renews his mandate", "Cut energy costs by 15%"))
    cfo = person("Chief financial officer", StakeholderLevel.VP, reports_to=ceo, roles=["economic_buyer"],
                 influence=4, attitude=-2 if profile == "at_risk_opponent" else rng.choice([-1, 0, 1]),
                 interests=("Keeps a long relationship with the incumbent supplier", "Capex under control"))
    if profile == "at_risk_opponent":
        cfo.buying_roles = ["economic_buyer", "opponent"]
        cfo.save()
    coo = person("Operations director", StakeholderLevel.DIRECTOR, reports_to=ceo, roles=["influencer"], influence=4,
                 attitude=rng.choice([0, 1, 2]))
    tech = person("Technical director", StakeholderLevel.DIRECTOR, reports_to=coo, roles=["technical_evaluator"],
                  influence=4, attitude=rng.choice([0, 1, 2]), interests=("Engineer, likes to test before buying", "Uptime"))
    buyer = person("Procurement manager", StakeholderLevel.MIDDLE_MANAGER, reports_to=cfo, roles=["gatekeeper"],
                   influence=3, attitude=rng.choice([-1, 0, 0, 1]))
    managers = [buyer]
    champion_made = profile == "no_champion"
    while len(people) < size - 3:
        parent = rng.choice([coo, tech, cfo] + managers[:3])
        if parent.level in (StakeholderLevel.DIRECTOR, StakeholderLevel.VP):
            roles = ["influencer"] if rng.random() < 0.5 else []
            if not champion_made:
                roles, champion_made = ["champion", "influencer"], True
            m = person(rng.choice(["Plant manager", "Maintenance manager", "Production manager", "Quality manager",
                                   "Logistics manager", "Energy manager"]), StakeholderLevel.MIDDLE_MANAGER,
                       reports_to=parent, roles=roles, influence=rng.choice([3, 3, 4]),
                       attitude=2 if "champion" in roles else rng.choice([-1, 0, 1]))
            managers.append(m)
        else:
            person(rng.choice(["Shift supervisor", "Maintenance engineer", "Process engineer", "Buyer"]),
                   rng.choice([StakeholderLevel.JUNIOR, StakeholderLevel.END_USER]), reports_to=parent,
                   roles=["user"], influence=rng.choice([1, 1, 2]), attitude=rng.choice([-1, 0, 1, 1]))
    consultant = person("Energy-efficiency consultant", StakeholderLevel.DIRECTOR, roles=["influencer"], influence=3,
                        attitude=rng.choice([0, 1]), external="Audit Energetic Consult")
    while len(people) < size:
        person("Operator", StakeholderLevel.END_USER, reports_to=rng.choice(managers), roles=["user"], influence=1,
               attitude=rng.choice([0, 1]))
    # Who on our side knows whom.
    ours = _our_people(ctx, client)
    if profile == "single_threaded":
        known = {buyer: ours[:1]}
    else:
        known = {}
        for s in people:
            if s.level in (StakeholderLevel.END_USER, StakeholderLevel.JUNIOR) and rng.random() < 0.7:
                continue
            if s is chair and rng.random() < 0.6:
                continue
            known[s] = rng.sample(ours, k=min(len(ours), rng.choice([1, 2, 2, 3])))
    for s in people:
        wanted = known.get(s, [])
        StakeholderContact.objects.filter(stakeholder=s).exclude(user__in=wanted).delete()
        for user in wanted:
            StakeholderContact.objects.update_or_create(
                stakeholder=s, user=user,
                defaults={"current_level": rng.choice(["acquainted", "professional", "professional", "trusted"]),
                          "desired_level": rng.choice(["trusted", "advocate"])},
            )
    if profile == "stale":
        Stakeholder.objects.filter(pk__in=[ceo.pk, tech.pk]).update(last_contact_on=today - datetime.timedelta(days=150))
    StakeholderLink.objects.update_or_create(source=consultant, target=ceo, kind="influences",
                                             defaults={"note": "Writes the energy audit the CEO reads"})
    StakeholderLink.objects.update_or_create(source=cfo, target=tech, kind="conflict",
                                             defaults={"note": "Budget versus uptime"})


def _seed_account_plan(ctx, rng, client):
    ours = _our_people(ctx, client)
    owner = ours[0] if ours else None
    today = timezone.localdate()
    plan, _ = AccountPlan.objects.update_or_create(
        client=client,
        defaults={
            "ambition": "Become the preferred supplier for compressed air and power across all plants by 2028.",
            "situation": "We supply spare parts in small lots; the incumbent holds the service contract.",
            "owner": owner, "review_on": today + datetime.timedelta(days=rng.randint(10, 80)),
        },
    )
    objectives = [
        ("Sign a corporate frame contract", "Contract signed, 3-year term"),
        ("Run a product test in the main plant", "Test report accepted by the technical director"),
        ("Meet the CFO with a total-cost-of-ownership study", "TCO study presented"),
    ]
    made = []
    for number, (title, measure) in enumerate(objectives):
        objective, _ = AccountObjective.objects.update_or_create(
            plan=plan, title=title,
            defaults={"measure": measure, "owner": owner, "due_on": today + datetime.timedelta(days=45 * (number + 1)),
                      "status": ["on_track", "open", "at_risk"][number]},
        )
        made.append(objective)
    for number, title in enumerate(["Map the maintenance team", "Invite the technical director to the spring workshop",
                                    "Prepare the product-test protocol"]):
        AccountAction.objects.update_or_create(
            plan=plan, title=title,
            defaults={"objective": made[min(number, len(made) - 1)], "owner": owner,
                      "due_on": today + datetime.timedelta(days=14 * (number + 1)), "status": "planned"},
        )
    for name in rng.sample(COMPETITORS, k=rng.randint(1, 3)):
        AccountCompetitor.objects.update_or_create(
            plan=plan, name=name,
            defaults={"position": rng.choice(["incumbent", "shared", "challenger"]), "products": "Compressors, service"},
        )
