"""JSON API of the service app: cases, their conversation, status, assignment and take-over, the SLA report."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from keychannel.clients.models import CorporateClient
from keychannel.core import api_refs
from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.schemas import WRITE_ERRORS, ErrorOut, ValidationErrorOut
from keychannel.core.scoping import get_visible_or_404
from keychannel.network.models import ProductLine

from . import mailin, satisfaction, selectors, services
from .schemas import (
    AssignIn,
    AttainmentRowOut,
    CaseFilter,
    CaseIn,
    CaseOut,
    CasePatch,
    HealthOut,
    IntakeLinkOut,
    MessageIn,
    MessageOut,
    ReportFilter,
    SatisfactionFilter,
    SatisfactionReportOut,
    StatusIn,
    TakeoverIn,
)

router = Router(tags=["service"])


@router.get("/cases", response=list[CaseOut], summary="Service cases the caller may see")
@paginate(BoundedPagination)
def case_list(request, filters: Query[CaseFilter]):
    qs = selectors.case_list(principal=request.principal, filters=filters.model_dump())
    return qs.order_by("-opened_at", "-pk")


@router.post("/cases", response={201: CaseOut, **WRITE_ERRORS}, summary="Open a service case for a client")
def case_create(request, payload: CaseIn):
    principal = request.principal
    client = api_refs.visible(principal, CorporateClient, payload.client_id, field="client_id")
    line = None
    if payload.product_line_id is not None:
        line = ProductLine.objects.filter(pk=payload.product_line_id).first()
        if line is None:
            raise ValidationError({"product_line_id": _("Unknown product line.")})
    data = payload.model_dump(exclude={"client_id", "product_line_id", "assignee_id"})
    case = services.case_open(principal=principal, client=client, product_line=line,
                              assignee=api_refs.active_user(payload.assignee_id, field="assignee_id"), **data)
    return Status(201, selectors.case_get(principal=principal, pk=case.pk))


@router.get("/cases/{int:case_id}", response={200: CaseOut, 404: ErrorOut})
def case_detail(request, case_id: int):
    return selectors.case_get(principal=request.principal, pk=case_id)


@router.patch("/cases/{int:case_id}", response={200: CaseOut, **WRITE_ERRORS}, summary="Edit a case's details")
def case_patch(request, case_id: int, payload: CasePatch):
    principal = request.principal
    case = selectors.case_get(principal=principal, pk=case_id)
    data = payload.model_dump(exclude_unset=True)
    bad = [k for k, v in data.items() if v is None]
    if bad:
        raise ValidationError({k: _("This field may not be null.") for k in bad})
    services.case_update(principal=principal, case=case, **data)
    return selectors.case_get(principal=principal, pk=case_id)


@router.get("/cases/{int:case_id}/messages", response={200: list[MessageOut], 404: ErrorOut},
            summary="The conversation as the caller may read it (no manufacturer-only notes for distributor users)")
def message_list(request, case_id: int):
    case = selectors.case_get(principal=request.principal, pk=case_id)
    return list(selectors.message_list(principal=request.principal, case=case))


@router.post("/cases/{int:case_id}/messages", response={201: MessageOut, **WRITE_ERRORS},
             summary="A public reply (e-mailed to the client's contact), an internal or a manufacturer-only note")
def message_create(request, case_id: int, payload: MessageIn):
    principal = request.principal
    case = selectors.case_get(principal=principal, pk=case_id)
    return Status(201, services.message_add(principal=principal, case=case, kind=payload.kind, body=payload.body))


@router.post("/cases/{int:case_id}/status", response={200: CaseOut, **WRITE_ERRORS},
             summary="Move a case (waiting_client pauses the resolution clock; resolved mails the rating link)")
def case_status(request, case_id: int, payload: StatusIn):
    principal = request.principal
    case = selectors.case_get(principal=principal, pk=case_id)
    services.case_set_status(principal=principal, case=case, status=payload.status, note=payload.note)
    return selectors.case_get(principal=principal, pk=case_id)


@router.post("/cases/{int:case_id}/assign", response={200: CaseOut, **WRITE_ERRORS},
             summary="Assign a case to a person of the client's serving distributor")
def case_assign(request, case_id: int, payload: AssignIn):
    principal = request.principal
    case = selectors.case_get(principal=principal, pk=case_id)
    services.case_assign(principal=principal, case=case, assignee=api_refs.active_user(payload.assignee_id, field="assignee_id"))
    return selectors.case_get(principal=principal, pk=case_id)


@router.post("/cases/{int:case_id}/takeover", response={200: CaseOut, **WRITE_ERRORS},
             summary="The manufacturer takes a case over")
def case_takeover(request, case_id: int, payload: TakeoverIn):
    principal = request.principal
    case = selectors.case_get(principal=principal, pk=case_id)
    services.case_takeover(principal=principal, case=case, reason=payload.reason)
    return selectors.case_get(principal=principal, pk=case_id)


@router.get("/service-report/attainment", response={200: list[AttainmentRowOut], 403: ErrorOut},
            summary="SLA attainment of resolved cases by distributor, tier, product line or month")
def attainment(request, filters: Query[ReportFilter]):
    from keychannel.core.policies import require

    require(request.principal, "service.report.view")
    return selectors.attainment(principal=request.principal, by=filters.by, date_from=filters.date_from,
                                date_to=filters.date_to, distributor_id=filters.distributor_id)


@router.get("/clients/{int:client_id}/service-health", response={200: HealthOut, 404: ErrorOut},
            summary="A client's service health over 12 months")
def client_health(request, client_id: int):
    client = get_visible_or_404(CorporateClient, request.principal, pk=client_id)
    return selectors.client_service_health(principal=request.principal, client=client)


@router.get("/service-satisfaction", response={200: SatisfactionReportOut, 404: ErrorOut, 422: ValidationErrorOut},
            summary="Satisfaction from case ratings, NPS-style, for a year: summary and each rated client")
def satisfaction_report(request, filters: Query[SatisfactionFilter]):
    principal = request.principal
    if filters.client_id:
        get_visible_or_404(CorporateClient, principal, pk=filters.client_id)
    if filters.distributor_id:
        from keychannel.network.models import Distributor

        get_visible_or_404(Distributor, principal, pk=filters.distributor_id)
    return satisfaction.report(principal, year=filters.year, distributor_id=filters.distributor_id,
                               client_id=filters.client_id)


@router.post("/clients/{int:client_id}/service-links", response={201: IntakeLinkOut, **WRITE_ERRORS},
             summary="Create a public case-form link for a client's contacts")
def intake_link_create(request, client_id: int):
    client = get_visible_or_404(CorporateClient, request.principal, pk=client_id)
    link, url = services.intake_link_create(principal=request.principal, client=client)
    return Status(201, {"id": link.pk, "url": request.build_absolute_uri(url), "email": mailin.intake_address(link)})


__all__ = ["get_object_or_404"]
