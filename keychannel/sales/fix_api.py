"""JSON API for fixing a rejected import in bulk (docs/api.md, "Sales imports: fixing a rejected file"): the
problems grouped by reason, bulk creation of the unmatched clients, bulk mappings of clients and product codes,
and the re-run. The same services as the report page (fixes.py, imports.import_job_rerun)."""

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from keychannel.clients.api import DUPLICATE_CHECK_THROTTLE
from keychannel.core.errors import ConflictError
from keychannel.core.schemas import WRITE_ERRORS, ErrorOut
from keychannel.core.scoping import get_visible_or_404

from . import fixes, imports, selectors
from .models import ImportJob
from .schemas import ImportJobOut

router = Router(tags=["sales"])
MAX_ITEMS = fixes.MAX_ITEMS


class ProblemValueOut(Schema):
    value: str
    count: int
    rows: list[int] = Field(..., description="The first rows with this value")


class ProblemGroupOut(Schema):
    reason: str = Field(..., description="unknown_client, unknown_product, bad_date, not_a_number, …")
    label: str
    count: int = Field(..., description="Rows with this problem")
    fixable: bool = Field(..., description="Fixable in the app (mappings, clients) without a new file")
    value_total: int = Field(..., description="Distinct values affected")
    values: list[ProblemValueOut] = Field(..., description="The distinct values, most frequent first (at most 200)")


class SuggestionOut(Schema):
    id: int
    legal_name: str
    tax_id: str


class UnmatchedClientOut(Schema):
    key: str = Field(..., description="The tax id, or code:<client code>: what the bulk calls name")
    tax_id: str = ""
    client_code: str = ""
    name: str = ""
    city: str = ""
    row_total: int
    suggestions: list[SuggestionOut] = Field(..., description="Existing clients in reach it may be (one matcher)")


class UnknownProductOut(Schema):
    code: str
    name: str = ""
    row_total: int
    product_line_id: int | None = Field(None, description="Proposed: the distributor's only agreed product line")


class ProblemsOut(Schema):
    job_id: int
    report_id: int
    status: str = Field(..., description="The report's status: rejected, conflict, applied, …")
    error_count: int
    file_kept: bool = Field(..., description="Whether the report can be re-run without a new upload")
    groups: list[ProblemGroupOut]
    clients: list[UnmatchedClientOut]
    products: list[UnknownProductOut]


class ClientCreateItem(Schema):
    key: str = Field(..., max_length=70)
    confirm_not_duplicate: bool = Field(False, description="It is another company than its look-alike(s)")


class ClientsCreateIn(Schema):
    clients: list[ClientCreateItem] = Field(..., max_length=MAX_ITEMS)


class CreatedClientOut(Schema):
    key: str
    id: int
    legal_name: str


class ClientsCreatedOut(Schema):
    created: list[CreatedClientOut]


class ClientMapItem(Schema):
    key: str = Field(..., max_length=70)
    client_id: int = Field(..., ge=1, lt=2**63)


class ClientsMapIn(Schema):
    clients: list[ClientMapItem] = Field(..., max_length=MAX_ITEMS)


class ProductMapItem(Schema):
    code: str = Field(..., max_length=60)
    product_line_id: int = Field(..., ge=1, lt=2**63)


class ProductsMapIn(Schema):
    products: list[ProductMapItem] = Field(..., max_length=MAX_ITEMS)


class MappedOut(Schema):
    mapped: int


class RerunIn(Schema):
    supersede: bool = Field(False, description="Replace the applied report of the same month (a waiting report)")


def _job_report(request, job_id):
    job = get_visible_or_404(ImportJob.objects.select_related("distributor", "report__distributor"), request.principal,
                             pk=job_id)
    if job.report_id is None:
        raise ConflictError(_("This import has not produced a report yet."))
    return job, job.report




@router.get("/sales-imports/{int:job_id}/problems", response={200: ProblemsOut, 404: ErrorOut, 409: ErrorOut},
            summary="The import's row problems grouped by reason, with its unmatched clients and unknown codes")
def import_problems(request, job_id: int):
    job, report = _job_report(request, job_id)
    plan = selectors.report_fix_plan(principal=request.principal, report=report)
    return {
        "job_id": job.pk, "report_id": report.pk, "status": report.status, "error_count": report.error_count,
        "file_kept": bool(report.content), "groups": selectors.report_problems(report),
        "clients": [{**c, "suggestions": [{"id": s.pk, "legal_name": s.legal_name, "tax_id": s.tax_id}
                                          for s in c["suggestions"]]} for c in plan["clients"]],
        "products": plan["products"],
    }


@router.post("/sales-imports/{int:job_id}/clients", response={201: ClientsCreatedOut, **WRITE_ERRORS},
             throttle=DUPLICATE_CHECK_THROTTLE, summary="Create the import's unmatched clients from the file (all or none)")
def import_clients_create(request, job_id: int, payload: ClientsCreateIn):
    """Each client as the file gives it (name, tax id or client code, city) through the clients service's
    duplicate check. A likely duplicate in reach is named; one served elsewhere is only said to exist. Any refusal
    is a 422 with one entry per key (``clients.<key>``) and nothing is created."""
    _job, report = _job_report(request, job_id)
    items = [item.model_dump() for item in payload.clients]
    created = fixes.report_clients_create(principal=request.principal, report=report, items=items)
    return Status(201, {"created": [{"key": item["key"], "id": c.pk, "legal_name": c.legal_name}
                                    for item, c in zip(items, created, strict=True)]})


@router.post("/sales-imports/{int:job_id}/client-mappings", response={200: MappedOut, **WRITE_ERRORS},
             summary="Map the import's unmatched clients to existing clients (all or none; remembered)")
def import_clients_map(request, job_id: int, payload: ClientsMapIn):
    _job, report = _job_report(request, job_id)
    items = [{"key": i.key, "client": i.client_id} for i in payload.clients]
    return {"mapped": fixes.report_clients_map(principal=request.principal, report=report, items=items)}


@router.post("/sales-imports/{int:job_id}/product-mappings", response={200: MappedOut, **WRITE_ERRORS},
             summary="Map the import's unknown product codes to product lines (all or none; remembered)")
def import_products_map(request, job_id: int, payload: ProductsMapIn):
    _job, report = _job_report(request, job_id)
    items = [{"code": i.code, "product_line": i.product_line_id} for i in payload.products]
    return {"mapped": fixes.report_products_map(principal=request.principal, report=report, items=items)}


@router.post("/sales-imports/{int:job_id}/rerun", response={202: ImportJobOut, **WRITE_ERRORS},
             summary="Validate the import's report again in the background (a new job)")
def import_rerun(request, job_id: int, payload: RerunIn):
    _job, report = _job_report(request, job_id)
    job = imports.import_job_rerun(principal=request.principal, report=report, supersede=payload.supersede)
    return Status(202, ImportJob.objects.select_related("distributor", "report").defer("content").get(pk=job.pk))
