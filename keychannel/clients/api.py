"""JSON API of the clients app: clients, duplicate check, merge, stakeholders, buying-centre analysis."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from keychannel.core import api_refs, external_ids
from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.ratelimit import ApiThrottle, ScopedThrottle
from keychannel.core.schemas import WRITE_ERRORS, ErrorOut, ValidationErrorOut

from . import selectors, services
from .schemas import (
    AccountPlanOut,
    AnalysisOut,
    ClientFilter,
    ClientIn,
    ClientOut,
    ClientPatch,
    ContactIn,
    DuplicateCheckIn,
    DuplicateCheckOut,
    DuplicateConflictOut,
    LinkIn,
    LinkOut,
    MergeIn,
    MergeOut,
    StakeholderIn,
    StakeholderOut,
    StakeholderPatch,
)

router = Router(tags=["clients"])

# The duplicate check (and a client creation, which runs it) tells whether a tax id or name exists anywhere in
# the network: a per-user limit of its own, lower than the general one, keeps it from being walked by a script.
DUPLICATE_CHECK_THROTTLE = [ApiThrottle(), ScopedThrottle("duplicate-check", "KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT")]


def _check_out(check) -> dict:
    return {
        "candidates": [
            {
                "id": c.client.pk,
                "legal_name": c.client.legal_name,
                "tax_id": c.client.tax_id,
                "distributor_id": c.client.distributor_id,
                "distributor_name": c.client.distributor.legal_name if c.client.distributor_id else None,
                "status": c.client.status,
                "score": c.score,
                "reason": c.reason,
            }
            for c in check.candidates
        ],
        "served_elsewhere": check.served_elsewhere,
        "message": check.served_elsewhere_message,
    }


def _resolve_refs(principal, fields: dict) -> dict:
    """Turn *_id fields into objects the principal may use (unknown or foreign ids: 422)."""
    from keychannel.network.models import Distributor, Territory

    if "distributor_id" in fields:
        distributor_id = fields.pop("distributor_id")
        if distributor_id is None:
            fields["distributor"] = None
        else:
            fields["distributor"] = api_refs.visible(principal, Distributor, distributor_id, field="distributor_id")
    if "territory_id" in fields:
        territory_id = fields.pop("territory_id")
        fields["territory"] = api_refs.optional(principal, Territory, territory_id, field="territory_id")
    if "revenue_band" in fields and fields["revenue_band"] is None:
        fields["revenue_band"] = ""
    if "external_id" in fields:
        fields["external_id"] = external_ids.clean(fields["external_id"])
    return fields


@router.get("/clients", response=list[ClientOut], summary="Clients the caller may see")
@paginate(BoundedPagination)
def client_list(request, filters: Query[ClientFilter], sort: str = "name"):
    qs = selectors.client_list(principal=request.principal, filters=filters.model_dump())
    return _rows(selectors.client_sorted(qs, sort))


def _rows(qs):
    """A list's clients with what ClientOut answers of their distributor (its name), not every column of it, nor
    the territory (its id is the client's own column)."""
    from .models import CorporateClient

    columns = [field.name for field in CorporateClient._meta.concrete_fields]
    return qs.select_related(None).select_related("distributor").only(*columns, "distributor__legal_name")


@router.post("/clients", response={201: ClientOut, 403: ErrorOut, 409: DuplicateConflictOut, 422: ValidationErrorOut},
             throttle=DUPLICATE_CHECK_THROTTLE)
def client_create(request, payload: ClientIn):
    principal = request.principal
    data = payload.model_dump()
    confirm = data.pop("confirm_not_duplicate")
    fields = _resolve_refs(principal, data)
    try:
        client = services.client_create(principal=principal, confirm_not_duplicate=confirm, **fields)
    except services.DuplicateClientError as exc:
        return Status(409, {"detail": str(exc.message), "exact": exc.check.exact, **_check_out(exc.check)})
    return Status(201, selectors.client_get(principal=principal, pk=client.pk))


@router.post("/clients/duplicate-check", response={200: DuplicateCheckOut, 422: ValidationErrorOut},
             throttle=DUPLICATE_CHECK_THROTTLE)
def client_duplicate_check(request, payload: DuplicateCheckIn):
    check = selectors.client_find_duplicates(
        principal=request.principal, legal_name=payload.legal_name, tax_id=payload.tax_id, exclude_id=payload.exclude_id
    )
    return _check_out(check)


@router.get("/clients/at-risk", response=list[ClientOut], summary="Clients whose buying centre is at risk")
@paginate(BoundedPagination)
def client_at_risk_list(request, filters: Query[ClientFilter]):
    return _rows(selectors.clients_at_risk(principal=request.principal, filters=filters.model_dump()))


@router.get("/clients/{int:client_id}", response={200: ClientOut, 404: ErrorOut})
def client_detail(request, client_id: int):
    return selectors.client_get(principal=request.principal, pk=client_id)


@router.patch("/clients/{int:client_id}", response={200: ClientOut, **WRITE_ERRORS})
def client_patch(request, client_id: int, payload: ClientPatch):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=client_id)
    fields = payload.model_dump(exclude_unset=True)
    nullable = {"distributor_id", "territory_id", "employees", "revenue_band", "external_id"}
    nulls = [k for k, v in fields.items() if v is None and k not in nullable]
    if nulls:
        raise ValidationError({k: "may not be null" for k in nulls})
    services.client_update(principal=principal, client=client, **_resolve_refs(principal, fields))
    return selectors.client_get(principal=principal, pk=client_id)


