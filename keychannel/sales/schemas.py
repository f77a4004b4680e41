from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, FilterSchema, Schema

from keychannel.core.schemas import FieldErrorItem

from .choices import AbcClass, NpsClass, ReportStatus, SegmentLabel, WhyChose, WillContinue


class RowErrorOut(Schema):
    row: int
    column: str
    reason: str
    value: str = ""
    message: str = ""


class UnmatchedClientOut(Schema):
    key: str
    tax_id: str = ""
    client_code: str = ""
    name: str = ""
    rows: list[int]
    row_total: int = 0


class UnknownProductOut(Schema):
    code: str
    name: str = ""
    rows: list[int]
    row_total: int = 0


class ReportOut(Schema):
    id: int
    distributor_id: int
    distributor_code: str = Field(..., alias="distributor.code")
    period: str = Field("", alias="period_label", description="YYYY-MM")
    file_name: str
    file_hash: str
    source: str
    status: ReportStatus
    row_count: int
    line_count: int
    error_count: int
    total_amount: Decimal
    total_quantity: Decimal
    message: str
    supersedes_id: int | None
    duplicate_of_id: int | None
    created_at: datetime
    applied_at: datetime | None


class ReportDetailOut(ReportOut):
    file_format: str
    encoding: str
    delimiter: str
    headers: list[str]
    mapping: dict[str, str]
    mapping_template_id: int | None
    errors: list[RowErrorOut]
    unmatched_clients: list[UnmatchedClientOut]
    unknown_products: list[UnknownProductOut]
    error_file_url: str = ""

    @staticmethod
    def resolve_error_file_url(obj):
        return f"/api/v1/sales-reports/{obj.pk}/errors.csv" if obj.error_count else ""


class ImportRejectedOut(Schema):
    detail: list[FieldErrorItem]
    report: ReportDetailOut | None = None


class ImportConflictOut(Schema):
    detail: str
    report: ReportDetailOut | None = None


class ImportJobOut(Schema):
    """A background import: poll ``GET /api/v1/sales-imports/{id}`` until ``status`` is done or failed."""

    id: int
    distributor_id: int
    distributor_code: str = Field(..., alias="distributor.code")
    file_name: str
    period: str = Field("", description="YYYY-MM asked for, or empty")
    source: str
    status: str = Field(..., description="queued, running, done or failed")
    rows_done: int = Field(..., alias="progress_done", description="Rows checked so far")
    rows_total: int = Field(..., alias="progress_total", description="Rows in the file (known once it is read)")
    attempts: int
    error: str = Field("", description="Why it failed (nothing was imported)")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report_id: int | None = Field(None, description="The sales report it produced (when done)")
    report: ReportDetailOut | None = Field(None, description="The result: applied, rejected with every row error, "
                                                             "waiting (a report for the month exists) or duplicate")


class ImportJobFilter(FilterSchema):
    distributor_id: int | None = None
    status: str | None = Field(None, pattern="^(queued|running|done|failed)$")


class ReportFilter(FilterSchema):
    distributor_id: int | None = None
    status: ReportStatus | None = None
    period: date | None = Field(None, description="First day of the month, e.g. 2026-10-01")


class RevalidateIn(Schema):
    mapping: dict[str, str] | None = Field(None, description="Our field → the file's header")
    save_as: str = Field("", max_length=80, description="Save the mapping as a template with this name")
    supersede: bool = False


class LineOut(Schema):
    id: int
    report_id: int
    distributor_id: int
    client_id: int
    client_name: str = Field(..., alias="client.legal_name")
    product_line_id: int
    date: date
    quantity: Decimal
    amount: Decimal
    currency: str
    invoice: str


class LineFilter(FilterSchema):
    distributor_id: int | None = None
    client_id: int | None = None
    product_line_id: int | None = None
    report_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = Field(None, description="Client name, tax id or invoice number")


