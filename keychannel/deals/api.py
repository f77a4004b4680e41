"""JSON API of the deals app: opportunities, their moves, activities and product tests, contracts, forecast."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from keychannel.clients.models import CorporateClient, Stakeholder
from keychannel.core import api_refs, external_ids
from keychannel.core.api_rows import fast_list
from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.schemas import WRITE_ERRORS, ErrorOut, ValidationErrorOut
from keychannel.network.models import ProductLine

from . import forecast as forecasts
from . import selectors, services, signoff
from .schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPatch,
    ApprovalIn,
    ContractFilter,
    ContractOut,
    ContractPatch,
    ForecastFilter,
    ForecastOut,
    MoveIn,
    OpportunityDetailOut,
    OpportunityFilter,
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    ProductTestIn,
    ProductTestOut,
    ProductTestPatch,
    SignoffIn,
    StageProbabilityIn,
    StageProbabilityOut,
)

router = Router(tags=["deals"])

SORTS = {"created_at", "-created_at", "value", "-value", "expected_close_on", "-expected_close_on",
         "next_step_on", "-next_step_on", "updated_at", "-updated_at", "title", "-title"}


def _product_lines(ids):
    ids = sorted(set(ids))
    lines = list(ProductLine.objects.filter(pk__in=ids))
    if len(lines) != len(ids):
        raise ValidationError({"product_line_ids": _("Unknown product line.")})
    return lines


def _stakeholders(opportunity, ids, field):
    ids = sorted(set(ids))
    people = list(Stakeholder.objects.filter(pk__in=ids, client_id=opportunity.client_id))
    if len(people) != len(ids):
        raise ValidationError({field: _("Choose people of this deal's client.")})
    return people


def _detail(principal, pk):
    opportunity = selectors.opportunity_api_get(principal=principal, pk=pk)
    opportunity.stage_history = [
        {"from_stage": r["change"].from_stage, "to_stage": r["change"].to_stage,
         "changed_by_id": r["change"].changed_by_id, "changed_at": r["change"].changed_at, "note": r["change"].note,
         "days_in_stage": round(r["duration"].total_seconds() / 86400, 2)}
        for r in opportunity.moves
    ]
    opportunity.time_in_stages = selectors.time_in_stages(opportunity=opportunity, history=opportunity.moves)
    return opportunity


@router.get("/opportunities", response=list[OpportunityOut], summary="Deals the caller may see")
@paginate(BoundedPagination)
def opportunity_list(request, filters: Query[OpportunityFilter], sort: str = "-created_at"):
    qs = selectors.opportunity_api_list(principal=request.principal, filters=filters.model_dump())
    return qs.order_by(sort if sort in SORTS else "-created_at", "-pk")


@router.post("/opportunities", response={201: OpportunityDetailOut, **WRITE_ERRORS}, summary="Open a deal")
def opportunity_create(request, payload: OpportunityIn):
    principal = request.principal
    client = api_refs.visible(principal, CorporateClient.objects.select_related("distributor"), payload.client_id,
                              field="client_id")
    owner = api_refs.active_user(payload.owner_id, field="owner_id") if payload.owner_id else principal.user
    opportunity = services.opportunity_create(
        principal=principal, client=client, distributor=None if payload.direct else client.distributor,
        owner=owner, title=payload.title, product_lines=_product_lines(payload.product_line_ids),
        mentor=api_refs.active_user(payload.mentor_id, field="mentor_id"), kam=api_refs.active_user(payload.kam_id, field="kam_id"), value=payload.value,
        volume=payload.volume, stage=payload.stage, expected_close_on=payload.expected_close_on,
        next_step=payload.next_step, next_step_on=payload.next_step_on, origin=payload.origin,
        source_reference=payload.source_reference, gate_override_reason=payload.gate_override_reason,
        external_id=external_ids.clean(payload.external_id),
    )
    return Status(201, _detail(principal, opportunity.pk))


@router.get("/opportunities/{int:opportunity_id}", response={200: OpportunityDetailOut, 404: ErrorOut})
def opportunity_detail(request, opportunity_id: int):
    return _detail(request.principal, opportunity_id)


@router.patch("/opportunities/{int:opportunity_id}", response={200: OpportunityDetailOut, **WRITE_ERRORS})
def opportunity_patch(request, opportunity_id: int, payload: OpportunityPatch):
    principal = request.principal
    opportunity = selectors.opportunity_get(principal=principal, pk=opportunity_id)
    data = payload.model_dump(exclude_unset=True)
    fields = {}
    for name in ("owner", "mentor", "kam"):
        if f"{name}_id" in data:
            fields[name] = api_refs.active_user(data.pop(f"{name}_id"), field=f"{name}_id")
    if "product_line_ids" in data:
        ids = data.pop("product_line_ids")
        fields["product_lines"] = _product_lines(ids or [])
    nullable = {"expected_close_on", "next_step_on", "external_id"}
    bad = [k for k, v in data.items() if v is None and k not in nullable]
    if bad:
        raise ValidationError({k: _("This field may not be null.") for k in bad})
    fields.update(data)
    services.opportunity_update(principal=principal, opportunity=opportunity, **fields)
    return _detail(principal, opportunity_id)


@router.post("/opportunities/{int:opportunity_id}/move", response={200: OpportunityDetailOut, **WRITE_ERRORS},
             summary="Move a deal to another stage (the same rules as the kanban and the form)")
def opportunity_move(request, opportunity_id: int, payload: MoveIn):
    principal = request.principal
    opportunity = selectors.opportunity_get(principal=principal, pk=opportunity_id)
    terms = {"starts_on": payload.contract_starts_on, "ends_on": payload.contract_ends_on, "tier": payload.tier,
             "tier_exception_reason": payload.tier_exception_reason}
    services.opportunity_move(principal=principal, opportunity=opportunity, stage=payload.stage,
                              lost_reason=payload.lost_reason, lost_reason_code=payload.lost_reason_code,
                              note=payload.note, contract_terms=terms,
                              gate_override_reason=payload.gate_override_reason,
                              test_override_reason=payload.test_override_reason)
    return _detail(principal, opportunity_id)


@router.get("/opportunities/{int:opportunity_id}/activities", response=list[ActivityOut])
@paginate(BoundedPagination)
def activity_list(request, opportunity_id: int):
    opportunity = selectors.opportunity_get(principal=request.principal, pk=opportunity_id)
    return selectors.activity_list(principal=request.principal, opportunity=opportunity)


@router.post("/opportunities/{int:opportunity_id}/activities", response={201: ActivityOut, **WRITE_ERRORS},
             summary="Log an activity (moves the client participants' last contact)")
def activity_create(request, opportunity_id: int, payload: ActivityIn):
    principal = request.principal
    opportunity = selectors.opportunity_get(principal=principal, pk=opportunity_id)
    product_test = None
    if payload.product_test_id is not None:
        product_test = opportunity.product_tests.filter(pk=payload.product_test_id).first()
        if product_test is None:
            raise ValidationError({"product_test_id": _("Choose a product test of this deal.")})
    activity = services.activity_log(
        principal=principal, opportunity=opportunity, kind=payload.kind, subject=payload.subject,
        occurred_on=payload.occurred_on, outcome=payload.outcome,
        stakeholders=_stakeholders(opportunity, payload.stakeholder_ids, "stakeholder_ids"),
        participants=api_refs.active_users(payload.participant_ids, field="participant_ids"), product_test=product_test,
    )
    return Status(201, selectors.activity_get(principal=principal, pk=activity.pk))


@router.get("/activities/{int:activity_id}", response={200: ActivityOut, 404: ErrorOut})
def activity_detail(request, activity_id: int):
    return selectors.activity_get(principal=request.principal, pk=activity_id)


@router.patch("/activities/{int:activity_id}", response={200: ActivityOut, **WRITE_ERRORS})
def activity_patch(request, activity_id: int, payload: ActivityPatch):
    principal = request.principal
    activity = selectors.activity_get(principal=principal, pk=activity_id)
    data = payload.model_dump(exclude_unset=True)
    fields = {}
    if "stakeholder_ids" in data:
        fields["stakeholders"] = _stakeholders(activity.opportunity, data.pop("stakeholder_ids") or [], "stakeholder_ids")
    if "participant_ids" in data:
        fields["participants"] = api_refs.active_users(data.pop("participant_ids") or [], field="participant_ids")
    bad = [k for k, v in data.items() if v is None]
    if bad:
        raise ValidationError({k: _("This field may not be null.") for k in bad})
    services.activity_update(principal=principal, activity=activity, **fields, **data)
    return selectors.activity_get(principal=principal, pk=activity_id)


@router.get("/opportunities/{int:opportunity_id}/product-tests", response=list[ProductTestOut])
@paginate(BoundedPagination)
def product_test_list(request, opportunity_id: int):
    opportunity = selectors.opportunity_get(principal=request.principal, pk=opportunity_id)
    return selectors.product_test_list(principal=request.principal, opportunity=opportunity)


@router.post("/opportunities/{int:opportunity_id}/product-tests", response={201: ProductTestOut, **WRITE_ERRORS})
def product_test_create(request, opportunity_id: int, payload: ProductTestIn):
    principal = request.principal
    opportunity = selectors.opportunity_get(principal=principal, pk=opportunity_id)
    data = payload.model_dump()
    signoff = _stakeholders(opportunity, data.pop("signoff_stakeholder_ids"), "signoff_stakeholder_ids")
    test = services.product_test_create(principal=principal, opportunity=opportunity, signoff_stakeholders=signoff,
                                        **data)
    return Status(201, selectors.product_test_get(principal=principal, pk=test.pk))


@router.patch("/product-tests/{int:product_test_id}", response={200: ProductTestOut, **WRITE_ERRORS},
              summary="Change a product test or record its result")
def product_test_patch(request, product_test_id: int, payload: ProductTestPatch):
    principal = request.principal
    test = selectors.product_test_get(principal=principal, pk=product_test_id)
    data = payload.model_dump(exclude_unset=True)
    if "signoff_stakeholder_ids" in data:
        data["signoff_stakeholders"] = _stakeholders(test.opportunity, data.pop("signoff_stakeholder_ids") or [],
                                                     "signoff_stakeholder_ids")
    nullable = {"ends_on", "decided_on"}
    bad = [k for k, v in data.items() if v is None and k not in nullable]
    if bad:
        raise ValidationError({k: _("This field may not be null.") for k in bad})
    services.product_test_update(principal=principal, product_test=test, **data)
    return selectors.product_test_get(principal=principal, pk=product_test_id)


@router.post("/product-tests/{int:product_test_id}/approvals", response={201: ProductTestOut, **WRITE_ERRORS},
             summary="Record that a client stakeholder named on the test approved its result")
def product_test_approve(request, product_test_id: int, payload: ApprovalIn):
    principal = request.principal
    test = selectors.product_test_get(principal=principal, pk=product_test_id)
    stakeholder = test.signoff_stakeholders.filter(pk=payload.stakeholder_id).first()
    if stakeholder is None:
        raise ValidationError({"stakeholder_id": _("Choose a stakeholder named to sign this test off.")})
    signoff.approval_record(principal=principal, product_test=test, stakeholder=stakeholder, note=payload.note)
    return Status(201, selectors.product_test_get(principal=principal, pk=product_test_id))


@router.post("/product-tests/{int:product_test_id}/signoff", response={201: ProductTestOut, **WRITE_ERRORS},
             summary="Sign a product test off as the manufacturer (a manufacturer role, not the deal's owner)")
def product_test_signoff(request, product_test_id: int, payload: SignoffIn):
    principal = request.principal
    test = selectors.product_test_get(principal=principal, pk=product_test_id)
    signoff.manufacturer_signoff(principal=principal, product_test=test, note=payload.note)
    return Status(201, selectors.product_test_get(principal=principal, pk=product_test_id))


@router.get("/contracts", response=list[ContractOut], summary="Corporate contracts the caller may see")
@paginate(BoundedPagination)
def contract_list(request, filters: Query[ContractFilter]):
    return selectors.contract_list(principal=request.principal, filters=filters.model_dump()).order_by("ends_on", "pk")


@router.get("/contracts/{int:contract_id}", response={200: ContractOut, 404: ErrorOut})
def contract_detail(request, contract_id: int):
    return selectors.contract_get(principal=request.principal, pk=contract_id)


@router.patch("/contracts/{int:contract_id}", response={200: ContractOut, **WRITE_ERRORS})
def contract_patch(request, contract_id: int, payload: ContractPatch):
    principal = request.principal
    contract = selectors.contract_get(principal=principal, pk=contract_id)
    data = payload.model_dump(exclude_unset=True)
    bad = [k for k, v in data.items() if v is None and k not in ("renewal_on", "external_id")]
    if bad:
        raise ValidationError({k: _("This field may not be null.") for k in bad})
    services.contract_update(principal=principal, contract=contract, **data)
    return selectors.contract_get(principal=principal, pk=contract_id)


@router.get("/forecast", response=ForecastOut, summary="Weighted pipeline and won value by month, distributor, "
            "territory or product line")
@fast_list.rows("rows")
def forecast(request, filters: Query[ForecastFilter]):
    data = filters.model_dump()
    by, limit, offset = data.pop("by"), data.pop("limit"), data.pop("offset")
    page = forecasts.forecast_table(principal=request.principal, dimension=by, filters=data, limit=limit,
                                    offset=offset)
    return {"by": by, "rows": page.rows, "totals": {"key": "", "label": _("Total"), **page.totals},
            "count": page.count, "limit": limit, "offset": offset, "next_offset": page.next_offset}


# --- stage probabilities (issue 16): what the forecast weighs each stage's deals by --------------------------


def _stage_rows():
    return [{**row, "label": str(row["label"])} for row in selectors.stage_probability_rows()]


@router.get("/stage-probabilities", response=list[StageProbabilityOut],
            summary="Every stage's win probability (the forecast's weights) and what the stage means")
def stage_probability_list(request):
    return _stage_rows()


@router.put("/stage-probabilities/{stage}",
            response={200: StageProbabilityOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
            summary="Set a stage's probability (program office); its deals are re-weighted at once")
def stage_probability_set(request, stage: str, payload: StageProbabilityIn):
    from django.http import Http404

    from .choices import Stage

    if stage not in Stage.values:
        raise Http404
    services.stage_probability_set(principal=request.principal, stage=stage, probability=payload.probability,
                                   guidance=payload.guidance)
    return next(row for row in _stage_rows() if row["stage"] == stage)


# The sync endpoints (upsert by external id, bulk) join this router.
from . import sync_api  # noqa: E402,F401
