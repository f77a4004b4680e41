"""JSON API of the network app."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.policies import require
from keychannel.core.schemas import WRITE_ERRORS_WITHOUT_CONFLICT, ErrorOut, ValidationErrorOut
from keychannel.core.scoping import get_visible_or_404

from . import reference, selectors, services
from .distributor_rows import distributor_api_list
from .models import ActionItem, ProductLine, Territory
from .schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemPatch,
    CoverageFilter,
    CoverageIn,
    CoverageOut,
    CoveragePatch,
    DistributorFilter,
    DistributorIn,
    DistributorOut,
    DistributorPatch,
    EligibleOut,
    HealthOut,
    InteractionIn,
    InteractionOut,
    PersonFilter,
    PersonIn,
    PersonOut,
    PersonPatch,
    ProductLineIn,
    ProductLineOut,
    ProductLinePatch,
    QuestionnaireIn,
    QuestionnaireOut,
    QuestionnairePatch,
    ReadinessFilter,
    ReadinessIn,
    ReadinessOut,
    RelationshipFilter,
    RelationshipIn,
    RelationshipOut,
    RelationshipPatch,
    ReviewFilter,
    ReviewIn,
    ReviewOut,
    ReviewPatch,
    TerritoryFilter,
    TerritoryIn,
    TerritoryOut,
    TerritoryPatch,
)

router = Router(tags=["network"])

SORTS = {"code", "-code", "legal_name", "-legal_name", "annual_revenue", "-annual_revenue"}


@router.get("/distributors", response=list[DistributorOut], summary="Distributors the caller may see")
@paginate(BoundedPagination)
def distributor_list(request, filters: Query[DistributorFilter], sort: str = "code"):
    qs = distributor_api_list(principal=request.principal, filters=filters.model_dump())
    qs = selectors.counted_from_the_stamp(qs, request=request, filters=filters.model_dump())
    return qs.order_by(sort if sort in SORTS else "code", "pk")


@router.get("/distributors/{int:distributor_id}", response={200: DistributorOut, 404: ErrorOut})
def distributor_detail(request, distributor_id: int):
    distributor = selectors.distributor_get(principal=request.principal, pk=distributor_id)
    selectors.sole_channel_index(request, distributor=distributor)  # its flag alone: not the whole network's cells
    return distributor


@router.post("/distributors", response={201: DistributorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
             summary="Add a distributor (its head is then invited: POST /users/invitations)")
def distributor_create(request, payload: DistributorIn):
    principal = request.principal
    require(principal, "network.distributor.create")
    fields = payload.model_dump()
    territory = get_object_or_404(Territory.objects.visible_to(principal), pk=fields.pop("territory_id"))
    manager_id = fields.pop("channel_manager_id")
    fields["channel_manager"] = (
        get_object_or_404(get_user_model(), pk=manager_id, membership__role="channel_manager") if manager_id else None
    )
    line_ids = set(fields.pop("product_line_ids"))
    lines = list(ProductLine.objects.visible_to(principal).filter(pk__in=line_ids))
    if len(lines) != len(line_ids):
        raise ValidationError({"product_line_ids": _("Unknown product line.")})
    distributor = services.distributor_create(principal=principal, territory=territory, product_lines=lines, **fields)
    return Status(201, selectors.distributor_get(principal=principal, pk=distributor.pk))


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
    nullable = {"channel_manager", "external_id"}
    if any(v is None for k, v in fields.items() if k not in nullable):
        raise ValidationError({k: "may not be null" for k, v in fields.items() if v is None and k not in nullable})
    services.distributor_update(principal=principal, distributor=distributor, **fields)
    return selectors.distributor_get(principal=principal, pk=distributor_id)


@router.get("/territories", response=list[TerritoryOut])
@paginate(BoundedPagination)
def territory_list(request, filters: Query[TerritoryFilter]):
    return selectors.territory_list(principal=request.principal, filters=filters.model_dump())


@router.get("/product-lines", response=list[ProductLineOut])
@paginate(BoundedPagination)
def product_line_list(request):
    return selectors.product_line_list(principal=request.principal)




def _territory_fields(data: dict) -> dict:
    fields = dict(data)
    if "parent_id" in fields:
        parent_id = fields.pop("parent_id")
        fields["parent"] = _reference(Territory, parent_id, "parent_id") if parent_id else None
    if any(v is None for k, v in fields.items() if k != "parent"):
        raise ValidationError({k: _("May not be empty.") for k, v in fields.items() if v is None and k != "parent"})
    return fields


@router.post("/territories", response={201: TerritoryOut, **WRITE_ERRORS_WITHOUT_CONFLICT}, summary="Add a territory (program office)")
def territory_create(request, payload: TerritoryIn):
    require(request.principal, "network.reference.change")
    territory = reference.territory_create(principal=request.principal, **_territory_fields(payload.model_dump()))
    return Status(201, territory)


@router.patch("/territories/{int:territory_id}", response={200: TerritoryOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
              summary="Rename or move a territory (program office)")
def territory_update(request, territory_id: int, payload: TerritoryPatch):
    require(request.principal, "network.reference.change")
    territory = get_object_or_404(Territory.objects.visible_to(request.principal), pk=territory_id)
    fields = _territory_fields(payload.model_dump(exclude_unset=True))
    return reference.territory_update(principal=request.principal, territory=territory, **fields)


@router.post("/product-lines", response={201: ProductLineOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
             summary="Add a product line (program office)")
def product_line_create(request, payload: ProductLineIn):
    require(request.principal, "network.reference.change")
    return Status(201, reference.product_line_create(principal=request.principal, **payload.model_dump()))


@router.patch("/product-lines/{int:product_line_id}", response={200: ProductLineOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
              summary="Rename, describe, retire or bring back a product line (program office)")
def product_line_update(request, product_line_id: int, payload: ProductLinePatch):
    require(request.principal, "network.reference.change")
    line = get_object_or_404(ProductLine.objects.visible_to(request.principal), pk=product_line_id)
    fields = payload.model_dump(exclude_unset=True)
    if any(v is None for v in fields.values()):
        raise ValidationError({k: _("May not be empty.") for k, v in fields.items() if v is None})
    return reference.product_line_update(principal=request.principal, product_line=line, **fields)


@router.get("/readiness-questionnaires", response=list[QuestionnaireOut],
            summary="Versions of the readiness questionnaire, newest first (active: the one assessments answer)")
@paginate(BoundedPagination)
def questionnaire_list(request):
    from .models import ReadinessQuestionnaire

    return ReadinessQuestionnaire.objects.visible_to(request.principal).prefetch_related("questions")


@router.post("/readiness-questionnaires", response={201: QuestionnaireOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
             summary="A new questionnaire version (program office); not in use until activated")
def questionnaire_create(request, payload: QuestionnaireIn):
    data = payload.model_dump()
    return Status(201, reference.questionnaire_create(principal=request.principal, **data))


def _questionnaire(request, questionnaire_id):
    from .models import ReadinessQuestionnaire

    require(request.principal, "network.reference.change")
    return get_object_or_404(ReadinessQuestionnaire.objects.visible_to(request.principal), pk=questionnaire_id)


@router.patch("/readiness-questionnaires/{int:questionnaire_id}", response={200: QuestionnaireOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
              summary="Change a version nobody has answered yet (program office)")
def questionnaire_update(request, questionnaire_id: int, payload: QuestionnairePatch):
    questionnaire = _questionnaire(request, questionnaire_id)
    return reference.questionnaire_update(principal=request.principal, questionnaire=questionnaire,
                                          **payload.model_dump(exclude_unset=True))


@router.post("/readiness-questionnaires/{int:questionnaire_id}/activate",
             response={200: QuestionnaireOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
             summary="Put a version in use: new assessments answer it (program office)")
def questionnaire_activate(request, questionnaire_id: int):
    questionnaire = _questionnaire(request, questionnaire_id)
    return reference.questionnaire_activate(principal=request.principal, questionnaire=questionnaire)


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
@paginate(BoundedPagination)
def coverage_list(request, filters: Query[CoverageFilter]):
    return selectors.coverage_list(principal=request.principal, filters=filters.model_dump())


@router.get("/coverage/eligible", response={200: EligibleOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}, summary="Who may sell a product line in a territory on a date")
def coverage_eligible(
    request, territory_id: int | None = None, product_line_id: int | None = None, on_date: date | None = None
):
    principal = request.principal
    require(principal, "network.coverage.matrix")
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


def _no_nulls(fields: dict, nullable=()):
    nulls = [k for k, v in fields.items() if v is None and k not in nullable]
    if nulls:
        raise ValidationError({k: _("may not be null") for k in nulls})


# --- people -----------------------------------------------------------------------------------------------------



@router.get("/distributor-people", response=list[PersonOut], summary="People of the distributors the caller reaches")
@paginate(BoundedPagination)
def person_list(request, filters: Query[PersonFilter]):
    return selectors.person_list(principal=request.principal, filters=filters.model_dump())


@router.post("/distributor-people", response={201: PersonOut, **WRITE_ERRORS_WITHOUT_CONFLICT})
def person_create(request, payload: PersonIn):
    principal = request.principal
    fields = payload.model_dump()
    distributor = selectors.distributor_get(principal=principal, pk=fields.pop("distributor_id"))
    person = services.person_create(principal=principal, distributor=distributor, **fields)
    return Status(201, person)


@router.patch("/distributor-people/{int:person_id}", response={200: PersonOut, **WRITE_ERRORS_WITHOUT_CONFLICT})
def person_patch(request, person_id: int, payload: PersonPatch):
    principal = request.principal
    person = get_visible_or_404(selectors.person_list(principal=principal), principal, pk=person_id)
    fields = payload.model_dump(exclude_unset=True)
    require(principal, "network.person.change", person.distributor)
    _no_nulls(fields)
    return services.person_update(principal=principal, person=person, **fields)


# --- relationships ----------------------------------------------------------------------------------------------


@router.get("/relationships", response=list[RelationshipOut], summary="Relationships between our people and distributors'")
@paginate(BoundedPagination)
def relationship_list(request, filters: Query[RelationshipFilter]):
    return selectors.relationship_list(principal=request.principal, filters=filters.model_dump())


def _relationship_out(principal, pk):
    return selectors.relationship_list(principal=principal).get(pk=pk)


@router.post("/relationships", response={201: RelationshipOut, **WRITE_ERRORS_WITHOUT_CONFLICT})
def relationship_create(request, payload: RelationshipIn):
    principal = request.principal
    fields = payload.model_dump()
    person = get_visible_or_404(selectors.person_list(principal=principal), principal, pk=fields.pop("person_id"))
    require(principal, "network.relationship.change", person.distributor)
    user = get_user_model().objects.filter(pk=fields.pop("manufacturer_user_id")).first()
    relationship = services.relationship_create(principal=principal, person=person, manufacturer_user=user, **fields)
    return Status(201, _relationship_out(principal, relationship.pk))


@router.patch("/relationships/{int:relationship_id}", response={200: RelationshipOut, **WRITE_ERRORS_WITHOUT_CONFLICT})
def relationship_patch(request, relationship_id: int, payload: RelationshipPatch):
    principal = request.principal
    relationship = get_visible_or_404(selectors.relationship_list(principal=principal), principal, pk=relationship_id)
    fields = payload.model_dump(exclude_unset=True)
    require(principal, "network.relationship.change", relationship.person.distributor)
    _no_nulls(fields, nullable=("last_interaction",))
    services.relationship_update(principal=principal, relationship=relationship, **fields)
    return _relationship_out(principal, relationship.pk)


@router.post("/relationships/{int:relationship_id}/interactions", response={201: InteractionOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
             summary="Log an interaction (moves the relationship's last interaction forward)")
def interaction_create(request, relationship_id: int, payload: InteractionIn):
    principal = request.principal
    relationship = get_visible_or_404(selectors.relationship_list(principal=principal), principal, pk=relationship_id)
    interaction = services.interaction_record(principal=principal, relationship=relationship, **payload.model_dump())
    return Status(201, interaction)


@router.get("/distributors/{int:distributor_id}/relationship-health",
            response={200: HealthOut, 403: ErrorOut, 404: ErrorOut},
            summary="Relationship-health flags of one distributor (manufacturer roles)")
def relationship_health(request, distributor_id: int, stale_days: int | None = None):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=distributor_id)
    require(principal, "network.relationship.health", distributor)
    if not principal.reaches(distributor.pk):
        raise Http404
    if stale_days is not None and stale_days < 1:
        raise ValidationError({"stale_days": _("At least one day.")})
    stale_days = stale_days or selectors.stale_days_setting()
    relationships = list(selectors.relationship_list(principal=principal, filters={"distributor_id": distributor.pk}))
    flags = selectors.relationship_health(
        distributor=distributor, relationships=relationships, on_date=timezone.localdate(), stale_days=stale_days
    )
    return {"distributor_id": distributor.pk, "stale_days": stale_days, "flags": flags}


# --- readiness --------------------------------------------------------------------------------------------------


@router.get("/readiness", response=list[ReadinessOut], summary="Readiness assessments, newest first per distributor")
@paginate(BoundedPagination)
def readiness_list(request, filters: Query[ReadinessFilter]):
    return selectors.readiness_list(principal=request.principal, filters=filters.model_dump())


@router.get("/readiness/{int:assessment_id}", response={200: ReadinessOut, 404: ErrorOut})
def readiness_detail(request, assessment_id: int):
    principal = request.principal
    return get_visible_or_404(selectors.readiness_list(principal=principal), principal, pk=assessment_id)


@router.post("/readiness", response={201: ReadinessOut, **WRITE_ERRORS_WITHOUT_CONFLICT}, summary="Record an assessment (score computed)")
def readiness_create(request, payload: ReadinessIn):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=payload.distributor_id)
    assessment = services.readiness_assess(
        principal=principal, distributor=distributor, assessed_on=payload.assessed_on, answers=payload.answers,
        summary=payload.summary,
    )
    return Status(201, selectors.readiness_list(principal=principal).get(pk=assessment.pk))


@router.get("/readiness/{int:assessment_id}/actions", response={200: list[ActionItemOut], 404: ErrorOut})
def action_item_list(request, assessment_id: int):
    principal = request.principal
    assessment = get_visible_or_404(selectors.readiness_list(principal=principal), principal, pk=assessment_id)
    return list(selectors.action_item_list(principal=principal, assessment_ids=[assessment.pk]))


def _owner(fields):
    if "owner_id" in fields:
        owner_id = fields.pop("owner_id")
        fields["owner"] = get_user_model().objects.filter(pk=owner_id).first() if owner_id else None
        if owner_id and fields["owner"] is None:
            raise ValidationError({"owner_id": _("Unknown id.")})
    return fields


@router.post("/readiness/{int:assessment_id}/actions", response={201: ActionItemOut, **WRITE_ERRORS_WITHOUT_CONFLICT})
def action_item_create(request, assessment_id: int, payload: ActionItemIn):
    principal = request.principal
    assessment = get_visible_or_404(selectors.readiness_list(principal=principal), principal, pk=assessment_id)
    require(principal, "network.action_item.change", assessment.distributor)
    item = services.action_item_create(principal=principal, assessment=assessment, **_owner(payload.model_dump()))
    return Status(201, item)


@router.patch("/readiness/actions/{int:item_id}", response={200: ActionItemOut, **WRITE_ERRORS_WITHOUT_CONFLICT})
def action_item_patch(request, item_id: int, payload: ActionItemPatch):
    principal = request.principal
    item = get_visible_or_404(
        ActionItem.objects.select_related("assessment__distributor"), principal, pk=item_id
    )
    fields = payload.model_dump(exclude_unset=True)
    require(principal, "network.action_item.change", item.assessment.distributor)
    _no_nulls(fields, nullable=("owner_id",))
    return services.action_item_update(principal=principal, item=item, **_owner(fields))


# --- compliance reviews -----------------------------------------------------------------------------------------


@router.get("/reviews", response=list[ReviewOut], summary="Compliance reviews of large distributors")
@paginate(BoundedPagination)
def review_list(request, filters: Query[ReviewFilter]):
    return selectors.review_list(principal=request.principal, filters=filters.model_dump())


@router.post("/reviews", response={201: ReviewOut, **WRITE_ERRORS_WITHOUT_CONFLICT})
def review_create(request, payload: ReviewIn):
    principal = request.principal
    fields = payload.model_dump()
    distributor = selectors.distributor_get(principal=principal, pk=fields.pop("distributor_id"))
    return Status(201, services.review_create(principal=principal, distributor=distributor, **fields))


@router.patch("/reviews/{int:review_id}", response={200: ReviewOut, **WRITE_ERRORS_WITHOUT_CONFLICT})
def review_patch(request, review_id: int, payload: ReviewPatch):
    principal = request.principal
    review = get_visible_or_404(selectors.review_list(principal=principal), principal, pk=review_id)
    fields = payload.model_dump(exclude_unset=True)
    require(principal, "network.review.change", review.distributor)
    _no_nulls(fields, nullable=("follow_up_on",))
    return services.review_update(principal=principal, review=review, **fields)


# Coverage requests, channel presence, playbooks, sole-channel cells and the profile join this router.
from . import channel_api  # noqa: E402,F401
