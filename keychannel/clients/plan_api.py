"""Write API of account plans (issue 16): the plan, its objectives, actions and competitors, through the same
services as the account plan page (owners through the assignment rule). Operations join the clients router."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Status

from keychannel.core.schemas import WRITE_ERRORS_WITHOUT_CONFLICT, ErrorOut

from . import selectors, services
from .api import client_account_plan, router
from .models import AccountAction, AccountCompetitor, AccountObjective
from .schemas import (
    AccountPlanOut,
    AccountPlanPatch,
    ActionIn,
    ActionOut,
    ActionPatch,
    CompetitorIn,
    CompetitorOut,
    CompetitorPatch,
    ObjectiveIn,
    ObjectiveOut,
    ObjectivePatch,
)

MODELS = {"objectives": AccountObjective, "actions": AccountAction, "competitors": AccountCompetitor}


def _key_client(request, client_id):
    client = selectors.client_get(principal=request.principal, pk=client_id)
    if not client.is_key_account:
        raise Http404
    return client


def _fields(request, data: dict, plan_id=None) -> dict:
    """Ids to records; a null where a value is required is refused."""
    fields = dict(data)
    if "owner_id" in fields:
        owner_id = fields.pop("owner_id")
        owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first() if owner_id else None
        if owner_id and owner is None:
            raise ValidationError({"owner_id": _("Unknown id.")})
        fields["owner"] = owner
    if "objective_id" in fields:
        objective_id = fields.pop("objective_id")
        objective = AccountObjective.objects.filter(pk=objective_id).first() if objective_id else None
        if objective_id and (objective is None or (plan_id is not None and objective.plan_id != plan_id)):
            raise ValidationError({"objective_id": _("Choose an objective of this plan.")})
        fields["objective"] = objective
    nullable = {"owner", "objective", "due_on", "review_on"}
    empty = [k for k, v in fields.items() if v is None and k not in nullable]
    if empty:
        raise ValidationError({k: _("May not be empty.") for k in empty})
    return fields


def _item(request, kind, item_id):
    item = MODELS[kind].objects.select_related("plan").filter(pk=item_id).first()
    if item is None:
        raise Http404
    selectors.client_get(principal=request.principal, pk=item.plan.client_id)  # 404 outside the caller's reach
    return item


@router.patch("/clients/{int:client_id}/account-plan", response={200: AccountPlanOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
              summary="Change the plan: ambition, situation, owner, next review")
def account_plan_update(request, client_id: int, payload: AccountPlanPatch):
    client = _key_client(request, client_id)
    services.account_plan_update(principal=request.principal, client=client,
                                 **_fields(request, payload.model_dump(exclude_unset=True)))
    return client_account_plan(request, client_id)


@router.post("/clients/{int:client_id}/account-plan/objectives", response={201: ObjectiveOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
             summary="Add an objective to a key account's plan")
def objective_create(request, client_id: int, payload: ObjectiveIn):
    client = _key_client(request, client_id)
    data = _fields(request, payload.model_dump())
    return Status(201, services.account_objective_create(principal=request.principal, client=client, **data))


@router.post("/clients/{int:client_id}/account-plan/actions", response={201: ActionOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
             summary="Add an action to a key account's plan")
def action_create(request, client_id: int, payload: ActionIn):
    client = _key_client(request, client_id)
    data = _fields(request, payload.model_dump())
    return Status(201, services.account_action_create(principal=request.principal, client=client, **data))


@router.post("/clients/{int:client_id}/account-plan/competitors", response={201: CompetitorOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
             summary="Record a competitor present at a key account")
def competitor_create(request, client_id: int, payload: CompetitorIn):
    client = _key_client(request, client_id)
    return Status(201, services.account_competitor_create(principal=request.principal, client=client,
                                                          **payload.model_dump()))


def _update(request, kind, item_id, payload):
    item = _item(request, kind, item_id)
    fields = _fields(request, payload.model_dump(exclude_unset=True), plan_id=item.plan_id)
    return services.account_item_update(principal=request.principal, item=item, **fields)


@router.patch("/account-plan/objectives/{int:item_id}", response={200: ObjectiveOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
              summary="Edit an objective in place: status, owner, due date, result")
def objective_update(request, item_id: int, payload: ObjectivePatch):
    return _update(request, "objectives", item_id, payload)


@router.patch("/account-plan/actions/{int:item_id}", response={200: ActionOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
              summary="Edit an action in place: status, owner, due date, result, objective")
def action_update(request, item_id: int, payload: ActionPatch):
    return _update(request, "actions", item_id, payload)


@router.patch("/account-plan/competitors/{int:item_id}", response={200: CompetitorOut, **WRITE_ERRORS_WITHOUT_CONFLICT},
              summary="Edit a competitor")
def competitor_update(request, item_id: int, payload: CompetitorPatch):
    return _update(request, "competitors", item_id, payload)


def _delete(request, kind, item_id):
    services.account_item_delete(principal=request.principal, item=_item(request, kind, item_id))
    return Status(204, None)


@router.delete("/account-plan/objectives/{int:item_id}", response={204: None, **WRITE_ERRORS_WITHOUT_CONFLICT, 409: ErrorOut},
               summary="Remove an objective (its actions stay, without it)")
def objective_delete(request, item_id: int):
    return _delete(request, "objectives", item_id)


@router.delete("/account-plan/actions/{int:item_id}", response={204: None, **WRITE_ERRORS_WITHOUT_CONFLICT, 409: ErrorOut},
               summary="Remove an action")
def action_delete(request, item_id: int):
    return _delete(request, "actions", item_id)


@router.delete("/account-plan/competitors/{int:item_id}", response={204: None, **WRITE_ERRORS_WITHOUT_CONFLICT, 409: ErrorOut},
               summary="Remove a competitor")
def competitor_delete(request, item_id: int):
    return _delete(request, "competitors", item_id)
