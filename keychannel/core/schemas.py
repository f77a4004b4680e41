from datetime import date, datetime

from ninja import Field, Schema


class ErrorOut(Schema):
    detail: str


class FieldErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str = "value_error"


class ValidationErrorOut(Schema):
    detail: list[FieldErrorItem]


# The error answers a write operation declares (docs/api.md): refused, not found, invalid; and conflicting, for
# writes that can meet a concurrent change or a state that forbids them.
WRITE_ERRORS_WITHOUT_CONFLICT = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}


class TokenIn(Schema):
    username: str
    password: str
    name: str = "API"


class TokenOut(Schema):
    token: str
    name: str
    expires_at: datetime | None = None


class LogoutEverywhereOut(Schema):
    revoked_tokens: int
    ended_sessions: int


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    role: str
    role_label: str
    organization: OrganizationOut
    distributor_id: int | None
    distributor_ids: list[int] | None


class NotificationOut(Schema):
    id: int
    event_type: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class AccountOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    organization_id: int
    organization: str
    role: str
    title: str
    status: str  # active, invited, expired (invitation link too old), deactivated
    last_login: datetime | None = None
    invited_at: datetime | None = None
    invitation_expires_at: datetime | None = None
    updated_at: datetime | None = Field(None, description="Last change of the membership, invitation or login")


class UserInviteIn(Schema):
    organization_id: int
    role: str
    email: str
    first_name: str = ""
    last_name: str = ""
    title: str = ""


class NotificationPreferenceOut(Schema):
    event_type: str
    label: str
    delivery: str  # immediate | digest | in_app


class NotificationPreferencesIn(Schema):
    preferences: dict[str, str]  # event type → immediate | digest | in_app


class NotificationsReadIn(Schema):
    ids: list[int] | None = None  # null: every unread notification


class NotificationsReadOut(Schema):
    marked: int


class AuditFilter(Schema):
    """The audit log's filters (the page's person, record type and distributor selects, and its dates)."""

    person: int | None = Field(None, ge=1, le=2**31 - 1, description="The user who made the change")
    model: str | None = Field(None, max_length=100, description='Record type, "app.model" (e.g. "deals.opportunity")')
    distributor: int | None = Field(None, ge=1, le=2**31 - 1, description="Changes of this distributor's records")
    date_from: date | None = Field(None, description="Changes on or after this day")
    date_to: date | None = Field(None, description="Changes on or before this day")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=200, description="The next_cursor of the previous page")


class AuditChangeOut(Schema):
    field: str
    old: str | None = None
    new: str | None = None


class AuditEntryOut(Schema):
    history_id: int
    date: datetime
    user_id: int | None = None
    user: str
    action: str = Field(..., description="+ created, ~ changed, - deleted")
    action_label: str
    model: str
    record_type: str
    object_id: int
    record: str
    distributor_id: int | None = None
    distributor: str
    changes: list[AuditChangeOut]


class AuditPageOut(Schema):
    items: list[AuditEntryOut]
    next_cursor: str | None = None


class SearchHitOut(Schema):
    title: str
    url: str
    detail: str
    score: float


class SearchGroupOut(Schema):
    type: str
    label: str
    hits: list[SearchHitOut]


class SearchOut(Schema):
    q: str
    types: list[str]
    groups: list[SearchGroupOut]


class BulkItemOut(Schema):
    """One item of a bulk write's answer (``POST /clients/bulk``, ``POST /opportunities/bulk``)."""

    index: int
    id: int
    external_id: str | None
    created: bool


class BulkOut(Schema):
    items: list[BulkItemOut]
