from datetime import date, datetime
from decimal import Decimal

from ninja import Field, FilterSchema, Schema

from .choices import CaseStatus, CaseType, MessageKind, ServicePriority


class CaseFilter(FilterSchema):
    open: bool | None = Field(None, description="true: open cases; false: resolved or closed")
    status: CaseStatus | None = None
    priority: ServicePriority | None = None
    case_type: CaseType | None = None
    breached: bool | None = Field(None, description="A response or resolution target was breached")
    overdue: bool | None = Field(None, description="Open, not waiting on the client, past a due time")
    mine: bool | None = Field(None, description="Assigned to the caller")
    distributor_id: int | None = None
    client_id: int | None = None
    product_line_id: int | None = None


class CaseOut(Schema):
    id: int
    reference: str
    title: str
    description: str
    case_type: CaseType
    priority: ServicePriority
    status: CaseStatus
    client_id: int
    distributor_id: int | None
    product_line_id: int | None
    site: str
    contact_name: str
    contact_email: str
    source: str
    assignee_id: int | None
    opened_by_id: int | None
    taken_over_by_id: int | None
    taken_over_at: datetime | None
    tier: str = Field(description="The client's corporate tier when the case opened (its code)")
    response_hours: Decimal
    resolution_hours: Decimal
    opened_at: datetime
    response_due_at: datetime
    resolution_due_at: datetime
    first_response_at: datetime | None
    paused_at: datetime | None = Field(description="Waiting on the client since (the resolution clock is stopped)")
    paused_seconds: int
    resolved_at: datetime | None
    closed_at: datetime | None
    response_breached: bool
    resolution_breached: bool
    risk: str = Field(description="on_track, at_risk, breached, paused or met")
    rating: int | None
    rating_comment: str
    rated_at: datetime | None

    @staticmethod
    def resolve_tier(obj):
        return obj.tier.code

    @staticmethod
    def resolve_risk(obj):
        from .sla import risk

        return getattr(obj, "risk", None) or risk(obj)


class CaseIn(Schema):
    client_id: int
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10000)
    case_type: CaseType = CaseType.INCIDENT
    priority: ServicePriority = ServicePriority.NORMAL
    product_line_id: int | None = None
    site: str = Field("", max_length=200)
    contact_name: str = Field(min_length=1, max_length=120)
    contact_email: str = Field(min_length=3, max_length=254, description="Checked as an e-mail address")
    assignee_id: int | None = Field(None, description="A person of the client's serving distributor")


class CasePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, min_length=1, max_length=10000)
    case_type: CaseType | None = None
    priority: ServicePriority | None = None
    site: str | None = Field(None, max_length=200)


class MessageIn(Schema):
    kind: MessageKind = MessageKind.PUBLIC
    body: str = Field(min_length=1, max_length=10000)


class MessageOut(Schema):
    id: int
    kind: MessageKind
    author_id: int | None
    from_client: bool
    body: str
    has_attachment: bool
    created_at: datetime

    @staticmethod
    def resolve_has_attachment(obj):
        return bool(obj.attachment)


class StatusIn(Schema):
    status: CaseStatus
    note: str = Field("", max_length=2000)


class AssignIn(Schema):
    assignee_id: int | None = Field(None, description="A person of the client's serving distributor; null unassigns")


class TakeoverIn(Schema):
    reason: str = Field("", max_length=300)


class ReportFilter(Schema):
    by: str = Field("distributor", pattern="^(distributor|tier|product_line|month)$")
    date_from: date | None = Field(None, description="Resolved on or after")
    date_to: date | None = Field(None, description="Resolved on or before")
    distributor_id: int | None = None


class AttainmentRowOut(Schema):
    key: str
    label: str
    total: int = Field(description="Resolved cases")
    met: int = Field(description="Resolved cases with neither target breached")
    breached: int
    attainment: Decimal | None = Field(description="met / total, in %")
    rating: Decimal | None = Field(description="Average satisfaction rating (1–5)")


class SatisfactionOut(Schema):
    """NPS-style reading of 1–5 case ratings (docs/service.md): 5 promoter, 4 passive, 1–3 detractor."""

    ratings: int
    promoters: int
    passives: int
    detractors: int
    nps: int | None = Field(description="% promoters − % detractors, −100 … 100; null without ratings")
    average: Decimal | None
    histogram: list[int] = Field(description="How many ratings of 1, 2, 3, 4 and 5")


class ClientSatisfactionOut(Schema):
    client_id: int
    client_name: str
    rating: int = Field(description="The client's latest rating in the period")
    nps_class: str = Field(description="promoter, passive or detractor, from that rating")
    ratings: int


class SatisfactionReportOut(Schema):
    year: int
    summary: SatisfactionOut
    clients: list[ClientSatisfactionOut]


class SatisfactionFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="Ratings given in this year (default: this year)")
    distributor_id: int | None = None
    client_id: int | None = None


class HealthOut(Schema):
    open: int
    at_risk: int
    resolved: int
    attainment: Decimal | None
    breached: int
    rated: int
    rating: Decimal | None
    incidents: int
    satisfaction: SatisfactionOut
    poor: bool


class IntakeLinkOut(Schema):
    id: int
    url: str = Field(description="The public case form; shown once, send it to the client's contact")
    email: str = Field("", description="The client's service address: mail to it opens a case (empty when mail-in "
                                       "is off); shown once, like the link")