@router.delete("/clients/{int:client_id}", response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
               summary="Delete a client nothing else points at (409 otherwise: archive it)")
def client_delete(request, client_id: int):
    principal = request.principal
    services.client_delete(principal=principal, client=selectors.client_get(principal=principal, pk=client_id))
    return Status(204, None)


@router.post("/clients/{int:client_id}/archive", response={200: ClientOut, 403: ErrorOut, 404: ErrorOut},
             summary="Archive a client: out of the default lists, kept for the records that point at it")
def client_archive(request, client_id: int):
    principal = request.principal
    services.client_archive(principal=principal, client=selectors.client_get(principal=principal, pk=client_id))
    return selectors.client_get(principal=principal, pk=client_id)


@router.post("/clients/{int:client_id}/restore", response={200: ClientOut, 403: ErrorOut, 404: ErrorOut},
             summary="Bring an archived client back into the lists")
def client_restore(request, client_id: int):
    principal = request.principal
    services.client_restore(principal=principal, client=selectors.client_get(principal=principal, pk=client_id))
    return selectors.client_get(principal=principal, pk=client_id)


@router.post("/clients/{int:client_id}/merge", response={200: MergeOut, **WRITE_ERRORS})
def client_merge(request, client_id: int, payload: MergeIn):
    principal = request.principal
    survivor = selectors.client_get(principal=principal, pk=client_id)
    duplicate = selectors.client_get(principal=principal, pk=payload.duplicate_id)
    return services.client_merge(principal=principal, survivor=survivor, duplicate=duplicate)


@router.get("/clients/{int:client_id}/analysis", response={200: AnalysisOut, 404: ErrorOut})
def client_analysis(request, client_id: int):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=client_id)
    analysis = selectors.buying_centre_analysis(
        client=client, stakeholders=selectors.stakeholder_list(principal=principal, client=client)
    )
    return {
        "client_id": client.pk,
        "score": analysis.score,
        "at_risk": analysis.at_risk,
        "stakeholders": analysis.stakeholders,
        "engaged": analysis.engaged,
        "flags": [f.as_dict() for f in analysis.flags],
    }


@router.get("/clients/{int:client_id}/account-plan", response={200: AccountPlanOut, 404: ErrorOut})
def client_account_plan(request, client_id: int):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=client_id)
    plan = selectors.account_plan_get(principal=principal, client=client)
    if plan is None and not client.is_key_account:
        raise Http404
    space = selectors.whitespace(client=client)
    return {
        "client_id": client.pk,
        "ambition": plan.ambition if plan else "",
        "situation": plan.situation if plan else "",
        "owner_id": plan.owner_id if plan else None,
        "review_on": plan.review_on if plan else None,
        "objectives": list(plan.objectives.all()) if plan else [],
        "actions": list(plan.actions.all()) if plan else [],
        "competitors": list(plan.competitors.all()) if plan else [],
        "whitespace": space["whitespace"],
        "bought": space["bought"],
    }


# ---------------------------------------------------------------------------------------- stakeholders


def _stakeholder_fields(principal, client, fields: dict) -> dict:
    if "reports_to_id" in fields:
        manager_id = fields.pop("reports_to_id")
        fields["reports_to"] = None
        if manager_id is not None:
            manager = selectors.stakeholder_list(principal=principal, client=client).filter(pk=manager_id).first()
            if manager is None:
                raise ValidationError({"reports_to_id": "Choose a person of the same client."})
            fields["reports_to"] = manager
    if fields.get("email"):
        from django.core.validators import validate_email

        try:
            validate_email(fields["email"])
        except ValidationError:
            raise ValidationError({"email": "Enter a valid e-mail address."}) from None
    return fields


@router.get("/clients/{int:client_id}/stakeholders", response={200: list[StakeholderOut], 404: ErrorOut})
def stakeholder_list(request, client_id: int):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=client_id)
    return list(selectors.stakeholder_list(principal=principal, client=client))


