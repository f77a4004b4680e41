from datetime import date, datetime
from decimal import Decimal

from ninja import Field, FilterSchema, Schema

from .choices import (
    ActionStatus,
    BuyingRole,
    ClientStatus,
    CompetitorPosition,
    ObjectiveStatus,
    RelationshipLevel,
    RevenueBand,
    StakeholderLevel,
    StakeholderLinkKind,
)


class RiskFlagOut(Schema):
    code: str
    message: str
    people: list[int] = []


class ClientOut(Schema):
    id: int
    legal_name: str
    normalized_name: str
    tax_id: str
    code: str
    external_id: str | None = Field(None, description="Your key for it in your own system (unique per distributor)")
    distributor_id: int | None = Field(None, description="Serving distributor; null means direct (manufacturer-led).")
    distributor_name: str | None = None
    industry: str
    employees: int | None
    revenue_band: RevenueBand | str
    territory_id: int | None
    city: str
    potential_annual_volume: Decimal
    status: ClientStatus
    is_key_account: bool
    why_chose_us: str
    out_of_scope: bool
    out_of_scope_since: datetime | None
    archived_at: datetime | None = Field(None, description="Set: archived, out of the default lists")
    coverage_score: int | None
    risk_flags: list[RiskFlagOut]
    created_at: datetime

    @staticmethod
    def resolve_distributor_name(obj):
        return obj.distributor.legal_name if obj.distributor_id else None


class ClientFilter(FilterSchema):
    search: str | None = Field(None, description="Name (diacritics, case and legal forms ignored), tax id or code")
    status: ClientStatus | None = None
    is_key_account: bool | None = None
    distributor_id: int | None = None
    direct: bool | None = Field(None, description="true: only direct clients; false: only distributor clients")
    territory_id: int | None = None
    revenue_band: RevenueBand | None = None
    industry: str | None = None
    at_risk: bool | None = None
    archived: bool | None = Field(None, description="true: only archived clients (left out otherwise)")
    external_id: str | None = Field(None, description="The record with this external id (in your own book)")


class ClientIn(Schema):
    legal_name: str = Field(..., min_length=1, max_length=200)
    tax_id: str = Field("", max_length=20)
    code: str = Field("", max_length=40)
    distributor_id: int | None = Field(
        None, description="Manufacturer roles choose the book (null = direct); distributor users always get their own."
    )
    industry: str = Field("", max_length=120)
    employees: int | None = Field(None, ge=0, le=10_000_000)
    revenue_band: RevenueBand | None = None
    territory_id: int | None = None
    city: str = Field("", max_length=120)
    potential_annual_volume: Decimal = Field(Decimal(0), ge=0, max_digits=16, decimal_places=2)
    status: ClientStatus = ClientStatus.PROSPECT
    is_key_account: bool = False
    why_chose_us: str = ""
    confirm_not_duplicate: bool = Field(False, description="Create although similar names exist (not for equal tax ids).")
    external_id: str | None = Field(None, max_length=100, description="Your key in your own system; unique per distributor")


class ClientPatch(Schema):
    legal_name: str | None = Field(None, min_length=1, max_length=200)
    tax_id: str | None = Field(None, max_length=20)
    code: str | None = Field(None, max_length=40)
    distributor_id: int | None = None
    industry: str | None = Field(None, max_length=120)
    employees: int | None = Field(None, ge=0, le=10_000_000)
    revenue_band: RevenueBand | None = None
    territory_id: int | None = None
    city: str | None = Field(None, max_length=120)
    potential_annual_volume: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    status: ClientStatus | None = None
    is_key_account: bool | None = None
    why_chose_us: str | None = None
    external_id: str | None = Field(None, max_length=100, description="null or \"\" removes it")


class DuplicateCheckIn(Schema):
    legal_name: str = Field("", max_length=200)
    tax_id: str = Field("", max_length=20)
    exclude_id: int | None = None


class DuplicateCandidateOut(Schema):
    id: int
    legal_name: str
    tax_id: str
    distributor_id: int | None
    distributor_name: str | None
    status: str
    score: int
    reason: str


class DuplicateCheckOut(Schema):
    candidates: list[DuplicateCandidateOut]
    served_elsewhere: bool = Field(..., description="A match exists outside your reach; no details are given.")
    message: str


class DuplicateConflictOut(DuplicateCheckOut):
    detail: str
    exact: bool


class MergeIn(Schema):
    duplicate_id: int = Field(..., description="The client to absorb into the one in the path.")


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_client_id: int
    merged_legal_name: str
    repointed: dict[str, int]


class AnalysisOut(Schema):
    client_id: int
    score: int
    at_risk: bool
    stakeholders: int
    engaged: int
    flags: list[RiskFlagOut]


