"""API operations that the program pages offer and the API lacked (issue 16, API parity): closing a program,
milestones, events edited and attendance, the calendar feed, support payment and completion, course completion,
ledger entries and awards, best practices. Each calls the same service as its page. Operations join the program
router."""

from datetime import date, datetime
from decimal import Decimal

from django.urls import reverse
from ninja import Field, Schema, Status

from keychannel.core.schemas import WRITE_ERRORS, ErrorOut
from keychannel.core.scoping import get_visible_or_404

from . import selectors, services
from .api import _distributor, router
from .models import Enrollment, Milestone, ProgramRule
from .rule_conditions_api import LedgerEntryOut
from .schemas import (
    BestPracticeOut,
    EnrollmentOut,
    EventKind,
    EventOut,
    EventStatus,
    InvitationOut,
    ProgramOut,
    SupportOut,
)

# --- programs and milestones ---------------------------------------------------------------------------------------


@router.post("/programs/{int:program_id}/close", response={200: ProgramOut, **WRITE_ERRORS},
             summary="Close a launched program (program office)")
def program_close(request, program_id: int):
    program = selectors.program_get(principal=request.principal, pk=program_id)
    return services.program_close(principal=request.principal, program=program)


class MilestoneOut(Schema):
    id: int
    goal_id: int
    title: str
    expected_result: str
    due_on: date
    achieved_on: date | None


class MilestoneIn(Schema):
    title: str = Field(..., min_length=1, max_length=160)
    expected_result: str = Field(..., min_length=1, max_length=4000)
    due_on: date


class AchieveIn(Schema):
    achieved_on: date | None = Field(None, description="Default: today.")


@router.get("/goals/{int:goal_id}/milestones", response={200: list[MilestoneOut], 404: ErrorOut},
            summary="A goal's milestones")
def milestone_list(request, goal_id: int):
    goal = selectors.goal_get(principal=request.principal, pk=goal_id)
    return list(selectors.milestone_list(principal=request.principal, goal=goal))


@router.post("/goals/{int:goal_id}/milestones", response={201: MilestoneOut, **WRITE_ERRORS},
             summary="Add a milestone to a goal (program office)")
def milestone_create(request, goal_id: int, payload: MilestoneIn):
    goal = selectors.goal_get(principal=request.principal, pk=goal_id)
    return Status(201, services.milestone_create(principal=request.principal, goal=goal, **payload.model_dump()))


@router.post("/milestones/{int:milestone_id}/achieve", response={200: MilestoneOut, **WRITE_ERRORS},
             summary="Mark a milestone achieved (program office)")
def milestone_achieve(request, milestone_id: int, payload: AchieveIn):
    milestone = get_visible_or_404(Milestone, request.principal, pk=milestone_id)
    return services.milestone_achieve(principal=request.principal, milestone=milestone, achieved_on=payload.achieved_on)


# --- events and the calendar feed ---------------------------------------------------------------------------------


class EventPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=160)
    kind: EventKind | None = None
    description: str | None = None
    location: str | None = Field(None, max_length=200)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    status: EventStatus | None = None
    open_to_all: bool | None = None


class AttendanceIn(Schema):
    attended_user_ids: list[int] = Field(..., description="The invited people who came; the other invitees did not.")


@router.patch("/events/{int:event_id}", response={200: EventOut, **WRITE_ERRORS}, summary="Edit an event (program office)")
def event_patch(request, event_id: int, payload: EventPatch):
    event = selectors.event_get(principal=request.principal, pk=event_id)
    return services.event_update(principal=request.principal, event=event, **payload.model_dump(exclude_unset=True))


@router.get("/events/{int:event_id}/invitations", response={200: list[InvitationOut], 404: ErrorOut},
            summary="Invitations with RSVP and attendance (manufacturer roles: all; others: their own)")
def event_invitations(request, event_id: int):
    event = selectors.event_get(principal=request.principal, pk=event_id)
    return list(selectors.invitation_list(principal=request.principal, event=event))


@router.post("/events/{int:event_id}/attendance", response={200: list[InvitationOut], **WRITE_ERRORS},
             summary="Record who came (program office)")
def event_attendance(request, event_id: int, payload: AttendanceIn):
    event = selectors.event_get(principal=request.principal, pk=event_id)
    services.event_attendance(principal=request.principal, event=event, attended_user_ids=payload.attended_user_ids)
    return list(selectors.invitation_list(principal=request.principal, event=event))


class CalendarFeedOut(Schema):
    url: str = Field(..., description="The secret iCalendar address of the caller's events.")


@router.post("/calendar-feed/rotate", response={200: CalendarFeedOut, **WRITE_ERRORS},
             summary="A new secret calendar address for the caller; the old one stops working at once")
def calendar_rotate(request):
    feed = services.calendar_feed_rotate(principal=request.principal)
    return {"url": request.build_absolute_uri(reverse("program:calendar_feed", args=[feed.token]))}