@router.post("/clients/{int:client_id}/stakeholders", response={201: StakeholderOut, **WRITE_ERRORS})
def stakeholder_create(request, client_id: int, payload: StakeholderIn):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=client_id)
    fields = _stakeholder_fields(principal, client, payload.model_dump())
    stakeholder = services.stakeholder_create(principal=principal, client=client, **fields)
    return Status(201, selectors.stakeholder_list(principal=principal, client=client).get(pk=stakeholder.pk))


@router.get("/stakeholders/{int:stakeholder_id}", response={200: StakeholderOut, 404: ErrorOut})
def stakeholder_detail(request, stakeholder_id: int):
    principal = request.principal
    stakeholder = selectors.stakeholder_get(principal=principal, pk=stakeholder_id)
    return selectors.stakeholder_list(principal=principal, client=stakeholder.client).get(pk=stakeholder.pk)


@router.patch("/stakeholders/{int:stakeholder_id}", response={200: StakeholderOut, **WRITE_ERRORS})
def stakeholder_patch(request, stakeholder_id: int, payload: StakeholderPatch):
    principal = request.principal
    stakeholder = selectors.stakeholder_get(principal=principal, pk=stakeholder_id)
    fields = payload.model_dump(exclude_unset=True)
    expected_version = fields.pop("version", None)
    nulls = [k for k, v in fields.items() if v is None and k not in {"reports_to_id", "last_contact_on"}]
    if nulls:
        raise ValidationError({k: "may not be null" for k in nulls})
    fields = _stakeholder_fields(principal, stakeholder.client, fields)
    # A stale version is a ConflictError, which the API answers with 409. The answer is read under the same
    # row lock, so it shows this edit, not one that committed just after it.
    with transaction.atomic():
        services.stakeholder_update(principal=principal, stakeholder=stakeholder, expected_version=expected_version,
                                    **fields)
        return selectors.stakeholder_list(principal=principal, client=stakeholder.client).get(pk=stakeholder.pk)


@router.delete("/stakeholders/{int:stakeholder_id}", response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
               summary="Delete a person (409 while an activity or a sign-off names them)")
def stakeholder_delete(request, stakeholder_id: int):
    principal = request.principal
    services.stakeholder_delete(principal=principal, stakeholder=selectors.stakeholder_get(principal=principal, pk=stakeholder_id))
    return Status(204, None)


@router.post("/stakeholders/{int:stakeholder_id}/contacts", response={200: StakeholderOut, **WRITE_ERRORS})
def stakeholder_contact_set(request, stakeholder_id: int, payload: ContactIn):
    """Record who on our side knows this person, and how well (now / wanted)."""
    principal = request.principal
    stakeholder = selectors.stakeholder_get(principal=principal, pk=stakeholder_id)
    user = get_user_model().objects.filter(pk=payload.user_id).first()
    if user is None:
        raise ValidationError({"user_id": "Unknown user."})
    services.stakeholder_contact_set(
        principal=principal, stakeholder=stakeholder, user=user,
        current_level=payload.current_level, desired_level=payload.desired_level,
    )
    return selectors.stakeholder_list(principal=principal, client=stakeholder.client).get(pk=stakeholder.pk)


@router.delete("/stakeholders/{int:stakeholder_id}/contacts/{int:user_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def stakeholder_contact_delete(request, stakeholder_id: int, user_id: int):
    principal = request.principal
    stakeholder = selectors.stakeholder_get(principal=principal, pk=stakeholder_id)
    contact = get_object_or_404(stakeholder.contacts.all(), user_id=user_id)
    services.stakeholder_contact_delete(principal=principal, contact=contact)
    return Status(204, None)


@router.get("/clients/{int:client_id}/stakeholder-links", response={200: list[LinkOut], 404: ErrorOut})
def link_list(request, client_id: int):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=client_id)
    return list(selectors.stakeholder_links(principal=principal, client=client))


@router.post("/clients/{int:client_id}/stakeholder-links", response={201: LinkOut, **WRITE_ERRORS})
def link_create(request, client_id: int, payload: LinkIn):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=client_id)
    people = selectors.stakeholder_list(principal=principal, client=client)
    source = people.filter(pk=payload.source_id).first()
    target = people.filter(pk=payload.target_id).first()
    if source is None or target is None:
        raise ValidationError({"source_id" if source is None else "target_id": "Choose a person of this client."})
    link = services.stakeholder_link_create(
        principal=principal, source=source, target=target, kind=payload.kind, note=payload.note
    )
    return Status(201, link)


@router.delete("/stakeholder-links/{int:link_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def link_delete(request, link_id: int):
    principal = request.principal
    services.stakeholder_link_delete(principal=principal, link=selectors.link_get(principal=principal, pk=link_id))
    return Status(204, None)


# Writes of account plans, and the sync endpoints (upsert by external id, bulk), join this router.
from . import plan_api, sync_api  # noqa: E402,F401
