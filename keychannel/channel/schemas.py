from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Field, FilterSchema, Schema

from keychannel.core.api_rows import related_ids

from .checks import describe
from .choices import (
    ConflictKind,
    ConflictStatus,
    InFlightHandling,
    LeadSource,
    LeadStatus,
    OfferStatus,
    OutOfScopeReason,
    RegistrationStatus,
    Resolution,
)
from .redaction import conflict_hidden_fields
from .selectors import conflict_sides

# Ids within the database's 64-bit range: a bigger number is a 422, never a database error.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _principal(context):
    return context["request"].principal


class CheckOut(Schema):
    kind: str
    code: str
    message: str


class RegistrationOut(Schema):
    id: int
    distributor_id: int
    client_name: str
    title: str
    product_line_ids: list[int]
    estimated_value: Decimal
    expected_close_on: date
    notes: str
    status: RegistrationStatus = Field(..., alias="effective_status")
    first_registration: bool = Field(..., alias="holds_claim")
    on_behalf: bool
    registered_by_id: int
    submitted_on: date
    checks: list[CheckOut]
    protected_until: date | None
    extensions: int
    decided_at: datetime | None
    decided_by_id: int | None
    decision_reason: str

    @staticmethod
    def resolve_product_line_ids(obj):
        return related_ids(obj, "product_lines")  # the API list reads the ids (core.api_rows.with_related_ids)

    @staticmethod
    def resolve_checks(obj):
        checks = obj["checks"] if isinstance(obj, dict) else obj.checks  # the API list's value rows are dicts
        return [{"kind": c.get("kind", ""), "code": c.get("code", ""), "message": describe(c)} for c in checks or []]


class RegistrationIn(Schema):
    distributor_id: Id | None = Field(None, description="Defaults to the caller's own distributor.")
    client_id: Id | None = Field(None, description="An existing client of the distributor; else give legal_name.")
    legal_name: str = Field("", max_length=200)
    tax_id: str = Field("", max_length=20)
    territory_id: Id | None = None
    title: str = Field(..., min_length=1, max_length=200)
    product_line_ids: list[Id] = Field(..., min_length=1, max_length=100)
    estimated_value: Decimal = Field(..., ge=0, max_digits=16, decimal_places=2)
    expected_close_on: date
    notes: str = Field("", max_length=5000)
    opportunity_id: Id | None = Field(
        None, description="The existing deal being registered (the registration gate's registration_url names it).")


class RegistrationFilter(FilterSchema):
    status: RegistrationStatus | None = None
    distributor_id: Id | None = None
    mine: bool | None = Field(None, description="Only the registrations I submitted")
    in_conflict: bool | None = None
    q: str | None = None


class ApproveIn(Schema):
    protected_until: date | None = Field(None, description="Defaults to today + the distributor's protection period: its program level's protection days, else the configured default.")
    reason: str = Field("", max_length=2000)


class RejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class ExtendIn(Schema):
    days: int | None = Field(None, ge=1, le=365)
    reason: str = Field("", max_length=2000)


class SideOut(Schema):
    role: str
    mine: bool
    distributor_id: int | None
    distributor_name: str | None
    registration_id: int | None
    share_percent: int | None


class ConflictOut(Schema):
    id: int
    kind: ConflictKind
    status: ConflictStatus
    client_name: str
    territory_id: int | None
    product_line_ids: list[int]
    reason: str
    due_on: date
    overdue: bool = Field(..., alias="is_overdue")
    sides: list[SideOut]
    resolution: str
    decision_note: str
    decided_at: datetime | None
    awarded_to_you: bool | None
    awarded_to_id: int | None
    out_of_scope_reason: str
    notice_days: int | None
    in_flight: str
    grace_until: date | None
    compensation: Decimal | None
    closed_by_decision_id: int | None = Field(
        None, description="The out-of-scope decision (another conflict on the client) that closed this one")

    @staticmethod
    def resolve_product_line_ids(obj):
        return [p.pk for p in obj.product_lines.all()]

    @staticmethod
    def resolve_sides(obj, context):
        out = []
        for side in conflict_sides(principal=_principal(context), conflict=obj):
            party = side["party"]
            out.append({
                "role": party.role,
                "mine": side["mine"],
                "distributor_id": party.distributor_id if side["visible"] else None,
                "distributor_name": side["distributor"].legal_name if side["visible"] else None,
                "registration_id": party.registration_id if side["visible"] else None,
                "share_percent": party.share_percent,
            })
        return out

    @staticmethod
    def resolve_awarded_to_you(obj, context):
        principal = _principal(context)
        if obj.awarded_to_id is None or principal.is_manufacturer:
            return None
        return obj.awarded_to_id == principal.own_distributor_id

    @staticmethod
    def resolve_awarded_to_id(obj, context):
        if "awarded_to" in conflict_hidden_fields(_principal(context), obj):
            return None
        return obj.awarded_to_id


