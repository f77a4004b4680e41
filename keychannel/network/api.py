"""JSON API of the network app."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.pagination import LimitOffsetPagination, paginate

from keychannel.core.schemas import ErrorOut, ValidationErrorOut

from . import selectors, services
from .schemas import DistributorFilter, DistributorOut, DistributorPatch, ProductLineOut, TerritoryFilter, TerritoryOut

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
