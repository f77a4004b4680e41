"""JSON API of the program app: programs and sign-off, goals with computed actuals, rules, events, support, learning."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from keychannel.core.choices import Role
from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.schemas import WRITE_ERRORS, ErrorOut
from keychannel.core.scoping import get_visible_or_404
from keychannel.network.models import Distributor

from . import lifecycle, selectors, services, support_money
from .models import EventInvitation, Goal
from .schemas import (
    AcknowledgementOut,
    BestPracticeOut,
    BudgetFilter,
    BudgetOut,
    CourseOut,
    EnrollmentOut,
    EventFilter,
    EventIn,
    EventOut,
    GoalFilter,
    GoalIn,
    GoalOut,
    GoalPatch,
    InvitationOut,
    InviteIn,
    LaunchIn,
    ProgramFilter,
    ProgramIn,
    ProgramOut,
    ProgramPatch,
    ReasonIn,
    RsvpIn,
    RuleFilter,
    RuleIn,
    RuleOut,
    SignoffIn,
    SignoffOut,
    SupportDecisionIn,
    SupportDetailOut,
    SupportFilter,
    SupportIn,
    SupportOut,
    TierOut,
)

router = Router(tags=["program"])



def _manager(user_id):
    return get_object_or_404(get_user_model(), pk=user_id, membership__role__in=[Role.PROGRAM_MANAGER, Role.ADMIN])


def _distributor(principal, distributor_id):
    """A distributor whose program data the caller reaches (404 otherwise, as for a missing one)."""
    distributor = get_visible_or_404(Distributor, principal, pk=distributor_id)
    if not principal.reaches(distributor.pk):
        raise Http404
    return distributor


# --- programs ----------------------------------------------------------------------------------------------------


@router.get("/programs", response=list[ProgramOut], summary="Programs (distributor users: launched ones)")
@paginate(BoundedPagination)
def program_list(request, filters: Query[ProgramFilter]):
    return selectors.program_list(principal=request.principal, filters=filters.model_dump()).order_by("-starts_on", "pk")


@router.post("/programs", response={201: ProgramOut, **WRITE_ERRORS})
def program_create(request, payload: ProgramIn):
    data = payload.model_dump()
    data["manager"] = _manager(data.pop("manager_id"))
    return Status(201, services.program_create(principal=request.principal, **data))


@router.get("/programs/{int:program_id}", response={200: ProgramOut, 404: ErrorOut})
def program_detail(request, program_id: int):
    return selectors.program_get(principal=request.principal, pk=program_id)


@router.patch("/programs/{int:program_id}", response={200: ProgramOut, **WRITE_ERRORS})
def program_patch(request, program_id: int, payload: ProgramPatch):
    program = selectors.program_get(principal=request.principal, pk=program_id)
    fields = payload.model_dump(exclude_unset=True)
    if any(v is None for v in fields.values()):
        raise ValidationError({k: "may not be null" for k, v in fields.items() if v is None})
    if "manager_id" in fields:
        fields["manager"] = _manager(fields.pop("manager_id"))
    return services.program_update(principal=request.principal, program=program, **fields)


@router.post("/programs/{int:program_id}/submit", response={200: ProgramOut, **WRITE_ERRORS}, summary="Submit for sign-off")
def program_submit(request, program_id: int):
    program = selectors.program_get(principal=request.principal, pk=program_id)
    return services.program_submit(principal=request.principal, program=program)


@router.post("/programs/{int:program_id}/signoffs", response={200: SignoffOut, **WRITE_ERRORS}, summary="Approve or object")
def program_signoff(request, program_id: int, payload: SignoffIn):
    program = selectors.program_get(principal=request.principal, pk=program_id)
    return services.signoff_record(principal=request.principal, program=program, **payload.model_dump())


@router.post("/programs/{int:program_id}/launch", response={200: ProgramOut, **WRITE_ERRORS},
             summary="Launch (all executives approved, or an admin override with a reason)")
def program_launch(request, program_id: int, payload: LaunchIn):
    program = selectors.program_get(principal=request.principal, pk=program_id)
    return services.program_launch(principal=request.principal, program=program, override_reason=payload.override_reason)


@router.post("/programs/{int:program_id}/revise", response={200: ProgramOut, **WRITE_ERRORS},
             summary="Revise after an objection: a new version in draft; earlier sign-offs kept with their version")
def program_revise(request, program_id: int, payload: ReasonIn):
    program = selectors.program_get(principal=request.principal, pk=program_id)
    return lifecycle.program_revise(principal=request.principal, program=program, reason=payload.reason)


@router.post("/programs/{int:program_id}/withdraw", response={200: ProgramOut, **WRITE_ERRORS},
             summary="Withdraw a draft or a program awaiting sign-off, with a reason")
def program_withdraw(request, program_id: int, payload: ReasonIn):
    program = selectors.program_get(principal=request.principal, pk=program_id)
    return lifecycle.program_withdraw(principal=request.principal, program=program, reason=payload.reason)


@router.get("/programs/{int:program_id}/signoffs", response={200: list[SignoffOut], 404: ErrorOut},
            summary="Sign-offs on every version, newest version first (manufacturer roles; empty for others)")
def program_signoffs(request, program_id: int):
    program = selectors.program_get(principal=request.principal, pk=program_id)
    return lifecycle.signoff_list(principal=request.principal, program=program)


# --- goals -------------------------------------------------------------------------------------------------------


class GoalPage(Schema):
    items: list[GoalOut]
    count: int


def _goal_out(progress):
    goal = progress.goal
    return {
        "id": goal.pk, "program_id": goal.program_id, "parent_id": goal.parent_id, "level": goal.level, "name": goal.name,
        "distributor_id": goal.distributor_id, "metric": goal.metric, "target": goal.target,
        "starts_on": goal.starts_on, "ends_on": goal.ends_on, "actual": progress.actual,
        "target_to_date": progress.target_to_date, "status": progress.status,
    }


@router.get("/goals", response=GoalPage, summary="Goals with computed actual, target-to-date and status")
def goal_list(request, filters: Query[GoalFilter]):
    data = filters.model_dump()
    limit, offset = data.pop("limit"), data.pop("offset")
    qs = selectors.goal_list(principal=request.principal, filters=data).order_by("program", "level", "pk")
    page = list(qs[offset:offset + limit])
    return {"items": [_goal_out(p) for p in selectors.goal_progress(page)], "count": qs.count()}


@router.post("/goals", response={201: GoalOut, **WRITE_ERRORS})
def goal_create(request, payload: GoalIn):
    principal = request.principal
    data = payload.model_dump()
    program = selectors.program_get(principal=principal, pk=data.pop("program_id"))
    parent_id = data.pop("parent_id")
    data["parent"] = get_visible_or_404(Goal, principal, pk=parent_id) if parent_id else None
    distributor_id = data.pop("distributor_id")
    data["distributor"] = _distributor(principal, distributor_id) if distributor_id else None
    goal = services.goal_create(principal=principal, program=program, **data)
    return Status(201, _goal_out(selectors.goal_progress([goal])[0]))


@router.get("/goals/{int:goal_id}", response={200: GoalOut, 404: ErrorOut})
def goal_detail(request, goal_id: int):
    goal = selectors.goal_get(principal=request.principal, pk=goal_id)
    return _goal_out(selectors.goal_progress([goal])[0])


@router.patch("/goals/{int:goal_id}", response={200: GoalOut, **WRITE_ERRORS})
def goal_patch(request, goal_id: int, payload: GoalPatch):
    goal = selectors.goal_get(principal=request.principal, pk=goal_id)
    goal = services.goal_update(principal=request.principal, goal=goal, **payload.model_dump(exclude_unset=True))
    return _goal_out(selectors.goal_progress([goal])[0])


# --- rules -------------------------------------------------------------------------------------------------------


@router.get("/rules", response=list[RuleOut], summary="Program rules (distributor users: published versions)")
@paginate(BoundedPagination)
def rule_list(request, filters: Query[RuleFilter]):
    return selectors.rule_list(principal=request.principal, filters=filters.model_dump()).order_by("program", "code", "-version", "pk")


@router.post("/rules", response={201: RuleOut, **WRITE_ERRORS}, summary="A new draft version of a rule")
def rule_create(request, payload: RuleIn):
    data = payload.model_dump()
    program = selectors.program_get(principal=request.principal, pk=data.pop("program_id"))
    return Status(201, services.rule_create(principal=request.principal, program=program, **data))


@router.post("/rules/{int:rule_id}/publish", response={200: RuleOut, **WRITE_ERRORS})
def rule_publish(request, rule_id: int):
    rule = selectors.rule_get(principal=request.principal, pk=rule_id)
    return services.rule_publish(principal=request.principal, rule=rule)


@router.post("/rules/{int:rule_id}/acknowledge", response={200: AcknowledgementOut, **WRITE_ERRORS},
             summary="The distributor head acknowledges a published rule")
def rule_acknowledge(request, rule_id: int):
    rule = selectors.rule_get(principal=request.principal, pk=rule_id)
    return services.rule_acknowledge(principal=request.principal, rule=rule)


# --- events ------------------------------------------------------------------------------------------------------


@router.get("/events", response=list[EventOut])
@paginate(BoundedPagination)
def event_list(request, filters: Query[EventFilter]):
    return selectors.event_list(principal=request.principal, filters=filters.model_dump()).order_by("starts_at", "pk")


@router.post("/events", response={201: EventOut, **WRITE_ERRORS})
def event_create(request, payload: EventIn):
    data = payload.model_dump()
    program_id = data.pop("program_id")
    data["program"] = selectors.program_get(principal=request.principal, pk=program_id) if program_id else None
    return Status(201, services.event_create(principal=request.principal, **data))


@router.get("/events/{int:event_id}", response={200: EventOut, 404: ErrorOut})
def event_detail(request, event_id: int):
    return selectors.event_get(principal=request.principal, pk=event_id)


@router.post("/events/{int:event_id}/invitations", response={200: list[InvitationOut], **WRITE_ERRORS},
             summary="Invite distributors (all their people) and people")
def event_invite(request, event_id: int, payload: InviteIn):
    principal = request.principal
    event = selectors.event_get(principal=principal, pk=event_id)
    distributors = [_distributor(principal, pk) for pk in payload.distributor_ids]
    users = list(get_user_model().objects.filter(pk__in=payload.user_ids, is_active=True))
    if len(users) != len(set(payload.user_ids)):
        raise ValidationError({"user_ids": "unknown user"})
    services.event_invite(principal=principal, event=event, distributors=distributors, users=users)
    return list(selectors.invitation_list(principal=principal, event=event))


@router.post("/events/{int:event_id}/rsvp", response={200: InvitationOut, **WRITE_ERRORS}, summary="Answer my invitation")
def event_rsvp(request, event_id: int, payload: RsvpIn):
    event = selectors.event_get(principal=request.principal, pk=event_id)
    invitation = get_object_or_404(EventInvitation, event=event, user_id=request.principal.user_id)
    return services.event_rsvp(principal=request.principal, invitation=invitation, rsvp=payload.rsvp)


# --- support -----------------------------------------------------------------------------------------------------


@router.get("/support-budgets", response=list[BudgetOut], summary="Support budgets with what is committed and left")
def budget_list(request, filters: Query[BudgetFilter]):
    data = filters.model_dump()
    limit, offset = data.pop("limit"), data.pop("offset")
    qs = selectors.budget_list(principal=request.principal, filters=data)
    return selectors.budgets_with_remaining(qs.order_by("-year", "distributor__code", "pk")[offset:offset + limit])


@router.get("/support-requests", response=list[SupportOut])
@paginate(BoundedPagination)
def support_list(request, filters: Query[SupportFilter]):
    return selectors.support_list(principal=request.principal, filters=filters.model_dump())


@router.post("/support-requests", response={201: SupportOut, **WRITE_ERRORS})
def support_create(request, payload: SupportIn):
    data = payload.model_dump()
    distributor = _distributor(request.principal, data.pop("distributor_id"))
    client_id = data.pop("client_id")
    if client_id is not None:
        from keychannel.clients.selectors import client_get

        data["client"] = client_get(principal=request.principal, pk=client_id)
    return Status(201, services.support_request_create(principal=request.principal, distributor=distributor, **data))


@router.post("/support-requests/{int:request_id}/decision", response={200: SupportOut, **WRITE_ERRORS},
             summary="Approve (financial: within the budget left) or reject")
def support_decide(request, request_id: int, payload: SupportDecisionIn):
    support = selectors.support_get(principal=request.principal, pk=request_id)
    return services.support_decide(principal=request.principal, request=support, **payload.model_dump())


def _support_detail(principal, support):
    """The request with what is left to claim and its return (attributes read by SupportDetailOut)."""
    result = support_money.support_return(principal=principal, request=support)
    support.amount_claimable = support_money.claimable(support)
    support.return_on_support = None if result is None else {
        "window_start": result.start, "window_end": result.end, "spend": result.spend,
        "attributed_registrations": result.registrations, "attributed_pipeline_value": result.pipeline_value,
        "attributed_won_deals": result.won_deals, "attributed_won_value": result.won_value,
        "attributed_sell_out": result.sell_out, "ratio": result.ratio,
    }
    return support


@router.get("/support-requests/{int:request_id}", response=SupportDetailOut,
            summary="One support request with its spend and the return attributed to it")
def support_get(request, request_id: int):
    support = selectors.support_get(principal=request.principal, pk=request_id)
    return _support_detail(request.principal, support)


@router.post("/support-requests/{int:request_id}/claims", response={200: SupportDetailOut, **WRITE_ERRORS},
             summary="Claim part or all of the approved money with proof (multipart)")
def support_claim(request, request_id: int, amount_claimed: Form[Decimal | None] = None, final: Form[bool] = False,
                  proof: File[UploadedFile] = None):
    """Claims add up to at most the approved amount; ``final=true`` ends claiming and releases the rest."""
    support = selectors.support_get(principal=request.principal, pk=request_id)
    support = support_money.support_claim(principal=request.principal, request=support, amount=amount_claimed,
                                     proof=proof, final=final)
    return _support_detail(request.principal, support)


# --- learning, best practices, tiers --------------------------------------------------------------------------------


@router.get("/courses", response=list[CourseOut])
@paginate(BoundedPagination)
def course_list(request):
    return selectors.course_list(principal=request.principal)


@router.post("/courses/{int:course_id}/enroll", response={200: EnrollmentOut, **WRITE_ERRORS}, summary="Enrol myself")
def course_enroll(request, course_id: int):
    course = selectors.course_get(principal=request.principal, pk=course_id)
    return services.course_enroll(principal=request.principal, course=course)


@router.get("/enrollments", response=list[EnrollmentOut])
@paginate(BoundedPagination)
def enrollment_list(request, course_id: int | None = None, distributor_id: int | None = None):
    return selectors.enrollment_list(principal=request.principal,
                                     filters={"course_id": course_id, "distributor_id": distributor_id})


@router.get("/best-practices", response=list[BestPracticeOut])
@paginate(BoundedPagination)
def best_practice_list(request):
    return selectors.best_practice_list(principal=request.principal)


@router.get("/program-tiers", response=list[TierOut], summary="Corporate program tiers offered to key accounts")
@paginate(BoundedPagination)
def tier_list(request):
    return selectors.tier_list(principal=request.principal)


# Operations of levels and of penalties and restrictions by rule join this router.
from . import catalog_api, level_api, parity_api, rule_conditions_api, scorecard_api  # noqa: E402,F401
