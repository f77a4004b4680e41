from datetime import date, datetime
from decimal import Decimal

from ninja import Field, FilterSchema, Schema

from keychannel.core.pagination import MAX_OFFSET

from .choices import (
    EventKind,
    EventStatus,
    GoalLevel,
    ProgramStatus,
    Rsvp,
    RuleKind,
    RuleStatus,
    SignoffDecision,
    SupportKind,
    SupportStatus,
)


class ProgramOut(Schema):
    id: int
    name: str
    strategy: str
    manager_id: int
    starts_on: date
    ends_on: date
    status: ProgramStatus
    launched_at: datetime | None
    override_reason: str
    version: int
    revision_note: str
    withdrawn_reason: str

    @staticmethod
    def resolve_revision_note(obj, context):
        # The revision answers the executives' sign-off, which is manufacturer knowledge (as the sign-offs are).
        request = (context or {}).get("request")
        principal = getattr(request, "principal", None)
        return obj.revision_note if principal is not None and principal.is_manufacturer else ""


class ProgramIn(Schema):
    name: str = Field(..., min_length=1, max_length=160)
    strategy: str = Field(..., min_length=1)
    manager_id: int
    starts_on: date
    ends_on: date


class ProgramPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=160)
    strategy: str | None = Field(None, min_length=1)
    manager_id: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class ProgramFilter(FilterSchema):
    q: str | None = None
    status: ProgramStatus | None = None
    year: int | None = Field(None, ge=2000, le=2100, description="Programs starting in this year")


class SignoffIn(Schema):
    decision: SignoffDecision
    comment: str = Field("", max_length=4000)


class SignoffOut(Schema):
    id: int
    program_id: int
    executive_id: int
    decision: SignoffDecision
    comment: str
    version: int
    updated_at: datetime


class ReasonIn(Schema):
    reason: str = Field("", max_length=4000)


class LaunchIn(Schema):
    override_reason: str = Field("", max_length=4000)


class GoalOut(Schema):
    id: int
    program_id: int
    parent_id: int | None
    level: GoalLevel
    name: str
    distributor_id: int | None
    metric: str
    target: Decimal
    starts_on: date
    ends_on: date
    actual: Decimal | None = Field(None, description="Computed from the data; null when the metric is not available yet.")
    target_to_date: Decimal
    status: str


class GoalIn(Schema):
    program_id: int
    parent_id: int | None = None
    level: GoalLevel
    name: str = Field("", max_length=160)
    distributor_id: int | None = None
    metric: str = Field(..., max_length=40)
    target: Decimal = Field(..., ge=0, max_digits=16, decimal_places=2)
    starts_on: date | None = None
    ends_on: date | None = None


class GoalPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=160)
    target: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    starts_on: date | None = None
    ends_on: date | None = None


class GoalFilter(FilterSchema):
    """filters.GOAL_FILTERS: the goals page draws level, metric and distributor; the API takes them all."""

    program_id: int | None = None
    parent_id: int | None = None
    distributor_id: int | None = None
    level: GoalLevel | None = None
    metric: str | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class BudgetFilter(FilterSchema):
    year: int | None = Field(None, ge=2000, le=2100)
    distributor_id: int | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class RuleOut(Schema):
    id: int
    program_id: int
    code: str
    version: int
    kind: RuleKind
    title: str
    text: str
    parameters: dict
    status: RuleStatus
    published_at: datetime | None


