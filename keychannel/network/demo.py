"""Demo network: Romania's development regions and counties, eight product lines, 24 distributors with users,
their coverage, people and relationships, readiness assessments and the reviews of the large ones."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.text import slugify

from keychannel.core.choices import OrganizationKind, Role
from keychannel.core.demo import ensure_user
from keychannel.core.models import Organization

from .choices import (
    ActionStatus,
    ChannelType,
    ContractStrength,
    DistributorKind,
    InteractionKind,
    PersonLevel,
    RelationshipLevel,
    ReviewStatus,
    Sharing,
    SizeTier,
    Stance,
    TerritoryLevel,
)
from .defaults import ensure_defaults
from .models import (
    ActionItem,
    ChannelPresence,
    ComplianceReview,
    Coverage,
    Distributor,
    DistributorPerson,
    Interaction,
    ProductLine,
    ReadinessAnswer,
    ReadinessAssessment,
    ReadinessQuestionnaire,
    Relationship,
    Territory,
)
from .services import readiness_score

REGIONS = {
    "Nord-Est": [("Iași", "Iași"), ("Suceava", "Suceava"), ("Bacău", "Bacău"), ("Neamț", "Piatra Neamț")],
    "Sud-Est": [("Constanța", "Constanța"), ("Galați", "Galați"), ("Brăila", "Brăila"), ("Buzău", "Buzău")],
    "Sud-Muntenia": [("Prahova", "Ploiești"), ("Argeș", "Pitești"), ("Dâmbovița", "Târgoviște")],
    "Sud-Vest Oltenia": [("Dolj", "Craiova"), ("Gorj", "Târgu Jiu"), ("Vâlcea", "Râmnicu Vâlcea")],
    "Vest": [("Timiș", "Timișoara"), ("Arad", "Arad"), ("Hunedoara", "Deva")],
    "Nord-Vest": [("Cluj", "Cluj-Napoca"), ("Bihor", "Oradea"), ("Maramureș", "Baia Mare")],
    "Centru": [("Brașov", "Brașov"), ("Sibiu", "Sibiu"), ("Mureș", "Târgu Mureș"), ("Alba", "Alba Iulia")],
    "București-Ilfov": [("București", "București"), ("Ilfov", "Voluntari")],
}

PRODUCT_LINES = [
    ("Industrial compressors", "compressors", "Screw and piston compressors with service contracts."),
    ("Pneumatic tools", "pneumatic-tools", "Tools for assembly lines and workshops."),
    ("Power generators", "generators", "Diesel and gas generator sets, 10–2000 kVA."),
    ("Welding equipment", "welding", "MIG/MAG, TIG and plasma equipment."),
    ("Industrial pumps", "pumps", "Water, process and dosing pumps."),
    ("Filtration systems", "filtration", "Air and fluid filtration for plants."),
    ("Spare parts and consumables", "spare-parts", "Parts, oils, filters and wear parts."),
    ("Maintenance services", "services", "Preventive maintenance and on-site service."),
]

LEGAL_FORMS = ["SRL", "SA", "SRL", "SRL", "SA"]
TRADE_WORDS = ["Distribuție", "Tehnic", "Industrial", "Echipamente", "Trading", "Instal", "Service", "Comerț"]


def romanian_tax_id(rng) -> str:
    """A CUI with a valid check digit (key 753217532), as ANAF issues them."""
    body = str(rng.randint(1_000_000, 49_999_999))
    digits = body.rjust(9, "0")
    total = sum(int(d) * int(k) for d, k in zip(digits, "753217532", strict=True))
    check = (total * 10) % 11
    return body + str(0 if check == 10 else check)


def seed_territories():
    country, _ = Territory.objects.update_or_create(
        code="ro", defaults={"name": "România", "level": TerritoryLevel.COUNTRY, "parent": None}
    )
    counties = []
    for region_name, county_list in REGIONS.items():
        region, _ = Territory.objects.update_or_create(
            code=f"ro-{slugify(region_name)}",
            defaults={"name": region_name, "level": TerritoryLevel.REGION, "parent": country},
        )
        for county_name, city in county_list:
            county, _ = Territory.objects.update_or_create(
                code=f"ro-{slugify(county_name)}",
                defaults={"name": county_name, "level": TerritoryLevel.COUNTY, "parent": region},
            )
            counties.append((county, city, region))
    return counties


def seed(ctx):
    rng = ctx.sub_rng("network")
    fake = ctx.faker
    counties = seed_territories()
    product_lines = []
    for name, code, description in PRODUCT_LINES:
        line, _ = ProductLine.objects.update_or_create(code=code, defaults={"name": name, "description": description})
        product_lines.append(line)
    ctx.data["product_lines"] = product_lines
    ctx.data["counties"] = [c for c, _, _ in counties]

    north_west = {"Nord-Est", "Nord-Vest", "Vest", "Centru"}
    distributors = []
    # One distributor per county for 24 counties, the capital and Ilfov first.
    chosen = (counties[-2:] + counties[:-2])[:24]
    for index, (county, city, region) in enumerate(chosen, start=1):
        code = f"d{index:02d}"
        # Draw every random value on every run so a second run reproduces the first exactly.
        legal_name = f"{fake.last_name()} {rng.choice(TRADE_WORDS)} {rng.choice(LEGAL_FORMS)}"
        tax_id, address, phone = romanian_tax_id(rng), fake.street_address(), fake.phone_number()
        lines = rng.sample(product_lines, k=rng.randint(3, 7))
        head_name, sales_name = (fake.first_name(), fake.last_name()), (fake.first_name(), fake.last_name())
        existing = Distributor.objects.filter(code=code).select_related("organization").first()
        if existing is None:
            organization = Organization.objects.create(name=legal_name, kind=OrganizationKind.DISTRIBUTOR)
        else:
            organization = existing.organization
        size_tier = [SizeTier.LARGE, SizeTier.MEDIUM, SizeTier.MEDIUM, SizeTier.SMALL, SizeTier.SMALL][index % 5]
        revenue = {SizeTier.LARGE: 180_000_000, SizeTier.MEDIUM: 45_000_000, SizeTier.SMALL: 9_000_000}[size_tier]
        manager = ctx.users["channel" if region.name in north_west else "channel2"]
        defaults = {
            "organization": organization,
            "legal_name": legal_name,
            "tax_id": tax_id,
            "territory": county,
            # Mostly wholesalers; integrators, retailer chains and service partners among them (issue 16).
            "kind": [DistributorKind.WHOLESALER, DistributorKind.INTEGRATOR, DistributorKind.WHOLESALER,
                     DistributorKind.RETAIL_CHAIN, DistributorKind.SERVICE_PARTNER][index % 5],
            "city": city,
            "address": address,
            "phone": phone,
            "email": f"office@{code}.demo.keychannel.invalid",
            "size_tier": size_tier,
            "annual_revenue": Decimal(int(revenue * rng.uniform(0.6, 1.5))),
            "employees": {SizeTier.LARGE: 320, SizeTier.MEDIUM: 85, SizeTier.SMALL: 18}[size_tier] + rng.randint(0, 40),
            "contract_strength": ContractStrength.STRONG if index % 3 == 0 or size_tier == SizeTier.LARGE else ContractStrength.WEAK,
            "stance": [Stance.ACTIVE, Stance.CAUTIOUS, Stance.ACTIVE, Stance.RESISTANT, Stance.CAUTIOUS][index % 5],
            "shares_goals": [Sharing.YES, Sharing.YES, Sharing.NO, Sharing.PARTLY, Sharing.NO, Sharing.NO][index % 6],
            "shares_methods": [Sharing.YES, Sharing.NO, Sharing.YES, Sharing.PARTLY, Sharing.NO, Sharing.PARTLY][index % 6],
            "channel_manager": manager,
            "contract_start": date(2015 + index % 9, 1 + index % 12, 1),
            "active": True,
        }
        distributor, _ = Distributor.objects.update_or_create(code=code, defaults=defaults)
        distributor.product_lines.set(lines)
        distributors.append(distributor)
        ensure_user(
            ctx, username=f"{code}-head", role=Role.DIST_HEAD, organization=organization,
            first_name=head_name[0], last_name=head_name[1], title="General manager",
        )
        ensure_user(
            ctx, username=f"{code}-sales", role=Role.DIST_SALES, organization=organization,
            first_name=sales_name[0], last_name=sales_name[1], title="Sales representative",
        )
    ctx.data["distributors"] = distributors
    seed_network_extras(ctx)


# --- issue 3: coverage, presence, people, relationships, readiness, reviews ------------------------------------


def _own_faker(name):
    """A Faker of our own so the names drawn here do not shift what later generators draw from ctx.faker."""
    from faker import Faker

    fake = Faker("ro_RO")
    fake.seed_instance(f"2026:{name}")
    return fake


def seed_coverage(ctx, rng, distributors, counties):
    """Home county for every line in the agreement; large distributors also cover their region for two lines.

    That gives sole-channel counties (only the home distributor), overlaps (a large distributor's region over a
    county distributor), gaps (counties without a home distributor, lines nobody there sells) and a few
    exclusive rights and expired coverages.
    """
    region_of = {county.pk: region for county, _city, region in counties}
    start = date(2024, 1, 1)
    for d in distributors:
        lines = sorted(d.product_lines.all(), key=lambda p: p.code)
        home_start = d.contract_start or start
        for line in lines:
            Coverage.objects.update_or_create(
                distributor=d, territory=d.territory, product_line=line, valid_from=home_start,
                defaults={"exclusive": False, "valid_to": None, "note": ""},
            )
        if d.size_tier == SizeTier.LARGE:
            region = region_of[d.territory_id]
            for line in lines[:2]:
                Coverage.objects.update_or_create(
                    distributor=d, territory=region, product_line=line, valid_from=start,
                    defaults={"exclusive": False, "valid_to": None, "note": "Regional key-account coverage"},
                )
        # Every fourth distributor once covered a neighbouring county; that right ended.
        index = int(d.code[1:])
        if index % 4 == 0 and lines:
            neighbours = [c for c, _city, r in counties if r == region_of[d.territory_id] and c.pk != d.territory_id]
            if neighbours:
                Coverage.objects.update_or_create(
                    distributor=d, territory=neighbours[0], product_line=lines[0], valid_from=date(2019, 1, 1),
                    defaults={"exclusive": False, "valid_to": date(2023, 12, 31), "note": "Ended at renewal"},
                )
    # Overlap as a real network has it (issue 16): medium distributors also serve a neighbouring county for their
    # first two lines, and the large wholesalers sell their lines nationwide. So a county distributor is the sole
    # channel only where nobody else sells one of its lines, and some are sole nowhere.
    country = Territory.objects.get(code="ro")
    for d in distributors:
        lines = sorted(d.product_lines.all(), key=lambda p: p.code)
        if d.size_tier == SizeTier.MEDIUM:
            neighbours = [c for c, _city, r in counties if r == region_of[d.territory_id] and c.pk != d.territory_id]
            if neighbours:
                neighbour = neighbours[int(d.code[1:]) % len(neighbours)]
                for line in lines[:2]:
                    Coverage.objects.update_or_create(
                        distributor=d, territory=neighbour, product_line=line, valid_from=start,
                        defaults={"exclusive": False, "valid_to": None, "note": "Neighbouring county"},
                    )
        elif d.size_tier == SizeTier.LARGE and d.kind == DistributorKind.WHOLESALER and int(d.code[1:]) % 10 == 0:
            for line in lines:
                Coverage.objects.update_or_create(
                    distributor=d, territory=country, product_line=line, valid_from=start,
                    defaults={"exclusive": False, "valid_to": None, "note": "National wholesale"},
                )
    # Exclusive rights: a few small distributors hold their home county exclusively for one line that nobody else
    # covers over them (no regional, national or neighbouring coverage).
    over = {(c.territory_id, c.product_line_id) for c in Coverage.objects.filter(valid_to__isnull=True)
            .exclude(territory__level="county")}
    neighbouring = {(c.territory_id, c.product_line_id) for c in Coverage.objects.filter(note="Neighbouring county")}
    for d in distributors:
        if d.size_tier != SizeTier.SMALL or int(d.code[1:]) % 3:
            continue
        region = region_of[d.territory_id]
        for coverage in Coverage.objects.filter(distributor=d, territory=d.territory).order_by("product_line__code"):
            line = coverage.product_line_id
            if not ({(region.pk, line), (country.pk, line)} & over) and (d.territory_id, line) not in neighbouring:
                coverage.exclusive = True
                coverage.note = "Exclusive in the home county"
                coverage.save()
                break


CHANNEL_PRESENCE = [
    ("ro-bucuresti", ChannelType.DIRECT_OFFICE, 1, "Head office and showroom"),
    ("ro-bucuresti", ChannelType.DIRECT_SELLERS, 4, "Key-account team of the manufacturer"),
    ("ro-cluj", ChannelType.DIRECT_OFFICE, 1, "Regional office north-west"),
    ("ro-timis", ChannelType.FRANCHISE, 2, "Service franchises"),
    ("ro-constanta", ChannelType.FRANCHISE, 1, "Port service point"),
    ("ro-iasi", ChannelType.DIRECT_SELLERS, 2, ""),
]


def seed_channel_presence():
    for code, channel_type, count, note in CHANNEL_PRESENCE:
        territory = Territory.objects.filter(code=code).first()
        if territory:
            ChannelPresence.objects.update_or_create(
                territory=territory, channel_type=channel_type, defaults={"count": count, "note": note}
            )


def seed_people_and_relationships(ctx, rng, distributors, today):
    """People at every distributor; relationships at the right levels for most, not for some weak contracts."""
    fake = _own_faker("network-people")
    users = ctx.users
    for d in distributors:
        index = int(d.code[1:])
        head = users.get(f"{d.code}-head")
        first_name = head.get_full_name() if head else fake.name()
        staff = [(first_name, PersonLevel.FIRST_PERSON, "General manager")]
        if d.size_tier != SizeTier.SMALL:
            staff.append((fake.name(), PersonLevel.TOP_MANAGER, "Commercial director"))
        staff.append((fake.name(), PersonLevel.MIDDLE_MANAGER, "Sales manager"))
        if d.size_tier == SizeTier.LARGE:
            staff.append((fake.name(), PersonLevel.MIDDLE_MANAGER, "Service manager"))
        sales = users.get(f"{d.code}-sales")
        staff.append((sales.get_full_name() if sales else fake.name(), PersonLevel.SALES, "Sales representative"))
        phones = [fake.phone_number() for _ in staff]
        people = []
        for (name, level, title), phone in zip(staff, phones, strict=True):
            person, _ = DistributorPerson.objects.update_or_create(
                distributor=d, full_name=name,
                defaults={"level": level, "title": title, "phone": phone,
                          "email": f"{slugify(name)}@{d.code}.demo.keychannel.invalid", "active": True},
            )
            people.append(person)
        top = people[0]
        middle = next(p for p in people if p.level == PersonLevel.MIDDLE_MANAGER)
        weak = d.contract_strength == ContractStrength.WEAK
        # Some weak contracts have nobody at the top talking to the distributor's first person: the gap to close.
        no_top = weak and index % 3 == 1
        # Others only had contact long ago.
        stale = index % 7 == 3
        age = (lambda: rng.randint(200, 420)) if stale else (lambda: rng.randint(5, 90))
        pairs = []
        if not no_top:
            pairs.append((top, users["executive"], RelationshipLevel.TOP, rng.randint(2, 5), age()))
        # And a few know only the salespeople in the middle layer: no middle ↔ middle pairing.
        counterpart = people[-1] if index % 8 == 5 else middle
        pairs.append((counterpart, d.channel_manager or users["channel"], RelationshipLevel.MIDDLE, rng.randint(2, 5), age()))
        if index % 2 == 0:
            pairs.append((people[-1], users["mentor"], RelationshipLevel.OPERATIONAL, rng.randint(1, 4), age()))
        if index % 5 == 0:
            pairs.append((top, users["program"], RelationshipLevel.MIDDLE, rng.randint(2, 4), age()))
        for person, user, level, strength, days_ago in pairs:
            last = today - timedelta(days=days_ago)
            relationship, _ = Relationship.objects.update_or_create(
                person=person, manufacturer_user=user,
                defaults={"manufacturer_level": level, "strength": strength, "last_interaction": last, "active": True},
            )
            for n, (kind, text) in enumerate(INTERACTIONS[: 1 + (strength % 3)]):
                Interaction.objects.update_or_create(
                    relationship=relationship, summary=text,
                    defaults={"occurred_on": last - timedelta(days=45 * n), "kind": kind, "recorded_by": user},
                )


INTERACTIONS = [
    (InteractionKind.MEETING, "Am trecut împreună prin oportunitățile clienților cheie."),
    (InteractionKind.CALL, "Apel despre programul corporativ și pașii următori."),
    (InteractionKind.EVENT, "Ne-am întâlnit la atelierul rețelei."),
]

ASSESSMENTS = ["Baseline assessment", "Follow-up after the workshop", "Half-year review", "Annual review"]
ACTIONS = [
    ("need", "Present the key-account business case to the owners"),
    ("middle-managers", "Involve the sales manager in the key-account plan"),
    ("negotiation", "Send two salespeople to the negotiation course"),
    ("financial-commitment", "Agree a co-funded key-account budget"),
    ("dedicated-people", "Name a dedicated key-account salesperson"),
    ("crm", "Put every large client and deal into the CRM"),
]


def seed_readiness(ctx, rng, distributors, today):
    questionnaire = ReadinessQuestionnaire.objects.get(version=1)
    questions = list(questionnaire.questions.all())
    assessor_for = {Stance.ACTIVE: "mentor", Stance.CAUTIOUS: "channel", Stance.RESISTANT: "program"}
    for d in distributors:
        index = int(d.code[1:])
        rounds = 2 + index % 3
        base = {Stance.ACTIVE: 1.6, Stance.CAUTIOUS: 1.0, Stance.RESISTANT: 0.6}[d.stance]
        growth = {Stance.ACTIVE: 0.55, Stance.CAUTIOUS: 0.3, Stance.RESISTANT: 0.05}[d.stance]
        latest = None
        for n in range(rounds):
            assessed_on = today - timedelta(days=30 + 150 * (rounds - 1 - n))
            values = [max(0, min(4, round(base + growth * n + rng.uniform(-0.8, 0.8)))) for _ in questions]
            assessment, _ = ReadinessAssessment.objects.update_or_create(
                distributor=d, summary=ASSESSMENTS[n],
                defaults={"questionnaire": questionnaire, "assessed_on": assessed_on,
                          "assessed_by": ctx.users[assessor_for[d.stance]], "score": readiness_score(values)},
            )
            for question, value in zip(questions, values, strict=True):
                ReadinessAnswer.objects.update_or_create(assessment=assessment, question=question,
                                                         defaults={"value": value})
            latest = (assessment, values)
        assessment, values = latest
        weakest = sorted(zip(values, questions, strict=True), key=lambda vq: (vq[0], vq[1].position))[:3]
        titles = dict(ACTIONS)
        for rank, (_value, question) in enumerate(weakest):
            owner = ctx.users.get(f"{d.code}-head") if rank == 0 else ctx.users[assessor_for[d.stance]]
            ActionItem.objects.update_or_create(
                assessment=assessment, title=titles.get(question.code, question.text),
                defaults={"owner": owner, "due_on": today + timedelta(days=30 * (rank + 1) - 45),
                          "status": [ActionStatus.DONE, ActionStatus.IN_PROGRESS, ActionStatus.OPEN][rank]},
            )


def seed_reviews(ctx, distributors, today):
    year = today.year
    for d in distributors:
        if d.size_tier != SizeTier.LARGE:
            continue
        reviewer = d.channel_manager or ctx.users["program"]
        ComplianceReview.objects.update_or_create(
            distributor=d, period=f"{year - 1} H2",
            defaults={
                "reviewed_on": date(year - 1, 12, 10), "reviewer": reviewer, "status": ReviewStatus.CLOSED,
                "findings": "Key-account targets met for two of three product lines.\nCRM used for 60% of large clients.",
                "agreed_actions": "Enter every large client into the CRM.\nQuarterly pipeline review with the manufacturer.",
                "follow_up_on": date(year, 3, 15),
                "follow_up_notes": "CRM coverage at 85%. Pipeline reviews held.",
            },
        )
        ComplianceReview.objects.update_or_create(
            distributor=d, period=f"{year} H1",
            defaults={
                "reviewed_on": date(year, 6, 20), "reviewer": reviewer, "status": ReviewStatus.FOLLOW_UP,
                "findings": "Territory restrictions respected. Corporate price list not applied to two clients.",
                "agreed_actions": "Apply the corporate price list; report deviations monthly.",
                "follow_up_on": today + timedelta(days=20),
                "follow_up_notes": "",
            },
        )


def seed_network_extras(ctx):
    rng = ctx.sub_rng("network-extras")
    today = timezone.localdate()
    distributors = ctx.data["distributors"]
    counties = seed_territories()
    ensure_defaults()
    seed_coverage(ctx, rng, distributors, counties)
    seed_channel_presence()
    seed_people_and_relationships(ctx, rng, distributors, today)
    seed_readiness(ctx, rng, distributors, today)
    seed_reviews(ctx, distributors, today)
    seed_onboarding(ctx, distributors)


# --- issue 16: onboarding by invitation --------------------------------------------------------------------------


def seed_onboarding(ctx, distributors):
    """d01's head has invited a second salesperson who has not set a password yet (the People page shows the
    invitation, "Send again" mails a new link); d02's former salesperson was deactivated by the administrator and
    keeps its history. Through the services, so the security events and the invitation's history are real."""
    from django.contrib.auth import get_user_model

    from keychannel.core import onboarding
    from keychannel.core.scoping import Principal

    d01, d02 = distributors[0], distributors[1]
    email = "d01-sales2@demo.keychannel.invalid"
    if not get_user_model().objects.filter(username=email).exists():
        onboarding.user_invite(principal=Principal.for_user(ctx.users["d01-head"]), organization=d01.organization,
                               role=Role.DIST_SALES, email=email, first_name="Teodora", last_name="Matei",
                               title="Sales representative (from next month)")
    former = ensure_user(ctx, username=f"{d02.code}-former", role=Role.DIST_SALES, organization=d02.organization,
                         first_name="Paul", last_name="Enache", title="Former sales representative")
    ctx.logins.remove((former.username, str(Role.DIST_SALES.label), d02.organization.name))  # cannot sign in
    onboarding.user_deactivate(principal=Principal.for_user(ctx.users["admin"]), user=former)
    seed_requests_and_versions(ctx, d01)


