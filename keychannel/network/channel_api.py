"""Write and read API of the channel's shape (issue 16): coverage change requests (the head asks, the channel manager
decides), channel presence, playbooks, sole-channel cells and the distributor profile. Operations join the network
router."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status

from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.policies import require
from keychannel.core.schemas import WRITE_ERRORS_WITHOUT_CONFLICT, ErrorOut, ValidationErrorOut
from keychannel.core.scoping import get_visible_or_404

from . import reference, selectors, services
from .api import _reference, router
from .models import ProductLine, Territory
from .schemas import (
    DistributorOut,
)

# These operations were first written in api.py: their OpenAPI operation ids stay as they were, for the clients
# generated from the schema.
_OPERATION_ID = "keychannel_network_api_{}"

# --- coverage change requests (issue 16): the head asks, the channel manager decides ---------------------------


class CoverageRequestOut(Schema):
    id: int
    distributor_id: int
    kind: str
    territory_id: int | None
    product_line_id: int | None
    valid_from: date | None
    valid_to: date | None
    coverage_id: int | None
    reason: str
    status: str
    requested_by_id: int | None
    decided_by_id: int | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime


class CoverageRequestIn(Schema):
    distributor_id: int
    kind: str = Field(..., description="add (cover a territory and product line) or end (end one of your coverages)")
    reason: str = Field(..., min_length=1)
    territory_id: int | None = None
    product_line_id: int | None = None
    coverage_id: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class CoverageDecisionIn(Schema):
    approve: bool
    note: str = ""


@router.get("/coverage-requests", response={200: list[CoverageRequestOut], 403: ErrorOut},
            summary="Coverage change requests (heads: their own; channel managers: of their distributors)",
            operation_id=_OPERATION_ID.format("coverage_request_list"))
@paginate(BoundedPagination)
def coverage_request_list(request, status: str = ""):
    from . import coverage_requests

    require(request.principal, "network.coverage_request.list")
    return coverage_requests.coverage_request_list(principal=request.principal, status=status)


@router.post("/coverage-requests", response={201: CoverageRequestOut, 403: ErrorOut, 404: ErrorOut,
                                             422: ValidationErrorOut},
             summary="Ask for a coverage change (a distributor head, for its own distributor)",
             operation_id=_OPERATION_ID.format("coverage_request_create"))
def coverage_request_create(request, payload: CoverageRequestIn):
    from . import coverage_requests
    from .models import Coverage

    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=payload.distributor_id)
    require(principal, "network.coverage.request", distributor)
    fields = {
        "territory": _reference(Territory, payload.territory_id, "territory_id") if payload.territory_id else None,
        "product_line": (_reference(ProductLine, payload.product_line_id, "product_line_id")
                         if payload.product_line_id else None),
        "coverage": (Coverage.objects.visible_to(principal).filter(pk=payload.coverage_id).first()
                     if payload.coverage_id else None),
    }
    if payload.coverage_id and fields["coverage"] is None:
        raise ValidationError({"coverage_id": _("Unknown id.")})
    made = coverage_requests.coverage_request_create(
        principal=principal, distributor=distributor, kind=payload.kind, reason=payload.reason,
        valid_from=payload.valid_from, valid_to=payload.valid_to, **fields)
    return Status(201, made)


@router.post("/coverage-requests/{int:request_id}/decide",
             response={200: CoverageRequestOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut},
             summary="Approve (the coverage changes) or reject with a note (the distributor's channel manager)",
             operation_id=_OPERATION_ID.format("coverage_request_decide"))
def coverage_request_decide(request, request_id: int, payload: CoverageDecisionIn):
    from . import coverage_requests

    item = get_object_or_404(coverage_requests.coverage_request_list(principal=request.principal), pk=request_id)
    return coverage_requests.coverage_request_decide(principal=request.principal, request=item,
                                                     approve=payload.approve, note=payload.note)


# --- channel presence (issue 16) -----------------------------------------------------------------------------


class PresenceOut(Schema):
    id: int
    territory_id: int
    channel_type: str
    count: int
    note: str


class PresenceIn(Schema):
    counts: dict[str, int] = Field(..., description="channel type → count (0 removes it)")
    notes: dict[str, str] = Field(default_factory=dict)


@router.get("/channel-presence", response={200: list[PresenceOut], 403: ErrorOut},
            summary="The manufacturer's own channels per territory (manufacturer roles)",
            operation_id=_OPERATION_ID.format("presence_list"))
@paginate(BoundedPagination)
def presence_list(request, territory_id: int | None = None):
    from .models import ChannelPresence

    require(request.principal, "network.presence.view")
    qs = ChannelPresence.objects.visible_to(request.principal)
    return qs.filter(territory_id=territory_id) if territory_id else qs


@router.put("/channel-presence/{int:territory_id}", response={200: list[PresenceOut], **WRITE_ERRORS_WITHOUT_CONFLICT},
            summary="Set the manufacturer's channels in a territory (program office, channel managers)",
            operation_id=_OPERATION_ID.format("presence_set"))
def presence_set(request, territory_id: int, payload: PresenceIn):
    require(request.principal, "network.presence.change")
    territory = get_object_or_404(Territory.objects.visible_to(request.principal), pk=territory_id)
    return reference.presence_set(principal=request.principal, territory=territory, counts=payload.counts,
                                  notes=payload.notes)


# --- playbooks and sole-channel cells (issue 16: what the playbook and quadrant pages offer) ------------------


class PlaybookOut(Schema):
    id: int
    quadrant: str
    sole_channel: bool
    title: str
    approach: str
    actions: str


class PlaybookPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=160)
    approach: str | None = Field(None, min_length=1)
    actions: str | None = None


class SoleCellOut(Schema):
    territory_id: int
    territory: str
    product_line_id: int
    product_line: str
    exclusive: bool


@router.get("/playbooks", response={200: list[PlaybookOut], 403: ErrorOut},
            summary="The playbook per alignment quadrant (and its sole-channel variant); manufacturer roles",
            operation_id=_OPERATION_ID.format("playbook_list"))
def playbook_list(request):
    from .models import Playbook

    require(request.principal, "network.playbook.view")
    return list(Playbook.objects.visible_to(request.principal))


@router.patch("/playbooks/{int:playbook_id}", response={200: PlaybookOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
              summary="Edit a playbook (program office)", operation_id=_OPERATION_ID.format("playbook_update"))
def playbook_update(request, playbook_id: int, payload: PlaybookPatch):
    from .models import Playbook

    require(request.principal, "network.playbook.change")
    playbook = get_visible_or_404(Playbook, request.principal, pk=playbook_id)
    fields = payload.model_dump(exclude_unset=True)
    if any(v is None for v in fields.values()):
        raise ValidationError({k: _("May not be empty.") for k, v in fields.items() if v is None})
    current = {"title": playbook.title, "approach": playbook.approach, "actions": playbook.actions}
    return services.playbook_update(principal=request.principal, playbook=playbook, **{**current, **fields})


@router.get("/distributors/{int:distributor_id}/sole-channel", response={200: list[SoleCellOut], 404: ErrorOut},
            summary="Where the distributor is the only one who may sell a product line today (territory × line)",
            operation_id=_OPERATION_ID.format("distributor_sole_channel"))
def distributor_sole_channel(request, distributor_id: int):
    distributor = selectors.distributor_get(principal=request.principal, pk=distributor_id)
    cells = selectors.sole_channel_cells(distributor=distributor, on_date=timezone.localdate())
    return [{"territory_id": c.territory.pk, "territory": c.territory.name, "product_line_id": c.product_line.pk,
             "product_line": c.product_line.name, "exclusive": c.exclusive} for c in cells]


class ProfilePatch(Schema):
    city: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=250)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    website: str | None = Field(None, max_length=200)
    about: str | None = Field(None, max_length=4000)
    employees: int | None = Field(None, ge=0, le=10_000_000)


@router.patch("/distributors/{int:distributor_id}/profile", response={200: DistributorOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
              summary="A distributor head keeps its company's contact details; its channel manager is told",
              operation_id=_OPERATION_ID.format("distributor_profile_update"))
def distributor_profile_update(request, distributor_id: int, payload: ProfilePatch):
    from . import coverage_requests

    distributor = selectors.distributor_get(principal=request.principal, pk=distributor_id)
    fields = payload.model_dump(exclude_unset=True)
    if any(v is None for v in fields.values()):
        raise ValidationError({k: _("May not be empty.") for k, v in fields.items() if v is None})
    coverage_requests.distributor_profile_update(principal=request.principal, distributor=distributor, **fields)
    return selectors.distributor_get(principal=request.principal, pk=distributor_id)