class ContactOut(Schema):
    user_id: int
    name: str
    current_level: RelationshipLevel
    desired_level: RelationshipLevel


class StakeholderOut(Schema):
    id: int
    client_id: int
    full_name: str
    job_title: str
    level: StakeholderLevel
    reports_to_id: int | None
    buying_roles: list[BuyingRole]
    influence: int
    attitude: int
    personal_interests: str
    company_interests: str
    is_external: bool
    external_organization: str
    email: str
    phone: str
    last_contact_on: date | None
    version: int = Field(..., description="Send it back in a PATCH to be told (409) when someone changed the person meanwhile.")
    known_by: list[ContactOut]

    @staticmethod
    def resolve_known_by(obj):
        return [
            {
                "user_id": c.user_id,
                "name": c.user.get_full_name() or c.user.username,
                "current_level": c.current_level,
                "desired_level": c.desired_level,
            }
            for c in obj.contacts.all()
        ]


class StakeholderIn(Schema):
    full_name: str = Field(..., min_length=1, max_length=150)
    job_title: str = Field("", max_length=150)
    level: StakeholderLevel = StakeholderLevel.MIDDLE_MANAGER
    reports_to_id: int | None = None
    buying_roles: list[BuyingRole] = []
    influence: int = Field(3, ge=1, le=5)
    attitude: int = Field(0, ge=-2, le=2)
    personal_interests: str = ""
    company_interests: str = ""
    is_external: bool = False
    external_organization: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    last_contact_on: date | None = None


class StakeholderPatch(Schema):
    full_name: str | None = Field(None, min_length=1, max_length=150)
    job_title: str | None = Field(None, max_length=150)
    level: StakeholderLevel | None = None
    reports_to_id: int | None = None
    buying_roles: list[BuyingRole] | None = None
    influence: int | None = Field(None, ge=1, le=5)
    attitude: int | None = Field(None, ge=-2, le=2)
    personal_interests: str | None = None
    company_interests: str | None = None
    is_external: bool | None = None
    external_organization: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    last_contact_on: date | None = None
    version: int | None = Field(
        None, ge=1, description="The version the edit is based on: when the person changed since, 409 and nothing is saved."
    )


class ContactIn(Schema):
    user_id: int
    current_level: RelationshipLevel = RelationshipLevel.ACQUAINTED
    desired_level: RelationshipLevel = RelationshipLevel.TRUSTED


class LinkIn(Schema):
    source_id: int
    target_id: int
    kind: StakeholderLinkKind
    note: str = Field("", max_length=250)


class LinkOut(Schema):
    id: int
    source_id: int
    target_id: int
    kind: StakeholderLinkKind
    note: str


class ProductLineRef(Schema):
    id: int
    name: str


class ObjectiveOut(Schema):
    id: int
    title: str
    measure: str
    owner_id: int | None
    due_on: date | None
    status: ObjectiveStatus
    result: str


class ActionOut(Schema):
    id: int
    title: str
    objective_id: int | None
    owner_id: int | None
    due_on: date | None
    status: ActionStatus
    result: str


class CompetitorOut(Schema):
    id: int
    name: str
    position: CompetitorPosition
    products: str
    note: str


class AccountPlanOut(Schema):
    client_id: int
    ambition: str
    situation: str
    owner_id: int | None
    review_on: date | None
    objectives: list[ObjectiveOut]
    actions: list[ActionOut]
    competitors: list[CompetitorOut]
    whitespace: list[ProductLineRef]
    bought: list[ProductLineRef]


class AccountPlanPatch(Schema):
    ambition: str | None = None
    situation: str | None = None
    owner_id: int | None = None
    review_on: date | None = None


class ObjectiveIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    measure: str = Field("", max_length=200)
    owner_id: int | None = None
    due_on: date | None = None
    status: ObjectiveStatus = ObjectiveStatus.OPEN
    result: str = ""


class ObjectivePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    measure: str | None = Field(None, max_length=200)
    owner_id: int | None = None
    due_on: date | None = None
    status: ObjectiveStatus | None = None
    result: str | None = None


class ActionIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    objective_id: int | None = None
    owner_id: int | None = None
    due_on: date | None = None
    status: ActionStatus = ActionStatus.PLANNED
    result: str = ""


class ActionPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    objective_id: int | None = None
    owner_id: int | None = None
    due_on: date | None = None
    status: ActionStatus | None = None
    result: str | None = None


class CompetitorIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    position: CompetitorPosition = CompetitorPosition.INCUMBENT
    products: str = Field("", max_length=200)
    note: str = Field("", max_length=250)


class CompetitorPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=150)
    position: CompetitorPosition | None = None
    products: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=250)
