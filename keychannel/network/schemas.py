from datetime import date
from decimal import Decimal

from ninja import Field, FilterSchema, Schema

from keychannel.core.api_rows import related_ids

from .choices import (
    ActionStatus,
    ContractStrength,
    DistributorKind,
    InteractionKind,
    PersonLevel,
    RelationshipLevel,
    ReviewStatus,
    Severity,
    Sharing,
    SizeTier,
    Stance,
    TerritoryLevel,
)


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


class TerritoryIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    code: str = Field("", max_length=40, description="Made from the name when empty")
    level: TerritoryLevel
    parent_id: int | None = None


class TerritoryPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    code: str | None = Field(None, max_length=40)
    level: TerritoryLevel | None = None
    parent_id: int | None = None


class ProductLineIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    code: str = Field("", max_length=40, description="Made from the name when empty")
    description: str = ""
    active: bool = True


class ProductLinePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    code: str | None = Field(None, max_length=40)
    description: str | None = None
    active: bool | None = None


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
    external_id: str | None = Field(None, description="The manufacturer's key in its own system (unique in the network)")
    territory_id: int
    kind: DistributorKind
    city: str
    website: str = ""
    about: str = ""
    size_tier: SizeTier
    annual_revenue: Decimal
    employees: int
    contract_strength: ContractStrength
    # The manufacturer's internal assessment: null for distributor users (the selector blanks it, redaction.py).
    stance: Stance | None
    shares_goals: Sharing | None
    shares_methods: Sharing | None
    alignment_quadrant: str | None
    channel_manager: UserRefOut | None
    product_line_ids: list[int]
    contract_start: date | None
    active: bool
    sole_channel: bool = Field(False, description="Today the only distributor that may sell some product line in some "
                                                   "territory (GET /distributors/{id}/sole-channel lists the cells).")

    @staticmethod
    def resolve_product_line_ids(obj):
        return related_ids(obj, "product_lines")  # the API list prefetches the ids (core.api_rows.with_related_ids)

    @staticmethod
    def resolve_sole_channel(obj, context):
        from .selectors import sole_channel_index

        pk = obj["id"] if isinstance(obj, dict) else obj.pk  # the list's value rows (distributor_rows), a detail's record
        return sole_channel_index((context or {}).get("request")).distributor_is_sole(pk)


class DistributorFilter(FilterSchema):
    q: str | None = Field(None, description="Search in legal name, code, tax id and city")
    kind: DistributorKind | None = None
    size_tier: SizeTier | None = None
    contract_strength: ContractStrength | None = None
    stance: Stance | None = None
    shares_goals: Sharing | None = None
    shares_methods: Sharing | None = None
    territory_id: int | None = None
    channel_manager_id: int | None = None
    external_id: str | None = Field(None, description="The distributor with this external id")


class DistributorPatch(Schema):
    legal_name: str | None = Field(None, min_length=1, max_length=200)
    kind: DistributorKind | None = None
    size_tier: SizeTier | None = None
    contract_strength: ContractStrength | None = None
    stance: Stance | None = None
    shares_goals: Sharing | None = None
    shares_methods: Sharing | None = None
    annual_revenue: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    employees: int | None = Field(None, ge=0, le=10_000_000)
    channel_manager_id: int | None = None
    active: bool | None = None
    external_id: str | None = Field(None, max_length=100, description="null or \"\" removes it")


class DistributorIn(Schema):
    code: str = Field(..., min_length=1, max_length=20, description="Lowercase letters, digits and dashes")
    legal_name: str = Field(..., min_length=1, max_length=200)
    tax_id: str = Field(..., min_length=1, max_length=20)
    territory_id: int
    kind: DistributorKind = DistributorKind.WHOLESALER
    city: str = Field("", max_length=120)
    address: str = Field("", max_length=250)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    size_tier: SizeTier = SizeTier.MEDIUM
    annual_revenue: Decimal = Field(Decimal(0), ge=0, max_digits=16, decimal_places=2)
    employees: int = Field(0, ge=0, le=10_000_000)
    contract_strength: ContractStrength = ContractStrength.WEAK
    channel_manager_id: int | None = None
    product_line_ids: list[int] = []
    contract_start: date | None = None
    external_id: str | None = Field(None, max_length=100, description="The manufacturer's key in its own system")


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
    sole_channel: bool = Field(False, description="Today this coverage makes its distributor the only one that may sell "
                                                   "the line somewhere in the territory.")

    @staticmethod
    def resolve_sole_channel(obj, context):
        from .selectors import sole_channel_index

        return sole_channel_index((context or {}).get("request")).coverage_is_sole(obj)


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


# --- people and relationships -------------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    distributor_id: int
    full_name: str
    level: PersonLevel
    tier: RelationshipLevel
    title: str
    email: str
    phone: str
    notes: str
    active: bool


class PersonFilter(FilterSchema):
    distributor_id: int | None = None
    level: PersonLevel | None = None
    active: bool | None = None
    q: str | None = None