class RuleIn(Schema):
    program_id: int
    code: str = Field(..., min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: RuleKind
    title: str = Field(..., min_length=1, max_length=160)
    text: str = Field(..., min_length=1)
    parameters: dict = Field(default_factory=dict)


class RuleFilter(FilterSchema):
    program_id: int | None = None
    kind: RuleKind | None = None
    status: RuleStatus | None = None


class AcknowledgementOut(Schema):
    id: int
    rule_id: int
    distributor_id: int
    acknowledged_by_id: int
    created_at: datetime


class EventOut(Schema):
    id: int
    program_id: int | None
    title: str
    kind: EventKind
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    status: EventStatus
    open_to_all: bool


class EventIn(Schema):
    program_id: int | None = None
    title: str = Field(..., min_length=1, max_length=160)
    kind: EventKind
    description: str = ""
    location: str = Field("", max_length=200)
    starts_at: datetime
    ends_at: datetime
    status: EventStatus = EventStatus.DRAFT
    open_to_all: bool = False


class EventFilter(FilterSchema):
    kind: EventKind | None = None
    status: EventStatus | None = None
    program_id: int | None = None
    year: int | None = Field(None, ge=2000, le=2100)
    q: str | None = None


class InviteIn(Schema):
    distributor_ids: list[int] = Field(default_factory=list)
    user_ids: list[int] = Field(default_factory=list)


class InvitationOut(Schema):
    id: int
    event_id: int
    user_id: int
    distributor_id: int | None
    rsvp: Rsvp
    attended: bool | None


class RsvpIn(Schema):
    rsvp: Rsvp


class BudgetOut(Schema):
    id: int
    distributor_id: int
    year: int
    amount: Decimal
    committed: Decimal = Field(..., alias="committed_amount")
    remaining: Decimal = Field(..., alias="remaining_amount")


class SupportOut(Schema):
    id: int
    distributor_id: int
    budget_id: int | None
    kind: SupportKind
    title: str
    description: str
    status: SupportStatus
    amount_requested: Decimal
    amount_approved: Decimal
    amount_claimed: Decimal
    decision_note: str
    has_proof: bool

    @staticmethod
    def resolve_has_proof(obj):
        return bool(obj.proof)


class SupportReturnOut(Schema):
    """The return on a funded activity (docs/program.md, "Return on support")."""

    window_start: date
    window_end: date
    spend: Decimal
    attributed_registrations: int
    attributed_pipeline_value: Decimal
    attributed_won_deals: int
    attributed_won_value: Decimal
    attributed_sell_out: Decimal
    ratio: Decimal | None = Field(None, description="Attributed won value per RON spent")


class SupportDetailOut(SupportOut):
    client_id: int | None
    return_months: int
    amount_claimable: Decimal
    return_on_support: SupportReturnOut | None = None


class SupportIn(Schema):
    distributor_id: int
    kind: SupportKind
    title: str = Field(..., min_length=1, max_length=160)
    description: str = Field(..., min_length=1)
    amount_requested: Decimal = Field(Decimal(0), ge=0, max_digits=16, decimal_places=2)
    client_id: int | None = None
    return_months: int = Field(12, ge=1, le=60)


class SupportDecisionIn(Schema):
    approve: bool
    amount_approved: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    note: str = ""


class SupportFilter(FilterSchema):
    kind: SupportKind | None = None
    status: SupportStatus | None = None
    distributor_id: int | None = None


class CourseOut(Schema):
    id: int
    code: str
    title: str
    description: str
    certificate_title: str
    published: bool


class EnrollmentOut(Schema):
    id: int
    course_id: int
    user_id: int
    distributor_id: int | None
    completed_at: datetime | None
    certificate_number: str


class BestPracticeOut(Schema):
    id: int
    distributor_id: int
    title: str
    story: str
    lessons: str
    deal_id: int | None
    deal_reference: str
    status: str


class ServiceLevelOut(Schema):
    priority: str
    response_hours: Decimal = Field(description="First response within, in business hours")
    resolution_hours: Decimal = Field(description="Resolution within, in business hours")


class TierOut(Schema):
    id: int
    name: str
    code: str
    min_annual_volume: Decimal
    discount_percent: Decimal
    service_level: str
    active: bool
    service_levels: list[ServiceLevelOut] = Field(description="Structured targets per case priority")

    @staticmethod
    def resolve_service_levels(obj):
        return list(obj.service_levels.all())
