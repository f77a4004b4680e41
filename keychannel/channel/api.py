"""JSON API of the channel app: registrations, conflicts and leads."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keychannel.core import api_refs
from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.policies import require
from keychannel.core.schemas import WRITE_ERRORS, ErrorOut

from . import selectors, services
from .registration_rows import registration_api_list
from .schemas import (
    AcceptIn,
    ApproveIn,
    ChannelPolicyOut,
    ChannelPolicyPatch,
    CommentIn,
    CommentOut,
    ConflictFilter,
    ConflictIn,
    ConflictOut,
    DeclineIn,
    ExtendIn,
    LeadFilter,
    LeadIn,
    LeadOut,
    RegistrationFilter,
    RegistrationIn,
    RegistrationOut,
    RejectIn,
    ResolveIn,
)

router = Router(tags=["channel"])



def _product_lines(ids, field="product_line_ids"):
    from keychannel.network.models import ProductLine

    lines = list(ProductLine.objects.filter(pk__in=set(ids), active=True))
    if len(lines) != len(set(ids)):
        raise ValidationError({field: _("Unknown or inactive product line.")})
    return lines


def _territory(pk, field="territory_id"):
    from keychannel.network.models import Territory

    if pk is None:
        return None
    territory = Territory.objects.filter(pk=pk).first()
    if territory is None:
        raise ValidationError({field: _("Unknown territory.")})
    return territory


# --- registrations ---------------------------------------------------------------------------------------------


@router.get("/registrations", response=list[RegistrationOut], summary="Registrations the caller may see")
@paginate(BoundedPagination)
def registration_list(request, filters: Query[RegistrationFilter]):
    # Value rows, not records: the page's columns as dicts (registration_rows.py).
    return registration_api_list(principal=request.principal, filters=filters.model_dump())


@router.post("/registrations", response={201: RegistrationOut, **WRITE_ERRORS}, summary="Register a client and a deal")
def registration_create(request, payload: RegistrationIn):
    from keychannel.clients.models import CorporateClient
    from keychannel.network.models import Distributor

    principal = request.principal
    distributor_id = payload.distributor_id or principal.own_distributor_id
    if distributor_id is None:
        raise ValidationError({"distributor_id": _("Say which distributor registers.")})
    distributor = api_refs.visible(principal, Distributor, distributor_id, field="distributor_id")
    require(principal, "channel.registration.create", distributor)
    client = api_refs.optional(principal, CorporateClient, payload.client_id, field="client_id")
    from keychannel.deals.models import Opportunity

    opportunity = api_refs.optional(principal, Opportunity, payload.opportunity_id, field="opportunity_id")
    registration = services.registration_submit(
        principal=principal, distributor=distributor, client=client, legal_name=payload.legal_name,
        tax_id=payload.tax_id, territory=_territory(payload.territory_id), title=payload.title,
        product_lines=_product_lines(payload.product_line_ids), estimated_value=payload.estimated_value,
        expected_close_on=payload.expected_close_on, notes=payload.notes, opportunity=opportunity,
    )
    return Status(201, selectors.registration_get(principal=principal, pk=registration.pk))


@router.get("/registrations/{int:registration_id}", response={200: RegistrationOut, 404: ErrorOut})
def registration_detail(request, registration_id: int):
    return selectors.registration_get(principal=request.principal, pk=registration_id)


@router.post("/registrations/{int:registration_id}/approve", response={200: RegistrationOut, **WRITE_ERRORS})
def registration_approve(request, registration_id: int, payload: ApproveIn):
    principal = request.principal
    registration = selectors.registration_get(principal=principal, pk=registration_id)
    services.registration_approve(principal=principal, registration=registration,
                                  protected_until=payload.protected_until, reason=payload.reason)
    return selectors.registration_get(principal=principal, pk=registration_id)


@router.post("/registrations/{int:registration_id}/reject", response={200: RegistrationOut, **WRITE_ERRORS})
def registration_reject(request, registration_id: int, payload: RejectIn):
    principal = request.principal
    registration = selectors.registration_get(principal=principal, pk=registration_id)
    services.registration_reject(principal=principal, registration=registration, reason=payload.reason)
    return selectors.registration_get(principal=principal, pk=registration_id)


@router.post("/registrations/{int:registration_id}/extend", response={200: RegistrationOut, **WRITE_ERRORS})
def registration_extend(request, registration_id: int, payload: ExtendIn):
    principal = request.principal
    registration = selectors.registration_get(principal=principal, pk=registration_id)
    services.registration_extend(principal=principal, registration=registration, days=payload.days, reason=payload.reason)
    return selectors.registration_get(principal=principal, pk=registration_id)


# --- conflicts -------------------------------------------------------------------------------------------------


@router.get("/conflicts", response=list[ConflictOut], summary="Conflicts the caller may see")
@paginate(BoundedPagination)
def conflict_list(request, filters: Query[ConflictFilter]):
    return selectors.conflict_list(principal=request.principal, filters=filters.model_dump())


@router.get("/conflicts/precedents", response=list[ConflictOut], summary="Resolved conflicts, to follow precedent")
@paginate(BoundedPagination)
def precedent_list(request, filters: Query[ConflictFilter]):
    return selectors.precedent_list(principal=request.principal, filters=filters.model_dump())


@router.post("/conflicts", response={201: ConflictOut, **WRITE_ERRORS}, summary="Open a conflict by hand (e.g. pricing)")
def conflict_create(request, payload: ConflictIn):
    from keychannel.clients.models import CorporateClient

    principal = request.principal
    require(principal, "channel.conflict.open")
    client = api_refs.visible(principal, CorporateClient, payload.client_id, field="client_id")
    conflict = services.conflict_open(principal=principal, kind=payload.kind, client=client, reason=payload.reason,
                                      distributor_ids=payload.distributor_ids)
    return Status(201, selectors.conflict_get(principal=principal, pk=conflict.pk))


@router.get("/conflicts/{int:conflict_id}", response={200: ConflictOut, 404: ErrorOut})
def conflict_detail(request, conflict_id: int):
    return selectors.conflict_get(principal=request.principal, pk=conflict_id)


@router.post("/conflicts/{int:conflict_id}/review", response={200: ConflictOut, **WRITE_ERRORS}, summary="Start the review")
def conflict_review(request, conflict_id: int):
    principal = request.principal
    conflict = selectors.conflict_get(principal=principal, pk=conflict_id)
    services.conflict_start_review(principal=principal, conflict=conflict)
    return selectors.conflict_get(principal=principal, pk=conflict_id)


@router.post("/conflicts/{int:conflict_id}/resolve", response={200: ConflictOut, **WRITE_ERRORS}, summary="Decide a conflict")
def conflict_resolve(request, conflict_id: int, payload: ResolveIn):
    principal = request.principal
    conflict = selectors.conflict_get(principal=principal, pk=conflict_id)
    data = payload.model_dump()
    services.conflict_resolve(
        principal=principal, conflict=conflict, resolution=data["resolution"], note=data["note"],
        awarded_to_id=data["awarded_to_id"], shares=data["shares"],
        out_of_scope_reason=data["out_of_scope_reason"] or "", notice_days=data["notice_days"],
        in_flight=data["in_flight"] or "", grace_until=data["grace_until"], compensation=data["compensation"],
        grace_days=data["grace_days"], hand_over_ids=data["hand_over_ids"], end_contract=data["end_contract"],
        end_contract_reason=data["end_contract_reason"],
    )
    return selectors.conflict_get(principal=principal, pk=conflict_id)


@router.get("/conflicts/{int:conflict_id}/comments", response={200: list[CommentOut], 404: ErrorOut})
def conflict_comment_list(request, conflict_id: int):
    principal = request.principal
    conflict = selectors.conflict_get(principal=principal, pk=conflict_id)
    return list(selectors.conflict_comments(principal=principal, conflict=conflict))


@router.post("/conflicts/{int:conflict_id}/comments", response={201: CommentOut, **WRITE_ERRORS})
def conflict_comment_create(request, conflict_id: int, payload: CommentIn):
    principal = request.principal
    conflict = selectors.conflict_get(principal=principal, pk=conflict_id)
    comment = services.conflict_comment(principal=principal, conflict=conflict, body=payload.body,
                                        internal=payload.internal)
    return Status(201, comment)


# --- leads -----------------------------------------------------------------------------------------------------


@router.get("/leads", response=list[LeadOut], summary="Leads the caller may see")
@paginate(BoundedPagination)
def lead_list(request, filters: Query[LeadFilter]):
    return selectors.lead_list(principal=request.principal, filters=filters.model_dump())


@router.post("/leads", response={201: LeadOut, **WRITE_ERRORS}, summary="Pass a corporate lead to the network")
def lead_create(request, payload: LeadIn):
    principal = request.principal
    require(principal, "channel.lead.create")
    lead = services.lead_create(
        principal=principal, company_name=payload.company_name, tax_id=payload.tax_id,
        territory=_territory(payload.territory_id), product_lines=_product_lines(payload.product_line_ids),
        estimated_value=payload.estimated_value, source=payload.source, contact_name=payload.contact_name,
        contact_email=payload.contact_email, notes=payload.notes,
    )
    return Status(201, selectors.lead_get(principal=principal, pk=lead.pk))


@router.get("/leads/{int:lead_id}", response={200: LeadOut, 404: ErrorOut})
def lead_detail(request, lead_id: int):
    return selectors.lead_get(principal=request.principal, pk=lead_id)


@router.post("/leads/{int:lead_id}/accept", response={200: LeadOut, **WRITE_ERRORS})
def lead_accept(request, lead_id: int, payload: AcceptIn):
    principal = request.principal
    lead = selectors.lead_get(principal=principal, pk=lead_id)
    offer = selectors.open_offer_for(principal=principal, lead=lead)
    require(principal, "channel.lead.respond", offer)
    services.lead_accept(principal=principal, offer=offer, expected_close_on=payload.expected_close_on)
    return selectors.lead_get(principal=principal, pk=lead_id)


@router.post("/leads/{int:lead_id}/decline", response={200: LeadOut, **WRITE_ERRORS})
def lead_decline(request, lead_id: int, payload: DeclineIn):
    principal = request.principal
    lead = selectors.lead_get(principal=principal, pk=lead_id)
    offer = selectors.open_offer_for(principal=principal, lead=lead)
    require(principal, "channel.lead.respond", offer)
    services.lead_decline(principal=principal, offer=offer, reason=payload.reason)
    return selectors.lead_get(principal=principal, pk=lead_id)


class LeadAssignIn(Schema):
    distributor_id: int
    assignee_id: int | None = Field(None, description="A head or salesperson of that distributor; null: its heads are told.")


@router.post("/leads/{int:lead_id}/assign", response={200: LeadOut, **WRITE_ERRORS},
             summary="Hand a lead nobody took to a distributor and a person there (manufacturer)")
def lead_assign(request, lead_id: int, payload: LeadAssignIn):
    from django.contrib.auth import get_user_model

    from keychannel.network.models import Distributor

    principal = request.principal
    lead = selectors.lead_get(principal=principal, pk=lead_id)
    distributor = api_refs.visible(principal, Distributor, payload.distributor_id, field="distributor_id")
    assignee = None
    if payload.assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=payload.assignee_id, is_active=True).first()
        if assignee is None:
            raise ValidationError({"assignee_id": _("Unknown person.")})
    services.lead_assign(principal=principal, lead=lead, distributor=distributor, assignee=assignee)
    return selectors.lead_get(principal=principal, pk=lead_id)


# --- the channel policy (the registration gate's settings) -----------------------------------------------------


@router.get("/channel-policy", response={200: ChannelPolicyOut}, summary="The registration gate's settings")
def channel_policy_detail(request):
    from .models import ChannelPolicy

    return ChannelPolicy.current()


@router.patch("/channel-policy", response={200: ChannelPolicyOut, **WRITE_ERRORS},
              summary="Change the registration gate's settings (program office)")
def channel_policy_patch(request, payload: ChannelPolicyPatch):
    from .gate import channel_policy_update

    data = payload.model_dump(exclude_unset=True)
    for name in ("key_accounts_need_registration", "product_test_needs_manufacturer_signoff"):
        if name in data and data[name] is None:
            raise ValidationError({name: _("This field may not be null.")})
    return channel_policy_update(principal=request.principal, **data)
