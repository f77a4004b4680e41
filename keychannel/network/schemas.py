from datetime import date
from decimal import Decimal

from ninja import Field, FilterSchema, Schema

from .choices import ContractStrength, Sharing, SizeTier, Stance, TerritoryLevel


class TerritoryOut(Schema):
    id: int
    name: str
    code: str
    level: TerritoryLevel
    parent_id: int | None


class ProductLineOut(Schema):
    id: int
    name: str
    code: str
    description: str
    active: bool


class UserRefOut(Schema):
    id: int
    username: str
    full_name: str = Field(..., alias="get_full_name")


class DistributorRefOut(Schema):
    id: int
    code: str
    legal_name: str


class DistributorOut(Schema):
    id: int
    distributor_id: int = Field(..., alias="id", description="Same as id: every distributor record carries it.")
    code: str
    legal_name: str
    tax_id: str
    territory_id: int
    city: str
    size_tier: SizeTier
    annual_revenue: Decimal
    employees: int
    contract_strength: ContractStrength
    stance: Stance
    shares_goals: Sharing
    shares_methods: Sharing
    alignment_quadrant: str
    channel_manager: UserRefOut | None
    product_line_ids: list[int]
    contract_start: date | None
    active: bool

    @staticmethod
    def resolve_product_line_ids(obj):
        return [pl.pk for pl in obj.product_lines.all()]


class DistributorFilter(FilterSchema):
    q: str | None = Field(None, description="Search in legal name, code, tax id and city")
    size_tier: SizeTier | None = None
    contract_strength: ContractStrength | None = None
    stance: Stance | None = None
    shares_goals: Sharing | None = None
    shares_methods: Sharing | None = None
    territory_id: int | None = None
    channel_manager_id: int | None = None


class DistributorPatch(Schema):
    legal_name: str | None = Field(None, min_length=1, max_length=200)
    size_tier: SizeTier | None = None
    contract_strength: ContractStrength | None = None
    stance: Stance | None = None
    shares_goals: Sharing | None = None
    shares_methods: Sharing | None = None
    annual_revenue: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    employees: int | None = Field(None, ge=0, le=10_000_000)
    channel_manager_id: int | None = None
    active: bool | None = None


class TerritoryFilter(FilterSchema):
    q: str | None = None
    level: TerritoryLevel | None = None
    parent_id: int | None = None


class CoverageOut(Schema):
    id: int
    distributor_id: int
    distributor_code: str = Field(..., alias="distributor.code")
    territory_id: int
    territory_name: str = Field(..., alias="territory.name")
    product_line_id: int
    exclusive: bool
    valid_from: date
    valid_to: date | None
    note: str


class CoverageFilter(FilterSchema):
    distributor_id: int | None = None
    territory_id: int | None = None
    product_line_id: int | None = None
    on_date: date | None = Field(None, description="Only coverage in force on this date")
    exclusive: bool | None = None


class CoverageIn(Schema):
    distributor_id: int
    territory_id: int
    product_line_id: int
    exclusive: bool = False
    valid_from: date
    valid_to: date | None = None
    note: str = Field("", max_length=250)


class CoveragePatch(Schema):
    territory_id: int | None = None
    product_line_id: int | None = None
    exclusive: bool | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    note: str | None = Field(None, max_length=250)


class EligibleOut(Schema):
    territory_id: int
    product_line_id: int
    on_date: date
    distributors: list[DistributorRefOut]
