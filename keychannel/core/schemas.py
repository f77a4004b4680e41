from datetime import datetime

from ninja import Schema


class ErrorOut(Schema):
    detail: str


class FieldErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str = "value_error"


class ValidationErrorOut(Schema):
    detail: list[FieldErrorItem]


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
