"""JSON API of the network app."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from keychannel.core.policies import require
from keychannel.core.schemas import ErrorOut, ValidationErrorOut
from keychannel.core.scoping import get_visible_or_404

from . import selectors, services
from .models import ProductLine, Territory
from .schemas import (
    CoverageFilter,
    CoverageIn,
    CoverageOut,
    CoveragePatch,
    DistributorFilter,
    DistributorOut,
    DistributorPatch,
    EligibleOut,
    ProductLineOut,
    TerritoryFilter,
    TerritoryOut,
)

router = Router(tags=["network"])

SORTS = {"code", "-code", "legal_name", "-legal_name", "annual_revenue", "-annual_revenue"}


@router.get("/distributors", response=list[DistributorOut], summary="Distributors the caller may see")
@paginate(LimitOffsetPagination)
def distributor_list(request, filters: Query[DistributorFilter], sort: str = "code"):
    qs = selectors.distributor_list(principal=request.principal, filters=filters.model_dump())
    return qs.order_by(sort if sort in SORTS else "code", "pk")


@router.get("/distributors/{int:distributor_id}", response={200: DistributorOut, 404: ErrorOut})
def distributor_detail(request, distributor_id: int):
    return selectors.distributor_get(principal=request.principal, pk=distributor_id)


@router.patch(
    "/distributors/{int:distributor_id}",
    response={200: DistributorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
)
def distributor_patch(request, distributor_id: int, payload: DistributorPatch):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=distributor_id)
    fields = payload.model_dump(exclude_unset=True)
    if "channel_manager_id" in fields:
        manager_id = fields.pop("channel_manager_id")
        fields["channel_manager"] = (
            get_object_or_404(get_user_model(), pk=manager_id, membership__role="channel_manager") if manager_id else None
        )
    if any(v is None for k, v in fields.items() if k != "channel_manager"):
        raise ValidationError({k: "may not be null" for k, v in fields.items() if v is None and k != "channel_manager"})
    services.distributor_update(principal=principal, distributor=distributor, **fields)
    return selectors.distributor_get(principal=principal, pk=distributor_id)


@router.get("/territories", response=list[TerritoryOut])
@paginate(LimitOffsetPagination)
def territory_list(request, filters: Query[TerritoryFilter]):
    return selectors.territory_list(principal=request.principal, filters=filters.model_dump())


@router.get("/product-lines", response=list[ProductLineOut])
@paginate(LimitOffsetPagination)
def product_line_list(request):
    return selectors.product_line_list(principal=request.principal)


# --- coverage ---------------------------------------------------------------------------------------------------


def _reference(model, pk, field):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: _("Unknown id.")})
    return obj


def _coverage_fields(data: dict) -> dict:
    fields = dict(data)
    if "territory_id" in fields:
        fields["territory"] = _reference(Territory, fields.pop("territory_id"), "territory_id")
    if "product_line_id" in fields:
        fields["product_line"] = _reference(ProductLine, fields.pop("product_line_id"), "product_line_id")
    return fields


@router.get("/coverage", response=list[CoverageOut], summary="Coverage records (distributor × territory × product line)")
@paginate(LimitOffsetPagination)
def coverage_list(request, filters: Query[CoverageFilter]):
    return selectors.coverage_list(principal=request.principal, filters=filters.model_dump())


@router.get("/coverage/eligible", response={200: EligibleOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}, summary="Who may sell a product line in a territory on a date")
def coverage_eligible(
    request, territory_id: int | None = None, product_line_id: int | None = None, on_date: date | None = None
):
    principal = request.principal
    if not principal.is_manufacturer:
        raise PermissionDenied("network: manufacturer roles only")
    missing = {name: _("This field is required.") for name, v in
               (("territory_id", territory_id), ("product_line_id", product_line_id)) if v is None}
    if missing:
        raise ValidationError(missing)
    territory = get_object_or_404(Territory, pk=territory_id)
    line = get_object_or_404(ProductLine, pk=product_line_id)
    on_date = on_date or timezone.localdate()
    found = selectors.eligible_distributors(territory=territory, product_line=line, on_date=on_date)
    return {"territory_id": territory.pk, "product_line_id": line.pk, "on_date": on_date, "distributors": list(found)}


@router.post("/coverage", response={201: CoverageOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut})
def coverage_create(request, payload: CoverageIn):
    principal = request.principal
    fields = payload.model_dump()
    distributor = selectors.distributor_get(principal=principal, pk=fields.pop("distributor_id"))
    require(principal, "network.coverage.change", distributor)
    coverage = services.coverage_create(principal=principal, distributor=distributor, **_coverage_fields(fields))
    return Status(201, selectors.coverage_list(principal=principal).get(pk=coverage.pk))


@router.patch("/coverage/{int:coverage_id}", response={200: CoverageOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut})
def coverage_patch(request, coverage_id: int, payload: CoveragePatch):
    principal = request.principal
    coverage = get_visible_or_404(selectors.coverage_list(principal=principal), principal, pk=coverage_id)
    fields = payload.model_dump(exclude_unset=True)
    nulls = [k for k, v in fields.items() if v is None and k != "valid_to"]
    require(principal, "network.coverage.change", coverage.distributor)
    if nulls:
        raise ValidationError({k: _("may not be null") for k in nulls})
    services.coverage_update(principal=principal, coverage=coverage, **_coverage_fields(fields))
    return selectors.coverage_list(principal=principal).get(pk=coverage.pk)