class PersonIn(Schema):
    distributor_id: int
    full_name: str = Field(..., min_length=1, max_length=160)
    level: PersonLevel
    title: str = Field("", max_length=120)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    notes: str = ""
    active: bool = True


class PersonPatch(Schema):
    full_name: str | None = Field(None, min_length=1, max_length=160)
    level: PersonLevel | None = None
    title: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    notes: str | None = None
    active: bool | None = None


class RelationshipOut(Schema):
    id: int
    distributor_id: int = Field(..., alias="person.distributor_id")
    person_id: int
    person_name: str = Field(..., alias="person.full_name")
    manufacturer_user: UserRefOut
    manufacturer_level: RelationshipLevel
    person_level: RelationshipLevel = Field(..., alias="person.tier")
    # The manufacturer's internal assessment: null for distributor users (the selector blanks it, redaction.py).
    strength: int | None
    last_interaction: date | None
    note: str | None
    active: bool
    interaction_total: int = 0


class RelationshipFilter(FilterSchema):
    distributor_id: int | None = None
    person_id: int | None = None
    manufacturer_user_id: int | None = None
    active: bool | None = None


class RelationshipIn(Schema):
    person_id: int
    manufacturer_user_id: int
    manufacturer_level: RelationshipLevel = RelationshipLevel.MIDDLE
    strength: int = Field(3, ge=1, le=5)
    last_interaction: date | None = None
    note: str = ""
    active: bool = True


class RelationshipPatch(Schema):
    manufacturer_level: RelationshipLevel | None = None
    strength: int | None = Field(None, ge=1, le=5)
    last_interaction: date | None = None
    note: str | None = None
    active: bool | None = None


class InteractionIn(Schema):
    occurred_on: date
    kind: InteractionKind = InteractionKind.MEETING
    summary: str = Field(..., min_length=1, max_length=5000)


class InteractionOut(Schema):
    id: int
    relationship_id: int
    occurred_on: date
    kind: InteractionKind
    summary: str


class HealthFlagOut(Schema):
    code: str
    severity: Severity
    message: str


class HealthOut(Schema):
    distributor_id: int
    stale_days: int
    flags: list[HealthFlagOut]


# --- readiness and reviews ----------------------------------------------------------------------------------------


class AnswerOut(Schema):
    question: str = Field(..., alias="question.code")
    value: int


class ActionItemOut(Schema):
    id: int
    assessment_id: int
    title: str
    owner_id: int | None
    due_on: date
    status: ActionStatus


class ReadinessOut(Schema):
    id: int
    distributor_id: int
    questionnaire_version: int = Field(..., alias="questionnaire.version")
    assessed_on: date
    assessed_by_id: int | None
    score: int
    summary: str
    answers: list[AnswerOut]

    @staticmethod
    def resolve_answers(obj):
        return list(obj.answers.all())


class ReadinessFilter(FilterSchema):
    distributor_id: int | None = None
    since: date | None = None


class ReadinessIn(Schema):
    distributor_id: int
    assessed_on: date
    answers: dict[str, int] = Field(..., description="question code → 0…4, every question of the version in use")
    summary: str = ""


class ActionItemIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    owner_id: int | None = None
    due_on: date
    status: ActionStatus = ActionStatus.OPEN


class ActionItemPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    owner_id: int | None = None
    due_on: date | None = None
    status: ActionStatus | None = None


class ReviewOut(Schema):
    id: int
    distributor_id: int
    period: str
    reviewed_on: date
    reviewer_id: int | None
    status: ReviewStatus
    findings: str
    agreed_actions: str
    follow_up_on: date | None
    follow_up_notes: str


class ReviewFilter(FilterSchema):
    distributor_id: int | None = None
    status: ReviewStatus | None = None


class ReviewIn(Schema):
    distributor_id: int
    period: str = Field(..., min_length=1, max_length=40)
    reviewed_on: date
    status: ReviewStatus = ReviewStatus.PLANNED
    findings: str = ""
    agreed_actions: str = ""
    follow_up_on: date | None = None
    follow_up_notes: str = ""


class ReviewPatch(Schema):
    period: str | None = Field(None, min_length=1, max_length=40)
    reviewed_on: date | None = None
    status: ReviewStatus | None = None
    findings: str | None = None
    agreed_actions: str | None = None
    follow_up_on: date | None = None
    follow_up_notes: str | None = None


class QuestionIn(Schema):
    code: str = Field("", max_length=40, description="Made from the text when empty")
    text: str = Field(..., min_length=1, max_length=250)
    help_text: str = Field("", max_length=250)


class QuestionOut(Schema):
    id: int
    position: int
    code: str
    text: str
    help_text: str


class QuestionnaireOut(Schema):
    id: int
    version: int
    title: str
    introduction: str
    active: bool
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj):
        return list(obj.questions.all())


class QuestionnaireIn(Schema):
    title: str = Field(..., min_length=1, max_length=160)
    introduction: str = ""
    questions: list[QuestionIn]


class QuestionnairePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=160)
    introduction: str | None = None
    questions: list[QuestionIn] | None = None
