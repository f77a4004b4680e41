from datetime import datetime

from ninja import Field, Schema

from .choices import DeliveryStatus


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    event_types: list[str]
    distributor_id: int | None = Field(..., description="Empty: a network subscription")
    owner_id: int
    is_active: bool
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str
    secret_hint: str = Field(..., description="The first characters of the signing secret")
    created_at: datetime


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(..., description="The signing secret (whsec_…), returned this once only")


class SubscriptionIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    url: str = Field(..., min_length=1, max_length=500)
    event_types: list[str] = Field(..., min_length=1, max_length=50)


class EventTypeOut(Schema):
    type: str
    label: str


class AttemptOut(Schema):
    number: int
    attempted_at: datetime
    status_code: int | None
    error: str
    response_excerpt: str
    duration_ms: int
    redelivery: bool


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    message_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime


class DeliveryDetailOut(DeliveryOut):
    payload: str = Field(..., description="The body exactly as sent and signed")
    attempt_log: list[AttemptOut]

    @staticmethod
    def resolve_attempt_log(obj):
        return list(obj.attempt_log.all())