def seed_requests_and_versions(ctx, d01):
    """d01's head waits for its channel manager's answer on a new county; the program office drafts version 2 of
    the readiness questionnaire (not in use yet: the assessments answer version 1)."""
    from keychannel.core.scoping import Principal

    from . import coverage_requests, reference
    from .models import Coverage, ReadinessQuestionnaire, Territory
    from .request_models import CoverageRequest

    if not CoverageRequest.objects.filter(distributor=d01).exists():
        covered = set(Coverage.objects.filter(distributor=d01).values_list("territory_id", flat=True))
        county = Territory.objects.filter(level="county").exclude(pk__in=covered).order_by("code").first()
        line = d01.product_lines.order_by("code").first()
        if county is not None and line is not None:
            coverage_requests.coverage_request_create(
                principal=Principal.for_user(ctx.users["d01-head"]), distributor=d01, kind="add",
                territory=county, product_line=line, reason="We hired two salespeople living there.")
    if not ReadinessQuestionnaire.objects.filter(version=2).exists():
        reference.questionnaire_create(
            principal=Principal.for_user(ctx.users["program"]), title="Key-account readiness 2027",
            introduction="Answer each statement from 0 (not at all) to 4 (fully).",
            questions=[("need", "The owners are convinced the company needs key-account competence.", ""),
                       ("dedicated-people", "People are dedicated to large clients.", ""),
                       ("crm", "The sales team uses the CRM for its clients and deals.", ""),
                       ("buying-centre", "Salespeople map the buying centre of each key account.",
                        "0: never · 4: for every key account, kept up to date")])
