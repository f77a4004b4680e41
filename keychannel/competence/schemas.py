from datetime import date, datetime

from ninja import Field, FilterSchema, Schema
from pydantic import field_validator

from keychannel.network.schemas import UserRefOut

from .choices import ConsultationStatus, KamDuty, TaskPriority, TaskStatus


class CleanIn(Schema):
    """Input whose text never carries NUL characters (PostgreSQL refuses them): 422, not 500."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        return value


class DistributorRefOut(Schema):
    id: int
    code: str
    legal_name: str


class ClientRefOut(Schema):
    id: int
    legal_name: str


class DealRefOut(Schema):
    id: int
    title: str


class MentorshipOut(Schema):
    id: int
    mentor: UserRefOut
    distributor: DistributorRefOut
    distributor_id: int
    client: ClientRefOut | None
    opportunity: DealRefOut | None
    scope: str
    starts_on: date
    ends_on: date | None
    focus: str
    session_count: int = 0


class MentorshipIn(CleanIn):
    mentor_id: int
    distributor_id: int
    client_id: int | None = None
    opportunity_id: int | None = Field(None, description="Mentor this one deal (its distributor must match)")
    starts_on: date | None = None
    ends_on: date | None = None
    focus: str = Field("", max_length=2000)


class MentorshipFilter(FilterSchema):
    mentor_id: int | None = None
    distributor_id: int | None = None
    active: bool | None = None


class SessionOut(Schema):
    id: int
    mentorship_id: int
    held_on: date
    participants: str
    topic: str
    outcome: str
    next_step: str
    next_step_due: date | None


class SessionIn(CleanIn):
    held_on: date
    participants: str = Field(..., min_length=1, max_length=2000)
    topic: str = Field(..., min_length=1, max_length=200)
    outcome: str = Field("", max_length=5000)
    next_step: str = Field("", max_length=250)
    next_step_due: date | None = None


class WorkloadRowOut(Schema):
    mentor: UserRefOut
    distributors: int
    clients: int
    deals: int
    sessions_per_month: dict[str, int]
    load: int


class DutyOut(Schema):
    code: KamDuty
    label: str


class AssignmentOut(Schema):
    id: int
    kam: UserRefOut
    distributor: DistributorRefOut
    distributor_id: int
    starts_on: date
    ends_on: date | None
    charter: str
    duties: list[DutyOut]
    open_tasks: int = 0

    @staticmethod
    def resolve_duties(obj):
        return [{"code": code, "label": str(label)} for code, label in KamDuty.choices]


class AssignmentIn(CleanIn):
    kam_id: int
    distributor_id: int
    starts_on: date | None = None
    ends_on: date | None = None
    charter: str = Field("", max_length=5000)


class AssignmentFilter(FilterSchema):
    kam_id: int | None = None
    distributor_id: int | None = None
    active: bool | None = None


class KamTaskOut(Schema):
    id: int
    distributor: DistributorRefOut
    distributor_id: int
    kam: UserRefOut
    duty: KamDuty
    title: str
    description: str
    priority: TaskPriority
    status: TaskStatus
    due_on: date | None
    client: ClientRefOut | None
    created_by: UserRefOut | None
    cancel_reason: str
    created_at: datetime
    updated_at: datetime


class KamTaskIn(CleanIn):
    distributor_id: int
    kam_id: int
    duty: KamDuty
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    priority: TaskPriority = TaskPriority.NORMAL
    due_on: date | None = None
    client_id: int | None = None


class KamTaskPatch(CleanIn):
    kam_id: int | None = None
    duty: KamDuty | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    priority: TaskPriority | None = None
    due_on: date | None = None
    client_id: int | None = None


class KamTaskBulkIn(Schema):
    tasks: list[KamTaskIn] = Field(..., min_length=1, max_length=500)


class KamTaskStatusIn(CleanIn):
    status: TaskStatus
    comment: str = Field("", max_length=5000)


class KamTaskCancelIn(CleanIn):
    reason: str = Field("", max_length=250)


class CommentIn(CleanIn):
    body: str = Field(..., min_length=1, max_length=5000)


class CommentOut(Schema):
    id: int
    task_id: int
    author: UserRefOut
    body: str
    created_at: datetime


class KamTaskFilter(FilterSchema):
    status: TaskStatus | None = None
    duty: KamDuty | None = None
    priority: TaskPriority | None = None
    kam_id: int | None = None
    distributor_id: int | None = None
    client_id: int | None = None
    open: bool | None = None
    q: str | None = Field(None, max_length=200)

    @field_validator("q", mode="after")
    @classmethod
    def _no_nul(cls, value):
        if value is not None and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        return value


class ConsultationOut(Schema):
    id: int
    distributor: DistributorRefOut
    distributor_id: int
    requested_by: UserRefOut
    recipient: UserRefOut
    client: ClientRefOut | None
    subject: str
    message: str
    status: ConsultationStatus
    response: str
    responded_at: datetime | None
    task_id: int | None
    created_at: datetime


class ConsultationIn(CleanIn):
    recipient_id: int
    subject: str = Field(..., min_length=1, max_length=200)
    message: str = Field(..., min_length=1, max_length=5000)
    client_id: int | None = None


class ConsultationAnswerIn(CleanIn):
    response: str = Field("", max_length=5000)


class ConsultationConvertIn(CleanIn):
    duty: KamDuty
    kam_id: int | None = None
    priority: TaskPriority = TaskPriority.NORMAL
    due_on: date | None = None
    title: str = Field("", max_length=200)


class ConsultationFilter(FilterSchema):
    status: ConsultationStatus | None = None
    recipient_id: int | None = None
    distributor_id: int | None = None


class CoverageGapOut(Schema):
    client: ClientRefOut
    distributor: DistributorRefOut
    territory: str | None
    is_key_account: bool
    employees: int | None
    revenue_band: str
    suggested_mentor: UserRefOut | None


class GapAssignIn(Schema):
    mentor_id: int | None = None