class SegmentOut(Schema):
    id: int
    distributor_id: int
    client_id: int
    client_name: str
    is_key_account: bool
    potential_annual_volume: Decimal
    year: int
    volume: Decimal
    quantity: Decimal
    previous_volume: Decimal
    trend: Decimal | None
    months_active: int
    months_covered: int
    last_purchase: date | None
    recency_days: int | None
    share_of_potential: Decimal | None
    small_batches: bool
    abc_class: AbcClass
    nps_class: NpsClass
    recommend: int | None
    label: SegmentLabel


class SegmentFilter(FilterSchema):
    year: int | None = None
    distributor_id: int | None = None
    client_id: int | None = None
    label: SegmentLabel | None = None
    abc_class: AbcClass | None = None
    nps_class: NpsClass | None = None
    small_batches: bool | None = None
    q: str | None = None


class RecomputeIn(Schema):
    distributor_id: int | None = None
    year: int | None = Field(None, ge=2000, le=2100)
    background: bool = Field(False, description="Answer 202 at once and recompute in a background task")


class RecomputeOut(Schema):
    updated: int


class QueuedOut(Schema):
    task_id: str
    status: str = "queued"


class ColumnMappingOut(Schema):
    id: int
    distributor_id: int
    name: str
    columns: dict[str, str]
    is_default: bool


class ColumnMappingIn(Schema):
    distributor_id: int
    name: str = Field(..., min_length=1, max_length=80)
    columns: dict[str, str]
    is_default: bool = True


class ProductMappingOut(Schema):
    id: int
    distributor_id: int
    product_code: str
    product_line_id: int
    description: str


class ProductMappingIn(Schema):
    distributor_id: int
    product_code: str = Field(..., min_length=1, max_length=60)
    product_line_id: int
    description: str = Field("", max_length=200)


class ClientMappingIn(Schema):
    distributor_id: int
    source_key: str = Field(..., min_length=1, max_length=60, description="The tax id, or code:<client code>")
    client_id: int


class ClientMappingOut(Schema):
    id: int
    distributor_id: int
    source_key: str
    client_id: int


class MappingFilter(FilterSchema):
    distributor_id: int | None = None


class SurveyOut(Schema):
    id: int
    name: str
    distributor_id: int | None
    intro: str
    closes_on: date
    created_at: datetime


class SurveyIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    distributor_id: int | None = None
    intro: str = Field("", max_length=4000)
    closes_on: date


class NpsOut(Schema):
    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: int | None
    histogram: list[int]


class SurveyDetailOut(SurveyOut):
    invitation_total: int
    response_total: int
    results: NpsOut


class InvitationIn(Schema):
    client_id: int
    contact_name: str = Field(..., min_length=1, max_length=150)
    contact_email: str = Field("", max_length=254)


class InvitationOut(Schema):
    id: int
    survey_id: int
    client_id: int
    contact_name: str
    contact_email: str
    expires_at: datetime
    responded_at: datetime | None
    link: str = Field("", description="The public link; returned once, when the invitation is created")


class ResponseOut(Schema):
    id: int
    survey_id: int
    client_id: int
    client_name: str = Field(..., alias="client.legal_name")
    distributor_id: int | None
    why_chose: WhyChose
    expected_volume: Decimal | None
    will_continue: WillContinue
    recommend: int
    nps_class: str
    comment: str
    channel: str = Field("web", description='"web" (the public link), "phone" or "meeting" (recorded by staff).')
    recorded_by_id: int | None = Field(None, description="The staff member who recorded an answer given by phone or at a meeting.")
    created_at: datetime


class ResponseFilter(FilterSchema):
    survey_id: int | None = None
    client_id: int | None = None
    distributor_id: int | None = None


class RecordedAnswerIn(Schema):
    channel: Literal["phone", "meeting"]
    why_chose: WhyChose
    will_continue: WillContinue
    recommend: int = Field(..., ge=0, le=10)
    expected_volume: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    comment: str = Field("", max_length=2000)