class ConflictFilter(FilterSchema):
    kind: ConflictKind | None = None
    status: ConflictStatus | None = None
    resolution: Resolution | None = None
    territory_id: Id | None = None
    product_line_id: Id | None = None
    open: bool | None = None
    overdue: bool | None = None
    q: str | None = None


class ConflictIn(Schema):
    kind: ConflictKind
    client_id: Id
    reason: str = Field(..., min_length=1, max_length=5000)
    distributor_ids: list[Id] = Field(..., min_length=1, max_length=100)


class ResolveIn(Schema):
    resolution: Resolution
    note: str = Field("", max_length=5000)
    awarded_to_id: Id | None = None
    shares: dict[Id, Annotated[int, Field(ge=0, le=100)]] | None = Field(None, description="distributor id -> percent, adding up to 100")
    out_of_scope_reason: OutOfScopeReason | None = None
    notice_days: int | None = Field(None, ge=0, le=365)
    in_flight: InFlightHandling | None = None
    grace_until: date | None = None
    compensation: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    grace_days: int | None = Field(None, ge=0, le=365, description=(
        "Out of scope: days the distributors keep their open deals on the client; null: the channel policy's "
        "default (grace_until, when given, wins)"))
    hand_over_ids: list[Id] = Field(default_factory=list, max_length=200, description=(
        "Out of scope: open distributor deals on the client handed over to the manufacturer-led project now"))
    end_contract: bool = Field(False, description="Out of scope: end the active distributor contract today")
    end_contract_reason: str = Field("", max_length=2000, description="Required with end_contract")


class CommentIn(Schema):
    body: str = Field(..., min_length=1, max_length=5000)
    internal: bool = False


class CommentOut(Schema):
    id: int
    author_id: int
    author_name: str
    body: str
    internal: bool
    created_at: datetime

    @staticmethod
    def resolve_author_name(obj):
        return obj.author.get_full_name() or obj.author.get_username()


class OfferOut(Schema):
    id: int
    distributor_id: int
    status: OfferStatus
    offered_on: date
    respond_by: date
    decline_reason: str


class LeadOut(Schema):
    id: int
    company_name: str
    tax_id: str
    territory_id: int
    product_line_ids: list[int]
    estimated_value: Decimal
    source: LeadSource
    contact_name: str
    contact_email: str
    notes: str
    status: LeadStatus
    registration_id: int | None
    assignee_id: int | None = Field(None, description="Who the manufacturer asked to take the lead (assigned by hand).")
    offers: list[OfferOut]

    @staticmethod
    def resolve_product_line_ids(obj):
        return [p.pk for p in obj.product_lines.all()]

    @staticmethod
    def resolve_offers(obj, context):
        principal = _principal(context)
        offers = list(obj.offers.all())
        if principal.distributor_ids is None:
            return offers
        return [o for o in offers if o.distributor_id in principal.distributor_ids]


class LeadIn(Schema):
    company_name: str = Field(..., min_length=1, max_length=200)
    tax_id: str = Field("", max_length=20)
    territory_id: Id
    product_line_ids: list[Id] = Field(..., min_length=1, max_length=100)
    estimated_value: Decimal = Field(Decimal("0"), ge=0, max_digits=16, decimal_places=2)
    source: LeadSource = LeadSource.MARKETING
    contact_name: str = Field("", max_length=150)
    contact_email: str = Field("", max_length=254)
    notes: str = Field("", max_length=5000)


class LeadFilter(FilterSchema):
    status: LeadStatus | None = None
    territory_id: Id | None = None
    q: str | None = None


class AcceptIn(Schema):
    expected_close_on: date | None = None


class DeclineIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class ChannelPolicyOut(Schema):
    key_accounts_need_registration: bool
    registration_value_threshold: Decimal | None = Field(
        None, description="Deals of at least this value (RON) need a registration; null: no value rule.")
    out_of_scope_grace_days: int = Field(
        90, description="Default grace period (days) of an out-of-scope decision (docs/rules.md)")
    product_test_needs_manufacturer_signoff: bool = Field(
        True, description="A product test passes only with a manufacturer sign-off by someone other than the deal's "
        "owner (docs/rules.md, 'Product-test sign-off')")
    unconditional_rules: list[str] = Field(
        ..., description="The gate's rules that are not settings (docs/rules.md, 'Registration gate').")
    updated_at: datetime | None = None

    @staticmethod
    def resolve_unconditional_rules(obj):
        return ["client_direct", "client_other", "possible_duplicate", "exclusive_other", "sole_other", "no_coverage"]


class ChannelPolicyPatch(Schema):
    key_accounts_need_registration: bool | None = None
    registration_value_threshold: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    out_of_scope_grace_days: int | None = Field(None, ge=0, le=365)
    product_test_needs_manufacturer_signoff: bool | None = None
