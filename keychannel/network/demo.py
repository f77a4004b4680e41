"""Demo network: Romania's development regions and counties, eight product lines, 24 distributors with users."""

from datetime import date
from decimal import Decimal

from django.utils.text import slugify

from keychannel.core.choices import OrganizationKind, Role
from keychannel.core.demo import ensure_user
from keychannel.core.models import Organization

from .choices import ContractStrength, Sharing, SizeTier, Stance, TerritoryLevel
from .models import Distributor, ProductLine, Territory

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