# --- support, learning ----------------------------------------------------------------------------------------------


class CompleteIn(Schema):
    note: str = Field("", max_length=4000)


@router.post("/support-requests/{int:request_id}/pay", response={200: SupportOut, **WRITE_ERRORS},
             summary="Mark a claimed financial request paid (program office)")
def support_pay(request, request_id: int):
    support = selectors.support_get(principal=request.principal, pk=request_id)
    return services.support_pay(principal=request.principal, request=support)


@router.post("/support-requests/{int:request_id}/done", response={200: SupportOut, **WRITE_ERRORS},
             summary="Mark an approved methodological or co-selling request delivered (program office)")
def support_complete(request, request_id: int, payload: CompleteIn):
    support = selectors.support_get(principal=request.principal, pk=request_id)
    return services.support_complete(principal=request.principal, request=support, note=payload.note)


@router.post("/enrollments/{int:enrollment_id}/complete", response={200: EnrollmentOut, **WRITE_ERRORS},
             summary="Record a completed course (program office); a certifying course issues a certificate number")
def enrollment_complete(request, enrollment_id: int):
    enrollment = get_visible_or_404(Enrollment, request.principal, pk=enrollment_id)
    return services.enrollment_complete(principal=request.principal, enrollment=enrollment)


# --- ledger entries and awards ---------------------------------------------------------------------------------------


class LedgerEntryIn(Schema):
    rule_id: int = Field(..., description="A published incentive, restriction or penalty rule.")
    evidence: str = Field(..., max_length=4000, description="What record and what figure the entry rests on.")
    amount: Decimal = Field(Decimal(0), ge=0, max_digits=16, decimal_places=2)
    applied_on: date | None = Field(None, description="Default: today.")
    expires_on: date | None = None


@router.post("/distributors/{int:distributor_id}/ledger", response={201: LedgerEntryOut, **WRITE_ERRORS},
             summary="Apply a published rule to a distributor: a reward, restriction or penalty (program office)")
def ledger_create(request, distributor_id: int, payload: LedgerEntryIn):
    principal = request.principal
    distributor = _distributor(principal, distributor_id)
    data = payload.model_dump()
    data["rule"] = get_visible_or_404(ProgramRule, principal, pk=data.pop("rule_id"))
    return Status(201, services.ledger_apply(principal=principal, distributor=distributor, **data))


class AwardOut(Schema):
    id: int
    distributor_id: int
    program_id: int | None
    title: str
    reason: str
    awarded_on: date
    awarded_by_id: int


class AwardIn(Schema):
    title: str = Field(..., min_length=1, max_length=160)
    reason: str = Field(..., min_length=1, max_length=4000)
    awarded_on: date | None = Field(None, description="Default: today.")


@router.get("/distributors/{int:distributor_id}/awards", response={200: list[AwardOut], 404: ErrorOut},
            summary="A distributor's awards")
def award_list(request, distributor_id: int):
    distributor = _distributor(request.principal, distributor_id)
    return list(selectors.award_list(principal=request.principal, distributor=distributor))


@router.post("/distributors/{int:distributor_id}/awards", response={201: AwardOut, **WRITE_ERRORS},
             summary="Grant an award to a distributor (program office); its head is notified")
def award_create(request, distributor_id: int, payload: AwardIn):
    principal = request.principal
    distributor = _distributor(principal, distributor_id)
    return Status(201, services.award_grant(principal=principal, distributor=distributor,
                                            program=selectors.current_program(principal=principal),
                                            **payload.model_dump()))


# --- best practices ----------------------------------------------------------------------------------------------------


class BestPracticeIn(Schema):
    distributor_id: int
    title: str = Field(..., min_length=1, max_length=160)
    story: str = Field(..., min_length=1)
    lessons: str = ""
    deal_id: int | None = Field(None, description="A won deal of that distributor.")
    deal_reference: str = Field("", max_length=120)


@router.post("/best-practices", response={201: BestPracticeOut, **WRITE_ERRORS},
             summary="A success story (program office; a distributor head for its own company)")
def best_practice_create(request, payload: BestPracticeIn):
    principal = request.principal
    data = payload.model_dump()
    data["distributor"] = _distributor(principal, data.pop("distributor_id"))
    deal_id = data.pop("deal_id")
    data["deal"] = None
    if deal_id is not None:
        from django.apps import apps

        data["deal"] = get_visible_or_404(apps.get_model("deals", "Opportunity"), principal, pk=deal_id)
    return Status(201, services.best_practice_create(principal=principal, **data))


@router.post("/best-practices/{int:practice_id}/share", response={200: BestPracticeOut, **WRITE_ERRORS},
             summary="Share a story with the whole network (program office)")
def best_practice_share(request, practice_id: int):
    practice = selectors.best_practice_get(principal=request.principal, pk=practice_id)
    return services.best_practice_share(principal=request.principal, practice=practice)
