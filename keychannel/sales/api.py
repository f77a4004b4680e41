"""JSON API of the sales app: sales reports (upload, list, detail, error file), lines, segments, mappings, surveys."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from keychannel.clients.models import CorporateClient
from keychannel.core import api_refs
from keychannel.core.errors import ConflictError
from keychannel.core.pagination import BoundedPagination, CappedCountPagination, paginate
from keychannel.core.policies import can, require
from keychannel.core.schemas import ErrorOut, ValidationErrorOut
from keychannel.core.scoping import get_visible_or_404, in_lookup
from keychannel.network.models import Distributor, ProductLine

from . import imports, selectors, services, survey_services
from .choices import ReportSource, ReportStatus
from .fix_api import router as fix_router
from .models import ColumnMapping, ImportJob, ProductMapping
from .schemas import (
    ClientMappingIn,
    ClientMappingOut,
    ColumnMappingIn,
    ColumnMappingOut,
    ImportConflictOut,
    ImportJobFilter,
    ImportJobOut,
    ImportRejectedOut,
    InvitationIn,
    InvitationOut,
    LineFilter,
    LineOut,
    MappingFilter,
    ProductMappingIn,
    ProductMappingOut,
    QueuedOut,
    RecomputeIn,
    RecomputeOut,
    RecordedAnswerIn,
    ReportDetailOut,
    ReportFilter,
    ReportOut,
    ResponseFilter,
    ResponseOut,
    RevalidateIn,
    SegmentFilter,
    SegmentOut,
    SurveyDetailOut,
    SurveyIn,
    SurveyOut,
)
from .tasks import segment_recompute_queue

router = Router(tags=["sales"])
router.add_router("", fix_router)  # fixing a rejected import in bulk: /sales-imports/{id}/problems, /clients, …

IMPORT_RESPONSES = {200: ReportDetailOut, 201: ReportDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ImportConflictOut,
                    422: ImportRejectedOut}


def _import_answer(report):
    """applied → 201, duplicate → 200, waiting for confirmation → 409, rejected rows → 422 (with the report)."""
    if report.status == ReportStatus.APPLIED:
        return Status(201, report)
    if report.status == ReportStatus.DUPLICATE:
        return Status(200, report)
    if report.status == ReportStatus.CONFLICT:
        return Status(409, {"detail": report.message, "report": report})
    detail = [{"loc": ["file", e["row"], e["column"]], "msg": e["message"], "type": e["reason"]} for e in report.errors]
    return Status(422, {"detail": detail, "report": report})


def _visible_distributor(principal, value, field="distributor_id"):
    """A distributor by id or code, among those the principal reaches (422 on ``field`` otherwise: core/api_refs.py)."""
    qs = Distributor.objects.visible_to(principal)
    if principal.distributor_ids is not None:
        qs = qs.filter(pk__in=in_lookup(principal.distributor_ids))
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        found = qs.filter(code=text.lower()[:20]).order_by("pk").first()
        if found is None:
            raise ValidationError({field: api_refs.NOT_VISIBLE})
        return found
    return api_refs.visible(principal, qs, int(text), field=field)


@router.get("/sales-reports", response=list[ReportOut], summary="Sales reports the caller may see")
@paginate(BoundedPagination)
def report_list(request, filters: Query[ReportFilter]):
    # Value rows, not records: the columns the rows answer (ReportOut) and the change time (updated_since).
    return selectors.report_api_list(principal=request.principal, filters=filters.model_dump())


SALES_REPORTS_DEPRECATION = {
    # RFC 9745 (a date as an HTTP structured field) and RFC 8594's Link to the way to use instead.
    "Deprecation": "@1796083200",  # 2026-12-01
    "Link": '</api/v1/sales-imports>; rel="successor-version"',
}


@router.post("/sales-reports", response=IMPORT_RESPONSES, deprecated=True,
             summary="Upload a sales report and wait for the result (deprecated: use POST /sales-imports)")
def report_upload(
    request,
    response: HttpResponse,
    file: File[UploadedFile] = None,
    distributor: Form[str] = "",
    period: Form[str] = "",
    mapping: Form[str] = "",
    supersede: Form[bool] = False,
):
    """Deprecated: ``POST /sales-imports`` is the one way to import (the same fields and rules, answered at once
    with a job; a rejected import is fixed in bulk on the job). This endpoint still works for existing callers and
    answers with ``Deprecation`` and ``Link: rel="successor-version"`` headers (docs/api.md).

    Upload one CSV or XLSX file for one distributor (id or code; a distributor head may omit it).

    ``period`` is ``YYYY-MM`` (default: the month most rows fall in), ``mapping`` the name of a saved column
    mapping (default: the distributor's default template, else headers recognised automatically). The file
    applies whole or not at all: 201 applied, 200 the same file was applied before (nothing added), 409 a
    report for this month exists (send ``supersede=true`` to replace it), 422 with every row error.
    """
    principal = request.principal
    require(principal, "sales.salesreport.upload")
    if not distributor and principal.own_distributor_id:
        distributor = str(principal.own_distributor_id)
    if not distributor:
        raise ValidationError({"distributor": _("Say which distributor the report is for.")})
    target = _visible_distributor(principal, distributor, "distributor")
    if file is None:
        raise ValidationError({"file": _("Attach the report file.")})
    services.check_upload_size(file.size)  # before reading it into memory
    report = services.report_import(
        principal=principal, distributor=target, data=file.read(), file_name=file.name or "report", period=period,
        mapping_name=mapping, supersede=supersede, source=ReportSource.API,
    )
    for header, value in SALES_REPORTS_DEPRECATION.items():
        response[header] = value
    return _import_answer(report)


@router.post("/sales-imports", response={202: ImportJobOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
             summary="Upload a sales report to import in the background (multipart)")
def import_create(
    request,
    file: File[UploadedFile] = None,
    distributor: Form[str] = "",
    period: Form[str] = "",
    mapping: Form[str] = "",
    supersede: Form[bool] = False,
):
    """The same fields and rules as ``POST /sales-reports``, but the answer comes at once (202) with a job to poll:
    ``GET /sales-imports/{id}`` shows the rows checked so far and, when done, the report (applied, rejected with
    every row error, waiting, or duplicate). Large files belong here: nothing waits on the request."""
    principal = request.principal
    require(principal, "sales.salesreport.upload")
    if not distributor and principal.own_distributor_id:
        distributor = str(principal.own_distributor_id)
    if not distributor:
        raise ValidationError({"distributor": _("Say which distributor the report is for.")})
    target = _visible_distributor(principal, distributor, "distributor")
    if file is None:
        raise ValidationError({"file": _("Attach the report file.")})
    services.check_upload_size(file.size)  # before reading it into memory
    job = imports.import_job_create(
        principal=principal, distributor=target, data=file.read(), file_name=file.name or "report", period=period,
        mapping_name=mapping, supersede=supersede, source=ReportSource.API,
    )
    return Status(202, job)


@router.get("/sales-imports", response=list[ImportJobOut], summary="Background sales imports the caller may see")
@paginate(BoundedPagination)
def import_list(request, filters: Query[ImportJobFilter]):
    qs = ImportJob.objects.visible_to(request.principal).select_related("distributor", "report").defer("content")
    if filters.distributor_id:
        qs = qs.filter(distributor_id=filters.distributor_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.get("/sales-imports/{int:job_id}", response={200: ImportJobOut, 404: ErrorOut})
def import_detail(request, job_id: int):
    return get_visible_or_404(ImportJob.objects.select_related("distributor", "report").defer("content"),
                              request.principal, pk=job_id)


@router.post("/sales-imports/{int:job_id}/retry", response={202: ImportJobOut, 403: ErrorOut, 404: ErrorOut,
                                                              409: ErrorOut},
             summary="Queue a failed import again (when its file is still kept)")
def import_retry(request, job_id: int):
    job = get_visible_or_404(ImportJob.objects.select_related("distributor"), request.principal, pk=job_id)
    return Status(202, imports.import_job_retry(principal=request.principal, job=job))


@router.get("/sales-reports/{int:report_id}", response={200: ReportDetailOut, 404: ErrorOut})
def report_detail(request, report_id: int):
    return selectors.report_get(principal=request.principal, pk=report_id)


@router.get("/sales-reports/{int:report_id}/errors.csv", response={200: None, 404: ErrorOut},
            summary="The report's row errors as a CSV file")
def report_errors_csv(request, report_id: int):
    report = selectors.report_get(principal=request.principal, pk=report_id)
    response = StreamingHttpResponse(
        selectors.csv_rows(selectors.ERROR_EXPORT_HEADER, selectors.report_error_rows(report)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}-errors.csv"'
    return response


@router.post("/sales-reports/{int:report_id}/revalidate", response=IMPORT_RESPONSES,
             summary="Validate a rejected or waiting report again (and apply it when every row is good)")
def report_revalidate(request, report_id: int, payload: RevalidateIn):
    principal = request.principal
    report = selectors.report_get(principal=principal, pk=report_id)
    report = services.report_reprocess(principal=principal, report=report, mapping=payload.mapping,
                                       save_as=payload.save_as, supersede=payload.supersede)
    return _import_answer(report)


@router.get("/sales-lines", response=list[LineOut], summary="Sales lines the caller may see")
@paginate(CappedCountPagination)
def line_list(request, filters: Query[LineFilter]):
    return selectors.line_api_list(principal=request.principal, filters=filters.model_dump())


@router.get("/sales-lines/export.csv", response={200: None}, summary="The filtered sales lines as CSV")
def line_export(request, filters: Query[LineFilter]):
    qs = selectors.line_list(principal=request.principal, filters=filters.model_dump())
    response = StreamingHttpResponse(
        selectors.csv_rows(selectors.LINE_EXPORT_HEADER, selectors.line_export_rows(qs)), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="sales-lines.csv"'
    return response


@router.get("/segments", response=list[SegmentOut], summary="Client segments (stored roll-up)")
@paginate(CappedCountPagination)
def segment_list(request, filters: Query[SegmentFilter]):
    return selectors.segment_rows(principal=request.principal, filters=filters.model_dump())


@router.post("/segments/recompute", response={200: RecomputeOut, 202: QueuedOut, 403: ErrorOut, 404: ErrorOut,
                                              422: ValidationErrorOut})
def segment_recompute(request, payload: RecomputeIn):
    """Recompute now (200 with the number of segments changed), or with ``background: true`` in a task (202)."""
    principal = request.principal
    distributor = _visible_distributor(principal, payload.distributor_id) if payload.distributor_id else None
    if payload.background:
        return Status(202, {"task_id": segment_recompute_queue(principal=principal, distributor=distributor,
                                                               year=payload.year)})
    updated = services.segment_recompute(principal=principal, distributor=distributor, year=payload.year)
    return {"updated": updated}


@router.get("/column-mappings", response=list[ColumnMappingOut])
@paginate(BoundedPagination)
def column_mapping_list(request, filters: Query[MappingFilter]):
    qs = ColumnMapping.objects.visible_to(request.principal)
    return qs.filter(distributor_id=filters.distributor_id) if filters.distributor_id else qs


@router.post("/column-mappings", response={201: ColumnMappingOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut})
def column_mapping_save(request, payload: ColumnMappingIn):
    principal = request.principal
    distributor = _visible_distributor(principal, payload.distributor_id)
    template = services.mapping_save(principal=principal, distributor=distributor, name=payload.name,
                                     columns=payload.columns, make_default=payload.is_default)
    return Status(201, template)


@router.get("/product-mappings", response=list[ProductMappingOut])
@paginate(BoundedPagination)
def product_mapping_list(request, filters: Query[MappingFilter]):
    qs = ProductMapping.objects.visible_to(request.principal)
    return qs.filter(distributor_id=filters.distributor_id) if filters.distributor_id else qs


@router.post("/product-mappings", response={201: ProductMappingOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut})
def product_mapping_set(request, payload: ProductMappingIn):
    principal = request.principal
    distributor = _visible_distributor(principal, payload.distributor_id)
    line = api_refs.visible(principal, ProductLine, payload.product_line_id, field="product_line_id")
    mapping = services.product_mapping_set(principal=principal, distributor=distributor,
                                           product_code=payload.product_code, product_line=line,
                                           description=payload.description)
    return Status(201, mapping)


@router.delete("/product-mappings/{int:mapping_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def product_mapping_delete(request, mapping_id: int):
    principal = request.principal
    mapping = get_visible_or_404(ProductMapping.objects.select_related("distributor"), principal, pk=mapping_id)
    services.product_mapping_delete(principal=principal, mapping=mapping)
    return Status(204, None)


@router.post("/client-mappings", response={201: ClientMappingOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
             summary="Resolve an unmatched tax id or client code to an existing client")
def client_mapping_set(request, payload: ClientMappingIn):
    principal = request.principal
    distributor = _visible_distributor(principal, payload.distributor_id)
    client = api_refs.visible(principal, CorporateClient, payload.client_id, field="client_id")
    mapping = services.client_mapping_set(principal=principal, distributor=distributor, source_key=payload.source_key,
                                          client=client)
    return Status(201, mapping)


@router.get("/surveys", response=list[SurveyOut])
@paginate(BoundedPagination)
def survey_list(request):
    return selectors.survey_list(principal=request.principal)


@router.post("/surveys", response={201: SurveyOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut})
def survey_create(request, payload: SurveyIn):
    principal = request.principal
    distributor = _visible_distributor(principal, payload.distributor_id) if payload.distributor_id else None
    survey = survey_services.survey_create(principal=principal, name=payload.name, closes_on=payload.closes_on,
                                    distributor=distributor, intro=payload.intro)
    return Status(201, survey)


@router.get("/surveys/{int:survey_id}", response={200: SurveyDetailOut, 404: ErrorOut})
def survey_detail(request, survey_id: int):
    principal = request.principal
    survey = selectors.survey_get(principal=principal, pk=survey_id)
    survey.invitation_total = selectors.invitation_list(principal=principal, survey=survey).count()
    survey.results = selectors.nps_summary(principal=principal, survey_id=survey.pk)
    survey.response_total = survey.results["responses"]
    return survey


@router.post("/surveys/{int:survey_id}/invitations",
             response={201: InvitationOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut})
def survey_invite(request, survey_id: int, payload: InvitationIn):
    principal = request.principal
    survey = selectors.survey_get(principal=principal, pk=survey_id)
    if not can(principal, "sales.survey.change", survey):
        raise PermissionDenied
    client = api_refs.visible(principal, CorporateClient, payload.client_id, field="client_id")
    invitation, raw = survey_services.survey_invite(principal=principal, survey=survey, client=client,
                                             contact_name=payload.contact_name, contact_email=payload.contact_email,
                                             request=request)
    from django.urls import reverse

    invitation.link = request.build_absolute_uri(reverse("sales:survey_public", args=[raw]))
    return Status(201, invitation)


@router.post("/survey-invitations/{int:invitation_id}/response",
             response={201: ResponseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut},
             summary="Record an answer a client contact gave by phone or at a meeting (whoever runs the campaign)")
def survey_answer_record(request, invitation_id: int, payload: RecordedAnswerIn):
    from .models import SurveyInvitation
    from .survey_answers import survey_answer_record as record

    principal = request.principal
    invitation = get_visible_or_404(SurveyInvitation.objects.select_related("survey", "client"), principal,
                                    pk=invitation_id)
    selectors.survey_get(principal=principal, pk=invitation.survey_id)
    response = record(principal=principal, invitation=invitation, **payload.model_dump())
    return Status(201, response)


@router.get("/survey-responses", response=list[ResponseOut])
@paginate(BoundedPagination)
def response_list(request, filters: Query[ResponseFilter]):
    return selectors.response_list(principal=request.principal, filters=filters.model_dump())


__all__ = ["router", "ConflictError"]
