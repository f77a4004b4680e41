from datetime import date, datetime
from decimal import Decimal

from ninja import Field, FilterSchema, Schema

from .choices import (
    ActivityKind,
    Attention,
    ContractStatus,
    ForecastDimension,
    LostReason,
    Origin,
    SignoffKind,
    Stage,
    TestResult,
)


class UserRef(Schema):
    id: int
    username: str
    full_name: str = Field(..., alias="get_full_name")


class ClientRef(Schema):
    id: int
    legal_name: str
    territory_id: int | None


class OpportunityOut(Schema):
    id: int
    title: str
    client: ClientRef
    distributor_id: int | None
    external_id: str | None = Field(None, description="Your key for it in your own system (unique per distributor)")
    owner: UserRef
    mentor: UserRef | None
    kam: UserRef | None
    product_line_ids: list[int]
    value: Decimal
    volume: Decimal
    currency: str
    stage: Stage
    probability: int
    weighted_value: Decimal
    stage_entered_at: datetime
    lost_reason_code: str = Field(description="Why a lost deal was lost (a LostReason value); empty otherwise")
    lost_reason: str
    expected_close_on: date | None
    next_step: str
    next_step_on: date | None
    attention: list[Attention]
    origin: Origin
    source_reference: str
    closed_on: date | None
    contract_id: int | None
    created_at: datetime
    updated_at: datetime

    # A list's row is a dict read with its page (selectors.OpportunityRows); a detail, the deal itself, with its
    # product lines' ids read with its row on PostgreSQL (selectors.opportunity_api_get).
    @staticmethod
    def resolve_product_line_ids(obj):
        if isinstance(obj, dict):
            return obj["product_line_ids"]
        ids = getattr(obj, "product_line_ids", None)
        return ids if ids is not None else [pl.pk for pl in obj.product_lines.all()]

    @staticmethod
    def resolve_attention(obj):
        return obj["attention"] if isinstance(obj, dict) else obj.attention()


class StageChangeOut(Schema):
    from_stage: str
    to_stage: Stage
    changed_by_id: int | None
    changed_at: datetime
    note: str
    days_in_stage: float


class StageTimeOut(Schema):
    stage: Stage
    days: float


class OpportunityDetailOut(OpportunityOut):
    stage_history: list[StageChangeOut]
    time_in_stages: list[StageTimeOut]
    gate_override_reason: str = Field("", description="Why a manufacturer decider let the deal past the "
                                      "registration gate (empty: not overridden)")
    gate_override_rules: str = ""
    gate_override_by_id: int | None = None
    gate_override_at: datetime | None = None
    kept_until: date | None = Field(None, description="Client taken out of scope: the distributor keeps this deal "
                                    "until this day, then it is handed over to the manufacturer")
    handed_over_to_id: int | None = Field(None, description="The manufacturer-led project it was handed over to")
    handed_over_from_id: int | None = None
    test_override_reason: str = Field("", description="Why a manufacturer role won the deal although its product "
                                      "test was pending or failed (empty: not overridden)")
    test_override_by_id: int | None = None
    test_override_at: datetime | None = None


class OpportunityFilter(FilterSchema):
    q: str | None = Field(None, description="Search in title and client name")
    stage: Stage | None = None
    open: bool | None = Field(None, description="Only open stages")
    distributor_id: int | None = None
    direct: bool | None = Field(None, description="Only direct (manufacturer-led) deals")
    territory_id: int | None = Field(None, description="The client's territory")
    product_line_id: int | None = None
    owner_id: int | None = None
    client_id: int | None = None
    close_month: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    attention: Attention | None = None
    external_id: str | None = Field(None, description="The record with this external id (in your own book)")


class OpportunityIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    client_id: int
    direct: bool = Field(False, description="Manufacturer-led: no distributor (program office only)")
    owner_id: int | None = Field(None, description="Defaults to the caller")
    mentor_id: int | None = None
    kam_id: int | None = None
    product_line_ids: list[int] = []
    value: Decimal = Field(Decimal("0"), ge=0, max_digits=16, decimal_places=2)
    volume: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    stage: Stage = Stage.DISCUSSION
    expected_close_on: date | None = None
    next_step: str = Field("", max_length=250)
    next_step_on: date | None = None
    origin: Origin = Origin.MANUAL
    source_reference: str = Field("", max_length=120)
    gate_override_reason: str = Field("", max_length=500, description=(
        "Manufacturer deciders only: let the deal past the registration gate, with the reason (recorded)"))
    external_id: str | None = Field(None, max_length=100, description="Your key in your own system; unique per distributor")


class OpportunityPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    owner_id: int | None = None
    mentor_id: int | None = None
    kam_id: int | None = None
    product_line_ids: list[int] | None = None
    value: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    volume: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    expected_close_on: date | None = None
    next_step: str | None = Field(None, max_length=250)
    next_step_on: date | None = None
    source_reference: str | None = Field(None, max_length=120)
    external_id: str | None = Field(None, max_length=100, description="null or \"\" removes it")


class MoveIn(Schema):
    stage: Stage
    lost_reason_code: LostReason | None = Field(None, description=(
        "Lost only, required: why, from the list (price, competitor, incumbent, budget, technical, timing, other)"))
    lost_reason: str | None = Field(None, max_length=2000, description="Lost only: the details; required with other")
    note: str = Field("", max_length=300)
    contract_starts_on: date | None = Field(None, description="Won only: contract start (default today)")
    contract_ends_on: date | None = Field(None, description="Won only: contract end (default one year)")
    tier: str | None = Field(None, max_length=30, description="Won only: corporate program tier (its code)")
    tier_exception_reason: str | None = Field(None, max_length=2000, description=(
        "Won only, manufacturer roles only: keep the named tier although the contract's annual volume is below its "
        "threshold, with the reason (recorded on the contract)"))
    gate_override_reason: str = Field("", max_length=500, description=(
        "Manufacturer deciders only: let the deal past the registration gate, with the reason (recorded)"))
    test_override_reason: str = Field("", max_length=2000, description=(
        "Won only, manufacturer roles only: win although the product test is pending or failed, with the reason "
        "(recorded on the deal)"))


class ActivityOut(Schema):
    id: int
    opportunity_id: int
    kind: ActivityKind
    subject: str
    occurred_on: date
    outcome: str
    stakeholder_ids: list[int]
    participant_ids: list[int]
    product_test_id: int | None
    created_by_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_stakeholder_ids(obj):
        return [s.pk for s in obj.stakeholders.all()]

    @staticmethod
    def resolve_participant_ids(obj):
        return [u.pk for u in obj.participants.all()]


class ActivityIn(Schema):
    kind: ActivityKind = ActivityKind.MEETING
    subject: str = Field(..., min_length=1, max_length=200)
    occurred_on: date
    outcome: str = Field("", max_length=5000)
    stakeholder_ids: list[int] = []
    participant_ids: list[int] = []
    product_test_id: int | None = None


class ActivityPatch(Schema):
    kind: ActivityKind | None = None
    subject: str | None = Field(None, min_length=1, max_length=200)
    occurred_on: date | None = None
    outcome: str | None = Field(None, max_length=5000)
    stakeholder_ids: list[int] | None = None
    participant_ids: list[int] | None = None


class SignoffOut(Schema):
    id: int
    kind: SignoffKind
    stakeholder_id: int | None
    stakeholder_name: str = ""
    signed_by_id: int | None
    note: str
    recorded_by_id: int | None
    recorded_at: datetime

    @staticmethod
    def resolve_stakeholder_name(obj):
        return obj.stakeholder.full_name if obj.stakeholder_id else ""


class ApprovalIn(Schema):
    stakeholder_id: int = Field(..., description="A stakeholder named to sign the test off")
    note: str = Field("", max_length=500)


class SignoffIn(Schema):
    note: str = Field("", max_length=500)


class ProductTestOut(Schema):
    id: int
    opportunity_id: int
    title: str
    plan: str
    samples: str
    starts_on: date
    ends_on: date | None
    success_criteria: str
    signoff_stakeholder_ids: list[int]
    result: TestResult
    result_notes: str
    decided_on: date | None
    contract_id: int | None
    signoffs: list[SignoffOut] = Field(..., description="Recorded approvals: client stakeholders and manufacturer")
    pass_blockers: list[str] = Field(..., description="Why the test cannot be passed now (empty: it can)")
    legacy_signoff_note: str = ""

    @staticmethod
    def resolve_signoffs(obj):
        return list(obj.signoffs.all())

    @staticmethod
    def resolve_pass_blockers(obj):
        from .signoff import pass_blockers

        return pass_blockers(obj) if obj.result == TestResult.PENDING else []

    @staticmethod
    def resolve_signoff_stakeholder_ids(obj):
        return [s.pk for s in obj.signoff_stakeholders.all()]


class ProductTestIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    plan: str = Field("", max_length=5000)
    samples: str = Field("", max_length=5000)
    starts_on: date
    ends_on: date | None = None
    success_criteria: str = Field(..., min_length=1, max_length=5000)
    signoff_stakeholder_ids: list[int] = []


class ProductTestPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    plan: str | None = Field(None, max_length=5000)
    samples: str | None = Field(None, max_length=5000)
    starts_on: date | None = None
    ends_on: date | None = None
    success_criteria: str | None = Field(None, min_length=1, max_length=5000)
    signoff_stakeholder_ids: list[int] | None = None
    result: TestResult | None = None
    result_notes: str | None = Field(None, max_length=5000)
    decided_on: date | None = None


class ContractOut(Schema):
    id: int
    client: ClientRef
    distributor_id: int | None
    external_id: str | None = Field(None, description="Your key for it in your own system (unique per distributor)")
    owner_id: int | None
    starts_on: date
    ends_on: date
    renewal_on: date | None
    volume_commitment: Decimal
    value: Decimal
    tier: str = Field(description="The corporate program tier's code")
    tier_exception_reason: str = Field("", description=(
        "Why a manufacturer role kept a tier whose threshold the contract's annual volume does not reach"))
    tier_exception_by_id: int | None = None
    tier_exception_at: datetime | None = None
    annual_volume: Decimal = Field(description="Contract value per year of its term (RON), checked against the tier")
    status: ContractStatus
    notes: str
    ended_reason: str = Field("", description="Why the contract ended before its end date (empty: it did not)")
    days_left: int

    @staticmethod
    def resolve_days_left(obj):
        return obj.days_left()

    @staticmethod
    def resolve_tier(obj):
        return obj.tier_id

    @staticmethod
    def resolve_annual_volume(obj):
        return obj.annual_volume()


class ContractFilter(FilterSchema):
    expiring_within: int | None = Field(None, ge=0, le=3650, description="Active contracts ending within N days")
    status: ContractStatus | None = None
    distributor_id: int | None = None
    client_id: int | None = None
    external_id: str | None = Field(None, description="The record with this external id (in your own book)")


class ContractPatch(Schema):
    status: ContractStatus | None = None
    tier: str | None = Field(None, max_length=30, description="A corporate program tier's code")
    tier_exception_reason: str | None = Field(None, max_length=2000, description=(
        "Manufacturer roles only: keep the tier although the contract's annual volume is below its threshold"))
    ends_on: date | None = None
    renewal_on: date | None = None
    volume_commitment: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    notes: str | None = Field(None, max_length=5000)
    external_id: str | None = Field(None, max_length=100, description="null or \"\" removes it")


FORECAST_PAGE = 100  # by distributor there are thousands of rows: paged, with the totals of all
FORECAST_PAGE_MAX = 1000


class ForecastFilter(Schema):
    by: ForecastDimension = ForecastDimension.MONTH
    from_month: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    to_month: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    distributor_id: int | None = None
    territory_id: int | None = None
    product_line_id: int | None = None
    owner_id: int | None = None
    limit: int = Field(FORECAST_PAGE, ge=1, le=FORECAST_PAGE_MAX,
                       description="Rows in this page (the totals are those of every row).")
    offset: int = Field(0, ge=0, le=1_000_000, description="Rows skipped before this page.")


class ForecastRowOut(Schema):
    key: str
    label: str
    open_count: int
    pipeline: Decimal
    weighted: Decimal
    won_count: int
    won: Decimal


class ForecastOut(Schema):
    by: ForecastDimension
    rows: list[ForecastRowOut]
    totals: ForecastRowOut
    count: int | None = Field(..., description=(
        "Rows in all pages. Null by distributor over the whole network (no distributor filter), but on its last "
        "page: counting them would read every distributor's figures (follow next_offset instead)."))
    limit: int
    offset: int
    next_offset: int | None = Field(None, description="The offset of the next page; null on the last page.")


class StageProbabilityOut(Schema):
    stage: str
    label: str
    probability: int
    guidance: str
    fixed: bool  # won (100) and lost (0) do not change
    deals: int


class StageProbabilityIn(Schema):
    probability: int
    guidance: str | None = None
